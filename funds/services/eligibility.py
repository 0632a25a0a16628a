"""Eligibility and amounts: whom a program pays and how much (with a snapshot of why), and the
policy amounts of 临时救助 (低保 standard, the township's approval limit, the 支出型 reference)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch

from funds.models import AmountMode, ApplicationKind, ApprovalLevel, AssistanceApplication, Program
from people.models import AGE_FLAGS, PERSON_FLAGS, Assistance, Household, Person, age_on
from relief.policy import MissingPolicyParameter, policy_value

CENT = Decimal("0.01")


def policy(key: str, region_code: str, on: datetime.date | None = None) -> Decimal:
    """A policy parameter; a missing one is a Chinese ValidationError (a rule never runs on a guess)."""
    try:
        return policy_value(key, region_code, on)
    except MissingPolicyParameter as exc:
        raise ValidationError(str(exc)) from None


# --- programs ------------------------------------------------------------------------------------


def _person_has_flag(person: Person, flag: str, on: datetime.date) -> bool:
    if flag in AGE_FLAGS:
        return (age_on(person.birth_date, on) or 0) >= AGE_FLAGS[flag][1]
    if flag in PERSON_FLAGS:
        return bool(getattr(person, flag))
    return False


def _person_matches(program: Program, person: Person, on: datetime.date) -> bool:
    if program.min_age is not None and (age_on(person.birth_date, on) or 0) < program.min_age:
        return False
    return all(_person_has_flag(person, f, on) for f in program.flags)


def _snapshot(
    program: Program, household: Household, members: list[Person], assistances: list[Assistance], on
) -> dict:
    return {
        "on": on.isoformat(),
        "household": {
            "id": household.pk,
            "address": household.address,
            "region": household.region_id,
            "is_urban": household.is_urban,
        },
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "relation": m.relation,
                "age": age_on(m.birth_date, on),
                "flags": [f for f in PERSON_FLAGS if getattr(m, f)],
            }
            for m in members
        ],
        "categories": [
            {
                "category": a.category,
                "label": a.label,
                "person": a.person_id,
                "dibao_class": a.dibao_class,
                "start_date": a.start_date.isoformat(),
            }
            for a in assistances
        ],
        "rule": program.rule_snapshot(),
    }


def _decided(assistances: list, wanted: set[str], *, person: Any, default: Decimal) -> Decimal:
    """The monthly amounts decided for the wanted categories (a member's own for a per-person
    program, the household's for a per-household one), added up; `default` (the program's fixed amount) when no decision set one."""
    amounts = [
        a.monthly_amount
        for a in assistances
        if a.monthly_amount is not None
        and (not wanted or a.category in wanted)
        and a.person_id == (None if person is None else person.pk)
    ]
    return sum(amounts, Decimal("0.00")) if amounts else default


def eligible_payments(program: Program, household: Household, on: datetime.date) -> list[dict[str, Any]]:
    """The payments `program` makes to `household` on `on`. The household's `members` (active) and
    `assistances` (current) may be prefetched as `active_members` and `current_assistances`."""
    members = getattr(household, "active_members", None)
    if members is None:
        members = list(household.members.filter(active=True).order_by("id"))
    assistances = getattr(household, "current_assistances", None)
    if assistances is None:
        assistances = list(household.assistances.current(on))
    # a category decided by an enrolment is paid from the month after the decision (payment_from)
    assistances = [a for a in assistances if a.payment_from is None or a.payment_from <= on]
    wanted = set(program.categories)
    household_cats = {a.category for a in assistances if a.person_id is None}
    person_cats: dict[int, set[str]] = {}
    for a in assistances:
        if a.person_id is not None:
            person_cats.setdefault(a.person_id, set()).add(a.category)
    dibao_class = next((a.dibao_class for a in assistances if a.category == "dibao" and a.dibao_class), "")
    snapshot = None
    rows = []
    if program.per_person:
        for m in members:
            cats = household_cats | person_cats.get(m.pk, set())
            if wanted and not (cats & wanted):
                continue
            if not _person_matches(program, m, on):
                continue
            amount = program.amount_for_class(dibao_class if "dibao" in cats else "")
            if program.amount_mode == AmountMode.DECIDED:
                amount = _decided(assistances, wanted, person=m, default=amount)
            if amount <= 0:
                continue
            snapshot = snapshot or _snapshot(program, household, members, assistances, on)
            rows.append({"person": m, "recipient": m, "persons": 1, "amount": amount, "snapshot": snapshot})
    else:
        all_cats = household_cats.union(*person_cats.values())
        if wanted and not (all_cats & wanted):
            return []
        if (program.flags or program.min_age is not None) and not any(
            _person_matches(program, m, on) for m in members
        ):
            return []
        if not members:
            return []
        amount = program.amount_for_class(dibao_class)
        if program.amount_mode == AmountMode.DECIDED:
            amount = _decided(assistances, wanted, person=None, default=amount)
        if amount <= 0:
            return []
        head = next((m for m in members if m.pk == household.head_id), members[0])
        rows.append(
            {
                "person": None,
                "recipient": head,
                "persons": len(members),
                "amount": amount,
                "snapshot": _snapshot(program, household, members, assistances, on),
            }
        )
    return rows


def households_for_program(program: Program, region_code: str, on: datetime.date):
    """Candidate households of a county, with what eligibility needs prefetched."""
    qs = Household.objects.in_region(region_code)
    if program.categories:
        current = Assistance.objects.current(on).filter(category__in=program.categories)
        qs = qs.filter(pk__in=current.values("household_id"))
    return qs.order_by("pk").prefetch_related(
        Prefetch(
            "members", queryset=Person.objects.filter(active=True).order_by("pk"), to_attr="active_members"
        ),
        Prefetch("assistances", queryset=Assistance.objects.current(on), to_attr="current_assistances"),
    )


# --- temporary assistance ------------------------------------------------------------------------


def is_urban_place(region_code: str, household: Household | None = None) -> bool:
    """Which 低保 standard applies: the household's, else urban for a 街道 (township code 001–099)."""
    if household is not None:
        return household.is_urban
    return len(region_code) >= 9 and int(region_code[6:9]) < 100


