"""The watchdog of jobs run in threads of the web process (relief/jobs/pool.py), when there is no
broker and so no Celery beat to run `relief.jobs_watchdog`.

A web process calls `serve()` once its WSGI application is loaded (relief/wsgi.py: gunicorn and
runserver): from then on its jobs run in threads, and it runs `tick()` every JOBS_WATCH_SECONDS in
a daemon thread:

1. the jobs this process holds, waiting or running, get a fresh heartbeat: they are alive;
2. a waiting job whose heartbeat is older than JOB_STALL_SECONDS was held by a process that ended
   (restarted, killed): one process takes it (a conditional update, so two never both do) and runs it;
3. running jobs whose process ended stop beating and are marked lost, as under Celery
   (`services.jobs_mark_lost`): their owner sees it and can retry.

So a job is never lost silently: at worst it waits JOB_STALL_SECONDS plus one tick to be taken up
again or shown as lost.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading

from django.conf import settings
from django.db import connections
from django.db.models import Q
from django.utils import timezone

from relief.jobs import pool
from relief.jobs.runner import enqueue
from relief.jobs.services import jobs_mark_lost
from relief.models import Job, JobState

logger = logging.getLogger(__name__)

_started_in: int | None = None  # the pid whose watch thread runs (a forked child starts its own)
_start_lock = threading.Lock()


def tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """One round of the watch; returns what it did (for tests and logs)."""
    now = now or timezone.now()
    waiting, running = pool.held()
    beating = Job.objects.filter(
        Q(pk__in=waiting, state=JobState.PENDING) | Q(pk__in=running, state=JobState.RUNNING)
    ).update(heartbeat_at=now)
    limit = now - datetime.timedelta(seconds=settings.JOB_STALL_SECONDS)
    orphaned = Q(state=JobState.PENDING) & (
        Q(heartbeat_at__lt=limit) | Q(heartbeat_at__isnull=True, created_at__lt=limit)
    )
    taken = 0
    for job_id in Job.objects.filter(orphaned).exclude(pk__in=waiting).values_list("pk", flat=True)[:100]:
        if Job.objects.filter(orphaned, pk=job_id).update(heartbeat_at=now, enqueue_failed=False):
            logger.info("job %s: its process ended before running it; taken up again", job_id)
            enqueue(job_id)
            taken += 1
    return {"beating": beating, "taken": taken, "lost": jobs_mark_lost()}


def _loop() -> None:
    while True:
        threading.Event().wait(settings.JOBS_WATCH_SECONDS)
        try:
            tick()
        except Exception:
            logger.exception("the in-process job watch failed; trying again at the next tick")
        finally:
            connections.close_all()


def serve() -> None:
    """In a web process: run jobs in threads from now on, and start this process's watch thread,
    once (nothing unless settings.JOBS_RUN_IN_THREAD)."""
    global _started_in
    if not settings.JOBS_RUN_IN_THREAD:
        return
    with _start_lock:
        if _started_in == os.getpid():
            return
        _started_in = os.getpid()
    pool.set_serving(True)
    threading.Thread(target=_loop, name="job-watch", daemon=True).start()
