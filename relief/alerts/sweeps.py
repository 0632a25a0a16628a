"""Monitoring sweeps: set-based SQL that turns what is being missed into alerts.

An app registers a sweep (from its AppConfig.ready()):

    register(Sweep(kind="people.visit_overdue", label="探访逾期", findings=overdue_visits))

`findings(county_code, today)` returns a QuerySet (never a list) whose rows are annotated with
`dedup_key`, `region_code`, `message`, `subject_id`, `subject_label`; a sweep declared with
`per_row=True` also annotates `severity` and `due_at` (each row's own level and deadline, e.g. the
warning rule of exchange/rules.py that found it), which then override the sweep's severity and the
policy's alert_due_days.
`sweep_county()` applies one sweep to one county in one transaction with two statements whatever the
number of people:

1. INSERT ... SELECT the findings ... ON CONFLICT DO NOTHING (the partial unique index on `dedup_key`
   among unresolved alerts makes a second run raise nothing new), with the "raised" events;
2. the alert workflow's auto_resolve step (relief/alerts/workflows.py) over the county's unresolved
   alerts of this kind that are no longer found, with its log rows (an alert resolves itself when its
   condition clears; its history stays).

Counties are the unit of work: `relief.alerts.tasks.sweep_county_task` runs one (kind, county) pair,
so several Celery workers share a province; a worker that dies mid-county leaves nothing
half-written (one transaction) and late acknowledgement delivers the task again.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import CharField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from relief.alerts import delta
from relief.alerts.delta import Inputs
from relief.alerts.workflows import (
    AUTO_RESOLVED_COMMENT,
    RAISED,
    REOPENED_COMMENT,
    alert_workflow,
    log_action,
)
from relief.models import AlertStatus, Region, Severity
from relief.policy import policy_value
from relief.regions import Level
from relief.todo.common import HANDLED, SUPERVISOR_SQL, supervisions_close, url_with_id


@dataclass(frozen=True)
class Sweep:
    kind: str
    label: str
    findings: Callable[[str, datetime.date], QuerySet]
    severity: int = Severity.WARNING
    # the model whose primary key `subject_id` holds (for links from the alert)
    subject_model: str = ""
    # 0: raised at the region's own level; 1: supervised (督办) from one level up from the start
    escalation_level: int = 0
    # the page that answers the alert: a URL name taking the subject's id, and its button label
    action: str = ""
    action_label: str = ""
    # or a URL name taking no argument and this query, where `{id}` is the subject's id and
    # `{alert}` the alert's ("household={id}&alert={alert}"): a form opened pre-filled
    action_query: str = ""
    # run before the findings, in the sweep's transaction: makes sure what they read is there
    # (people: the stored next visit due of a county never computed since the column came)
    prepare: Callable[[str], None] | None = None
    # the findings computed once into a temporary table and read by the three statements, rather than
    # evaluated by each (for findings that aggregate many rows: exchange's rules over a batch)
    materialize: bool = False
    # the findings carry their own `severity` and `due_at` (see the module's docstring)
    per_row: bool = False
    # what the findings depend on, so a nightly run skips a county where none of it changed
    # (relief/alerts/delta.py); None: the sweep always runs in full
    inputs: Inputs | None = None
    # run last in the sweep's transaction with the ids of every alert it raised, reopened or
    # resolved: what an app keeps beside each alert follows it (exchange: the warning's disposition)
    follow: Callable[[list[int]], Any] | None = None


SWEEPS: dict[str, Sweep] = {}
#: labels of alert kinds raised outside a sweep (a major hazard on registration): see kind_labels()
KIND_LABELS: dict[str, Any] = {}


#: kind -> the page an app above the sweep's own offers to answer its alerts (answered_by())
ANSWERS: dict[str, dict[str, Any]] = {}


def register(sweep: Sweep) -> None:
    SWEEPS[sweep.kind] = replace(sweep, **ANSWERS[sweep.kind]) if sweep.kind in ANSWERS else sweep


def answered_by(kind: str, *, action: str, action_label: Any, action_query: str = "") -> None:
    """An app built on the sweep's app answers its alerts on its own page (enrolments: a 应保未保
    alert of people is answered by an application), so the lower app never names the higher one's
    pages. Applies whether the sweep is registered before or after."""
    ANSWERS[kind] = {"action": action, "action_label": action_label, "action_query": action_query}
    if kind in SWEEPS:
        register(SWEEPS[kind])


def register_kind(kind: str, label: Any) -> None:
    """Name an alert kind raised by an app's own step rather than by a sweep."""
    KIND_LABELS[kind] = label


