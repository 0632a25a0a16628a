"""The roll call's beat task: every 10 minutes (relief/schedules.py), and right after a level is set."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from coldwaves.services import rollcall_tick


@shared_task(name="coldwaves.rollcall_tick")
def rollcall_tick_task() -> dict:
    return rollcall_tick()


def rollcall_tick_later(warning=None) -> None:
    """A level set, changed or stood down (patrols.services' warning hook): the roll calls follow
    once the transaction commits, in the background."""
    transaction.on_commit(lambda: rollcall_tick_task.delay())
