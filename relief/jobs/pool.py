"""Jobs in threads of the web process, when there is no broker (settings.JOBS_RUN_IN_THREAD).

Without Celery (the demo, `dev.py run`, a small installation's gunicorn) a job used to run inside
the request that started it, after commit: the page waited for a whole import and showed no
progress. Here the request only hands the job's id to a small pool of threads (JOBS_THREADS,
default 2, so a few large imports cannot take the process's memory); the job reports its progress
to the database as it does under Celery, and the page polls it.

Nothing is kept only in memory: a job waiting here has its heartbeat written (at submit, then by
the watch, relief/jobs/watch.py), so when the process ends — a restart, a deploy, a crash — the
jobs it held are found by any other web process's watch, or by this process's successor: a
waiting job whose heartbeat went quiet is taken and run again, and a running one is marked lost
(its owner sees it and can retry). The threads are daemons: leaving the process never waits for
them, and an import cut short rolls back with its transaction.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable

from django.db import connections
from django.utils import timezone

from relief.models import Job, JobState

logger = logging.getLogger(__name__)


class _Pool:
    def __init__(self, size: int) -> None:
        self.queue: queue.Queue[tuple[int, Callable[[int], object]] | None] = queue.Queue()
        self.lock = threading.Lock()
        self.waiting: set[int] = set()  # submitted here, not started yet
        self.running: set[int] = set()
        self.threads = [
            threading.Thread(target=self._work, name=f"job-{n}", daemon=True) for n in range(max(1, size))
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, job_id: int, run: Callable[[int], object]) -> None:
        with self.lock:
            self.waiting.add(job_id)
        self.queue.put((job_id, run))

    def _work(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            job_id, run = item
            with self.lock:
                self.waiting.discard(job_id)
                self.running.add(job_id)
            try:
                run(job_id)
            except Exception:  # run_job records its own failures; this is a failure to record one
                logger.exception("job %s: the in-process runner failed", job_id)
            finally:
                with self.lock:
                    self.running.discard(job_id)
                connections.close_all()  # this thread's connections only

    def stop(self) -> None:
        for _thread in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join(timeout=30)


_lock = threading.Lock()
_pool: _Pool | None = None
_serving = False  # set by the web process (relief/jobs/watch.py: serve); elsewhere jobs run inline


def serving() -> bool:
    """Does this process hand jobs to threads? Only a web process does: a management command (or a
    test) that starts a job runs it inline, so it never exits with a job half done."""
    return _serving


def set_serving(on: bool) -> None:
    global _serving
    _serving = on


def submit(job_id: int, run: Callable[[int], object]) -> None:
    """Run `run(job_id)` in one of this process's job threads; the job's heartbeat says that a
    process holds it (the watch keeps it fresh while it waits)."""
    global _pool
    Job.objects.filter(pk=job_id, state=JobState.PENDING).update(heartbeat_at=timezone.now())
    with _lock:
        if _pool is None:
            from django.conf import settings

            _pool = _Pool(settings.JOBS_THREADS)
        pool = _pool
    pool.submit(job_id, run)


def held() -> tuple[set[int], set[int]]:
    """The ids of the jobs this process holds: (waiting, running)."""
    pool = _pool
    if pool is None:
        return set(), set()
    with pool.lock:
        return set(pool.waiting), set(pool.running)


def stop() -> None:
    """Stop the threads once the jobs given to them are done (tests; never needed in production)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.stop()


def _forget_after_fork() -> None:
    """A forked child does not inherit its parent's threads: it starts afresh (and serves once its
    own WSGI application is loaded)."""
    global _lock, _pool, _serving
    _lock, _pool, _serving = threading.Lock(), None, False


os.register_at_fork(after_in_child=_forget_after_fork)
