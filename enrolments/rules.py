"""The rules an enrolment decision reads: the amount the rules suggest, and when the category is next
reviewed. Every number is a policy value of the household's region (relief/policy.py).

- 低保 (补差): 低保标准 (urban or rural by the household) × persons − the declared monthly income of
  all members, never below 0.
- 特困: the basic standard (低保标准 × `tekun_basic_multiple`) plus the care standard of the person's
  care level (全自理/半失能/全失能), per person.
- 低保边缘 and 刚性支出困难 carry no monthly cash: they open 专项救助 and are valid for
  `enrol_validity_months`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from relief.policy import policy_value

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Suggestion:
    amount: Decimal | None
    explanation: str


def _standard(enrolment: Any, on: datetime.date) -> tuple[Decimal, str]:
    urban = bool(enrolment.household.is_urban)
    key = "dibao_standard_urban" if urban else "dibao_standard_rural"
    return policy_value(key, enrolment.region_id, on).quantize(CENT), _("城市") if urban else _("农村")


def declared(enrolment: Any) -> tuple[int, Decimal]:
    """(persons, their total monthly income) as declared; the register's active members when no
    member was declared."""
    members = list(enrolment.members.all())
    if members:
        return len(members), sum((m.monthly_income for m in members), Decimal("0.00"))
    persons = enrolment.household.members.filter(active=True).count() or 1
    return persons, enrolment.household.monthly_income or Decimal("0.00")


def suggest(enrolment: Any, on: datetime.date | None = None) -> Suggestion:
    on = on or enrolment.decided_on or timezone.localdate()
    if enrolment.kind == "dibao":
        standard, where = _standard(enrolment, on)
        persons, income = declared(enrolment)
        amount = max(standard * persons - income, Decimal("0.00")).quantize(CENT, ROUND_HALF_UP)
        return Suggestion(
            amount,
            _("%(where)s低保标准 %(standard)s 元 × %(persons)d 人 − 家庭月收入 %(income)s 元 = %(amount)s 元")
            % {"where": where, "standard": standard, "persons": persons, "income": income, "amount": amount},
        )
    if enrolment.kind == "tekun":
        standard, where = _standard(enrolment, on)
        multiple = policy_value("tekun_basic_multiple", enrolment.region_id, on).normalize()
        level = enrolment.care_level or "self"
        care = policy_value(f"tekun_care_{level}", enrolment.region_id, on).quantize(CENT)
        basic = (standard * multiple).quantize(CENT, ROUND_HALF_UP)
        amount = (basic + care).quantize(CENT, ROUND_HALF_UP)
        return Suggestion(
            amount,
            _(
                "基本生活标准 %(basic)s 元（%(where)s低保标准 %(standard)s 元 × %(multiple)s）"
                " + 照料护理标准 %(care)s 元（%(level)s） = %(amount)s 元"
            )
            % {
                "basic": basic,
                "where": where,
                "standard": standard,
                "multiple": multiple,
                "care": care,
                "level": enrolment.get_care_level_display() or _("全自理"),
                "amount": amount,
            },
        )
    return Suggestion(None, _("低保边缘、刚性支出困难家庭不按月发放救助金，享受相应专项救助"))


def review_months(
    kind: str, *, dibao_class: str, income_type: str, region_code: str, on: datetime.date
) -> int:
    """Months until the category's next review (the validity for 低保边缘 and 刚性支出)."""
    if kind == "dibao":
        if dibao_class:
            key = f"enrol_review_months_class_{dibao_class.lower()}"
        elif income_type == "irregular":
            key = "enrol_review_months_irregular"
        else:
            key = "enrol_review_months_stable"
    elif kind == "tekun":
        key = "enrol_review_months_tekun"
    else:
        key = "enrol_validity_months"
    return int(policy_value(key, region_code, on))