def kind_labels() -> dict[str, str]:
    """Every alert kind as a person reads it (its sweep's label), never its code."""
    return {**{k: str(s.label) for k, s in SWEEPS.items()}, **{k: str(v) for k, v in KIND_LABELS.items()}}


def kind_label(kind: str) -> str:
    return kind_labels().get(kind) or str(gettext_lazy("其他预警"))


@dataclass
class SweepResult:
    raised: int = 0
    resolved: int = 0
    reopened: int = 0
    # counties whose statements did not run: nothing they depend on changed since the last run
    skipped: int = 0

    def __iadd__(self, other: SweepResult) -> SweepResult:
        self.raised += other.raised
        self.resolved += other.resolved
        self.reopened += other.reopened
        self.skipped += other.skipped
        return self


def sweep_county(
    kind: str,
    county_code: str,
    today: datetime.date | None = None,
    *,
    within: str | None = None,
    full: bool = True,
) -> SweepResult:
    """Apply one sweep to one county: raise what is new, resolve what cleared. Idempotent.
    `within` (a region code inside the county: a township's or a village's) limits both writes to
    alerts of that region and below, for a sweep a village or township user starts (always run,
    never recorded as the county's run). `full=False` (the nightly run) skips the county when
    nothing the sweep declares it depends on changed since its last run (relief/alerts/delta.py);
    either way the run is recorded as the (kind, county)'s watermark in the same transaction."""
    if within is None or within == county_code:
        today, now = today or timezone.localdate(), timezone.now()
        with transaction.atomic():
            plan = delta.plan(SWEEPS[kind], county_code, today, now, full=full)
            if plan.run:
                delta.writing(kind)  # its own alert writes are not changes to the next run
                result = _sweep_county(kind, county_code, today, only=plan.only)
                delta.writing("")
            else:
                result = SweepResult(skipped=1)
            delta.record(kind, county_code, today, now, plan)
        return result
    return _sweep_county(kind, county_code, today, within=within)


