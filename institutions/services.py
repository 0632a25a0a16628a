"""Every write of the institutions app: registry, inspections and the hazard state machine.

Each function is keyword-only and one transaction. A failed checklist item raises its hazard inside
the inspection's own transaction, so nothing found is lost between inspection and ledger. The hazard
steps are the workflow declared in institutions/workflows.py: each locks the row, checks scope, the
current state and who may take it, moves it and records the move in HazardTransition.
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
    Inspection,
    InspectionResult,
    Institution,
    MajorHazardCriterion,
    ResultChoice,
)
from institutions.workflows import MAJOR_HAZARD_ALERT, hazard_workflow
from relief.alerts import services as alert_services
from relief.models import Region, Severity, User
from relief.policy import MissingPolicyParameter, policy_value
from relief.scoping import in_scope, require_actor
from relief.uploads import attachment_name, check_attachment

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
    require_actor(actor, _region_code(region))
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
    institution = Institution.objects.select_for_update().get(pk=institution.pk)
    require_actor(actor, institution.region_id)
    unknown = set(changes) - set(INSTITUTION_FIELDS)
    if unknown:
        raise TypeError(f"unknown institution fields: {sorted(unknown)}")
    if "region" in changes:
        require_actor(actor, _region_code(changes["region"]))
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
    hazard_workflow.log(hazard, action=HazardAction.RAISE, actor=actor, comment=description)
    if severity == HazardSeverity.MAJOR:
        alert_services.alert_raise(
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
    require_actor(actor, institution.region_id)
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
    require_actor(actor, institution.region_id)
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
    photo_kinds = {}
    for r in results:
        if r.photo:
            try:
                photo_kinds[r.item_id] = check_attachment(r.photo)
            except ValidationError as exc:
                raise ValidationError(
                    {
                        "results": _("%(item)s 的照片：%(reason)s")
                        % {"item": items[r.item_id], "reason": exc.messages[0]}
                    }
                ) from None

    inspection = Inspection.objects.create(
        institution=institution, template=template, inspector=inspector, date=date, note=note
    )
    for r in sorted(results, key=lambda r: (items[r.item_id].section, items[r.item_id].order, r.item_id)):
        item = items[r.item_id]
        row = InspectionResult(inspection=inspection, item=item, result=r.result, note=r.note.strip())
        if r.photo:
            row.photo.save(attachment_name(photo_kinds[r.item_id]), r.photo, save=False)
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


# --- Hazards: the workflow (institutions/workflows.py) ---------------------------------------------
# Each step is one `hazard_workflow.run(...)`: the row locked, scope, state, guards and inputs checked,
# one HazardTransition written, in one transaction.


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
    return hazard_workflow.run(
        "start", actor=actor, obj=hazard, owner=owner, measures=measures, funds=funds, comment=comment
    )


def hazard_extension_request(
    *, actor: User, hazard: Hazard, new_deadline: datetime.date, reason: str
) -> Hazard:
    """rectifying → extension requested."""
    return hazard_workflow.run(
        "request_extension", actor=actor, obj=hazard, new_deadline=new_deadline, reason=reason
    )


def hazard_extension_decide(*, actor: User, hazard: Hazard, approve: bool, comment: str = "") -> Hazard:
    """extension requested → rectifying, with the new deadline if approved. Not by the applicant."""
    step = HazardAction.APPROVE_EXTENSION if approve else HazardAction.REFUSE_EXTENSION
    return hazard_workflow.run(step, actor=actor, obj=hazard, comment=comment)


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
    return hazard_workflow.run(
        "rectify",
        actor=actor,
        obj=hazard,
        evidence=evidence,
        measures=measures,
        funds=funds,
        comment=comment,
    )


def hazard_verify(*, actor: User, hazard: Hazard, passed: bool = True, comment: str = "") -> Hazard:
    """rectified → verified (or back to rectifying when the work does not pass), by a second person."""
    step = HazardAction.VERIFY if passed else HazardAction.REJECT
    return hazard_workflow.run(step, actor=actor, obj=hazard, comment=comment)


def hazard_close(*, actor: User, hazard: Hazard, comment: str = "") -> Hazard:
    """verified → closed (销号), by someone other than the owner. Resolves the major-hazard alert."""
    return hazard_workflow.run("close", actor=actor, obj=hazard, comment=comment)
