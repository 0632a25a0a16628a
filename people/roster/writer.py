"""Writing a plan, set-based: new households and persons go in with COPY through a staging table
(STAGED: inserted from it, their django-simple-history rows copied from it, a commit's new persons
given their next visit due there first), assistance records with COPY (ids taken from the
sequences first, so that heads are set before insert, the foreign keys being deferred); changed
existing records are updated set-based (`UPDATE ... FROM unnest(...)`) and their history rows
copied from them (`INSERT ... SELECT`); a dry run writes into temporary tables only
(people/roster/dry_run.py) and no history rows. The
first version went through the per-record services (~20 round trips a row); bench/README.md has
the figures.

The database constraints (one active ID number, household number unique in its region, deferred
foreign keys, checks) stay the final guard: a violation rolls everything back and is reported in
Chinese on its row where the row can be told. The database's own message never reaches the user (it
may quote values from the file); the log gets the SQLSTATE and the names of the constraint, table
and column, never a value.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people import services
from people.models import Assistance, Household, Person, Relation
from people.roster import dry_run
from people.roster.cells import CategoryValue
from people.roster.errors import RowError
from people.roster.loader import chunks
from people.roster.planner import HouseholdState, MemberState, Plan, Report
from relief.models import User
from relief.scoping import require_in_scope

logger = logging.getLogger(__name__)

WRITE_BATCH = 20_000  # rows per UPDATE or history INSERT statement
PROGRESS_EVERY = 2_000  # rows between progress reports while writing


# New households and persons are COPYed into a temporary table of the same columns and checks first,
# then inserted from it with their history rows: the history comes from the small table instead of
# 60,000 look-ups in the large one, and a commit stores each new person's next visit due before
# the insert (an UPDATE of every new row afterwards cost as much as the insert: bench/README.md).
STAGED = {Household: "roster_new_household", Person: "roster_new_person", Assistance: "roster_new_assistance"}


def write(
    plan: Plan, *, actor: User, report: Report, progress: Callable[..., None], commit: bool = True
) -> None:
    """Store the plan in bulk inside a savepoint; a database refusal becomes a report error (and
    nothing of the plan stays written). A commit also stores the new persons' next visit due as
    they are inserted and writes the history rows. A dry run (`commit=False`, rolled back) writes
    nothing into the register's tables: its rows go into temporary tables of the same columns and
    checks, its unique and foreign keys are looked up (people/roster/dry_run.py), and it leaves
    the next visits and history rows out (a history row, a copy of a row just written into a table
    of the same columns and checks, cannot be refused where its row was not)."""
    Writer(plan, actor, report, progress, commit).write()


class Writer:
    def __init__(
        self, plan: Plan, actor: User, report: Report, progress: Callable[..., None], commit: bool = True
    ) -> None:
        self.commit = commit
        self.plan = plan
        self.actor = actor
        self.report = report
        self.progress = progress
        self.written = 0
        # each new household and person counts once (their history rows are copied in the database)
        self.to_write = len(plan.new_households) + len(plan.new_members)
        self.note = _("花名册导入")
        self.copies: dict[type[models.Model], str] = {}  # a dry run's copies of changed records

    def write(self) -> None:
        try:
            with transaction.atomic():
                self._write()
        except IntegrityError as exc:
            self.report.error(*self._integrity_error(exc))
        except DataError as exc:  # a value the parser let through but a column refuses
            self.report.error(*self._data_error(exc))
        except ValidationError as exc:  # a model's own validation (full_clean) refused a change
            row = getattr(exc, "roster_row", 0)
            self.report.error(row, exc.messages, "value_refused")
        except dry_run.Refused as exc:  # what the commit's database would refuse (dry run)
            self.report.error(*self._refused(exc))

    def _write(self) -> None:
        plan = self.plan
        for region_id in {h.region_id for h in plan.new_households} | {
            h.region_id for h in plan.households if h.changed
        }:
            require_in_scope(self.actor, region_id)
        now = timezone.now()
        self.history = {"now": now, "reason": _("花名册导入"), "actor": self.actor} if self.commit else None
        # Ids for new rows come from the tables' sequences first, so that a household's head and a
        # person's household are set before either is inserted (the foreign keys are deferred).
        # A dry run's rows take negative ids and go only into temporary tables (dry_run.py).
        for model, items in ((Household, plan.new_households), (Person, plan.new_members)):
            ids = _next_ids(model, len(items)) if self.commit else dry_run.negative_ids(len(items))
            for item, pk in zip(items, ids, strict=True):
                item.pk = pk
        # New rows go in with COPY, streamed: no model instances (at 100,000 rows Django's
        # bulk_create spent most of the import building and binding them), through a staging table
        # (STAGED) from which their history rows are copied in the database. The new persons go
        # last, when everything their next visit due depends on (their household, its assistance
        # records) is written.
        self.staged: dict[type[models.Model], str] = {}
        if plan.new_households:
            staged = self.staged[Household] = _stage(Household)
            _copy(Household, (self._household_row(h, now) for h in plan.new_households), table=staged)
            if self.commit:
                _insert_staged(Household, staged, history=self.history)
            else:
                numbers = [(h.region_id, h.household_number) for h in plan.new_households]
                dry_run.household_numbers_free(staged, numbers, services.HOUSEHOLD_NUMBER_CONSTRAINT)
        assistances = (self._assistance_row(*item, now) for item in plan.new_assistances)
        if self.commit:
            _copy(Assistance, assistances, skip_pk=True)
        elif plan.new_assistances:
            _copy(Assistance, assistances, skip_pk=True, table=_stage(Assistance))
            self.staged[Assistance] = STAGED[Assistance]
        self._update_households(now)
        self._update_persons(now)
        if plan.demote and self.commit:  # a dry run leaves them: relation takes any word
            Person.objects.filter(pk__in=sorted(plan.demote), relation=Relation.HEAD).update(
                relation=Relation.OTHER
            )
        if plan.new_members:
            staged = self.staged[Person] = _stage(Person)
            _copy(Person, (self._person_row(m, now) for m in plan.new_members), table=staged)
            if self.commit:
                counties = sorted({m.household.region_id[:6] for m in plan.new_members})  # type: ignore[union-attr]
                services.person_schedule_staged(table=staged, counties=counties)
                _insert_staged(Person, staged, history=self.history)
            else:
                numbers = [m.id_number for m in plan.new_members]
                dry_run.id_numbers_free(staged, numbers, services.ID_CONSTRAINT)
        if not self.commit:
            tables: dict[type[models.Model], list[str]] = {}
            for model, table in [*self.staged.items(), *self.copies.items()]:
                tables.setdefault(model, []).append(table)
            counts = {Household: len(plan.new_households), Person: len(plan.new_members)}
            dry_run.foreign_keys(tables, {m: (t, counts[m]) for m, t in self.staged.items() if m in counts})
            return
        # Check the deferred foreign keys now, as a dry run's joins did.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    # --- new rows ---

    def _count_written(self) -> None:
        self.written += 1
        if self.written % PROGRESS_EVERY == 0:
            self.progress(self.written, self.to_write, _("正在写入"))

    def _household_row(self, h: HouseholdState, now: datetime.datetime) -> dict[str, Any]:
        self._count_written()
        return {
            "id": h.pk,
            "region_id": h.region_id,
            "household_number": h.household_number,
            "head_id": _pk(h.head),
            "address": h.values["address"],
            "monthly_income": h.values["monthly_income"],
            "heating_type": str(h.values["heating_type"]),
            "housing_condition": str(h.values["housing_condition"]),
            "contact_phone": h.values["contact_phone"],
            "note": self.note,
            "created_by_id": self.actor.pk,
            "created_at": now,
            "updated_at": now,
        }

    def _person_row(self, m: MemberState, now: datetime.datetime) -> dict[str, Any]:
        assert isinstance(m.household, HouseholdState)
        self._count_written()
        return {
            "id": m.pk,
            "household_id": m.household.pk,
            "region_id": m.household.region_id,
            "name": m.name,
            "id_number": m.id_number,
            "sex": services.sex_from_id(m.id_number),
            "birth_date": services.birth_date_from_id(m.id_number),
            "relation": str(m.relation),
            "phone": m.phone,
            "active": True,
            "note": m.note,
            "created_at": now,
            "updated_at": now,
        }

    def _assistance_row(
        self,
        h: HouseholdState,
        who: MemberState | None,
        value: CategoryValue,
        start: datetime.date,
        now: datetime.datetime,
    ) -> dict[str, Any]:
        return {
            "household_id": h.pk,
            "person_id": _pk(who),
            "region_id": h.region_id,
            "category": str(value.category),
            "start_date": start,
            "end_date": None,
            "dibao_class": str(value.dibao_class),
            "tekun_mode": str(value.tekun_mode),
            "monitoring_type": str(value.monitoring_type),
            "note": self.note,
            "created_by_id": self.actor.pk,
            "created_at": now,
        }

    # --- changes to existing records ---

    def _update_households(self, now: datetime.datetime) -> None:
        def values(h: HouseholdState) -> dict[str, Any]:
            return {
                ("head_id" if n == "head" else n): _pk(h.head) if n == "head" else h.values[n]
                for n in h.changed
            }

        changes = [(h.pk, h.row, values(h)) for h in self.plan.households if h.changed]
        _update_with_history(
            Household, changes, now=now, history=self.history, table=self._copy_of(Household, changes)
        )

    def _update_persons(self, now: datetime.datetime) -> None:
        members = self.plan.members
        changes = [
            (m.pk, m.row, {n: getattr(m, n) for n in m.changed | ({"relation"} if m.demoted else set())})
            for m in members
            if m.changed
        ]
        _update_with_history(
            Person, changes, now=now, history=self.history, table=self._copy_of(Person, changes)
        )
        demoted = [m.pk for m in members if m.demoted and not m.changed and m.relation != Relation.HEAD]
        if demoted and self.commit:  # as household_set_head: a plain UPDATE, no history row
            Person.objects.filter(pk__in=demoted, relation=Relation.HEAD).update(relation=Relation.OTHER)

    def _copy_of(
        self, model: type[models.Model], changes: list[tuple[int, int, dict[str, Any]]]
    ) -> str | None:
        """A dry run's copy of the changed records, updated instead of them (None: the real table)."""
        if self.commit or not changes:
            return None
        self.copies[model] = dry_run.copy_for_update(model, [pk for pk, _row, _values in changes])
        return self.copies[model]

    # --- what the database refused, in Chinese ---

    def _refused(self, exc: dry_run.Refused) -> tuple[int, RowError]:
        if exc.constraint == services.ID_CONSTRAINT:
            return self._id_taken(exc.value if re.fullmatch(r"[0-9X]{18}", exc.value) else "")
        if exc.constraint == services.HOUSEHOLD_NUMBER_CONSTRAINT:
            return self._household_taken(*exc.value)
        return 0, _unknown_refusal()

    def _integrity_error(self, exc: IntegrityError) -> tuple[int, RowError]:
        """A constraint that stopped the write (someone registered the same person or household
        number between the check and the write): the row, and what to do."""
        diag = _log_refusal(exc)
        constraint = getattr(diag, "constraint_name", "") or ""
        detail = getattr(diag, "message_detail", "") or ""
        if constraint == services.ID_CONSTRAINT:
            m = re.search(r"=\(([0-9X]{18})\)", detail)
            return self._id_taken(m[1] if m else "")
        if constraint == services.HOUSEHOLD_NUMBER_CONSTRAINT:
            m = re.search(r"=\((\d+), (.*)\)", detail)
            return self._household_taken(*(m.groups() if m else ("", "")))
        row, label = self._copy_position(diag)
        if label:
            return row, RowError(
                _("“%(field)s”的值不符合登记规则，未写入任何数据。请核对后重新上传") % {"field": label},
                "value_refused",
            )
        return row, _unknown_refusal()

    def _id_taken(self, number: str) -> tuple[int, RowError]:
        return (
            self.plan.id_rows.get(number, 0),
            RowError(
                _("身份证号 %(id)s 已在另一户登记为有效成员（可能是预检之后由他人登记），请核对后重新上传")
                % {"id": number},
                "id_registered_elsewhere",
                "id_number",
            ),
        )

    def _household_taken(self, region: str, number: str) -> tuple[int, RowError]:
        row = next(
            (
                h.row
                for h in self.plan.new_households
                if number and (h.region_id, h.household_number) == (region, number)
            ),
            0,
        )
        return row, RowError(
            _("户编号“%(n)s”在本区划已被使用（可能是预检之后由他人登记），请核对后重新上传") % {"n": number},
            "household_number_taken",
            "household_number",
        )

    def _data_error(self, exc: DataError) -> tuple[int, RowError]:
        """A value a column refuses (too long, out of range): the row and column where COPY tells."""
        row, label = self._copy_position(_log_refusal(exc))
        if label:
            return row, RowError(
                _("“%(field)s”的值超出允许范围（过长或过大），未写入任何数据。请核对后重新上传")
                % {"field": label},
                "value_out_of_range",
            )
        return row, RowError(
            _(
                "有数据超出允许范围（如文字过长或数字过大），未写入任何数据。请核对文件；如仍无法导入，请联系管理员"
            ),
            "value_out_of_range",
        )

    def _copy_position(self, diag: Any) -> tuple[int, str]:
        """The roster row and the column's Chinese name of a refusal during COPY, as far as the
        database's context line ("COPY people_person, line 12, column name: …") tells them."""
        table, line, column = _copy_context(diag)
        plan = self.plan
        written: list[tuple[type[models.Model], list[int]]] = [
            (Household, [h.row for h in plan.new_households]),
            (Person, [m.row for m in plan.new_members]),
            (Assistance, [h.row for h, *_rest in plan.new_assistances]),
        ]
        for model, rows in written:
            history = getattr(model, "history", None)
            names = (model._meta.db_table, history and history.model._meta.db_table, STAGED.get(model))
            if table not in names:
                continue
            row = rows[line - 1] if 0 < line <= len(rows) else 0
            field = next((f for f in model._meta.concrete_fields if f.column == column), None)
            return row, str(field.verbose_name) if field is not None else ""
        return 0, ""


