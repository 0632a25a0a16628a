"""Running a job: the `run_job` task and how a job is queued for it.

`enqueue(job_id)` is called after the job's transaction commits (`transaction.on_commit`); when the
broker is down the job stays pending, flagged, and the watchdog queues it again
(`services.jobs_requeue_stranded`). `run_job` is safe to deliver twice: a finished job, or one that
another worker is still running (recent heartbeat, or parts still on their way), is left alone.

The runner's own moves (pending → running → succeeded / failed) happen inside the worker, under the
job's row lock; the steps a person or the watchdog takes are declared in workflows.py.
"""

from __future__ import annotations

import contextlib
import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from relief import replica
from relief.jobs import pool
from relief.jobs.registry import (
    DETACHED,
    HANDLERS,
    STALE_READ_KINDS,
    JobContext,
    JobError,
    close_progress_connection,
)
from relief.models import Job, JobState

logger = logging.getLogger(__name__)


def enqueue(job_id: int) -> None:
    """Queue `run_job` for a job (call after commit). The broker down: the job waits, flagged.
    Without a broker, a web process runs it in a thread of its own (relief/jobs/pool.py), so the
    request answers at once and the page shows the job's progress."""
    try:
        if settings.JOBS_RUN_IN_THREAD and pool.serving():
            pool.submit(job_id, run_job)
            return
        run_job.delay(job_id)
    except Exception:  # the broker is down: the job stays pending and the page says so
        logger.exception("could not queue job %s", job_id)
        Job.objects.filter(pk=job_id, state=JobState.PENDING).update(enqueue_failed=True)


@shared_task(acks_late=True, reject_on_worker_lost=True, name="relief.run_job")
def run_job(job_id: int) -> str:
    """Run one background job. Safe to deliver twice: a finished job, or one that another worker
    is still running, is left alone."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.state == JobState.SUCCEEDED or (job.state == JobState.RUNNING and not job.is_stalled):
            return "skipped"
        now = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            state=JobState.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            error="",
            message=_("处理中"),
        )
        job.refresh_from_db()

    handler = HANDLERS.get(job.kind)
    ctx = JobContext(job)
    try:
        if handler is None:
            raise JobError(_("未知的任务类型：%(kind)s") % {"kind": job.kind})
        with replica.stale_reads() if job.kind in STALE_READ_KINDS else contextlib.nullcontext():
            result = handler(ctx) or {}
        if result is DETACHED:  # parts run as separate tasks; the last one completes the job
            return "detached"
    except JobError as exc:
        _finish(job, JobState.FAILED, error=str(exc))
        return "failed"
    except Exception as exc:
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        _finish(
            job,
            JobState.FAILED,
            error=_("内部错误（%(type)s），已记录日志。可稍后重试或联系管理员。")
            % {"type": type(exc).__name__},
        )
        return "failed"
    finally:
        close_progress_connection()
    _finish(job, JobState.SUCCEEDED, result=result)
    return "succeeded"


def _finish(job: Job, state: str, *, error: str = "", result: dict | None = None) -> None:
    now = timezone.now()
    changes: dict = {
        "state": state,
        "error": error,
        "finished_at": now,
        "heartbeat_at": now,
        "message": _("已完成") if state == JobState.SUCCEEDED else _("失败"),
    }
    if result is not None:
        changes["result"] = result
        changes["progress_done"] = F("progress_total")  # NULL stays NULL: a job that never counted
    if job.result_file:
        changes["result_file"] = job.result_file.name
    with transaction.atomic():
        fresh = Job.objects.select_for_update().get(pk=job.pk)
        if fresh.result_file and "result_file" in changes:
            del changes["result_file"]  # already saved by the handler (never replaced)
        if fresh.progress_total is None:
            changes.pop("progress_done", None)
        Job.objects.filter(pk=job.pk).update(**changes)
