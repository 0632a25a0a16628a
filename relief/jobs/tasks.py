"""Periodic task of the jobs wing (scheduled in relief/schedules.py). `run_job` is in runner.py."""

from __future__ import annotations

from celery import shared_task

from relief.jobs.services import jobs_mark_lost, jobs_requeue_stranded


@shared_task(name="relief.jobs_watchdog")
def jobs_watchdog() -> int:
    """Jobs that could not be queued are queued again; jobs whose worker died are marked lost, so
    their owner sees it and can retry."""
    jobs_requeue_stranded()
    return jobs_mark_lost()
