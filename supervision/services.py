"""Every write of 督查: a trip made with the regions it visits, a finding recorded (given to its
region at once when the trip has already issued its findings), and the steps of the declared
workflows (supervision/workflows.py), each one transaction."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from relief.models import Region, Task, User
from relief.scoping import in_scope
from relief.uploads import attachment_name, check_attachment
from supervision import rectification
from supervision.models import (
    Area,
    Finding,
    FindingEvent,
    FindingState,
    Severity,
    SupervisionTrip,
    TripEvent,
    TripRegion,
    TripState,
)
from supervision.workflows import (
    SUPERVISOR_ROLES,
    finding_workflow,
    issue_finding,
    supervisor_refusal,
    trip_workflow,
)


def may_organise(user) -> bool:
    """May `user` make a trip (county, city or province staff, or an administrator)?"""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (user.is_region_admin or (user.role in SUPERVISOR_ROLES and user.region_id))
    )


def _code(region: Region | str | None) -> str:
    return region.code if isinstance(region, Region) else (region or "")


@transaction.atomic
def trip_create(
    *,
    actor: User,
    title: str,
    leader: str,
    planned_start: datetime.date,
    planned_end: datetime.date,
    regions: list[Region | str],
    members: str = "",
    region: Region | str | None = None,
) -> SupervisionTrip:
    """A supervision trip of the actor's body (an administrator names the supervising region) to
    one or more regions below it."""
    if not may_organise(actor):
        raise PermissionDenied(_("督查须由县级及以上民政部门组织"))
    code = actor.region_id if not actor.is_region_admin else _code(region)
    if actor.is_region_admin and region is None:
        raise ValidationError({"region": _("请选择督查单位所在区划")})
    if not Region.objects.filter(code=code).exists():
        raise ValidationError({"region": _("督查单位所在区划不存在")})
    if not in_scope(actor, code):
        raise PermissionDenied(_("该区划不在您的管辖范围内"))
    errors: dict[str, Any] = {}
    title, leader = (title or "").strip(), (leader or "").strip()
    if not title:
        errors["title"] = _("请填写督查名称")
    if not leader:
        errors["leader"] = _("请填写带队领导")
    if planned_start and planned_end and planned_end < planned_start:
        errors["planned_end"] = _("计划结束日期不能早于开始日期")
    visited = sorted({_code(r) for r in regions or [] if _code(r)})
    if not visited:
        errors["regions"] = _("请至少选择一个被督查地区")
    elif any(not (c.startswith(code) and len(c) > len(code)) for c in visited):
        errors["regions"] = _("被督查地区必须是督查单位辖区内的下级区划")
    elif Region.objects.filter(code__in=visited).count() != len(visited):
        errors["regions"] = _("被督查地区不存在")
    if errors:
        raise ValidationError(errors)
    trip = SupervisionTrip(
        region_id=code,
        title=title[:120],
        leader=leader[:60],
        members=(members or "").strip(),
        planned_start=planned_start,
        planned_end=planned_end,
        created_by=actor,
    )
    trip.full_clean()
    trip.save()
    TripRegion.objects.bulk_create([TripRegion(trip=trip, region_id=c) for c in visited])
    trip_workflow.log(trip, action="created", actor=actor, comment=title)
    return trip


def _link_in_region(obj, region_code: str, label: str) -> None:
    if obj is not None and not (_code(getattr(obj, "region_id", "")) or "").startswith(region_code):
        raise ValidationError({label: _("关联的记录不在被督查地区")})


@transaction.atomic
def finding_add(
    *,
    actor: User,
    trip: SupervisionTrip,
    region: Region | str,
    area: str,
    text: str,
    severity: str = Severity.GENERAL,
    requirement: str = "",
    household=None,
    institution=None,
    hazard=None,
    figure_name: str = "",
    figure_value: str = "",
    photo=None,
    working_days: int | None = None,
) -> Finding:
    """Record what the trip found in a region it visits. Once the trip has issued its findings, a
    new one goes to its region at once (a task with its deadline)."""
    trip = trip_workflow.lock(trip)
    if message := supervisor_refusal(actor, trip):
        raise PermissionDenied(message)
    if trip.state not in (TripState.IN_PROGRESS, TripState.ISSUED):
        raise ValidationError(_("督查开始后、结束前才能记录发现的问题"))
    code = _code(region)
    visits = list(trip.visits.values_list("region_id", flat=True))
    errors: dict[str, Any] = {}
    if not any(code.startswith(v) for v in visits):
        errors["region"] = _("问题所在地区必须是本次督查的被督查地区")
    if area not in Area.values:
        errors["area"] = _("请选择督查事项")
    if severity not in Severity.values:
        errors["severity"] = _("请选择问题等级")
    text = (text or "").strip()
    if not text:
        errors["text"] = _("请填写发现的问题")
    figure_name, figure_value = (figure_name or "").strip(), (figure_value or "").strip()
    if figure_value and not figure_name:
        errors["figure_name"] = _("请填写数据指标的名称")
    links = [x for x in (household, institution, hazard, figure_name or None) if x is not None]
    if len(links) > 1:
        errors["household"] = _("一条问题只能关联一个家庭、机构、隐患或数据指标")
    if working_days is not None and not 1 <= int(working_days) <= 60:
        errors["working_days"] = _("整改时限应为1至60个工作日")
    if errors:
        raise ValidationError(errors)
    _link_in_region(household, code, "household")
    _link_in_region(institution, code, "institution")
    if hazard is not None and not hazard.institution.region_id.startswith(code):
        raise ValidationError({"hazard": _("关联的记录不在被督查地区")})
    finding = Finding(
        trip=trip,
        region_id=code,
        area=area,
        severity=severity,
        text=text,
        requirement=(requirement or "").strip(),
        household=household,
        institution=institution,
        hazard=hazard,
        figure_name=figure_name[:100],
        figure_value=figure_value[:60],
        working_days=working_days,
        created_by=actor,
    )
    if photo:
        try:
            kind = check_attachment(photo)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages}) from None
        finding.photo.save(attachment_name(kind), photo, save=False)
    finding.save()
    finding_workflow.log(finding, action="created", actor=actor, comment=text[:200])
    if trip.state == TripState.ISSUED:
        issue_finding(finding, actor=actor)
        finding.refresh_from_db()
    return finding


# --- the declared steps --------------------------------------------------------------------------


def trip_start(
    *, actor: User, trip: SupervisionTrip, actual_start: datetime.date | None = None
) -> SupervisionTrip:
    return trip_workflow.run("start", actor=actor, obj=trip, actual_start=actual_start)


def trip_issue(*, actor: User, trip: SupervisionTrip, comment: str = "") -> SupervisionTrip:
    return trip_workflow.run("issue", actor=actor, obj=trip, comment=comment)


def trip_close(*, actor: User, trip: SupervisionTrip, comment: str = "") -> SupervisionTrip:
    return trip_workflow.run("close", actor=actor, obj=trip, comment=comment)


def finding_answer(*, actor: User, finding: Finding, comment: str, evidence=None) -> Finding:
    return finding_workflow.run("answer", actor=actor, obj=finding, comment=comment, evidence=evidence)


def finding_accept(*, actor: User, finding: Finding, comment: str = "") -> Finding:
    return finding_workflow.run("accept", actor=actor, obj=finding, comment=comment)


def finding_send_back(
    *, actor: User, finding: Finding, comment: str, working_days: int | None = None
) -> Finding:
    return finding_workflow.run(
        "send_back", actor=actor, obj=finding, comment=comment, working_days=working_days
    )


# --- the nightly safety net ----------------------------------------------------------------------


def finding_tasks_sync() -> int:
    """Every finding waiting for someone has its live task: a rectification task ticked off by hand
    on the task list while the finding still waits for its answer comes back (with its clock), as
    does an acceptance task. Returns the number of tasks reopened or made."""
    n = 0
    waiting = Finding.objects.filter(state__in=(FindingState.OPEN, FindingState.ANSWERED)).select_related(
        "trip", "region"
    )
    for finding in waiting.iterator(chunk_size=500):
        key = (
            rectification.rectify_key(finding)
            if finding.state == FindingState.OPEN
            else rectification.review_key(finding)
        )
        if Task.objects.live().filter(cause_key=key).exists():
            continue
        with transaction.atomic():
            if finding.state == FindingState.OPEN:
                rectification.rectify_task_open(finding, actor=None)
            else:
                rectification.review_task_open(finding, actor=None)
        n += 1
    return n


__all__ = [
    "FindingEvent",
    "TripEvent",
    "finding_accept",
    "finding_add",
    "finding_answer",
    "finding_send_back",
    "finding_tasks_sync",
    "may_organise",
    "trip_close",
    "trip_create",
    "trip_issue",
    "trip_start",
]
