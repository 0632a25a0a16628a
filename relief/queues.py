"""Which Celery queue each kind of work goes to, in one place (settings.CELERY_TASK_ROUTES points here).

Queues, one worker pool each in production (docker-compose.yml), so that a long piece of work of
one kind never holds up another kind:

- `interactive`: what a page waits for (the dashboard's refresh on demand, small jobs: any kind of
  job not listed in JOB_QUEUES);
- `celery` (Celery's default): the periodic housekeeping (watchdog, escalations, deadlines);
- `sweeps`: the monitoring sweeps, one task per (kind, county), and the next-visit recompute;
- `imports`: roster imports, department batches, disbursement batches (long bulk writes);
- `exports`: exports, the files of bad rows, the daily and weekly reports.

A job is one `relief.run_job` task routed by its kind (JOB_QUEUES); a job split into parts queues its
parts on the queue its own task came from (`current_queue`), so they are served by the same workers.
An explicit `queue=` given to `apply_async` wins over these routes.
"""

from __future__ import annotations

from typing import Any

from celery import current_task

DEFAULT = "celery"
INTERACTIVE = "interactive"
SWEEPS = "sweeps"
IMPORTS = "imports"
EXPORTS = "exports"
QUEUES = (INTERACTIVE, DEFAULT, SWEEPS, IMPORTS, EXPORTS)

#: job kind (relief.jobs.registry.job_handler) → queue; any other kind: INTERACTIVE
JOB_QUEUES: dict[str, str] = {
    "relief.sweep": SWEEPS,
    "people.roster_import": IMPORTS,
    "exchange.batch_process": IMPORTS,
    "funds.batch_generate": IMPORTS,
    "relief.regions_export": EXPORTS,
    "people.roster_export": EXPORTS,
    "people.roster_error_file": EXPORTS,
}

#: task name → queue, for tasks other than relief.run_job; any other task: DEFAULT
TASK_QUEUES: dict[str, str] = {
    "relief.sweeps_nightly": SWEEPS,
    "relief.sweeps_weekly_full": SWEEPS,
    "relief.sweep_county": SWEEPS,
    "people.refresh_next_visits": SWEEPS,
    "reports.generate_daily": EXPORTS,
    "reports.generate_weekly": EXPORTS,
    "relief.dashboard_refresh": INTERACTIVE,
}

RUN_JOB = "relief.run_job"


def job_queue(kind: str) -> str:
    return JOB_QUEUES.get(kind, INTERACTIVE)


def route(name: str, args: Any, kwargs: Any, options: dict, task: Any = None, **kw: Any) -> dict | None:
    """The Celery router (settings.CELERY_TASK_ROUTES): a job by its kind, another task by its name."""
    if name == RUN_JOB:
        from relief.models import Job

        job_id = (args or [None])[0] if isinstance(args, list | tuple) else None
        kind = Job.objects.filter(pk=job_id).values_list("kind", flat=True).first() if job_id else None
        return {"queue": job_queue(kind or "")}
    queue = TASK_QUEUES.get(name)
    return {"queue": queue} if queue else None


def current_queue() -> str | None:
    """The queue the running task came from (None when run in-process): a job's parts go there."""
    info = getattr(getattr(current_task, "request", None), "delivery_info", None) or {}
    return info.get("routing_key") or None