def _unknown_refusal() -> RowError:
    return RowError(
        _("有数据不符合登记规则，数据库拒绝写入，未写入任何数据。请核对文件；如仍无法导入，请联系管理员"),
        "value_refused",
    )


def _copy_context(diag: Any) -> tuple[str, int, str]:
    """(table, line, column) of a refusal during COPY, from the database's context line ("COPY
    people_person, line 12, column name: <the value>"); the value is left out."""
    m = re.search(r"COPY (\w+), line (\d+)(?:, column (\w+))?", getattr(diag, "context", "") or "")
    return (m[1], int(m[2]), m[3] or "") if m else ("", 0, "")


def _log_refusal(exc: DatabaseError) -> Any:
    """Log what the database refused, by name and position only (its message, detail and context
    quote values: ID numbers, names); return its diagnostics."""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    table, line, column = _copy_context(diag)
    logger.warning(
        "roster import refused by the database: %s SQLSTATE=%s constraint=%s table=%s column=%s "
        "copy_line=%s copy_column=%s",
        type(exc).__name__,
        getattr(cause, "sqlstate", None),
        getattr(diag, "constraint_name", None),
        getattr(diag, "table_name", None) or table or None,
        getattr(diag, "column_name", None),
        line or None,
        column or None,
    )
    return diag