def _sweep_county(
    kind: str,
    county_code: str,
    today: datetime.date | None = None,
    *,
    within: str | None = None,
    only: Callable[[QuerySet], QuerySet] | None = None,
) -> SweepResult:
    """The three statements; with `only` (rows that can only join the findings since the last
    run), the INSERT alone over the findings `only` keeps."""
    sweep = SWEEPS[kind]
    prefix = within if within and within.startswith(county_code) else county_code
    auto_resolve = alert_workflow.steps["auto_resolve"]
    today = today or timezone.localdate()
    now = timezone.now()
    due_at = now + datetime.timedelta(days=int(policy_value("alert_due_days", county_code, today)))
    columns = ["dedup_key", "region_code", "message", "subject_id", "subject_label"]
    if sweep.per_row:
        columns += ["severity", "due_at"]
    qs = sweep.findings(county_code, today)
    if only is not None:
        qs = only(qs)
    qs = qs.order_by().values(*columns)
    severity_sql, due_sql = (
        ("coalesce(f.severity::int, %s)", "coalesce(f.due_at::timestamptz, %s)")
        if sweep.per_row
        else ("%s", "%s")
    )
    sql, params = qs.query.sql_with_params()
    subject_type_id = None
    if sweep.subject_model:
        app_label, model = sweep.subject_model.split(".")
        subject_type_id = ContentType.objects.get_by_natural_key(app_label, model.lower()).pk
    with transaction.atomic(), connection.cursor() as cur:
        if sweep.prepare is not None:
            sweep.prepare(county_code)
        # The findings are many small index lookups; JIT compiling them costs more than running them.
        cur.execute("SET LOCAL jit = off")
        if sweep.materialize:
            cur.execute("DROP TABLE IF EXISTS pg_temp.sweep_findings")
            cur.execute(f"CREATE TEMPORARY TABLE sweep_findings ON COMMIT DROP AS {sql}", params)
            cur.execute("ANALYZE sweep_findings")
            sql, params = "SELECT * FROM sweep_findings", ()
        # An alert resolved by hand whose condition is still found comes back as it was: its due
        # time and escalation level (the clock) are kept, not restarted by a fresh alert.
        if only is None:
            cur.execute(
                f"""
                WITH f AS ({sql}),
                reopened AS (
                    UPDATE relief_alert a SET status = %s, resolved_at = NULL
                    FROM f
                    WHERE a.kind = %s AND a.region_code LIKE %s AND a.status = %s AND a.cause_open
                      AND a.dedup_key = f.dedup_key
                      AND a.id = (SELECT max(x.id) FROM relief_alert x WHERE x.dedup_key = a.dedup_key
                                  AND x.status = %s AND x.cause_open)
                      AND NOT EXISTS (SELECT 1 FROM relief_alert y WHERE y.dedup_key = a.dedup_key
                                      AND y.status <> %s)
                    RETURNING a.id
                ),
                ev AS (
                    INSERT INTO relief_alertevent (alert_id, action, from_state, to_state, comment, at)
                    SELECT id, 'reopened', %s, %s, %s, %s FROM reopened
                )
                SELECT coalesce(array_agg(id), '{{}}') FROM reopened
                """,  # noqa: S608 - the findings SQL comes from the ORM, with its own parameters
                [
                    *params,
                    AlertStatus.OPEN.value,
                    kind,
                    prefix + "%",
                    AlertStatus.RESOLVED.value,
                    AlertStatus.RESOLVED.value,
                    AlertStatus.RESOLVED.value,
                    AlertStatus.RESOLVED.value,
                    AlertStatus.OPEN.value,
                    REOPENED_COMMENT,
                    now,
                ],
            )
            reopened_ids = cur.fetchone()[0]
        else:
            reopened_ids = []
        cur.execute(
            f"""
            WITH f AS ({sql}),
            inserted AS (
                INSERT INTO relief_alert (kind, severity, region_code, subject_type_id, subject_id,
                    subject_label, message, due_at, status, escalation_level, dedup_key, created_at,
                    cause_open)
                SELECT %s, {severity_sql}, f.region_code, %s, f.subject_id::text,
                    left(f.subject_label, 200), f.message, {due_sql}, %s, %s, f.dedup_key, %s, true
                FROM f
                WHERE f.region_code LIKE %s
                ON CONFLICT (dedup_key) WHERE status <> 'resolved' DO NOTHING
                RETURNING id, message
            ),
            ev AS (
                INSERT INTO relief_alertevent (alert_id, action, from_state, to_state, comment, at)
                SELECT id, %s, '', %s, message, %s FROM inserted
            )
            SELECT coalesce(array_agg(id), '{{}}') FROM inserted
            """,  # noqa: S608 - the findings SQL comes from the ORM, with its own parameters
            [
                *params,
                kind,
                int(sweep.severity),
                subject_type_id,
                due_at,
                AlertStatus.OPEN.value,
                sweep.escalation_level,
                now,
                prefix + "%",
                RAISED,
                AlertStatus.OPEN.value,
                now,
            ],
        )
        raised_ids = cur.fetchone()[0]
        if only is None:  # (a run restricted to rows that only join the findings resolves nothing)
            cur.execute(
                f"""
                WITH f AS ({sql}),
                gone AS (
                    SELECT a.id, a.status FROM relief_alert a
                    WHERE a.kind = %s AND a.region_code LIKE %s AND a.status = ANY(%s)
                      AND a.dedup_key NOT IN (SELECT f.dedup_key FROM f)  -- hashed, whatever the estimates
                    FOR UPDATE OF a
                ),
                resolved AS (
                    UPDATE relief_alert a SET status = %s, resolved_at = %s, cause_open = false
                    FROM gone WHERE a.id = gone.id
                    RETURNING a.id, gone.status AS from_state
                ),
                ev AS (
                    INSERT INTO relief_alertevent (alert_id, action, from_state, to_state, comment, at)
                    SELECT id, %s, from_state, %s, %s, %s FROM resolved
                ),
                -- resolved by hand earlier and no longer found: the condition has gone now
                forgotten AS (
                    UPDATE relief_alert a SET cause_open = false
                    WHERE a.kind = %s AND a.region_code LIKE %s AND a.status = %s AND a.cause_open
                      AND a.dedup_key NOT IN (SELECT f.dedup_key FROM f)
                    RETURNING a.id
                )
                SELECT (SELECT coalesce(array_agg(id), '{{}}') FROM resolved),
                       (SELECT coalesce(array_agg(id), '{{}}') FROM forgotten)
                """,  # noqa: S608
                [
                    *params,
                    kind,
                    prefix + "%",
                    [str(s) for s in auto_resolve.sources],
                    auto_resolve.target,
                    now,
                    log_action("auto_resolve"),
                    auto_resolve.target,
                    AUTO_RESOLVED_COMMENT,
                    now,
                    kind,
                    prefix + "%",
                    AlertStatus.RESOLVED.value,
                ],
            )
            resolved_ids, forgotten_ids = cur.fetchone()
        else:
            resolved_ids, forgotten_ids = [], []
        # the alerts' tasks follow them in the same transaction (relief/todo); a raised alert is
        # new, so it has no task to bring up to date
        tasks_follow_alerts([*reopened_ids, *resolved_ids, *forgotten_ids], new_ids=raised_ids)
        if sweep.follow is not None:
            sweep.follow([*reopened_ids, *raised_ids, *resolved_ids, *forgotten_ids])
        if sweep.materialize:
            cur.execute("DROP TABLE sweep_findings")
    return SweepResult(raised=len(raised_ids), resolved=len(resolved_ids), reopened=len(reopened_ids))


