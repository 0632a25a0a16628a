"""Where tasks come from, and how they are kept in step with their causes, set-based.

A source is declared once and registered (relief itself registers "alert"; apps register their
workflow deadlines from their AppConfig.ready()):

    register(TaskSource(key="funds.application_county", label="临时救助待县级审批",
                        rows=applications_waiting_for_county, subject_model="funds.AssistanceApplication"))

`rows(county_code, today)` returns a QuerySet (never a list) annotated with the columns of
`ROW_COLUMNS` (`task_row()` fills the ones a source does not need). Each row is a cause that needs
work now; its `cause_key` names it. `sync()` makes the live tasks of a source agree with its rows,
in one transaction, with one statement per change whatever the number of rows:

1. a task done by hand whose cause is still found is reopened, with its original due time and
   escalation level (doing the paperwork does not make the problem go away);
2. a new cause becomes an open task (the partial unique index on `cause_key` among live tasks
   makes a second sync create nothing);
3. for sources whose rows carry their own clock (alerts), live tasks take the rows' due time and
   escalation level;
4. a live task whose cause is no longer found is done at once (the cause cleared), and a task done
   by hand whose cause is gone forgets it (the next occurrence is a new task).

`sync()` runs over a county (the sweeps and the nightly sync) or over one record (`sync_subject`,
after a workflow step on that record and after the writes that answer a task), so closing the
cause closes its task at once, not at the next sweep.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import BooleanField, CharField, DateTimeField, IntegerField, QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from relief.models import TaskState

#: the columns every source's rows carry (task_row fills the ones a source leaves out)
ROW_COLUMNS = (
    "cause_key",
    "kind",
    "title",
    "region_code",
    "subject_type_id",
    "subject_id",
    "subject_label",
    "alert_id",
    "assignee_id",
    "assignee_region",
    "urgent",
    "due_at",
    "escalation_level",
    "action_url",
)

#: the task groups of the today page, in page order
GROUPS = ("urgent", "visit", "need", "approval", "warning", "supervision")


@dataclass(frozen=True)
class TaskSource:
    key: str
    label: str
    rows: Callable[[str, datetime.date], QuerySet]
    #: "app_label.Model" of the records the rows are about (for sync_subject)
    subject_model: str = ""
    #: which part of the today page shows the tasks
    group: str = "warning"
    action_label: str = ""
    #: live tasks follow the rows' due time and escalation level (alerts keep their own clock)
    follows_rows: bool = False


SOURCES: dict[str, TaskSource] = {}


def register(source: TaskSource) -> None:
    SOURCES[source.key] = source


def sources_for_model(model: type[models.Model]) -> list[TaskSource]:
    label = f"{model._meta.app_label}.{model.__name__}"
    return [s for s in SOURCES.values() if s.subject_model == label]


def task_row(qs: QuerySet, **columns: Any) -> QuerySet:
    """Annotate `qs` with the columns of ROW_COLUMNS given, and empty defaults for the rest."""
    defaults: dict[str, Any] = {
        "subject_type_id": Value(None, output_field=IntegerField()),
        "subject_label": Value("", output_field=CharField()),
        "alert_id": Value(None, output_field=IntegerField()),
        "assignee_id": Value(None, output_field=IntegerField()),
        "urgent": Value(False, output_field=BooleanField()),
        "escalation_level": Value(0, output_field=IntegerField()),
        "action_url": Value("", output_field=CharField()),
    }
    defaults.update(columns)
    missing = [c for c in ROW_COLUMNS if c not in defaults]
    if missing:
        raise ValueError(f"task rows lack {missing}")
    return qs.annotate(**{f"t_{k}": v for k, v in defaults.items()}).values(*[f"t_{c}" for c in ROW_COLUMNS])


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


@dataclass
class SyncResult:
    created: int = 0
    reopened: int = 0
    closed: int = 0

    def __iadd__(self, other: SyncResult) -> SyncResult:
        self.created += other.created
        self.reopened += other.reopened
        self.closed += other.closed
        return self


def _subject_type_id(source: TaskSource) -> int | None:
    if not source.subject_model:
        return None
    app_label, model = source.subject_model.split(".")
    return ContentType.objects.get_by_natural_key(app_label, model.lower()).pk


def sync(
    key: str,
    county_code: str,
    today: datetime.date | None = None,
    *,
    within: str | None = None,
    subject_id: str | None = None,
) -> SyncResult:
    """Make the live tasks of source `key` in a county (or a region inside it, or one record of the
    source's subject model) agree with the source's rows. Idempotent."""
    source = SOURCES[key]
    today = today or timezone.localdate()
    now = timezone.now()
    prefix = within if within and within.startswith(county_code) else county_code
    rows = source.rows(county_code, today).filter(t_region_code__startswith=prefix)
    type_id = _subject_type_id(source)
    if subject_id is not None:
        rows = rows.filter(t_subject_id=str(subject_id))
        scope_sql, scope_params = "t.subject_type_id = %s AND t.subject_id = %s", [type_id, str(subject_id)]
    else:
        scope_sql, scope_params = "t.region_code LIKE %s", [prefix + "%"]
    sql, params = rows.order_by().query.sql_with_params()
    supervisor = SUPERVISOR_SQL.format(esc="f.escalation_level", region="f.assignee_region")
    result = SyncResult()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("DROP TABLE IF EXISTS todo_f")
        cols = ", ".join(f"t_{c} AS {c}" for c in ROW_COLUMNS)
        cur.execute(
            f"CREATE TEMP TABLE todo_f ON COMMIT DROP AS SELECT {cols} FROM ({sql}) r",  # noqa: S608
            params,
        )
        cur.execute("CREATE INDEX ON todo_f (cause_key)")
        cur.execute("ANALYZE todo_f")
        # 1. reopen what was done by hand while its cause remains
        cur.execute(
            f"""
            WITH reopened AS (
                UPDATE relief_task t SET state = %s, closed_at = NULL, closed_by_hand = false
                FROM todo_f f
                WHERE t.source = %s AND {scope_sql} AND t.cause_key = f.cause_key
                  AND t.state = %s AND t.cause_open
                  AND t.id = (SELECT max(x.id) FROM relief_task x WHERE x.cause_key = t.cause_key
                              AND x.state = t.state AND x.cause_open)
                  AND NOT EXISTS (SELECT 1 FROM relief_task y WHERE y.cause_key = t.cause_key
                                  AND y.state = ANY(%s))
                RETURNING t.id
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'reopened', %s, %s, %s, %s FROM reopened
            """,  # noqa: S608 - the scope is one of two fixed fragments
            [
                TaskState.OPEN.value,
                key,
                *scope_params,
                TaskState.DONE.value,
                LIVE,
                TaskState.DONE.value,
                TaskState.OPEN.value,
                REOPENED_COMMENT,
                now,
            ],
        )
        result.reopened = cur.rowcount
        # 2. new causes become open tasks
        cur.execute(
            f"""
            WITH inserted AS (
                INSERT INTO relief_task (source, kind, title, detail, region_code, subject_type_id,
                    subject_id, subject_label, alert_id, assignee_id, assignee_region, urgent, due_at,
                    state, cause_key, cause_open, escalation_level, supervisor_region, action_url,
                    action_label, answer, created_at, closed_by_hand)
                SELECT %s, f.kind, left(f.title, 200), '', f.region_code,
                    coalesce(f.subject_type_id, %s), coalesce(f.subject_id::text, ''),
                    left(coalesce(f.subject_label, ''), 200), f.alert_id, f.assignee_id,
                    f.assignee_region, f.urgent, f.due_at, %s, f.cause_key, true, f.escalation_level,
                    {supervisor}, coalesce(f.action_url, ''), %s, '', %s, false
                FROM todo_f f
                WHERE NOT EXISTS (SELECT 1 FROM relief_task c WHERE c.cause_key = f.cause_key
                                  AND c.state = %s AND c.cause_open)
                ON CONFLICT (cause_key) WHERE state IN ('open', 'in_progress') DO NOTHING
                RETURNING id, title
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'created', '', %s, title, %s FROM inserted
            """,  # noqa: S608
            [
                key,
                type_id,
                TaskState.OPEN.value,
                str(source.action_label),
                now,
                TaskState.CANCELLED.value,
                TaskState.OPEN.value,
                now,
            ],
        )
        result.created = cur.rowcount
        # 3. sources with their own clock: live tasks follow the rows
        if source.follows_rows:
            supervisor_t = SUPERVISOR_SQL.format(esc="f.escalation_level", region="t.assignee_region")
            cur.execute(
                f"""
                UPDATE relief_task t SET due_at = f.due_at, escalation_level = f.escalation_level,
                    supervisor_region = {supervisor_t}, urgent = f.urgent
                FROM todo_f f
                WHERE t.source = %s AND {scope_sql} AND t.cause_key = f.cause_key
                  AND t.state = ANY(%s)
                  AND (t.due_at <> f.due_at OR t.escalation_level <> f.escalation_level
                       OR t.urgent <> f.urgent)
                """,  # noqa: S608
                [key, *scope_params, LIVE],
            )
        # 4. causes no longer found: live tasks are done, done ones forget their cause
        cur.execute(
            f"""
            WITH gone AS (
                SELECT t.id, t.state FROM relief_task t
                WHERE t.source = %s AND {scope_sql} AND t.state = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM todo_f f WHERE f.cause_key = t.cause_key)
                FOR UPDATE OF t
            ),
            done AS (
                UPDATE relief_task t SET state = %s, cause_open = false, closed_at = %s,
                    answer = CASE WHEN t.answer = '' THEN %s ELSE t.answer END
                FROM gone WHERE t.id = gone.id
                RETURNING t.id, gone.state AS from_state
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'cause_cleared', from_state, %s, %s, %s FROM done
            """,  # noqa: S608
            [
                key,
                *scope_params,
                LIVE,
                TaskState.DONE.value,
                now,
                CLEARED_COMMENT,
                TaskState.DONE.value,
                CLEARED_COMMENT,
                now,
            ],
        )
        result.closed = cur.rowcount
        cur.execute(
            f"""
            UPDATE relief_task t SET cause_open = false
            WHERE t.source = %s AND {scope_sql} AND t.state = ANY(%s) AND t.cause_open
              AND NOT EXISTS (SELECT 1 FROM todo_f f WHERE f.cause_key = t.cause_key)
            """,  # noqa: S608
            [key, *scope_params, [TaskState.DONE.value, TaskState.CANCELLED.value]],
        )
        cur.execute("DROP TABLE todo_f")
    return result


def sync_subject(obj: models.Model) -> SyncResult:
    """Sync every source about `obj`'s model for that one record (after a write on it)."""
    result = SyncResult()
    region = getattr(obj, "region_id", None)
    if not region or len(region) < 6:
        return result
    for source in sources_for_model(type(obj)):
        result += sync(source.key, region[:6], subject_id=str(obj.pk))
    return result


REOPENED_COMMENT = "事由仍存在，重新打开（原办理时限和督办层级不变）"
CLEARED_COMMENT = "事由已消除，自动办结"


def datetime_value(moment: datetime.datetime) -> Value:
    return Value(moment, output_field=DateTimeField())
