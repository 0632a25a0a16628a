"""Every write of the institutions app: registry, inspections and the hazard state machine.

Each function is keyword-only and one transaction. A failed checklist item raises its hazard inside
the inspection's own transaction, so nothing found is lost between inspection and ledger. Hazard
transitions lock the row (`select_for_update`), check the current state, move it and record the move
in HazardTransition (who, when, comment).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from institutions.models import (
    ChecklistTemplate,
    Hazard,
    HazardAction,
    HazardSeverity,
    HazardState,
    HazardTransition,
    Inspection,
    InspectionResult,
    Institution,
    MajorHazardCriterion,
    ResultChoice,
)
from relief import services as relief_services
from relief.models import Alert, Region, Severity, User
from relief.policy import MissingPolicyParameter, policy_value
from relief.scoping import in_scope, require_in_scope, require_writer

MAJOR_HAZARD_ALERT = "institutions.major_hazard"

# --- Registry ------------------------------------------------------------------------------------

INSTITUTION_FIELDS = (
    "name",
    "type",
    "operator",
    "region",
    "address",
    "capacity",
    "residents",
    "nursing_beds",
    "heating_type",
    "contact_name",
    "contact_phone",
    "emergency_contacts",
    "is_active",
)


def _region_code(region: Region | str | None) -> str | None:
    return region.code if isinstance(region, Region) else region


@transaction.atomic
def institution_create(*, actor: User, name: str, type: str, region: Region, **fields: Any) -> Institution:
    """Register an institution in a region inside the actor's scope."""
    require_writer(actor)
    require_in_scope(actor, _region_code(region))
    unknown = set(fields) - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown institution fields: {sorted(unknown)}")
    institution = Institution(name=name, type=type, region=region, **fields)
    institution.full_clean()
    institution.save()
    return institution


@transaction.atomic
def institution_update(*, actor: User, institution: Institution, **changes: Any) -> Institution:
    """Change registry fields. Moving an institution needs both regions to be in the actor's scope."""
    require_writer(actor)
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    require_in_scope(actor, institution.region_id)
    unknown = set(changes) - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown institution fields: {sorted(unknown)}")
    if "region" in changes:
        require_in_scope(actor, _region_code(changes["region"]))
    for key, value in changes.items():
        setattr(institution, key, value)
    institution.full_clean()
    institution.save()
    return institution


# --- Hazards: raising ------------------------------------------------------------------------------


def hazard_deadline(*, severity: str, region_code: str, found_on: datetime.date) -> datetime.date:
    """The rectification deadline for a hazard found on `found_on`, from the region's policy."""
    key = "hazard_deadline_major_days" if severity == HazardSeverity.MAJOR else "hazard_deadline_general_days"
    try:
        days = policy_value(key, region_code, on=found_on)
    except MissingPolicyParameter as exc:
        raise ValidationError(str(exc)) from exc
    return found_on + datetime.timedelta(days=int(days))


def _hazard_create(
    *,
    actor: User,
    institution: Institution,
    title: str,
    severity: str,
    found_on: datetime.date,
    description: str = "",
    criteria: Iterable[MajorHazardCriterion] = (),
    inspection: Inspection | None = None,
    result: InspectionResult | None = None,
) -> Hazard:
    if severity not in HazardSeverity.values:
        raise ValidationError({"severity": _("隐患等级只能是“一般”或“重大”")})
    hazard = Hazard(
        institution=institution,
        inspection=inspection,
        result=result,
        title=title.strip(),
        description=description,
        severity=severity,
        found_on=found_on,
        deadline=hazard_deadline(severity=severity, region_code=institution.region_id, found_on=found_on),
        created_by=actor,
    )
    hazard.full_clean(exclude=["criteria"])
    hazard._change_reason = str(HazardAction.RAISE.label)
    hazard.save()
    criteria = list(criteria)
    if criteria:
        hazard.criteria.set(criteria)
    HazardTransition.objects.create(
        hazard=hazard,
        action=HazardAction.RAISE,
        from_state="",
        to_state=HazardState.OPEN,
        actor=actor,
        comment=description,
    )
    if severity == HazardSeverity.MAJOR:
        relief_services.alert_raise(
            kind=MAJOR_HAZARD_ALERT,
            dedup_key=f"{MAJOR_HAZARD_ALERT}:{hazard.pk}",
            message=_("%(institution)s 发现重大安全隐患：%(title)s，整改期限 %(deadline)s")
            % {"institution": institution.name, "title": hazard.title, "deadline": hazard.deadline},
            region=institution.region_id,
            severity=Severity.URGENT,
            due_at=timezone.make_aware(datetime.datetime.combine(hazard.deadline, datetime.time(23, 59))),
            subject=hazard,
            subject_label=str(hazard),
        )
    return hazard


