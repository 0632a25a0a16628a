"""Celery tasks of the alerts wing: the sweeps (nightly, and on demand as a job split into one part
per (kind, county)) and the escalation of overdue alerts. Periodic schedules: relief/schedules.py.
Tasks take ids and codes, and are safe to deliver twice."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import OperationalError, transaction
from django.utils.translation import gettext as _

from relief.alerts.delta import prune_changes
from relief.alerts.services import alerts_escalate_overdue
from relief.alerts.sweeps import SWEEPS, counties_under, sweep_county, within_county
from relief.jobs.parts import part_done, part_failed, part_start, parts_queue
from relief.jobs.registry import DETACHED, JobContext, job_handler
from relief.queues import current_queue

logger = logging.getLogger(__name__)


def part_key(kind: str, county_code: str) -> str:
    return f"{kind}:{county_code}"


@job_handler("relief.sweep")
def sweep_job(ctx: JobContext) -> dict:
    """A sweep on demand (services.sweep_start): one part per (kind, county), each its own task on
    the queue this job came from, so the workers serving it share them; the last part completes it."""
    kinds = [k for k in ctx.params.get("kinds") or SWEEPS if k in SWEEPS]
    region = ctx.params.get("region")
    counties = counties_under(region)
    within = within_county(region)  # a township's or village's sweep writes inside that region only
    pairs = [(kind, county) for county in counties for kind in kinds]
    parts_queue(ctx.job.pk, [part_key(kind, county) for kind, county in pairs])
    if not pairs:
        return {"raised": 0, "resolved": 0}
    queue = current_queue()  # the parts go where the job came from (relief/queues.py)
    for kind, county in pairs:
        sweep_county_task.apply_async((ctx.job.pk, kind, county, within), queue=queue)
    return DETACHED


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    name="relief.sweep_county",
    autoretry_for=(OperationalError,),
    retry_backoff=5,
    max_retries=3,
)
def sweep_county_task(
    job_id: int | None, kind: str, county_code: str, within: str | None = None, full: bool = True
) -> dict:
    """One sweep over one county (or over `within`, a region inside it); with a job, one part of it:
    counted once, however often the task is delivered, and the last part completes the job.
    `full=False` (the nightly run): skipped when nothing it depends on changed (relief/alerts/delta.py);
    a job started on demand always runs in full."""
    if kind not in SWEEPS:
        return {}
    key = part_key(kind, county_code)
    if job_id and not part_start(job_id, key):
        return {"duplicate": True}  # delivered again after it was done and counted
    try:
        with transaction.atomic():
            result = sweep_county(kind, county_code, within=within, full=full)
            counts = {"raised": result.raised, "resolved": result.resolved}
            if job_id:
                part_done(job_id, key, counts)
    except OperationalError:
        raise
    except Exception:
        logger.exception("sweep %s failed for county %s", kind, county_code)
        if job_id:
            part_failed(job_id, _("监测在 %(county)s 出错，已记录日志，可重试。") % {"county": county_code})
        raise
    return counts


@shared_task(name="relief.sweeps_nightly")
def sweeps_nightly(full: bool = False) -> int:
    """Periodic: every registered sweep over every county, one task per (sweep, county); each skips
    its county when nothing it depends on changed since its last run (unless `full`)."""
    n = 0
    for county in counties_under(None):
        for kind in SWEEPS:
            sweep_county_task.delay(None, kind, county, None, full)
            n += 1
    return n


@shared_task(name="relief.sweeps_weekly_full")
def sweeps_weekly_full() -> int:
    """Periodic (weekly): every sweep over every county in full, whatever changed: the safety net
    of the nightly runs (a write that bypassed the triggers, a sweep whose code changed). The change
    log every run has read is pruned first (the runs that follow read from their own watermark)."""
    prune_changes(SWEEPS)
    return sweeps_nightly(full=True)


@shared_task(name="relief.alerts_escalate")
def alerts_escalate() -> int:
    """Periodic: alerts left open past their due time go one level up (督办), their tasks with
    them; other overdue tasks (needs, deadlines, 督办 instructions) go up by their own clock."""
    from relief.todo.services import tasks_escalate_overdue

    # the alerts' tasks follow their alerts; the other tasks keep their own clock
    return alerts_escalate_overdue() + tasks_escalate_overdue()
