"""Writes to assistance categories: register, end, correct, replace (`people.services` re-exports).

Every change keeps its reason in the record's history (django-simple-history `history_change_reason`);
the record shows its end reason. Categories that cannot hold at once are refused by the database
(people/assistance_models.py); here the refusal becomes a message naming the record in the way,
checked before writing and, should two writers race, read from the constraint's error.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from people.assistance_models import HOUSEHOLD_TIERS, PERSON_EXCLUSIVE, Assistance
from people.models import Household, Person
from people.visit_schedule import _refresh_household
from relief.models import User
from relief.scoping import require_actor

#: what a correction may change (the household and the person's region never change here)
CORRECTABLE = (
    "category",
    "person",
    "dibao_class",
    "tekun_mode",
    "monitoring_type",
    "start_date",
    "end_date",
    "monthly_amount",
    "payment_from",
    "note",
)
TEXT_FIELDS = ("dibao_class", "tekun_mode", "monitoring_type", "note")
EXCLUSION_CONSTRAINTS = (
    "assistance_one_at_a_time",
    "assistance_person_dibao_or_tekun",
    "assistance_household_one_tier",
)


def clash_message(record: Assistance, other: Assistance | None, why: str = "") -> str:
    """Why `record` cannot hold next to `other` (the record in the way), in words a worker reads."""
    if other is None:
        return _("与已登记的救助类别时间重叠：请先终止或更正原记录")
    if why:
        pass
    elif other.category == record.category:
        why = _("同一家庭（成员）同一救助类别在同一时期只能有一条记录；变更供养方式等请使用“更换”")
    elif record.person_id and {record.category, other.category} <= set(PERSON_EXCLUSIVE):
        why = _("同一人不能同时是特困人员和低保对象")
    elif {record.category, other.category} <= set(HOUSEHOLD_TIERS):
        why = _("一户在同一时期只能是低保、低保边缘、刚性支出困难中的一类")
    else:
        why = _("救助类别互相排斥")
    who = f" · {other.person.name}" if other.person_id else ""
    return _("与已登记的“%(label)s%(who)s”（%(period)s）时间重叠：%(why)s") % {
        "label": other.label,
        "who": who,
        "period": other.period,
        "why": why,
    }


def _save(record: Assistance, *, reason: str, update_fields: list[str] | None = None) -> None:
    """Save with the constraints checked first (a named message) and again by the database."""
    other = Assistance.objects.in_the_way(record).select_related("person").first()
    if other is not None:
        raise ValidationError({"__all__": clash_message(record, other)})
    record._change_reason = reason[:100]
    try:
        with transaction.atomic():
            record.save(update_fields=update_fields)
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if constraint not in EXCLUSION_CONSTRAINTS:
            raise
        raise ValidationError({"__all__": clash_message(record, None)}) from exc


def _check_single_member(record: Assistance) -> None:
    """A one-person household: its only member cannot be 特困 and the household on 低保 at once (the
    constraint sees a member's own 低保; this is the household's)."""
    if record.category not in PERSON_EXCLUSIVE:
        return
    members = list(
        Person.objects.filter(household_id=record.household_id, active=True).values_list("pk", flat=True)
    )
    if len(members) != 1:
        return
    other = "tekun" if record.category == "dibao" else "dibao"
    others = Assistance.objects.filter(household_id=record.household_id, category=other).overlapping(
        record.start_date, record.end_date
    )
    if record.pk:
        others = others.exclude(pk=record.pk)
    found = others.select_related("person").first()
    if found is not None:
        why = _("这户只有一名成员，同一人不能同时是特困人员和低保对象")
        raise ValidationError({"__all__": clash_message(record, found, why)})


def _clean(record: Assistance) -> None:
    record.full_clean(exclude=["household", "region"], validate_constraints=False)
    _check_single_member(record)


@transaction.atomic
def assistance_add(
    *,
    actor: User,
    household: Household,
    category: str,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    person: Person | None = None,
    dibao_class: str = "",
    tekun_mode: str = "",
    monitoring_type: str = "",
    note: str = "",
    monthly_amount: Decimal | None = None,
    payment_from: datetime.date | None = None,
) -> Assistance:
    require_actor(actor, household.region_id)
    record = Assistance(
        monthly_amount=monthly_amount,
        payment_from=payment_from,
        household=household,
        person=person,
        region_id=household.region_id,
        category=category,
        start_date=start_date,
        end_date=end_date,
        dibao_class=dibao_class or "",
        tekun_mode=tekun_mode or "",
        monitoring_type=monitoring_type or "",
        note=note,
        created_by=actor,
    )
    _clean(record)
    _save(record, reason=pgettext("history", "登记"))
    _refresh_household(household.pk)  # a category can bring members under a visit rule
    return record


@transaction.atomic
def assistance_set(assistance_id: int, *, reason: str, **changes: Any) -> Assistance:
    """A change decided in a workflow step that has checked the actor (a review's new amount or class,
    an 退出): the fields written and the reason kept in the history, the constraints checked."""
    record = Assistance.objects.select_for_update().get(pk=assistance_id)
    for name, value in changes.items():
        setattr(record, name, value)
    _save(record, reason=reason, update_fields=list(changes))
    return record


@transaction.atomic
def assistance_grant(*, actor: User, household: Household, reason: str, **fields: Any) -> Assistance:
    """A decision granting a category (enrolments/register.py): the records it cannot hold next to
    (the same category, 低保边缘 when 低保 is granted, a member's 低保 when 特困 is) end the day before
    it starts, with `reason`; then it is registered as `assistance_add` does."""
    record = Assistance(household=household, region_id=household.region_id, **fields)
    start = record.start_date
    for other in Assistance.objects.in_the_way(record).select_for_update().order_by("start_date"):
        if other.start_date >= start:
            raise ValidationError({"__all__": clash_message(record, other)})
        assistance_end(
            actor=actor, assistance=other, end_date=start - datetime.timedelta(days=1), reason=reason
        )
    return assistance_add(actor=actor, household=household, **fields)


@transaction.atomic
def assistance_end(
    *, actor: User, assistance: Assistance, end_date: datetime.date, reason: str = ""
) -> Assistance:
    """End a category (退出, 死亡, 迁出…): the end date and why, kept on the record and its history."""
    assistance = Assistance.objects.select_for_update().get(pk=assistance.pk)
    require_actor(actor, assistance.region_id)
    assistance.end_date = end_date
    assistance.end_reason = (reason or "").strip()[:255]
    assistance.full_clean(exclude=["household", "region", "person"], validate_constraints=False)
    _save(
        assistance,
        reason=_("终止：%(r)s") % {"r": assistance.end_reason},
        update_fields=["end_date", "end_reason"],
    )
    _refresh_household(assistance.household_id)
    return assistance


@transaction.atomic
def assistance_correct(*, actor: User, assistance: Assistance, reason: str, **changes: Any) -> Assistance:
    """Correct a record entered wrongly (a wrong category, date or member): the fields changed, the
    reason kept in the history; the earlier values stay readable there."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写更正原因")})
    unknown = set(changes) - set(CORRECTABLE)
    if unknown:
        raise ValidationError(_("不能更正这些字段：%(f)s") % {"f": "、".join(sorted(unknown))})
    assistance = Assistance.objects.select_for_update().get(pk=assistance.pk)
    require_actor(actor, assistance.region_id)
    changed = [name for name, value in changes.items() if getattr(assistance, name) != value]
    if not changed:
        raise ValidationError(_("没有需要更正的内容"))
    for name in changed:
        value = changes[name]
        setattr(assistance, name, "" if value is None and name in TEXT_FIELDS else value)
    _clean(assistance)
    _save(assistance, reason=_("更正：%(r)s") % {"r": reason}, update_fields=changed)
    _refresh_household(assistance.household_id)
    return assistance


