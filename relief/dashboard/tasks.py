"""Celery task of the dashboard: refresh the roll-ups (scheduled in relief/schedules.py, and on
demand from the page or the API)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="relief.dashboard_refresh", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dashboard_refresh() -> int | None:
    """Safe to run twice: a refresh rewrites the whole table; one that finds another running exits."""
    from relief.dashboard.services import figures_refresh

    return figures_refresh()
