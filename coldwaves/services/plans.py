"""Writes of the emergency plans (应急预案): every one a transaction, guarded by `require_actor`.

- Plans are the county civil-affairs bureau's (county-level writers and administrators): uploading
  a new plan supersedes the county's current one (its history stays, its reserve list is carried over
  unless a new one is given); the reserve list is set line by line (a quantity of zero removes one).
- Drills are held by the county or by a township of it: county and township writers record drills
  of their county's current plan, as held by their own region. Village staff take part in drills but
  do not record them.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coldwaves.plan_models import Drill, DrillKind, EmergencyPlan, PlanReserve
from funds.models import MaterialItem
from relief.document_uploads import check_document
from relief.models import Region, User
from relief.scoping import require_actor, require_writer
from relief.uploads import attachment_name

CENT = Decimal("0.01")
COUNTY_LENGTH = 6


def _require_county_writer(actor: User, county_code: str) -> None:
    """A writer of the county itself (or an administrator): plans are the county bureau's."""
    require_writer(actor)
    if not actor.is_region_admin and len(actor.region_id or "") != COUNTY_LENGTH:
        raise PermissionDenied(_("应急预案由县（区）民政部门上传和维护"))
    require_actor(actor, county_code)


def _attach(plan: EmergencyPlan, document: Any) -> None:
    kind = check_document(document)
    plan.document.save(attachment_name(kind), document, save=False)


@transaction.atomic
def plan_create(
    *,
    actor: User,
    region: Region,
    title: str,
    document: Any,
    approved_on: datetime.date,
    valid_until: datetime.date | None = None,
    note: str = "",
    reserves: Mapping[Any, Any] | None = None,
) -> EmergencyPlan:
    """A county's newly approved plan; the plan it replaces is superseded. Without `reserves` the
    replaced plan's list is carried over."""
    _require_county_writer(actor, region.code)
    if len(region.code) != COUNTY_LENGTH:
        raise ValidationError({"region": _("应急预案须按县（区）上传")})
    if document is None:
        raise ValidationError({"document": _("请上传预案文件")})
    now = timezone.now()
    previous = EmergencyPlan.objects.select_for_update().current().filter(region=region).first()
    plan = EmergencyPlan(
        region=region,
        title=title.strip(),
        approved_on=approved_on,
        valid_until=valid_until,
        note=note,
        created_by=actor,
        created_at=now,
    )
    _attach(plan, document)
    if previous is not None:  # first, so that the new plan is the county's only current one
        previous.superseded_at = now
        previous._history_user = actor
        previous.save(update_fields=["superseded_at"])
    plan.full_clean(exclude=["superseded_by"])
    plan._history_user = actor
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:  # another upload for the county at the same moment
        raise ValidationError(_("该县（区）的预案刚被他人更新，请刷新后重试")) from None
    if previous is not None:
        previous.superseded_by = plan
        previous.save(update_fields=["superseded_by"])
        if reserves is None:
            PlanReserve.objects.bulk_create(
                [
                    PlanReserve(plan=plan, item_id=r.item_id, required=r.required)
                    for r in previous.reserves.all()
                ]
            )
    if reserves is not None:
        reserves_set(actor=actor, plan=plan, lines=reserves)
    return plan


def _lock_current(plan: EmergencyPlan) -> EmergencyPlan:
    locked = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.superseded_at is not None:
        raise ValidationError(_("该预案已被新预案替代，不能再修改"))
    return locked


@transaction.atomic
def plan_update(
    *,
    actor: User,
    plan: EmergencyPlan,
    title: str,
    approved_on: datetime.date,
    valid_until: datetime.date | None = None,
    note: str = "",
    document: Any = None,
) -> EmergencyPlan:
    """Correct the current plan's particulars, or replace its file (a corrected scan of the same
    plan; a newly approved plan is `plan_create`)."""
    _require_county_writer(actor, plan.region_id)
    plan = _lock_current(plan)
    plan.title, plan.approved_on, plan.valid_until, plan.note = title.strip(), approved_on, valid_until, note
    if document is not None:
        _attach(plan, document)
    plan.full_clean(exclude=["superseded_by"])
    plan._history_user = actor
    plan.save()
    return plan


def _required(value: Any, item: MaterialItem) -> Decimal:
    if isinstance(value, float):
        raise TypeError("quantity must be Decimal, not float")
    if value is None or str(value).strip() == "":
        return Decimal("0")
    try:
        q = Decimal(str(value).strip()).quantize(CENT)
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {f"qty_{item.pk}": _("%(item)s：数量格式不正确") % {"item": item.name}}
        ) from None
    if q < 0 or not q.is_finite():
        raise ValidationError({f"qty_{item.pk}": _("%(item)s：数量不能为负数") % {"item": item.name}})
    if q >= Decimal("1e10"):
        raise ValidationError({f"qty_{item.pk}": _("%(item)s：数量过大") % {"item": item.name}})
    return q


@transaction.atomic
def reserves_set(*, actor: User, plan: EmergencyPlan, lines: Mapping[Any, Any]) -> list[PlanReserve]:
    """Set the plan's reserve list: `lines` maps a material item (or its id) to the quantity to
    hold; a quantity of zero or blank removes the line, items not named keep theirs."""
    _require_county_writer(actor, plan.region_id)
    plan = _lock_current(plan)
    ids = {getattr(k, "pk", k) for k in lines}
    items = MaterialItem.objects.in_bulk([int(i) for i in ids])
    if len(items) != len(ids):
        raise ValidationError(_("物资品种不存在"))
    wanted = {items[int(getattr(k, "pk", k))]: v for k, v in lines.items()}
    quantities = {item: _required(value, item) for item, value in wanted.items()}
    existing = {r.item_id: r for r in plan.reserves.select_for_update()}
    for item, q in quantities.items():
        row = existing.get(item.pk)
        if q == 0:
            if row is not None:
                row.delete()
        elif row is None:
            PlanReserve.objects.create(plan=plan, item=item, required=q)
        elif row.required != q:
            row.required = q
            row.save(update_fields=["required"])
    return list(plan.reserves.select_related("item").order_by("item_id"))


@transaction.atomic
def drill_record(
    *,
    actor: User,
    plan: EmergencyPlan,
    held_on: datetime.date,
    kind: str,
    participants: int,
    participant_note: str = "",
    findings: str = "",
    follow_up: str = "",
) -> Drill:
    """A drill held on the county's current plan, by the county or by the actor's township."""
    require_writer(actor)
    plan = _lock_current(plan)
    region_code = plan.region_id if actor.is_region_admin else actor.region_id or ""
    if not actor.is_region_admin and len(region_code) == 12:
        raise PermissionDenied(_("预案演练由县（区）或乡镇（街道）组织并记录"))
    if not region_code.startswith(plan.region_id):
        raise PermissionDenied(_("该区划不在您的管辖范围内"))
    require_actor(actor, region_code)
    if kind not in DrillKind.values:
        raise ValidationError({"kind": _("请选择演练形式")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("演练日期不能晚于今天")})
    if held_on < plan.approved_on:
        raise ValidationError({"held_on": _("演练日期不能早于预案批准日期")})
    if not participants or int(participants) <= 0:
        raise ValidationError({"participants": _("请填写参加人数")})
    drill = Drill(
        plan=plan,
        region_id=region_code,
        held_on=held_on,
        kind=kind,
        participants=int(participants),
        participant_note=participant_note.strip(),
        findings=findings.strip(),
        follow_up=follow_up.strip(),
        created_by=actor,
    )
    drill.full_clean()
    drill.save()
    return drill
