"""What the task code shares: the SQL that names the region a task is supervised from, the
path templates of one-tap actions, and deadline moments."""

from __future__ import annotations

import contextvars
import datetime

from django.urls import reverse
from django.utils import timezone

from relief.models import TaskState


def url_with_id(name: str) -> str:
    """The path of URL `name` for a record, as a template with `{id}` (for SQL: replace())."""
    return reverse(name, args=[987654321]).replace("987654321", "{id}")


def due_at_end_of(day: datetime.date) -> datetime.datetime:
    """The due moment of a deadline day: the end of that working day (18:00 local time)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(18, 0)))


#: left(region, code length of the level `escalation_level` levels above the region's own)
SUPERVISOR_SQL = (
    "CASE WHEN {esc} <= 0 THEN '' ELSE left({region}, (ARRAY[2,4,6,9,12])[greatest(1, "
    "(CASE length({region}) WHEN 2 THEN 1 WHEN 4 THEN 2 WHEN 6 THEN 3 WHEN 9 THEN 4 ELSE 5 END)"
    " - {esc})]) END"
)
LIVE = [TaskState.OPEN.value, TaskState.IN_PROGRESS.value]


# alert tasks being changed by their own task step right now (the alert mirror leaves them alone)
HANDLED: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("todo_handled", default=frozenset())


def handling(task_ids: set[int]):
    """Context: the mirror leaves these tasks alone (their own step is changing them)."""
    return _HandledScope(frozenset(task_ids))


class _HandledScope:
    def __init__(self, ids: frozenset[int]) -> None:
        self.ids = ids
        self.token = None

    def __enter__(self):
        self.token = HANDLED.set(HANDLED.get() | self.ids)
        return self

    def __exit__(self, *exc) -> None:
        HANDLED.reset(self.token)