def _pk(item: MemberState | HouseholdState | int | None) -> int | None:
    if item is None or isinstance(item, int):
        return item
    return item.pk


def _next_ids(model: type[models.Model], n: int) -> list[int]:
    """`n` fresh primary keys from the model's id sequence, in one query (the sequence looked up
    once, not for every id)."""
    if not n:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(q.seq) FROM (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) AS q "
            "CROSS JOIN generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [r[0] for r in cursor.fetchall()]


def _stage(model: type[models.Model]) -> str:
    """An empty temporary table with the model table's columns and checks (NOT NULL, CHECK: a value
    they refuse is refused while COPYing, on its line) and identity (a dry run's assistance records
    are numbered by it), dropped at the end of the transaction."""
    table = STAGED[model]
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {qn(table)}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {qn(table)} (LIKE {qn(model._meta.db_table)} INCLUDING CONSTRAINTS "
            "INCLUDING IDENTITY) ON COMMIT DROP"
        )
    return table


def _insert_staged(model: type[models.Model], staged: str, *, history: dict[str, Any] | None) -> None:
    """The staged rows into the model's table, their history rows ("+", `history`: the
    `_history_rows` arguments; None for none) copied from them; then the staging table goes."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in model._meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(model._meta.db_table)} ({columns}) SELECT {columns} FROM {qn(staged)}"  # noqa: S608 - names, no values
        )
    if history is not None:
        _history_rows(model, [], "+", **history, source=staged)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {qn(staged)}")


def _copy(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    *,
    skip_pk: bool = False,
    table: str | None = None,
) -> None:
    """COPY `rows` (attname -> value) into the model's table (or `table`, of the same columns),
    streamed. A field a row leaves out takes the model field's default, as a new instance would;
    with `skip_pk` the table's identity column numbers the rows. Database errors come out as
    Django's (IntegrityError, DataError)."""
    fields = [f for f in model._meta.concrete_fields if not (skip_pk and f.primary_key)]
    defaults = {f.attname: f.get_default() for f in fields}
    values = operator.itemgetter(*defaults)  # a row's values in column order, the defaults filled in
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(table or model._meta.db_table)
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(values({**defaults, **row}))