@transaction.atomic
def assistance_replace(
    *,
    actor: User,
    assistance: Assistance,
    on: datetime.date,
    reason: str,
    category: str | None = None,
    **new: Any,
) -> Assistance:
    """Replace a category from `on` (e.g. 分散供养 → 集中供养 when a person moves into an institution, 低保
    边缘 → 低保): the old record ends the day before, the new one starts on `on`, in one transaction.
    The new record keeps the old one's member, amount and payment month unless given."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写更换原因")})
    old = Assistance.objects.select_for_update().get(pk=assistance.pk)
    require_actor(actor, old.region_id)
    if on <= old.start_date:
        raise ValidationError({"on": _("更换日期须晚于原记录的认定日期；认定当天即有误的请使用“更正”")})
    if old.end_date is not None and old.end_date < on:
        raise ValidationError({"on": _("原记录在更换日期前已终止，请直接登记新类别")})
    category = category or old.category
    values = {
        "person": old.person if category == "tekun" or old.person_id else None,
        "monthly_amount": old.monthly_amount if category == old.category else None,
        "payment_from": old.payment_from if category == old.category else None,
        "end_date": old.end_date if category == old.category else None,
        **new,
    }
    if category != "tekun" and old.category == "tekun" and "person" not in new:
        values["person"] = None
    note = values.pop("note", "") or _("由“%(label)s”更换：%(r)s") % {"label": old.label, "r": reason}
    assistance_end(actor=actor, assistance=old, end_date=on - datetime.timedelta(days=1), reason=reason)
    return assistance_add(
        actor=actor,
        household=old.household,
        category=category,
        start_date=on,
        note=note[:255],
        **values,
    )
