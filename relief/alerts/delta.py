"""Work only what changed since the last run: the sweeps' watermarks (SweepRun) and change log
(SweepChange), read by relief.alerts.sweeps.sweep_county before it runs a (kind, county).

**What a sweep declares** (`Sweep.inputs`, an `Inputs`); a sweep that declares nothing always runs in
full, the safe default:

- `subject`: the model its findings are drawn from, as `Model.objects.in_region(county)` (the
  findings are never more than these rows). With nothing else declared, the county is skipped when it
  holds none of them and neither they nor the kind's alerts changed since the last run: an empty
  county costs two index probes instead of the sweep's statements, whatever the findings read and
  whatever clock they use (nothing there can cross a date).
- `reads`: every other model the findings read (`None`: not declared). Declared, the county is also
  skipped when it holds subjects, if none of `subject`/`reads`/the kind's alerts/the `policy`
  values changed since the last run and nothing crossed a date in between (`crossed`).
- `policy`: the policy keys the findings read: a value changed, added or deleted for the county
  or a region around it, or one taking effect (`valid_from`) since the last run's day, runs the county.
- `crossed(county, window)`: True when some row's date crossed the findings' threshold between the
  last run and this one (visits: a person's next visit due fell between the two days). None: the
  findings do not depend on the date (with `reads` declared).
- `grows(findings, window)`: for findings that, with nothing written, can only gain rows as the
  date moves (visits overdue: `next_visit_due < today`), the findings restricted to the rows that
  may have joined. A county where only the date moved then runs the INSERT over those alone (no
  reopen, no resolve: nothing found last time can have left, nothing resolved by hand since).

**How changes are seen.** A statement-level trigger on every table a registered sweep declares
(installed after each `migrate`, install_triggers()) writes one SweepChange row per statement and
county touched, for inserts, updates **and deletes** (the deleted rows' counties, from the statement's
OLD TABLE: a deleted visit's person is seen, a moved household is seen in both counties) and
TRUNCATE (region "": every county). The row carries the writing transaction's id. A run notes its
snapshot when it starts (`pg_current_snapshot()`: xmax and the transactions in progress, plus its
own): every other transaction below xmax had committed (or aborted) before the run read anything; the
next run reads the log rows of transactions from xmax on and of those in progress (a few changes
twice, never one missed however late a long transaction commits, and a long transaction elsewhere
on the server does not hold the window open for everyone). The alerts' own trigger logs a change of
kind, status to or from resolved, cause, key or region (not an acknowledgement or an escalation),
except the writes of the sweep of that kind itself (`relief.sweep_writing`): an alert resolved or
deleted by hand brings its kind's county back into the next run, as a full run would reopen or
raise it.

**What it costs a writer**: one INSERT … SELECT DISTINCT per statement on a watched table (a
roster import of 100,000 people writes a handful of rows). The log is pruned after the weekly full
run (prune_changes()).

**What is not seen**: writes that bypass PostgreSQL triggers (`session_replication_role = replica`,
a restore with triggers disabled) and a change of code (a sweep's definition). `run_sweeps --full`
and the weekly full run (relief/schedules.py) are the safety net.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection
from django.db.models import Q, QuerySet

from relief.regions import ancestor_codes

#: the session setting naming the kind whose sweep is writing (its own alert writes are not changes)
WRITING_SETTING = "relief.sweep_writing"


@dataclass(frozen=True)
class Window:
    """From the last run to this one."""

    since_day: datetime.date
    today: datetime.date
    since_at: datetime.datetime
    now: datetime.datetime


@dataclass(frozen=True)
class Inputs:
    subject: str
    reads: tuple[str, ...] | None = None
    policy: tuple[str, ...] = ()
    crossed: Callable[[str, Window], bool] | None = None
    grows: Callable[[QuerySet, Window], QuerySet] | None = None

    def models(self) -> list:
        labels = [self.subject, *(self.reads or ())]
        found = [apps.get_model(label) for label in labels]
        if self.policy:
            found.append(apps.get_model("relief.PolicyParameter"))
        return found


@dataclass(frozen=True)
class Plan:
    run: bool
    xmax: int
    pending: list[int]
    reason: str
    # the findings restricted to the rows that may have joined (Inputs.grows), or None: all of them
    only: Callable[[QuerySet], QuerySet] | None = None


def region_column(model) -> str | None:
    """The column holding a model's region code, or None when the model is scoped through a
    relation (its changes then concern every county)."""
    name = getattr(model._default_manager.get_queryset(), "scope_field", "region")
    if name == "code":
        return model._meta.get_field("code").column
    if "__" in name:
        return None
    return model._meta.get_field(name).column


def _trigger_sql(table: str, column: str | None) -> list[str]:
    arg = f"'{column}'" if column else "''"
    sql = []
    for event, referencing in (
        ("INSERT", "REFERENCING NEW TABLE AS new_rows"),
        ("UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "REFERENCING OLD TABLE AS old_rows"),
    ):
        sql.append(
            f'CREATE OR REPLACE TRIGGER relief_sweep_{event.lower()} AFTER {event} ON "{table}" '
            f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION relief_sweep_noted({arg})"
        )
    sql.append(
        f'CREATE OR REPLACE TRIGGER relief_sweep_truncate AFTER TRUNCATE ON "{table}" '
        f"FOR EACH STATEMENT EXECUTE FUNCTION relief_sweep_noted({arg})"
    )
    return sql


def watched_models(sweeps: Iterable) -> list:
    seen: dict[str, object] = {}
    for sweep in sweeps:
        if sweep.inputs is not None:
            for model in sweep.inputs.models():
                seen[model._meta.db_table] = model
    return list(seen.values())


def install_triggers(sweeps: Iterable, using: str = "default") -> int:
    """The change triggers on every table a registered sweep declares (idempotent: CREATE OR
    REPLACE). Run after each migrate (relief's post_migrate), so a table a sweep starts reading
    is watched before any run trusts its log. Returns the number of tables."""
    from django.db import connections

    models = watched_models(sweeps)
    with connections[using].cursor() as cur:
        cur.execute("SELECT to_regproc('relief_sweep_noted') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0  # relief's migration not applied yet (a partial migrate)
        for model in models:
            for statement in _trigger_sql(model._meta.db_table, region_column(model)):
                cur.execute(statement)
    return len(models)


def _changed_and_held(
    county_code: str, since_xmax: int, pending: list[int], tables: list[str], kind: str, subject
) -> tuple[bool, bool]:
    """Whether a table the sweep reads (or its kind's alerts) changed for the county since the
    last run's snapshot, and whether the county holds any subject row: one statement."""
    held_sql, held_params = (
        subject._default_manager.in_region(county_code).values("pk")[:1].query.sql_with_params()
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT EXISTS (
                SELECT 1 FROM relief_sweepchange
                WHERE region_prefix = ANY(%s) AND (xid >= %s OR xid = ANY(%s))
                  AND (tbl = ANY(%s) OR (tbl = 'relief_alert' AND tag IN (%s, '')))
            ), EXISTS ({held_sql})
            """,  # noqa: S608 - the subject's SQL comes from the ORM, with its own parameters
            [["", *ancestor_codes(county_code)], since_xmax, pending, tables, kind, *held_params],
        )
        return cur.fetchone()


def _policy_takes_effect(keys: tuple[str, ...], county_code: str, window: Window) -> bool:
    from relief.models import PolicyParameter

    return (
        PolicyParameter.objects.filter(
            key__in=keys, valid_from__gt=window.since_day, valid_from__lte=window.today
        )
        .filter(Q(region__isnull=True) | Q(region_id__in=ancestor_codes(county_code)))
        .exists()
    )


def plan(sweep, county_code: str, today: datetime.date, now: datetime.datetime, *, full: bool) -> Plan:
    """Lock the (kind, county)'s watermark (a second run of the pair waits for the first) and decide
    whether its statements must run. Called inside the sweep's transaction."""
    with connection.cursor() as cur:
        # the snapshot is the statement's, taken before the lock is granted: a run of the same pair
        # that committed meanwhile is then in `pending` and its window read again (never less)
        locked = """
            SELECT r.ran_for, r.ran_at, r.seen_xmax, r.pending, pg_snapshot_xmax(s)::text::bigint,
                   array(SELECT x::text::bigint FROM pg_snapshot_xip(s) x) || pg_current_xact_id()::text::bigint
            FROM relief_sweeprun r, pg_current_snapshot() s
            WHERE r.kind = %s AND r.county_code = %s
            FOR UPDATE OF r
        """
        cur.execute(locked, [sweep.kind, county_code])
        row = cur.fetchone()
        if row is None:  # the pair's first run
            cur.execute(
                """
                INSERT INTO relief_sweeprun (kind, county_code, ran_for, ran_at, seen_xmax, pending,
                    statements_ran, skipped)
                VALUES (%s, %s, %s, %s, -1, '{}', true, false)
                ON CONFLICT (kind, county_code) DO NOTHING
                """,
                [sweep.kind, county_code, today, now],
            )
            cur.execute(locked, [sweep.kind, county_code])
            row = cur.fetchone()
        since_day, since_at, since_xmax, since_pending, xmax, pending = row
    inputs = sweep.inputs
    if full:
        return Plan(True, xmax, pending, "full")
    if inputs is None:
        return Plan(True, xmax, pending, "undeclared")
    if since_xmax < 0:
        return Plan(True, xmax, pending, "first")
    if today < since_day:
        return Plan(True, xmax, pending, "earlier day")
    tables = [m._meta.db_table for m in inputs.models()]
    subject = apps.get_model(inputs.subject)
    changed, held = _changed_and_held(county_code, since_xmax, since_pending, tables, sweep.kind, subject)
    if changed:
        return Plan(True, xmax, pending, "changed")
    if not held:
        return Plan(False, xmax, pending, "empty")
    if inputs.reads is None:
        return Plan(True, xmax, pending, "reads undeclared")
    window = Window(since_day, today, since_at, now)
    if inputs.policy and _policy_takes_effect(inputs.policy, county_code, window):
        return Plan(True, xmax, pending, "policy takes effect")
    if inputs.crossed is not None and today > since_day and inputs.crossed(county_code, window):
        if inputs.grows is not None:
            grows = inputs.grows
            return Plan(True, xmax, pending, "date crossed: joining rows", lambda qs: grows(qs, window))
        return Plan(True, xmax, pending, "date crossed")
    return Plan(False, xmax, pending, "unchanged")


def record(kind: str, county_code: str, today: datetime.date, now: datetime.datetime, plan: Plan) -> None:
    """The watermark of a run that succeeded, skipped or not (in its transaction: rolled back with
    it, so a run that fails leaves the previous one)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE relief_sweeprun SET ran_for = %s, ran_at = %s, seen_xmax = %s, pending = %s,
                statements_ran = %s, skipped = %s,
                last_full_at = CASE WHEN %s THEN %s ELSE last_full_at END
            WHERE kind = %s AND county_code = %s
            """,
            [today, now, plan.xmax, plan.pending, plan.run, not plan.run, plan.run, now, kind, county_code],
        )


def writing(kind: str) -> None:
    """Mark the transaction's following writes as the sweep of `kind`'s own ("" to end)."""
    with connection.cursor() as cur:
        cur.execute("SELECT set_config(%s, %s, true)", [WRITING_SETTING, kind])


def prune_changes(kinds: Iterable[str]) -> int:
    """Drop the change log every (kind, county) of `kinds` (the registered sweeps) has read: run
    before the weekly full run."""
    with connection.cursor() as cur:
        cur.execute(
            """
            DELETE FROM relief_sweepchange
            WHERE xid < (SELECT min(least(seen_xmax, (SELECT min(p) FROM unnest(pending) p)))
                         FROM relief_sweeprun WHERE kind = ANY(%s) AND seen_xmax >= 0)
            """,
            [list(kinds)],
        )
        return cur.rowcount
