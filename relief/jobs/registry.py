"""The registry of job handlers: what does each kind of background job.

An app registers a handler for a kind of job:

    @job_handler("people.roster_import")
    def roster_import(ctx: JobContext) -> dict: ...

`relief.jobs.services.job_start` records the job and queues `relief.jobs.runner.run_job`, which
calls the handler; the handler reports progress through `ctx.progress()`. Progress is written
through a connection of its own in autocommit mode, so it is visible while the handler's own
transaction is still open (an all-or-nothing import shows its progress bar). A handler must be safe
to run again after a crash: do its writes in one transaction, or make them idempotent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.db import connections
from django.utils import timezone

logger = logging.getLogger(__name__)
_local = threading.local()

Handler = Callable[["JobContext"], dict[str, Any] | None]
HANDLERS: dict[str, Handler] = {}
#: kinds whose reads may come from the read replica (exports: relief/replica.py, `stale_reads`)
STALE_READ_KINDS: set[str] = set()


def job_handler(kind: str, *, stale_reads: bool = False) -> Callable[[Handler], Handler]:
    """Register `fn` for `kind`. `stale_reads=True` (an export) lets its reads go to the read
    replica once it has replayed what was committed when the job began."""

    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        if stale_reads:
            STALE_READ_KINDS.add(kind)
        return fn

    return register


# A handler returns DETACHED when it has queued its work as separate tasks that finish the job
# (recorded as parts first: relief/jobs/parts.py).
DETACHED: dict[str, Any] = {"detached": True}


class JobError(Exception):
    """A failure to show to the person who started the job, in their words (Chinese)."""


@dataclass
class JobContext:
    job: Any  # relief.models.Job
    _last_write: float = field(default=0.0, repr=False)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def user(self):
        return self.job.started_by

    def progress(self, done: int, total: int | None = None, message: str = "", force: bool = False) -> None:
        """Record progress (at most about twice a second unless `force`); also the worker's heartbeat."""
        now = timezone.now()
        if not force and now.timestamp() - self._last_write < 0.5:
            return
        self._last_write = now.timestamp()
        sets, values = ["progress_done = %s", "heartbeat_at = %s"], [done, now]
        if total is not None:
            sets.append("progress_total = %s")
            values.append(total)
        if message:
            sets.append("message = %s")
            values.append(str(message)[:255])
        sql = f"UPDATE relief_job SET {', '.join(sets)} WHERE id = %s"  # noqa: S608 - fixed column names
        _write_progress(sql, [*values, self.job.pk])

    def save_file(self, name: str, content: bytes) -> None:
        self.job.result_file.save(name, ContentFile(content), save=False)


def _write_progress(sql: str, params: list[Any]) -> None:
    """Autocommit write on a connection separate from Django's, so it is seen at once."""
    import psycopg

    for _attempt in range(2):
        conn = getattr(_local, "conn", None)
        if conn is None or conn.closed:
            conn = psycopg.connect(**connections["default"].get_connection_params(), autocommit=True)
            _local.conn = conn
        try:
            conn.execute(sql, params)
            return
        except psycopg.OperationalError:
            conn.close()
    logger.warning("could not record job progress")


def close_progress_connection() -> None:
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None