def sql_message(template: str, **parts) -> Concat:
    """A Chinese alert message built in SQL from one translated template: `%(name)s` placeholders are
    filled with expressions (cast to text), so a translator sees the whole sentence."""
    pieces: list = []
    for i, chunk in enumerate(re.split(r"%\((\w+)\)s", template)):
        if i % 2:
            pieces.append(Coalesce(Cast(parts[chunk], CharField()), Value(""), output_field=CharField()))
        elif chunk:
            pieces.append(Value(chunk))
    if len(pieces) == 1:
        pieces.append(Value(""))
    return Concat(*pieces, output_field=CharField())


# --- Region conditions that one app knows and another app's sweep reads -----------------------------

# name -> fn(county_code, region_ref, at): a QuerySet, for use in Exists(), of the rows that put the
# region `region_ref` (an OuterRef to a region code) under the condition at `at`. For example patrols
# registers "cold_wave" (a cold-wave warning in force), which the visit sweep of people reads without
# importing patrols.
CONDITIONS: dict[str, Callable[[str, object, datetime.datetime], QuerySet]] = {}


def register_condition(name: str, fn: Callable[[str, object, datetime.datetime], QuerySet]) -> None:
    CONDITIONS[name] = fn


def condition(name: str) -> Callable[[str, object, datetime.datetime], QuerySet] | None:
    """The registered condition `name`, or None when no installed app provides it."""
    return CONDITIONS.get(name)


def within_county(region_code: str | None) -> str | None:
    """The region a sweep over `region_code` is limited to inside its county: the township or
    village itself (None for a county or anything wider: whole counties are swept)."""
    return region_code if region_code and len(region_code) > 6 else None


def counties_under(region_code: str | None) -> list[str]:
    """The counties a sweep over `region_code` visits (all counties when None)."""
    qs = Region.objects.filter(level=Level.COUNTY)
    if region_code:
        qs = (
            qs.filter(code__startswith=region_code[:6])
            if len(region_code) >= 6
            else qs.filter(code__startswith=region_code)
        )
    return list(qs.order_by("code").values_list("code", flat=True))


# --- the tasks of alerts (relief/todo): one per alert, following it -------------------------------------------------------------------------


def _alert_action_sql() -> tuple[str, list]:
    """CASE over alert kinds: the path of the page that answers each kind (its sweep's action, with
    the subject's id), else the alert's own page."""
    own = url_with_id("alert-detail")
    sql, params = "CASE WHEN a.subject_id = '' THEN replace(%s, '{id}', a.id::text)", [own]
    for kind, sweep in SWEEPS.items():
        if sweep.action_query:
            sql += " WHEN a.kind = %s THEN replace(replace(%s, '{id}', a.subject_id), '{alert}', a.id::text)"
            params += [kind, f"{reverse(sweep.action)}?{sweep.action_query}"]
        elif sweep.action:
            sql += " WHEN a.kind = %s THEN replace(%s, '{id}', a.subject_id)"
            params += [kind, url_with_id(sweep.action)]
    sql += " ELSE replace(%s, '{id}', a.id::text) END"
    params.append(own)
    return sql, params


def ids_array(ids: list[int] | tuple) -> RawSQL:
    """The right-hand side of an `__in` lookup over many ids, as one array parameter: a county's
    alerts can be more than a statement's 65,535 parameters (`alert_id__in=ids_array(ids)`)."""
    return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))


