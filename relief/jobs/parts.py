"""A job split into parts, each its own task (a sweep: one task per (kind, county)).

The handler records the parts (`parts_queue`) before queueing their tasks and returns DETACHED; each
task calls `part_start` when a worker takes it and `part_done` inside the transaction of its work.
So:

- a part counts once towards its job, however often its task is delivered (a redelivered task
  finds its part done and does nothing: `part_start` answers False);
- the job is complete when no part is outstanding, not when a counter reaches a total;
- the watchdog leaves the job alone while a part is still on its way (`JobPartQuerySet.alive`):
  queued parts are waiting, not lost, and each part's start and end is the job's heartbeat.

Lock order: the job's row, then its parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.models import Job, JobPart, JobState

# a job can still be completed by its parts in these states (lost: the watchdog gave up too early)
COMPLETABLE = (JobState.RUNNING, JobState.LOST)


def parts_queue(job_id: int, keys: Iterable[str]) -> int:
    """Record the parts of a job about to be queued (again, on a retry): all outstanding, the
    job's progress 0 of their number. Call before queueing the parts' tasks."""
    now = timezone.now()
    keys = list(dict.fromkeys(keys))
    with transaction.atomic():
        Job.objects.filter(pk=job_id).update(
            progress_total=len(keys), progress_done=0, result={}, heartbeat_at=now
        )
        JobPart.objects.filter(job_id=job_id).delete()
        JobPart.objects.bulk_create(
            [JobPart(job_id=job_id, key=key, queued_at=now) for key in keys], batch_size=2000
        )
    return len(keys)


def part_start(job_id: int, key: str) -> bool:
    """A worker takes a part: the part's and the job's heartbeat (call outside a transaction, so
    they are seen at once). False when the part is already done (its task was delivered again):
    there is nothing to do."""
    now = timezone.now()
    if JobPart.objects.filter(job_id=job_id, key=key, done_at__isnull=True).update(
        started_at=now, heartbeat_at=now
    ):
        Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(heartbeat_at=now)
        return True
    return not JobPart.objects.filter(job_id=job_id, key=key).exists()


def part_done(job_id: int, key: str, result: dict[str, Any]) -> bool:
    """Count a finished part towards its job, once; call inside the transaction of the part's work,
    so the work and its count commit together. Numbers in `result` are added to the job's result.
    Completes the job when no part is left. False when the part was counted already."""
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return False
        counted = JobPart.objects.filter(job_id=job_id, key=key, done_at__isnull=True).update(
            done_at=now, heartbeat_at=now, result=result
        )
        if not counted:
            return False
        total = dict(job.result or {})
        for name, value in result.items():
            if isinstance(value, int | float):
                total[name] = total.get(name, 0) + value
        Job.objects.filter(pk=job_id).update(
            progress_done=F("progress_done") + 1, result=total, heartbeat_at=now
        )
        if job.state in COMPLETABLE and not JobPart.objects.filter(job_id=job_id).outstanding().exists():
            Job.objects.filter(pk=job_id).update(
                state=JobState.SUCCEEDED, finished_at=now, message=_("已完成"), error=""
            )
    return True


def part_failed(job_id: int, error: str) -> None:
    """A part failed: the job failed (its owner sees the error and can retry)."""
    Job.objects.filter(pk=job_id, state__in=COMPLETABLE).update(
        state=JobState.FAILED, finished_at=timezone.now(), error=error
    )