@transaction.atomic
def hazard_raise(
    *,
    actor: User,
    institution: Institution,
    title: str,
    severity: str,
    description: str = "",
    criteria: Iterable[MajorHazardCriterion] = (),
    found_on: datetime.date | None = None,
) -> Hazard:
    """Record a hazard found outside a checklist inspection (a report, a spot check)."""
    require_writer(actor)
    require_in_scope(actor, institution.region_id)
    if not title.strip():
        raise ValidationError({"title": _("请填写隐患内容")})
    found_on = found_on or timezone.localdate()
    if found_on > timezone.localdate():
        raise ValidationError({"found_on": _("发现日期不能晚于今天")})
    return _hazard_create(
        actor=actor,
        institution=institution,
        title=title,
        severity=severity,
        found_on=found_on,
        description=description,
        criteria=criteria,
    )


# --- Inspections -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultInput:
    """One checklist item's result as entered. `severity` overrides the item's default for a failure."""

    item_id: int
    result: str
    note: str = ""
    photo: File | None = None
    severity: str | None = None


@transaction.atomic
def inspection_record(
    *,
    actor: User,
    institution: Institution,
    template: ChecklistTemplate,
    results: Sequence[ResultInput],
    date: datetime.date | None = None,
    inspector: User | None = None,
    note: str = "",
) -> Inspection:
    """Record an inspection with a result for every item of its checklist. Each failed item raises
    its hazard in this same transaction: either all of it is saved, or none."""
    require_writer(actor)
    require_in_scope(actor, institution.region_id)
    inspector = inspector or actor
    date = date or timezone.localdate()
    if date > timezone.localdate():
        raise ValidationError({"date": _("检查日期不能晚于今天")})
    if inspector.pk != actor.pk and not in_scope(inspector, institution.region_id):
        raise ValidationError({"inspector": _("检查人必须是该机构所在区划的工作人员")})
    if not template.is_active:
        raise ValidationError({"template": _("该检查清单已停用，请选用启用中的清单")})
    items = {item.pk: item for item in template.items.all()}
    given = [r.item_id for r in results]
    if len(given) != len(set(given)):
        raise ValidationError({"results": _("同一检查项只能填写一个结果")})
    if set(given) - set(items):
        raise ValidationError({"results": _("检查结果中有不属于该清单的检查项")})
    missing = [items[pk] for pk in items if pk not in set(given)]
    if missing:
        raise ValidationError(
            {
                "results": _("还有 %(n)d 项未填写检查结果，例如：%(item)s")
                % {"n": len(missing), "item": missing[0]}
            }
        )
    for r in results:
        if r.result not in ResultChoice.values:
            raise ValidationError({"results": _("检查结果只能是合格、不合格或不适用")})
        if r.result == ResultChoice.FAIL and not r.note.strip():
            raise ValidationError(
                {"results": _("不合格项须填写情况说明：%(item)s") % {"item": items[r.item_id]}}
            )
        if r.severity and r.severity not in HazardSeverity.values:
            raise ValidationError({"results": _("隐患等级只能是“一般”或“重大”")})

    inspection = Inspection.objects.create(
        institution=institution, template=template, inspector=inspector, date=date, note=note
    )
    for r in sorted(results, key=lambda r: (items[r.item_id].section, items[r.item_id].order, r.item_id)):
        item = items[r.item_id]
        row = InspectionResult(inspection=inspection, item=item, result=r.result, note=r.note.strip())
        if r.photo:
            row.photo.save(getattr(r.photo, "name", "photo") or "photo", r.photo, save=False)
        row.save()
        if r.result == ResultChoice.FAIL:
            _hazard_create(
                actor=actor,
                institution=institution,
                title=item.text,
                severity=r.severity or item.default_severity,
                found_on=date,
                description=row.note,
                inspection=inspection,
                result=row,
            )
    return inspection


# --- Hazards: the state machine ------------------------------------------------------------------


