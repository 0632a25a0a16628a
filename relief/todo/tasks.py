"""Celery tasks of the tasks (待办): thin, they call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="relief.tasks_deadlines_nightly")
def tasks_deadlines_nightly() -> int:
    """Nightly safety net: every unresolved alert has its task (alerts raised before tasks existed),
    every record waiting for a step has its deadline task, and tasks whose record left by a path
    without a step are closed (the sweeps and steps themselves do all this at once)."""
    from relief.alerts.services import alert_tasks_backfill
    from relief.todo.deadlines import follow_all

    return alert_tasks_backfill() + follow_all()