def tasks_follow_alerts(alert_ids: list[int], *, new_ids: list[int] | tuple = ()) -> int:
    """Make the tasks of these alerts agree with them: a task for each unresolved alert without one;
    the state (open → 待办, acknowledged → 办理中, resolved → done), due time, escalation and cause of
    the others. `new_ids`: alerts just inserted, which only need their task made. Two statements
    whatever the number. Returns how many tasks changed or were made."""
    if not alert_ids and not new_ids:
        return 0
    now = timezone.now()
    handled = list(HANDLED.get())
    action_sql, action_params = _alert_action_sql()
    supervisor = SUPERVISOR_SQL.format(esc="a.escalation_level", region="a.region_code")
    state = "CASE a.status WHEN 'open' THEN 'open' WHEN 'acknowledged' THEN 'in_progress' ELSE 'done' END"
    labels = _action_labels()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            WITH ins AS (
                INSERT INTO relief_task (source, kind, title, detail, region_code, subject_type_id,
                    subject_id, subject_label, alert_id, assignee_id, assignee_region, urgent, due_at,
                    state, cause_key, cause_open, escalation_level, supervisor_region, action_url,
                    action_label, answer, created_at, closed_by_hand)
                SELECT 'alert', a.kind, left(a.message, 200), a.message, a.region_code,
                    a.subject_type_id, a.subject_id, a.subject_label, a.id, a.assignee_id,
                    a.region_code, a.severity >= 3, coalesce(a.due_at, %s), {state},
                    'alert:' || a.id, a.cause_open, a.escalation_level, {supervisor},
                    {action_sql}, coalesce((%s::jsonb) ->> a.kind, ''), '', a.created_at, false
                FROM relief_alert a
                WHERE a.id = ANY(%s) AND a.status <> 'resolved' AND a.region_code IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM relief_task t WHERE t.alert_id = a.id)
                ON CONFLICT (cause_key) WHERE state IN ('open', 'in_progress') DO NOTHING
                RETURNING id, title, state
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'created', '', state, title, %s FROM ins
            """,  # noqa: S608 - the CASE is built from the sweeps' registry, values as parameters
            [now, *action_params, labels, [*alert_ids, *new_ids], now],
        )
        made = cur.rowcount
        if not alert_ids:
            return made
        cur.execute(
            f"""
            WITH ch AS (
                SELECT t.id, t.state AS old, {state} AS new, a.cause_open, a.escalation_level,
                    {supervisor} AS supervisor, a.due_at, a.assignee_id, a.severity
                FROM relief_task t JOIN relief_alert a ON a.id = t.alert_id
                WHERE a.id = ANY(%s) AND t.state <> 'cancelled' AND NOT (t.id = ANY(%s))
                FOR UPDATE OF t
            ),
            up AS (
                UPDATE relief_task t SET state = ch.new,
                    due_at = coalesce(ch.due_at, t.due_at), escalation_level = ch.escalation_level,
                    supervisor_region = ch.supervisor, cause_open = ch.cause_open,
                    urgent = ch.severity >= 3, assignee_id = coalesce(t.assignee_id, ch.assignee_id),
                    closed_at = CASE WHEN ch.new = 'done' THEN coalesce(t.closed_at, %s) END,
                    closed_by_hand = CASE WHEN ch.new = 'done' AND t.state = 'done' THEN t.closed_by_hand
                                          ELSE (ch.new = 'done' AND ch.cause_open) END
                FROM ch WHERE t.id = ch.id
                  AND (t.state <> ch.new OR t.due_at IS DISTINCT FROM ch.due_at
                       OR t.escalation_level <> ch.escalation_level OR t.cause_open <> ch.cause_open)
                RETURNING t.id, ch.old, ch.new, ch.cause_open
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id,
                CASE WHEN new = old THEN 'updated' WHEN new = 'done' AND NOT cause_open THEN 'cause_cleared'
                     WHEN new = 'done' THEN 'done_with_alert' WHEN old = 'done' THEN 'reopened'
                     ELSE 'followed_alert' END,
                old, new,
                CASE WHEN new = 'done' AND NOT cause_open THEN %s WHEN old = 'done' AND new <> 'done' THEN %s
                     ELSE %s END, %s
            FROM up
            """,  # noqa: S608
            [alert_ids, handled, now, CLEARED, REOPENED, FOLLOWED, now],
        )
        changed = cur.rowcount
    # a task closed with its alert: the 督办 on it go with it
    from relief.models import Task

    closed = Task.objects.filter(alert_id__in=ids_array(alert_ids))
    supervisions_close(list(closed.filter(state="done").values_list("pk", flat=True)))
    return made + changed


CLEARED = "预警情况已消除，自动办结"
REOPENED = "预警情况仍存在，重新打开（原办理时限和督办层级不变）"
FOLLOWED = "随预警处理更新"


def _action_labels() -> str:
    import json

    return json.dumps(
        {k: str(s.action_label) for k, s in SWEEPS.items() if s.action_label}, ensure_ascii=False
    )
