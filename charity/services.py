"""Every write of 慈善 (charity): donors, donations, projects, needs, their assignment to a project
with money and goods from named donations, delivery and closing. One transaction each, keyword-only,
the actor checked here.

Lock order everywhere: the need, then the project, then the donations (by id), then their goods
lines (by id). A donation's `allotted_amount` and a line's `allotted_quantity` change only under
those locks, with `F()`, and a database check refuses any value above what was received: the
balance never goes below zero, even for two coordinators assigning at the same moment."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from charity.models import (
    LIVE_NEED_STATES,
    ORGANISATION_KINDS,
    Allotment,
    CharityNeed,
    CharityProject,
    CharityProjectState,
    Donation,
    DonationItem,
    Donor,
    DonorKind,
    NeedKind,
    NeedOrigin,
    NeedState,
)
from people.models import Household, Person, Visit
from relief.models import Region, Task, User
from relief.policy import policy_value
from relief.scoping import require_actor
from relief.todo.deadlines import follow
from relief.todo.services import due_in_working_days, task_close_for_cause, task_open
from relief.uploads import attachment_name, check_attachment
from relief.workflow import county_or_above

CENT = Decimal("0.01")
TOWNSHIP = 9


def _decimal(value: Any, field: str, *, positive: bool = False) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amounts must be Decimal or str, not float")
    try:
        number = Decimal(str(value if value not in (None, "") else "0")).quantize(CENT)
    except InvalidOperation:
        raise ValidationError({field: _("数字格式不正确")}) from None
    if number < 0 or (positive and number == 0):
        raise ValidationError({field: _("必须大于0") if positive else _("不能为负数")})
    return number


def _county_staff(actor: User, region_code: str) -> None:
    require_actor(actor, region_code)
    if message := county_or_above(actor):
        raise PermissionDenied(message)


def _errors(exc: ValidationError) -> ValidationError:
    return ValidationError(exc.message_dict) if hasattr(exc, "error_dict") else exc


# --- donors, donations, projects ----------------------------------------------------------------------


@transaction.atomic
def donor_register(
    *,
    actor: User,
    region: Region,
    kind: str,
    name: str,
    credit_code: str = "",
    id_number: str = "",
    contact_name: str = "",
    phone: str = "",
    note: str = "",
) -> Donor:
    """Register a social organisation, charity, enterprise or individual donor in the actor's county
    (or higher). An organisation's unified social credit code is checked (GB 32100-2015) and unique
    in the region; an individual's ID number, when given, is checked like a resident's."""
    _county_staff(actor, region.code)
    from stdnum.cn import uscc

    from people.id_numbers import validate_id_number

    credit_code = (credit_code or "").strip().upper()
    id_number = (id_number or "").strip().upper()
    if kind not in DonorKind.values:
        raise ValidationError({"kind": _("请选择捐赠方类型")})
    if kind in ORGANISATION_KINDS:
        if id_number:
            raise ValidationError({"id_number": _("组织和企业不登记身份证号，请填写统一社会信用代码")})
        if credit_code and not uscc.is_valid(credit_code):
            raise ValidationError({"credit_code": _("统一社会信用代码不正确")})
    else:
        if credit_code:
            raise ValidationError({"credit_code": _("个人捐赠者不填写统一社会信用代码")})
        if id_number:
            id_number = validate_id_number(id_number)
    donor = Donor(
        region=region,
        kind=kind,
        name=(name or "").strip(),
        credit_code=credit_code,
        id_number=id_number,
        contact_name=(contact_name or "").strip(),
        phone=re.sub(r"[\s-]", "", phone or ""),
        note=(note or "").strip(),
        created_by=actor,
    )
    try:
        donor.full_clean()
    except ValidationError as exc:
        if "__all__" in exc.message_dict or "credit_code" in exc.message_dict:
            raise ValidationError({"credit_code": _("该统一社会信用代码已登记")}) from None
        raise
    donor.save()
    return donor


@dataclass(frozen=True)
class ItemLine:
    name: str
    unit: str
    quantity: Decimal | str
    unit_value: Decimal | str = Decimal("0")
    serves: str = NeedKind.OTHER


@transaction.atomic
def donation_receive(
    *,
    actor: User,
    donor: Donor,
    region: Region,
    received_on: datetime.date,
    receipt_number: str,
    amount: Decimal | str = Decimal("0"),
    items: list[ItemLine] | None = None,
    project: CharityProject | None = None,
    receipt: Any = None,
    note: str = "",
) -> Donation:
    """A donation received by a county (or higher): money and/or goods lines, with its receipt
    number (once per region) and optionally the receipt's scan; restricted to a project when one is
    named (its money and goods then go only to that project's needs)."""
    _county_staff(actor, region.code)
    if not Donor.objects.visible_to(actor).filter(pk=donor.pk).exists():
        raise ValidationError({"donor": _("未找到该捐赠方")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("接收日期不能晚于今天")})
    if project is not None:
        if not CharityProject.objects.visible_to(actor).filter(pk=project.pk).exists():
            raise ValidationError({"project": _("未找到该慈善项目")})
        if not (region.code.startswith(project.region_id) or project.region_id.startswith(region.code)):
            raise ValidationError({"project": _("定向项目须在接收区划范围内实施")})
        if project.state != CharityProjectState.ACTIVE:
            raise ValidationError({"project": _("该慈善项目已结束，不能接收定向捐赠")})
    money = _decimal(amount, "amount")
    lines = []
    for line in items or []:
        if not (line.name or "").strip() or not (line.unit or "").strip():
            raise ValidationError({"items": _("请填写物品名称和单位")})
        if line.serves not in NeedKind.values:
            raise ValidationError({"items": _("请选择物资可满足的需求类型")})
        lines.append(
            DonationItem(
                name=line.name.strip(),
                unit=line.unit.strip(),
                quantity=_decimal(line.quantity, "items", positive=True),
                unit_value=_decimal(line.unit_value, "items"),
                serves=line.serves,
            )
        )
    if money == 0 and not lines:
        raise ValidationError(_("请填写捐赠资金或捐赠物资"))
    donation = Donation(
        donor=donor,
        region=region,
        amount=money,
        received_on=received_on,
        receipt_number=(receipt_number or "").strip(),
        project=project,
        note=(note or "").strip(),
        created_by=actor,
    )
    try:
        donation.full_clean(exclude=["receipt"])
    except ValidationError as exc:
        if "__all__" in exc.message_dict:
            raise ValidationError({"receipt_number": _("该捐赠票据号已登记")}) from None
        raise
    if receipt:
        kind = check_attachment(receipt)
        donation.receipt.save(attachment_name(kind), receipt, save=False)
    donation.save()
    for line in lines:
        line.donation = donation
    DonationItem.objects.bulk_create(lines)
    return donation


@transaction.atomic
def project_create(
    *,
    actor: User,
    region: Region,
    name: str,
    budget: Decimal | str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    need_kinds: list[str] | None = None,
    categories: list[str] | None = None,
    flags: list[str] | None = None,
    organiser: Donor | None = None,
    description: str = "",
) -> CharityProject:
    """A charity project of a county (or a higher region): who it serves (need kinds; optionally
    assistance categories, any of them, and person flags, all of them), its budget and period."""
    from people.choices import AGE_FLAGS, PERSON_FLAGS, Category

    _county_staff(actor, region.code)
    if len(region.code) > 6:
        raise ValidationError({"region": _("慈善项目须由县（区）或以上区划实施")})
    kinds = list(dict.fromkeys(need_kinds or []))
    if not kinds or any(k not in NeedKind.values for k in kinds):
        raise ValidationError({"need_kinds": _("请选择项目满足的需求类型")})
    if any(c not in Category.values for c in categories or []):
        raise ValidationError({"categories": _("救助类别不正确")})
    if any(f not in PERSON_FLAGS and f not in AGE_FLAGS for f in flags or []):
        raise ValidationError({"flags": _("人员标识不正确")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})
    if organiser is not None and not Donor.objects.visible_to(actor).filter(pk=organiser.pk).exists():
        raise ValidationError({"organiser": _("未找到该捐赠方")})
    project = CharityProject(
        region=region,
        name=(name or "").strip(),
        budget=_decimal(budget, "budget", positive=True),
        starts_on=starts_on,
        ends_on=ends_on,
        need_kinds=kinds,
        categories=list(categories or []),
        flags=list(flags or []),
        organiser=organiser,
        description=(description or "").strip(),
        created_by=actor,
    )
    project.full_clean()
    project.save()
    return project


@transaction.atomic
def project_close(*, actor: User, project: CharityProject) -> CharityProject:
    """End a project: no new assignment; needs already assigned are still delivered."""
    _county_staff(actor, project.region_id)
    project = CharityProject.objects.select_for_update().get(pk=project.pk)
    if project.state != CharityProjectState.CLOSED:
        project.state = CharityProjectState.CLOSED
        project.save(update_fields=["state"])
    return project


# --- needs ----------------------------------------------------------------------------------------


@transaction.atomic
def need_add(
    *,
    actor: User | None,
    household: Household,
    kind: str,
    description: str,
    person: Person | None = None,
    origin: str = NeedOrigin.MANUAL,
    cause_key: str = "",
    visit: Visit | None = None,
    source_task: Task | None = None,
    disposition: Any = None,
    call: Any = None,
) -> tuple[CharityNeed, bool]:
    """An open need of one household. With a cause (a visit's need, a warning, a call) there is one
    need per cause: the second call returns the first (created False). `actor` None: the system,
    inside the write that found the cause (a visit)."""
    if actor is not None:
        require_actor(actor, household.region_id)
    if kind not in NeedKind.values:
        raise ValidationError({"kind": _("请选择需求类型")})
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("请写明需求")})
    if person is not None and person.household_id != household.pk:
        raise ValidationError({"person": _("该人员不是本户成员")})
    if origin not in NeedOrigin.values:
        raise ValidationError({"origin": _("来源不正确")})
    if cause_key:
        existing = CharityNeed.objects.filter(cause_key=cause_key).first()
        if existing is not None:
            return existing, False
    need = CharityNeed(
        household=household,
        person=person,
        region_id=household.region_id,
        kind=kind,
        description=description[:2000],
        origin=origin,
        cause_key=cause_key,
        visit=visit,
        source_task=source_task,
        disposition=disposition,
        call=call,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            need.save()
    except IntegrityError:  # the same cause, concurrently
        return CharityNeed.objects.get(cause_key=cause_key), False
    return need, True


#: the visit's follow-ups charity can meet, and the need they are when the visit says no more
FOLLOW_UP_KINDS = {
    "material": NeedKind.OTHER,
    "housing": NeedKind.HOUSE_REPAIR,
    "medical_referral": NeedKind.MEDICAL,
}
#: words of a visit's needs text, per need kind
KEYWORDS = {
    NeedKind.HEATING: ("取暖", "煤", "炭", "暖气", "电热毯", "烤火", "火炉", "供暖"),
    NeedKind.CLOTHING: ("棉衣", "棉被", "被子", "被褥", "衣物", "衣服", "御寒", "棉鞋"),
    NeedKind.FOOD: ("米", "面粉", "食用油", "粮", "食品", "吃饭"),
    NeedKind.MEDICAL: ("医疗", "看病", "药", "住院", "就医"),
    NeedKind.HOUSE_REPAIR: ("危房", "漏雨", "房屋", "修缮", "屋顶"),
}


def visit_need_kinds(visit: Visit) -> list[str]:
    """The charity needs a visit found: its checks (no heating, no warm clothing, no food, unsafe
    house), the words of its needs text, and what its follow-up is."""
    kinds: list[str] = []
    if visit.follow_up not in FOLLOW_UP_KINDS and visit.follow_up != "other":
        return kinds
    checks = {
        NeedKind.HEATING: visit.heating_ok,
        NeedKind.CLOTHING: visit.clothing_ok,
        NeedKind.FOOD: visit.food_ok,
        NeedKind.HOUSE_REPAIR: visit.house_safe,
    }
    text = f"{visit.needs} {visit.follow_up_note}"
    for kind in (NeedKind.HEATING, NeedKind.CLOTHING, NeedKind.FOOD, NeedKind.MEDICAL, NeedKind.HOUSE_REPAIR):
        if checks.get(kind) is False or any(word in text for word in KEYWORDS[kind]):
            kinds.append(kind)
    fallback = FOLLOW_UP_KINDS.get(visit.follow_up)
    if fallback and fallback != NeedKind.OTHER and fallback not in kinds:
        kinds.append(fallback)
    if not kinds and fallback == NeedKind.OTHER:
        kinds.append(NeedKind.OTHER)
    return kinds


def needs_from_visit(visit: Visit, tasks: list[Task]) -> None:
    """people.needs' listener: a visit that opened a need task charity can meet (material, housing,
    medical, or words of its needs text) gets a charity need per kind, once per cause, inside the
    visit's transaction."""
    kinds = visit_need_kinds(visit)
    if not kinds:
        return
    task = next((t for t in tasks if t.kind == visit.follow_up), None)
    description = "；".join(p for p in (visit.needs, visit.follow_up_note) if p) or str(visit)
    for kind in kinds:
        need_add(
            actor=None,
            household=visit.household,
            person=visit.person,
            kind=kind,
            description=description,
            origin=NeedOrigin.VISIT,
            cause_key=f"visit:{visit.pk}:{kind}",
            visit=visit,
            source_task=task,
        )


@dataclass(frozen=True)
class Share:
    """What one allotment line takes: money of a donation, or a quantity of one of its goods lines."""

    donation: Donation
    amount: Decimal | str | None = None
    line: DonationItem | None = None
    quantity: Decimal | str | None = None


def project_refusal(project: CharityProject, need: CharityNeed, on: datetime.date) -> str | None:
    """Why `project` cannot serve `need` on `on` (None: it can)."""
    from people.models import Assistance

    if project.state != CharityProjectState.ACTIVE:
        return _("该慈善项目已结束")
    if not project.starts_on <= on <= project.ends_on:
        return _("不在项目实施期内")
    if not need.region_id.startswith(project.region_id):
        return _("该家庭不在项目实施区划内")
    if project.need_kinds and need.kind not in project.need_kinds:
        return _("项目不覆盖此类需求")
    if (
        project.categories
        and not (
            Assistance.objects.current(on).filter(
                household_id=need.household_id, category__in=project.categories
            )
        ).exists()
    ):
        return _("该家庭不属于项目的救助类别")
    for flag in project.flags:
        if not Household.objects.filter(pk=need.household_id).with_member_flag(flag).exists():
            return _("该家庭不符合项目的人员条件")
    return None


def _delivery_task(need: CharityNeed, project: CharityProject, actor: User) -> Task:
    days = int(policy_value("charity_delivery_due_working_days", need.region_id))
    who = need.person.name if need.person_id else str(need.household)
    task, _created = task_open(
        source="charity",
        kind="charity_delivery",
        cause_key=f"charity:need:{need.pk}:deliver",
        title=_("%(who)s：慈善救助送达（%(kind)s · %(project)s）")
        % {"who": who, "kind": need.get_kind_display(), "project": project.name},
        region=need.region_id,
        assignee_region=need.region_id[:TOWNSHIP],
        due_at=due_in_working_days(days),
        subject=need,
        subject_label=who,
        detail=need.description,
        action_url=reverse("charity:deliver", args=[need.pk]),
        action_label=_("登记送达"),
        created_by=actor,
    )
    return task


@transaction.atomic
def need_assign(
    *, actor: User, need: CharityNeed, project: CharityProject, shares: list[Share]
) -> CharityNeed:
    """Assign an open need to a project with the money and/or goods of named donations: the
    donations' balances are checked and taken under row locks (never below zero: a database check
    too), the project's budget is not exceeded, and the township gets the delivery task, whose one
    tap opens the delivery form. The visit's need task, if any, is answered by the assignment."""
    _county_staff(actor, need.region_id)
    need = (
        CharityNeed.objects.select_for_update(of=("self",))
        .select_related("person", "household")
        .get(pk=need.pk)
    )
    if need.state != NeedState.OPEN:
        raise ValidationError(_("该需求已对接项目或已办结，不能重复对接"))
    project = (
        CharityProject.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=project.pk).first()
    )
    if project is None:
        raise ValidationError({"project": _("未找到该慈善项目")})
    if reason := project_refusal(project, need, timezone.localdate()):
        raise ValidationError({"project": reason})
    if not shares:
        raise ValidationError({"shares": _("请至少分配一笔捐赠资金或物资")})
    donation_ids = sorted({s.donation.pk for s in shares})
    donations = {
        d.pk: d
        for d in Donation.objects.visible_to(actor)
        .select_for_update(of=("self",))
        .filter(pk__in=donation_ids)
        .order_by("pk")
    }
    line_ids = sorted({s.line.pk for s in shares if s.line is not None})
    lines = {
        item.pk: item
        for item in DonationItem.objects.select_for_update().filter(pk__in=line_ids).order_by("pk")
    }
    money: dict[int, Decimal] = {}
    goods: dict[int, Decimal] = {}
    rows: list[Allotment] = []
    for share in shares:
        donation = donations.get(share.donation.pk)
        if donation is None:
            raise ValidationError({"shares": _("未找到该捐赠")})
        if not need.region_id.startswith(donation.region_id):
            raise ValidationError({"shares": _("该捐赠不能用于本区划的家庭")})
        if donation.project_id is not None and donation.project_id != project.pk:
            raise ValidationError(
                {"shares": _("定向捐赠“%(d)s”只能用于其定向项目") % {"d": donation.receipt_number}}
            )
        if share.line is None:
            amount = _decimal(share.amount, "amount", positive=True)
            money[donation.pk] = money.get(donation.pk, Decimal("0")) + amount
            if money[donation.pk] > donation.balance:
                raise ValidationError(
                    {
                        "amount": _("捐赠余额不足：票据 %(r)s 可分配 %(b)s 元，不能分配 %(a)s 元")
                        % {"r": donation.receipt_number, "b": donation.balance, "a": money[donation.pk]}
                    }
                )
            rows.append(Allotment(need=need, donation=donation, amount=amount, created_by=actor))
            continue
        line = lines.get(share.line.pk)
        if line is None or line.donation_id != donation.pk:
            raise ValidationError({"shares": _("该物资不属于所选捐赠")})
        quantity = _decimal(share.quantity, "quantity", positive=True)
        goods[line.pk] = goods.get(line.pk, Decimal("0")) + quantity
        if goods[line.pk] > line.remaining:
            raise ValidationError(
                {
                    "quantity": _("捐赠物资不足：%(item)s 可分配 %(have)s%(unit)s，不能分配 %(want)s%(unit)s")
                    % {
                        "item": line.name,
                        "have": f"{line.remaining.normalize():f}",
                        "want": f"{goods[line.pk].normalize():f}",
                        "unit": line.unit,
                    }
                }
            )
        value = (quantity * line.unit_value).quantize(CENT)
        rows.append(
            Allotment(
                need=need, donation=donation, line=line, quantity=quantity, value=value, created_by=actor
            )
        )
    used = Allotment.objects.live().filter(need__project=project).aggregate(m=Sum("amount"), v=Sum("value"))
    spent = (used["m"] or Decimal("0")) + (used["v"] or Decimal("0"))
    adding = sum((r.amount + r.value for r in rows), Decimal("0"))
    if spent + adding > project.budget:
        raise ValidationError(
            {
                "project": _("超出项目预算：预算 %(b)s 元，已分配 %(s)s 元，本次 %(a)s 元")
                % {"b": project.budget, "s": spent, "a": adding}
            }
        )
    for donation_id, amount in money.items():
        Donation.objects.filter(pk=donation_id).update(allotted_amount=F("allotted_amount") + amount)
    for line_id, quantity in goods.items():
        DonationItem.objects.filter(pk=line_id).update(allotted_quantity=F("allotted_quantity") + quantity)
    Allotment.objects.bulk_create(rows)
    need.state = NeedState.ASSIGNED
    need.project = project
    need.assigned_at = timezone.now()
    need.assigned_by = actor
    need.delivery_task = _delivery_task(need, project, actor)
    need.save(update_fields=["state", "project", "assigned_at", "assigned_by", "delivery_task"])
    follow(need)  # the coordinator's matching task is done
    if need.source_task_id:
        source = Task.objects.filter(pk=need.source_task_id).first()
        if source is not None and source.is_live:
            task_close_for_cause(source, _("已对接慈善项目“%(p)s”，由乡镇登记送达") % {"p": project.name})
    return need


