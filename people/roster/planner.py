"""Deciding what a roster does to the register, in memory and in file order.

`plan()` is given the parsed rows (villages resolved) and the `Register`: what the file refers to,
read from the database up front (people/roster/loader.py). It applies the services' rules with their
Chinese messages (an ID number active in another household, two heads in a household, a household
without a head, …) and returns a `Plan`: the households, persons and assistance records to create,
the existing ones to update, and the report's counts and errors. It does no I/O (no query, no
file): the tests run it with database access blocked. It records its decisions on the register's
states, so a register serves one plan.

Households are matched by household number within the village, else by a member's ID number,
else (a file without household numbers) by the head named on the row or by position; persons by ID
number. Only differing values are updated, so importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from people import services
from people.assistance_models import HOUSEHOLD_TIERS
from people.choices import Category, HeatingType, HousingCondition, MonitoringType, Relation, TekunMode
from people.roster.cells import CategoryValue
from people.roster.errors import row_error
from people.roster.rows import RosterRow
from relief.models import User
from relief.privacy import id_for
from relief.scoping import in_scope

# The household values a roster row can set, compared to decide whether anything changed.
HOUSEHOLD_VALUES = ("address", "monthly_income", "heating_type", "housing_condition", "contact_phone")


# --- The report ----------------------------------------------------------------------------------


@dataclass
class Report:
    dry_run: bool
    sheet: str = ""
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    assistances_created: int = 0
    skipped_rows: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    # rows accepted with something to check (a 15-digit ID number converted, an unknown address code)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # an ID number registered under another name: stored and roster name side by side (rows refused)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    households_unchanged: int = 0
    # field -> the column heading as written in the file (for the errors' `column`)
    labels: dict[str, str] = field(default_factory=dict)
    # payment accounts opened from the 开户银行 / 银行账号 / 账户名 columns (committed imports)
    accounts: int = 0

    def warn(self, row: RosterRow, reason: str) -> None:
        self.warnings.append({"row": row.number, "name": row.name, "reason": reason})

    def error(
        self, row: RosterRow | int, reasons: list[str] | str, code: str = "other", field: str | None = None
    ) -> None:
        """Refuse a row. Each reason keeps its own code and column (a `RowError`); a plain text
        takes `code` and `field`."""
        number = row if isinstance(row, int) else row.number
        name = "" if isinstance(row, int) else row.name
        if isinstance(reasons, str):
            reasons = [reasons]
        problems = []
        for reason in reasons:
            error = row_error(reason, code, field)
            column = self.labels.get(error.field) if error.field else None
            problems.append({"column": column, "code": error.code, "message": str(error)})
        self.errors.append({"row": number, "name": name, "reason": "；".join(reasons), "problems": problems})

    def as_dict(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: e["row"])
        return {
            "dry_run": self.dry_run,
            "committed": not self.dry_run and not errors,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": self.columns,
            "rows": self.rows,
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "households_unchanged": self.households_unchanged,
            "persons_created": self.persons_created,
            "persons_updated": self.persons_updated,
            "persons_unchanged": self.persons_unchanged,
            "assistances_created": self.assistances_created,
            "accounts_created": self.accounts,
            "skipped_rows": self.skipped_rows,
            "skipped_count": len(self.skipped_rows),
            "error_count": len(errors),
            "error_rows": len({e["row"] for e in errors}),
            "errors": errors,
            "warnings": sorted(self.warnings, key=lambda w: w["row"]),
            "conflicts": sorted(self.conflicts, key=lambda c: c["row"]),
        }


# --- What the import works on --------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class HouseholdState:
    """A household as the import leaves it: an existing one (pk) or a new one (pk None until the
    writer numbers it)."""

    region_id: str
    values: dict[str, Any]
    head: MemberState | int | None = None  # an int: an existing head the file does not name
    pk: int | None = None
    household_number: str = ""
    row: int = 0  # the row that creates it (new households)
    # fields of an existing household to update (replaced, never changed in place: shared when empty)
    changed: frozenset[str] = frozenset()
    # assistance records: (category, person (pk, MemberState or None), start, end)
    assistances: list[tuple[str, Any, datetime.date, datetime.date | None]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class MemberState:
    """A person as the import leaves them: existing (pk) or new (pk None until written)."""

    household: HouseholdState | int  # an int: an existing household not (yet) in the file
    name: str
    id_number: str
    relation: str
    phone: str
    pk: int | None = None
    row: int = 0
    note: str = ""
    changed: frozenset[str] = frozenset()  # fields of an existing person to update (as above)
    demoted: bool = False  # lost 户主 to another member (set without a history row, as the service)
    other_region: str = ""  # existing: the name of their household's region (for messages)
    household_region: str = ""  # existing: their household's region code


@dataclass
class Register:
    """What the file refers to, as loaded from the database before planning."""

    members: dict[str, MemberState] = field(default_factory=dict)  # active persons by ID number
    households: dict[int, HouseholdState] = field(default_factory=dict)  # existing, by pk
    by_number: dict[tuple[str, str], int] = field(default_factory=dict)  # (region, number) -> pk


NewAssistance = tuple[HouseholdState, MemberState | None, CategoryValue, datetime.date]


@dataclass
class Plan:
    """What to write: new records, and the existing ones with their changes marked (`changed`,
    `demoted`)."""

    new_households: list[HouseholdState] = field(default_factory=list)
    new_members: list[MemberState] = field(default_factory=list)
    new_assistances: list[NewAssistance] = field(default_factory=list)
    households: list[HouseholdState] = field(default_factory=list)  # existing ones the file names
    members: list[MemberState] = field(default_factory=list)  # existing persons the file names
    demote: set[int] = field(default_factory=set)  # existing heads (not in the file) losing 户主
    id_rows: dict[str, int] = field(default_factory=dict)  # ID number -> its row (for messages)


@dataclass(slots=True)
class _Entry:
    """A household key of the file (household number, or head within a village)."""

    household: HouseholdState | None  # None: could not be registered (see error_row)
    created: bool = False
    first_row: int = 0
    head_row: int | None = None
    error_row: int | None = None


# --- The planner ---------------------------------------------------------------------------------


def plan(
    rows: Iterable[RosterRow],
    *,
    actor: User,
    columns: Collection[str],
    register: Register,
    report: Report,
    today: datetime.date,
) -> Plan:
    """Decide every row, in file order; errors go to `report`. `columns`: the fields the header
    names (a file with a 户主姓名 column groups households by it)."""
    planner = Planner(actor=actor, columns=columns, register=register, report=report, today=today)
    for row in rows:
        planner.add(row)
    return planner.finish()


class Planner:
    def __init__(
        self,
        *,
        actor: User,
        columns: Collection[str],
        register: Register,
        report: Report,
        today: datetime.date,
    ) -> None:
        self.actor = actor
        self.by_head_name = "head_name" in columns
        self.register = register
        self.report = report
        self.today = today
        self.members = dict(register.members)  # active persons by ID number: existing, then new
        self.households: dict[tuple, _Entry] = {}
        self.seen_ids: dict[str, int] = {}
        self.current_sequential: tuple | None = None
        self.plan = Plan(members=list(register.members.values()))

    # household key: by household number, else by the head named on the row, else by position
    def key_for(self, row: RosterRow) -> tuple | None:
        village = row.village.code if row.village else ""
        if row.household_number:
            return (village, "n", row.household_number)
        if self.by_head_name:
            head = row.head_name or (row.name if row.relation == Relation.HEAD else "")
            return (village, "h", head) if head else None
        if row.relation in (None, Relation.HEAD):
            self.current_sequential = (village, "s", row.number)
            return self.current_sequential
        return self.current_sequential

    def relation_of(self, row: RosterRow, key: tuple) -> str:
        if row.relation:
            return row.relation
        if row.head_name:
            return Relation.HEAD if row.head_name == row.name else Relation.OTHER
        if key[1] == "n":
            return Relation.HEAD if key not in self.households else Relation.OTHER
        return Relation.HEAD

    @staticmethod
    def household_values(row: RosterRow, is_head: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if row.address:
            values["address"] = row.address
        if row.monthly_income is not None:
            values["monthly_income"] = row.monthly_income
        if row.heating_type:
            values["heating_type"] = row.heating_type
        if row.housing_condition:
            values["housing_condition"] = row.housing_condition
        if is_head and row.phone:
            values["contact_phone"] = row.phone
        return values

    def add(self, row: RosterRow) -> None:
        report = self.report
        report.rows += 1
        if row.errors:
            report.error(row, row.errors)
            return
        self.warn_id_number(row)
        self.warn_incomplete_categories(row)
        key = self.key_for(row)
        if key is None:
            report.error(row, _("无法确定所属家庭：请填写户编号或户主姓名"), "household_undetermined")
            return
        if row.id_number in self.seen_ids:
            report.error(
                row,
                _("身份证号与第%(n)d行重复") % {"n": self.seen_ids[row.id_number]},
                "id_number_duplicate_in_file",
                "id_number",
            )
            return
        self.seen_ids[row.id_number] = row.number
        relation = self.relation_of(row, key)
        is_head = relation == Relation.HEAD
        entry = self.households.get(key)
        if entry is None:
            entry = self.households[key] = self.open_household(row, is_head)
        if entry.household is None:
            if entry.error_row != row.number:
                report.error(
                    row, _("所在家庭无法登记（见第%(n)d行）") % {"n": entry.error_row}, "household_refused"
                )
            return
        if is_head:
            if entry.head_row is not None:
                report.error(
                    row,
                    _("同一户有两个户主（另见第%(n)d行）；同村户主同名的不同家庭请填写户编号区分")
                    % {"n": entry.head_row},
                    "household_two_heads",
                    "relation",
                )
                return
            entry.head_row = row.number
        household = entry.household
        if is_head and not (entry.created and entry.first_row == row.number):
            self.update_household(household, self.household_values(row, True))
        person = self.upsert_person(household, row, relation)
        if person is not None:
            self.add_categories(household, person, row)

    def warn_incomplete_categories(self, row: RosterRow) -> None:
        """A plain 特困 (or 监测户) is accepted with its subtype unknown, and listed to complete."""
        for value in row.categories:
            if value.tekun_mode == TekunMode.UNKNOWN:
                self.report.warn(row, _("待补充供养方式：救助类别只写了“特困”，请补充集中供养或分散供养"))
            if value.monitoring_type == MonitoringType.UNKNOWN:
                self.report.warn(
                    row, _("待补充监测对象类型：请补充脱贫不稳定户、边缘易致贫户或突发严重困难户")
                )

    def warn_id_number(self, row: RosterRow) -> None:
        if row.id_converted_from:
            self.report.warn(
                row,
                _("15位旧版身份证号 %(old)s 已转换为18位 %(new)s（补“19”并计算校验位），请核对")
                % {
                    "old": id_for(self.actor, row.id_converted_from),
                    "new": id_for(self.actor, row.id_number),
                },
            )
        if row.id_unknown_address:
            self.report.warn(
                row,
                _("身份证号地址码“%(c)s”不在行政区划代码表中，已按有效号码接收，请核对")
                % {"c": row.id_number[:6]},
            )

    def open_household(self, row: RosterRow, is_head: bool) -> _Entry:
        assert row.village is not None
        register = self.register
        pk = None
        if row.household_number:
            pk = register.by_number.get((row.village.code, row.household_number))
        if pk is None:
            existing = self.members.get(row.id_number)
            if existing and existing.pk and existing.household_region == row.village.code:
                pk = existing.household.pk if isinstance(existing.household, HouseholdState) else None
        if pk is not None:
            household = register.households[pk]
            household.row = household.row or row.number
            return _Entry(household=household, first_row=row.number)
        if not in_scope(self.actor, row.village.code):  # the resolver refuses these; kept as a guard
            self.report.error(row, _("该区划不在您的管辖范围内"), "village_out_of_scope", row.village_field)
            return _Entry(household=None, first_row=row.number, error_row=row.number)
        values = {
            "address": row.village.full_name or row.village.name,
            "monthly_income": Decimal("0"),
            "heating_type": HeatingType.COAL,
            "housing_condition": HousingCondition.SAFE,
            "contact_phone": "",
        }
        values.update(self.household_values(row, is_head))
        household = HouseholdState(
            region_id=row.village.code,
            values=values,
            household_number=row.household_number.strip(),
            row=row.number,
        )
        self.plan.new_households.append(household)
        self.report.households_created += 1
        return _Entry(household=household, created=True, first_row=row.number)

    def update_household(self, household: HouseholdState, values: dict[str, Any]) -> None:
        changes = {k: v for k, v in values.items() if household.values[k] != v}
        if changes:
            household.values.update(changes)
            # a new household takes its head's values whatever the order of the rows; only an
            # existing one is "updated"
            if household.pk is not None:
                household.changed = household.changed.union(changes)
                self.report.households_updated += 1

    def set_head(self, household: HouseholdState, person: MemberState) -> None:
        """As services.household_set_head: the previous head, if still 户主, becomes 其他."""
        old = household.head
        if old is not None and old is not person:
            if isinstance(old, MemberState):
                if old.relation == Relation.HEAD:
                    old.relation = Relation.OTHER
                    old.demoted = True
            else:
                self.plan.demote.add(old)
        household.head = person
        if household.pk is not None:
            household.changed |= {"head"}
        if person.relation != Relation.HEAD:
            person.relation = Relation.HEAD
            if person.pk is not None:
                person.changed |= {"relation"}

    def upsert_person(self, household: HouseholdState, row: RosterRow, relation: str) -> MemberState | None:
        existing = self.members.get(row.id_number)
        if existing is not None and existing.household is not household:
            # services._prepare_person: an ID number is active in at most one household
            self.report.error(
                row,
                services.id_conflict_message(
                    self.actor, row.id_number, existing.household_region, existing.other_region
                ),
                "id_registered_elsewhere",
                "id_number",
            )
            return None
        if existing is None:
            person = MemberState(
                household=household,
                name=row.name.strip(),
                id_number=row.id_number,
                relation=relation,
                phone=row.phone.strip(),
                row=row.number,
                note=row.note,
            )
            self.members[row.id_number] = person
            self.plan.new_members.append(person)
            if relation == Relation.HEAD:
                self.set_head(household, person)
            self.report.persons_created += 1
            return person
        if existing.name != row.name.strip():
            # an ID number is the person: a different name is a typing error or a rename, which
            # the user decides (never a silent rename)
            self.report.error(
                row,
                _(
                    "身份证号已登记为“%(stored)s”，与花名册中的姓名“%(name)s”不一致：如是身份证号填错，"
                    "请更正后重新上传；如确已改名，请先在人员页面修改姓名"
                )
                % {"stored": existing.name, "name": row.name},
                "name_conflict",
                "name",
            )
            self.report.conflicts.append(
                {
                    "row": row.number,
                    "id_number": id_for(self.actor, row.id_number),
                    "stored_name": existing.name,
                    "roster_name": row.name,
                }
            )
            return None
        changes: set[str] = set()
        if row.phone and existing.phone != row.phone:
            existing.phone = row.phone
            changes.add("phone")
        if (row.relation or relation == Relation.HEAD) and existing.relation != relation:
            existing.relation = relation
            changes.add("relation")
        if changes:
            existing.changed |= changes
        existing.row = existing.row or row.number
        if relation == Relation.HEAD and household.head is not existing:
            self.set_head(household, existing)
            changes.add("head")
        if changes:
            self.report.persons_updated += 1
        else:
            self.report.persons_unchanged += 1
        return existing

    def add_categories(self, household: HouseholdState, person: MemberState, row: RosterRow) -> None:
        on = row.category_start or self.today
        for value in row.categories:
            per_person = value.category == Category.TEKUN
            current = any(
                category == value.category
                and start <= on
                and (end is None or end >= on)
                and (not per_person or who is person or (person.pk is not None and who == person.pk))
                for category, who, start, end in household.assistances
            )
            if current:
                continue
            who = person if per_person else None
            clash = self.category_clash(household, who, value.category, on)
            if clash:
                self.report.error(
                    row,
                    _(
                        "“%(new)s”与该户已登记的“%(old)s”（%(start)s起）不能同时享受：请先在家庭页面终止或更换原类别"
                    )
                    % {
                        "new": Category(value.category).label,
                        "old": Category(clash[0]).label,
                        "start": clash[1],
                    },
                    "category_clash",
                    "category",
                )
                continue
            household.assistances.append((value.category, who, on, None))
            self.plan.new_assistances.append((household, who, value, on))
            self.report.assistances_created += 1

    @staticmethod
    def category_clash(
        household: HouseholdState, who: Any, category: str, on: datetime.date
    ) -> tuple[str, datetime.date] | None:
        """A record of the household a new `category` from `on` cannot hold beside (the tiers 低保 /
        低保边缘 / 刚性支出困难 exclude each other; people/assistance_models.py): its category and start."""
        if who is not None or category not in HOUSEHOLD_TIERS:
            return None
        for other, other_who, start, end in household.assistances:
            if (
                other_who is None
                and other in HOUSEHOLD_TIERS
                and other != category
                and (end is None or end >= on)
            ):
                return other, start
        return None

    def finish(self) -> Plan:
        for entry in self.households.values():
            if entry.created and entry.household is not None and entry.head_row is None:
                self.report.error(
                    entry.first_row,
                    _("该户没有户主：请在“与户主关系”中标明户主，或填写户主姓名"),
                    "household_without_head",
                )
        self.plan.households = list(self.register.households.values())
        # existing households the file names (`row` set when matched) that it leaves as they are
        self.report.households_unchanged = sum(1 for h in self.plan.households if h.row and not h.changed)
        self.plan.id_rows = self.seen_ids
        return self.plan
