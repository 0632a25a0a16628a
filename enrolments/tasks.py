"""Celery tasks of enrolment: thin, they call the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="enrolments.reviews_nightly")
def reviews_nightly() -> int:
    """Every category of 低保, 特困, 低保边缘 and 刚性支出 in force has its next review scheduled (those
    imported from rosters or entered by hand too); the deadline sweep that follows at 01:45 puts the
    reviews coming due on the townships' today pages."""
    from enrolments.register import reviews_schedule_missing

    return reviews_schedule_missing()