def _update_with_history(
    model: type[models.Model],
    changes: list[tuple[int, int, dict[str, Any]]],
    *,
    now: datetime.datetime,
    history: dict[str, Any] | None,
    table: str | None = None,
) -> None:
    """Changes to existing records, set-based: `changes` holds (pk, roster row, {attname: new
    value}); `history`: the `_history_rows` arguments (None: no history rows); `table`: a copy of
    the records to update instead (a dry run's, without indexes: hashed, not looked up). Each
    changed value is validated as full_clean would (its field's checks: length, choices, blank);
    then one `UPDATE ... FROM unnest(...)` per set of changed fields and batch
    (the UPDATE locks the rows), and one history row per record, copied from the updated row in
    the database (`INSERT ... SELECT`: the same snapshot bulk_update_with_history would make)."""
    if not changes:
        return
    fields = {f.attname: f for f in model._meta.concrete_fields}
    for _pk_value, row, values in changes:
        _validate(fields, values, row)
    groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
    for pk, _row, values in changes:
        groups.setdefault(tuple(sorted(values)), []).append((pk, values))
    qn = connection.ops.quote_name
    joins = _index_joins if table is None else lambda _cursor: contextlib.nullcontext()
    table = qn(table or model._meta.db_table)
    with connection.cursor() as cursor, joins(cursor):
        for names, group in groups.items():
            cols = [fields[n] for n in names]
            sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in cols)
            casts = ", ".join(["%s::bigint[]", *(f"%s::{f.db_type(connection)}[]" for f in cols)])
            aliases = ", ".join(["id", *(qn(f.column) for f in cols)])
            sql = (
                f"UPDATE {table} AS p SET {sets}, {qn('updated_at')} = %s "  # noqa: S608 - names, no values
                f"FROM unnest({casts}) AS v({aliases}) WHERE p.id = v.id"
            )
            for chunk in chunks(group, WRITE_BATCH):
                arrays = [[pk for pk, _v in chunk]]
                arrays += [[_db_value(f, values[f.attname]) for _pk, values in chunk] for f in cols]
                cursor.execute(sql, [now, *arrays])
    if history is not None:
        _history_rows(model, sorted(pk for pk, _row, _values in changes), "~", **history)


