"""Writes of background jobs. The job's steps are declared in workflows.py."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from relief.jobs.registry import HANDLERS
from relief.jobs.runner import enqueue
from relief.jobs.workflows import job_workflow
from relief.models import Job, JobState, Region, User

logger = logging.getLogger(__name__)


@transaction.atomic
def job_start(
    *,
    actor: User | None,
    kind: str,
    title: str,
    params: dict[str, Any] | None = None,
    region: Region | None = None,
) -> Job:
    """Record a job and queue it after commit. Who may start which kind is the caller's rule."""
    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        title=title,
        params=params or {},
        started_by=actor,
        region=region if region is not None else getattr(actor, "region", None),
    )
    transaction.on_commit(lambda: enqueue(job.pk))
    return job


def job_retry(*, actor: User, job: Job) -> Job:
    """Queue a failed, lost or stalled job again (its owner or an administrator)."""
    return job_workflow.run("retry", actor=actor, obj=job)


def jobs_requeue_stranded(older_than_seconds: int = 60) -> int:
    """Queue again the jobs that could not be queued because the broker was down."""
    limit = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Job.objects.filter(state=JobState.PENDING, created_at__lt=limit, enqueue_failed=True).values_list(
            "pk", flat=True
        )[:500]
    )
    for job_id in ids:
        Job.objects.filter(pk=job_id).update(enqueue_failed=False)
        enqueue(job_id)
    return len(ids)


def jobs_mark_lost() -> int:
    """Mark running jobs whose worker stopped reporting as lost, so their owner sees it and can
    retry. A job split into parts is not lost while one of them is still on its way."""
    marked = 0
    for job_id in Job.objects.stalled().values_list("pk", flat=True)[:500]:
        try:
            job_workflow.run("mark_lost", actor=None, obj=job_id)
        except (ValidationError, Job.DoesNotExist):  # reported again meanwhile, or gone
            continue
        marked += 1
    return marked
