"""What the task code shares: the SQL that names the region a task is supervised from, the
path templates of one-tap actions, and deadline moments."""

from __future__ import annotations

import contextvars
import datetime

from django.db import connection
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


SUPERVISION_CLOSED = "被督办的事项已办结，督办随之办结"


def supervisions_close(parent_ids: list[int]) -> int:
    """The 督办 instructions on these tasks, which are being closed (by a step, their cause or
    their alert): done with them, in the caller's transaction (one statement)."""
    if not parent_ids:
        return 0
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH done AS (
                UPDATE relief_task s SET state = %s, cause_open = false, closed_at = %s,
                    answer = CASE WHEN s.answer = '' THEN %s ELSE s.answer END
                FROM relief_task p
                WHERE s.parent_id = p.id AND p.id = ANY(%s) AND s.source = 'supervision'
                  AND s.state = ANY(%s)
                RETURNING s.id
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'cause_cleared', %s, %s, %s, %s FROM done
            """,
            [
                TaskState.DONE.value,
                now,
                SUPERVISION_CLOSED,
                parent_ids,
                LIVE,
                TaskState.OPEN.value,
                TaskState.DONE.value,
                SUPERVISION_CLOSED,
                now,
            ],
        )
        return cur.rowcount