@contextlib.contextmanager
def _index_joins(cursor: Any) -> Iterator[None]:
    """Join the few thousand changed rows to their table by its primary key: without this the
    planner hashes the whole table (a million persons: a scan costing more than the look-ups)."""
    cursor.execute("SELECT current_setting('enable_hashjoin'), current_setting('enable_mergejoin')")
    hashjoin, mergejoin = cursor.fetchone()
    cursor.execute(
        "SELECT set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)"
    )
    yield
    # not after an error: the transaction is aborted, and its rollback (to the writer's savepoint)
    # undoes these settings anyway (a restore there hid the refusal behind an InternalError)
    cursor.execute(
        "SELECT set_config('enable_hashjoin', %s, true), set_config('enable_mergejoin', %s, true)",
        [hashjoin, mergejoin],
    )


def _history_rows(
    model: type[models.Model],
    pks: list[int],
    history_type: str,
    *,
    now: datetime.datetime,
    reason: str,
    actor: User,
    source: str | None = None,
) -> None:
    """One django-simple-history row per record, copied from the record as it now is in the
    database (`INSERT ... SELECT`: the snapshot simple-history makes, without a row through Python);
    with `source`, from every row of that staging table (the same columns) instead."""
    history = model.history.model
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in history.tracked_fields)
    sql = (
        f"INSERT INTO {qn(history._meta.db_table)} ({columns}, history_date, history_change_reason, "  # noqa: S608
        f"history_type, history_user_id) SELECT {columns}, %s, %s, %s, %s FROM {qn(source or model._meta.db_table)} "
    )
    with connection.cursor() as cursor:
        if source is not None:
            cursor.execute(sql + "ORDER BY id", [now, reason, history_type, actor.pk])
            return
        for chunk in chunks(pks, WRITE_BATCH):
            cursor.execute(
                sql + "WHERE id = ANY(%s) ORDER BY id", [now, reason, history_type, actor.pk, chunk]
            )


def _validate(fields: dict[str, models.Field], values: dict[str, Any], row: int) -> None:
    """The changed values of an existing record, through their fields' own checks (full_clean's
    clean_fields for these fields; relations are checked by the database). New records are not
    passed through it (100,000 full_clean calls cost a third of the write): the row parser already
    enforces what it would (lengths, choices, amounts), and the database enforces column sizes and
    check constraints."""
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        field = fields[name]
        if field.is_relation:
            continue
        try:
            field.clean(value, None)
        except ValidationError as exc:
            errors[field.name] = exc.messages
    if errors:
        exc = ValidationError(errors)
        exc.roster_row = row  # type: ignore[attr-defined]
        raise exc


def _db_value(field: models.Field, value: Any) -> Any:
    value = field.get_db_prep_save(value, connection)
    # a TextChoices member as its value (psycopg would send an Enum's name)
    return str(value) if isinstance(value, str) and type(value) is not str else value