def _lock(*, actor: User, hazard: Hazard, allowed: Sequence[str], action: HazardAction) -> Hazard:
    """Lock the hazard's row, check scope and the current state (read again under the lock)."""
    require_writer(actor)
    locked = Hazard.objects.select_for_update(of=("self",)).select_related("institution").get(pk=hazard.pk)
    require_in_scope(actor, locked.institution.region_id)
    if locked.state not in allowed:
        raise ValidationError(
            _("隐患当前状态为“%(state)s”，不能执行“%(action)s”")
            % {"state": locked.get_state_display(), "action": action.label}
        )
    return locked


def _move(
    *, actor: User, hazard: Hazard, to_state: str, action: HazardAction, comment: str, fields: Sequence[str]
) -> Hazard:
    from_state = hazard.state
    hazard.state = to_state
    hazard._change_reason = f"{action.label}：{comment}" if comment else str(action.label)
    hazard.save(update_fields=["state", "updated_at", *fields])
    HazardTransition.objects.create(
        hazard=hazard, action=action, from_state=from_state, to_state=to_state, actor=actor, comment=comment
    )
    return hazard


def _not_owner(actor: User, hazard: Hazard, message: str) -> None:
    if hazard.owner_id is not None and hazard.owner_id == actor.pk:
        raise ValidationError(message)


@transaction.atomic
def hazard_start(
    *,
    actor: User,
    hazard: Hazard,
    owner: User,
    measures: str,
    funds: Decimal = Decimal("0"),
    comment: str = "",
) -> Hazard:
    """open → rectifying: name the person responsible, the measures and the funds."""
    hazard = _lock(actor=actor, hazard=hazard, allowed=[HazardState.OPEN], action=HazardAction.START)
    if not (owner.is_active and owner.can_write and in_scope(owner, hazard.institution.region_id)):
        raise ValidationError({"owner": _("整改责任人必须是该机构所在区划内可办理业务的工作人员")})
    if not measures.strip():
        raise ValidationError({"measures": _("请填写整改措施")})
    if funds is None or funds < 0:
        raise ValidationError({"funds": _("整改资金不能为负数")})
    hazard.owner, hazard.measures, hazard.funds = owner, measures.strip(), funds
    return _move(
        actor=actor,
        hazard=hazard,
        to_state=HazardState.RECTIFYING,
        action=HazardAction.START,
        comment=comment,
        fields=["owner", "measures", "funds"],
    )


@transaction.atomic
def hazard_extension_request(
    *, actor: User, hazard: Hazard, new_deadline: datetime.date, reason: str
) -> Hazard:
    """rectifying → extension requested."""
    hazard = _lock(
        actor=actor, hazard=hazard, allowed=[HazardState.RECTIFYING], action=HazardAction.REQUEST_EXTENSION
    )
    if not reason.strip():
        raise ValidationError({"reason": _("请填写延期理由")})
    if new_deadline <= hazard.deadline:
        raise ValidationError({"new_deadline": _("延期后的期限必须晚于当前整改期限")})
    hazard.extension_deadline, hazard.extension_reason = new_deadline, reason.strip()
    hazard.extension_requested_by = actor
    return _move(
        actor=actor,
        hazard=hazard,
        to_state=HazardState.EXTENSION_REQUESTED,
        action=HazardAction.REQUEST_EXTENSION,
        comment=_("申请延期至 %(date)s：%(reason)s") % {"date": new_deadline, "reason": reason.strip()},
        fields=["extension_deadline", "extension_reason", "extension_requested_by"],
    )


@transaction.atomic
def hazard_extension_decide(*, actor: User, hazard: Hazard, approve: bool, comment: str = "") -> Hazard:
    """extension requested → rectifying, with the new deadline if approved. Not by the applicant."""
    action = HazardAction.APPROVE_EXTENSION if approve else HazardAction.REFUSE_EXTENSION
    hazard = _lock(actor=actor, hazard=hazard, allowed=[HazardState.EXTENSION_REQUESTED], action=action)
    if hazard.extension_requested_by_id == actor.pk:
        raise ValidationError(_("延期申请须由申请人以外的人员审批"))
    if not approve and not comment.strip():
        raise ValidationError({"comment": _("不予延期须说明理由")})
    fields = ["extension_deadline", "extension_reason", "extension_requested_by"]
    if approve:
        comment = (
            _("整改期限由 %(old)s 延至 %(new)s") % {"old": hazard.deadline, "new": hazard.extension_deadline}
        ) + (f"；{comment.strip()}" if comment.strip() else "")
        hazard.deadline = hazard.extension_deadline
        fields.append("deadline")
    hazard.extension_deadline, hazard.extension_reason, hazard.extension_requested_by = None, "", None
    return _move(
        actor=actor,
        hazard=hazard,
        to_state=HazardState.RECTIFYING,
        action=action,
        comment=comment,
        fields=fields,
    )


