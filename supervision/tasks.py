"""Celery tasks of 督查: thin, they call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="supervision.finding_tasks_sync")
def finding_tasks_sync_task() -> int:
    """Nightly: every finding waiting for an answer or an acceptance has its live task."""
    from supervision.services import finding_tasks_sync

    return finding_tasks_sync()