@transaction.atomic
def need_deliver(
    *,
    actor: User,
    need: CharityNeed,
    received_by_name: str,
    delivered_on: datetime.date | None = None,
    photo: Any = None,
    note: str = "",
) -> CharityNeed:
    """Record the delivery of an assigned need (who received it, the date, an optional photo): the
    need is met and its delivery task done. A second tap changes nothing."""
    require_actor(actor, need.region_id)
    need = CharityNeed.objects.select_for_update(of=("self",)).get(pk=need.pk)
    if need.state == NeedState.DELIVERED:
        return need
    if need.state != NeedState.ASSIGNED:
        raise ValidationError(_("该需求尚未对接慈善项目或已关闭，不能登记送达"))
    received_by_name = (received_by_name or "").strip()
    if not received_by_name:
        raise ValidationError({"received_by_name": _("请填写签收人")})
    delivered_on = delivered_on or timezone.localdate()
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": _("送达日期不能晚于今天")})
    if need.assigned_at and delivered_on < timezone.localdate(need.assigned_at):
        raise ValidationError({"delivered_on": _("送达日期不能早于对接日期")})
    if photo:
        kind = check_attachment(photo)
        need.photo.save(attachment_name(kind), photo, save=False)
    need.state = NeedState.DELIVERED
    need.received_by_name = received_by_name[:50]
    need.delivered_on = delivered_on
    need.delivered_at = timezone.now()
    need.delivered_by = actor
    need.delivery_note = (note or "").strip()[:255]
    need.save()
    if need.delivery_task_id:
        task_close_for_cause(need.delivery_task, _("已送达，签收人：%(n)s") % {"n": received_by_name})
    return need


