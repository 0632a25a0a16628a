"""Celery tasks of reports: thin, they call the services (scheduled from reports/apps.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.generate_daily", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_daily() -> int:
    """Every morning: the day's 日报 of every region with people (a re-run replaces what is not
    submitted yet, so it is safe to run twice)."""
    from reports.services import reports_generate_all

    return reports_generate_all(kind="daily")


@shared_task(name="reports.generate_weekly", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def generate_weekly() -> int:
    """Every Monday morning: the week's 周报."""
    from reports.services import reports_generate_all

    return reports_generate_all(kind="weekly")