def dibao_standard(region_code: str, *, is_urban: bool, on: datetime.date | None = None) -> Decimal:
    return policy("dibao_standard_urban" if is_urban else "dibao_standard_rural", region_code, on)


def township_limit(region_code: str, *, is_urban: bool, on: datetime.date | None = None) -> Decimal:
    """分级审批: the township approves up to min(amount limit, multiple × monthly 低保 standard)."""
    amount = policy("ta_township_limit_amount", region_code, on)
    multiple = policy("ta_township_limit_multiple", region_code, on)
    standard = dibao_standard(region_code, is_urban=is_urban, on=on)
    return min(amount, multiple * standard).quantize(CENT)


def expense_amount(application: AssistanceApplication, on: datetime.date | None = None) -> Decimal | None:
    """支出型 reference amount: 低保标准 × persons × months (months capped by policy)."""
    if application.kind != ApplicationKind.EXPENSE or not application.months:
        return None
    months = min(application.months, int(policy("ta_expense_months_max", application.region_id, on)))
    standard = dibao_standard(
        application.region_id, is_urban=is_urban_place(application.region_id, application.household), on=on
    )
    return (standard * application.household_size * months).quantize(CENT)


def required_level(app: AssistanceApplication, total: Decimal) -> tuple[str, Decimal]:
    """Who approves `total` (分级审批): the township up to its limit, above it the county; and the limit."""
    limit = township_limit(app.region_id, is_urban=is_urban_place(app.region_id, app.household))
    return (ApprovalLevel.TOWNSHIP if total <= limit else ApprovalLevel.COUNTY), limit
