"""Celery tasks of the core. Tasks take ids, fetch, and exit quietly when there is nothing to do."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.jobs import DETACHED, HANDLERS, JobContext, JobError, close_progress_connection
from relief.models import Job, JobState

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, name="relief.run_job")
def run_job(job_id: int) -> str:
    """Run one background job. Safe to deliver twice: a finished job, or one that another worker
    is still running (recent heartbeat), is left alone."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return "missing"
        if job.state == JobState.SUCCEEDED or (job.state == JobState.RUNNING and not job.is_stalled):
            return "skipped"
        now = timezone.now()
        job.state = JobState.RUNNING
        job.attempts += 1
        job.started_at = now
        job.heartbeat_at = now
        job.error = ""
        job.message = _("处理中")
        job.save(update_fields=["state", "attempts", "started_at", "heartbeat_at", "error", "message"])

    handler = HANDLERS.get(job.kind)
    ctx = JobContext(job)
    try:
        if handler is None:
            raise JobError(_("未知的任务类型：%(kind)s") % {"kind": job.kind})
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
    fresh = Job.objects.get(pk=job.pk)
    fresh.state = state
    fresh.error = error
    fresh.finished_at = timezone.now()
    fresh.heartbeat_at = fresh.finished_at
    fresh.message = _("已完成") if state == JobState.SUCCEEDED else _("失败")
    fields = ["state", "error", "finished_at", "heartbeat_at", "message"]
    if result is not None:
        fresh.result = result
        fields.append("result")
        if fresh.progress_total is not None:
            fresh.progress_done = fresh.progress_total
            fields.append("progress_done")
    if job.result_file and not fresh.result_file:
        fresh.result_file = job.result_file.name
        fields.append("result_file")
    fresh.save(update_fields=fields)


@shared_task(name="relief.jobs_watchdog")
def jobs_watchdog() -> int:
    """Periodic: jobs whose worker died are marked lost so their owner sees it and can retry."""
    from relief.services import jobs_mark_lost, jobs_requeue_stranded

    jobs_requeue_stranded()
    return jobs_mark_lost()


# --- Monitoring sweeps ---------------------------------------------------------------------------


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    name="relief.sweep_county",
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=3,
)
def sweep_county_task(job_id: int | None, kind: str, county_code: str) -> dict:
    """One sweep over one county; with a job, counts towards its progress and completes it last."""
    from relief.sweeps import SWEEPS, sweep_county

    if kind not in SWEEPS:
        return {}
    try:
        result = sweep_county(kind, county_code)
    except OperationalError:
        raise
    except Exception:
        logger.exception("sweep %s failed for county %s", kind, county_code)
        if job_id:
            Job.objects.filter(pk=job_id).update(
                state=JobState.FAILED,
                finished_at=timezone.now(),
                error=_("监测在 %(county)s 出错，已记录日志，可重试。") % {"county": county_code},
            )
        raise
    if job_id:
        _sweep_progress(job_id, result.raised, result.resolved)
    return {"raised": result.raised, "resolved": result.resolved}


def _sweep_progress(job_id: int, raised: int, resolved: int) -> None:
    """Count one finished county towards the job (atomic increments: counties finish concurrently)
    and complete the job when the last one is in."""
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            """UPDATE relief_job SET progress_done = progress_done + 1, heartbeat_at = %s,
                   result = jsonb_build_object(
                       'raised', COALESCE((result->>'raised')::int, 0) + %s,
                       'resolved', COALESCE((result->>'resolved')::int, 0) + %s)
               WHERE id = %s""",
            [now, raised, resolved, job_id],
        )
        cur.execute(
            """UPDATE relief_job SET state = %s, finished_at = %s, message = %s
               WHERE id = %s AND state = %s AND progress_done >= progress_total""",
            [JobState.SUCCEEDED, now, _("已完成"), job_id, JobState.RUNNING],
        )


@shared_task(name="relief.sweeps_nightly")
def sweeps_nightly() -> int:
    """Periodic: every registered sweep over every county, one task per (sweep, county)."""
    from relief.sweeps import SWEEPS, counties_under

    n = 0
    for county in counties_under(None):
        for kind in SWEEPS:
            sweep_county_task.delay(None, kind, county)
            n += 1
    return n


@shared_task(name="relief.alerts_escalate")
def alerts_escalate() -> int:
    """Periodic: alerts left open past their due time go one level up (督办)."""
    from relief.services import alerts_escalate_overdue

    return alerts_escalate_overdue()