@transaction.atomic
def need_close(*, actor: User, need: CharityNeed, reason: str) -> CharityNeed:
    """Close a need not delivered (met otherwise, moved away, refused), with a reason: its allotments
    go back to the donations' balances and its delivery task is closed."""
    require_actor(actor, need.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写关闭原因")})
    need = CharityNeed.objects.select_for_update(of=("self",)).get(pk=need.pk)
    if need.state not in LIVE_NEED_STATES:
        if need.state == NeedState.CLOSED:
            return need
        raise ValidationError(_("该需求已送达，不能关闭"))
    if need.state == NeedState.ASSIGNED and county_or_above(actor):
        raise PermissionDenied(_("已对接项目的需求须由县级慈善协调人员关闭"))
    rows = list(need.allotments.live().order_by("donation_id", "line_id"))
    donation_ids = sorted({r.donation_id for r in rows})
    list(Donation.objects.select_for_update().filter(pk__in=donation_ids).order_by("pk"))
    line_ids = sorted({r.line_id for r in rows if r.line_id})
    list(DonationItem.objects.select_for_update().filter(pk__in=line_ids).order_by("pk"))
    for row in rows:
        if row.line_id:
            DonationItem.objects.filter(pk=row.line_id).update(
                allotted_quantity=F("allotted_quantity") - row.quantity
            )
        else:
            Donation.objects.filter(pk=row.donation_id).update(
                allotted_amount=F("allotted_amount") - row.amount
            )
    need.allotments.live().update(released=True)
    need.state = NeedState.CLOSED
    need.closed_reason = reason[:255]
    need.closed_at = timezone.now()
    need.closed_by = actor
    need.save(update_fields=["state", "closed_reason", "closed_at", "closed_by"])
    follow(need)
    if need.delivery_task_id:
        task_close_for_cause(need.delivery_task, _("需求已关闭：%(r)s") % {"r": reason})
    return need