@transaction.atomic
def hazard_rectify(
    *,
    actor: User,
    hazard: Hazard,
    evidence: File | None = None,
    measures: str | None = None,
    funds: Decimal | None = None,
    comment: str = "",
) -> Hazard:
    """rectifying → rectified, with evidence (photo or document) of the work done."""
    hazard = _lock(actor=actor, hazard=hazard, allowed=[HazardState.RECTIFYING], action=HazardAction.RECTIFY)
    if not evidence and not hazard.evidence:
        raise ValidationError({"evidence": _("请上传整改佐证材料（照片或文件）")})
    fields = []
    if evidence:
        hazard.evidence.save(getattr(evidence, "name", "evidence") or "evidence", evidence, save=False)
        fields.append("evidence")
    if measures is not None and measures.strip():
        hazard.measures = measures.strip()
        fields.append("measures")
    if funds is not None:
        if funds < 0:
            raise ValidationError({"funds": _("整改资金不能为负数")})
        hazard.funds = funds
        fields.append("funds")
    return _move(
        actor=actor,
        hazard=hazard,
        to_state=HazardState.RECTIFIED,
        action=HazardAction.RECTIFY,
        comment=comment,
        fields=fields,
    )


@transaction.atomic
def hazard_verify(*, actor: User, hazard: Hazard, passed: bool = True, comment: str = "") -> Hazard:
    """rectified → verified (or back to rectifying when the work does not pass), by a second person."""
    action = HazardAction.VERIFY if passed else HazardAction.REJECT
    hazard = _lock(actor=actor, hazard=hazard, allowed=[HazardState.RECTIFIED], action=action)
    _not_owner(actor, hazard, _("验收须由整改责任人以外的人员进行"))
    if passed:
        hazard.verified_by, hazard.verified_at = actor, timezone.now()
        return _move(
            actor=actor,
            hazard=hazard,
            to_state=HazardState.VERIFIED,
            action=action,
            comment=comment,
            fields=["verified_by", "verified_at"],
        )
    if not comment.strip():
        raise ValidationError({"comment": _("验收不通过须说明原因")})
    return _move(
        actor=actor, hazard=hazard, to_state=HazardState.RECTIFYING, action=action, comment=comment, fields=[]
    )


@transaction.atomic
def hazard_close(*, actor: User, hazard: Hazard, comment: str = "") -> Hazard:
    """verified → closed (销号), by someone other than the owner. Resolves the major-hazard alert."""
    hazard = _lock(actor=actor, hazard=hazard, allowed=[HazardState.VERIFIED], action=HazardAction.CLOSE)
    _not_owner(actor, hazard, _("销号须由整改责任人以外的人员进行"))
    hazard.closed_by, hazard.closed_at = actor, timezone.now()
    hazard = _move(
        actor=actor,
        hazard=hazard,
        to_state=HazardState.CLOSED,
        action=HazardAction.CLOSE,
        comment=comment,
        fields=["closed_by", "closed_at"],
    )
    for alert in Alert.objects.unresolved().filter(dedup_key=f"{MAJOR_HAZARD_ALERT}:{hazard.pk}"):
        relief_services.alert_resolve(actor=None, alert=alert, note=_("隐患已整改销号"))
    return hazard


# The actions a page or API offers, by current state (a service still checks under its lock).
ACTIONS_BY_STATE: dict[str, list[HazardAction]] = {
    HazardState.OPEN: [HazardAction.START],
    HazardState.RECTIFYING: [HazardAction.RECTIFY, HazardAction.REQUEST_EXTENSION],
    HazardState.EXTENSION_REQUESTED: [HazardAction.APPROVE_EXTENSION, HazardAction.REFUSE_EXTENSION],
    HazardState.RECTIFIED: [HazardAction.VERIFY, HazardAction.REJECT],
    HazardState.VERIFIED: [HazardAction.CLOSE],
    HazardState.CLOSED: [],
}
