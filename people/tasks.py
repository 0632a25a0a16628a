"""Celery tasks of the people app: thin, they call services."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from people import services


@shared_task(
    name="people.refresh_next_visits", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def refresh_next_visits(region_code: str | None = None) -> int:
    """Recompute every person's next visit due in a region (every region when None), one county at
    a time: nightly before the sweeps, and after a visit rule, a visit-interval policy value or a
    cold-wave warning changes. Safe to run twice."""
    from relief.alerts.sweeps import counties_under

    if region_code and len(region_code) > 6:
        return services.person_refresh_next_visit(region_code=region_code)
    changed = 0
    for county in counties_under(region_code):
        changed += services.person_refresh_next_visit(region_code=county)  # one transaction each
    return changed


def refresh_next_visits_later(region_code: str | None) -> None:
    """`services.person_refresh_next_visit` for a whole region (every region when None), in the
    background once the current transaction commits: a cold-wave warning for a province or a national
    rule change is minutes of work, not a request's. Patrols' cold-wave services call it."""
    transaction.on_commit(lambda: refresh_next_visits.delay(region_code))
