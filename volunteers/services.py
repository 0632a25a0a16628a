"""Every write of the volunteers app: register and edit a volunteer, assign them, record what they
did in their name (a visit, a street encounter, a campaign delivery, a clue), and the review of an
assignment (volunteers/workflows.py). One transaction each, keyword-only, the actor checked here.

A volunteer does not log in to record: the staff member who coordinates them enters the record
naming the volunteer ("由志愿者XX记录"), through the same services of people, patrols and campaigns
the staff use themselves, and the attribution is written in the same transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignHousehold, CampaignState, DeliveryState
from campaigns.services import delivery_record
from patrols import services as patrol_services
from patrols.models import Clue, ClueChannel, Encounter, PatrolShift
from people.id_numbers import check_id_number
from people.models import Household, Visit
from people.services import visit_record
from relief.models import Region, User
from relief.privacy import number_kind
from relief.scoping import in_scope, require_actor
from volunteers.models import (
    AssignmentKind,
    AssignmentState,
    DayPart,
    RecordKind,
    ReviewState,
    Skill,
    Volunteer,
    VolunteerAssignment,
    VolunteerKind,
    VolunteerRecord,
    Weekday,
)
from volunteers.workflows import assignment_workflow, hours_value

#: the clue channel of a volunteer's kind (patrols.ClueChannel)
CLUE_CHANNEL = {
    VolunteerKind.VOLUNTEER: ClueChannel.VOLUNTEER,
    VolunteerKind.SANITATION: ClueChannel.SANITATION,
    VolunteerKind.COURIER: ClueChannel.COURIER,
    VolunteerKind.DRIVER: ClueChannel.TAXI,
    VolunteerKind.OTHER: ClueChannel.OTHER,
}
VOLUNTEER_FIELDS = (
    "region",
    "name",
    "phone",
    "id_number",
    "kind",
    "organisation",
    "skills",
    "weekdays",
    "day_parts",
    "active",
    "user",
    "note",
)


def _choices(values: Iterable[str] | None, allowed: type, field: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in allowed.values]
    if unknown:
        raise ValidationError({field: _("未知选项：%(names)s") % {"names": "、".join(map(str, unknown))}})
    return sorted(values)


def _clean_volunteer(volunteer: Volunteer) -> None:
    """Validate a volunteer before saving: Chinese messages for what a form or a client gets wrong."""
    volunteer.name = (volunteer.name or "").strip()
    volunteer.phone = (volunteer.phone or "").strip().replace(" ", "").replace("-", "")
    volunteer.organisation = (volunteer.organisation or "").strip()
    errors: dict[str, str] = {}
    if not volunteer.name:
        errors["name"] = _("请填写姓名")
    if not volunteer.phone:
        errors["phone"] = _("请填写手机号")
    elif number_kind(volunteer.phone) != "phone":
        errors["phone"] = _("手机号格式不正确")
    if len(volunteer.region_id or "") < 6:
        errors["region"] = _("志愿者须登记到县（区）、乡镇（街道）或村（社区）")
    if volunteer.id_number:
        try:
            volunteer.id_number = check_id_number(volunteer.id_number).number
        except ValidationError as exc:
            errors["id_number"] = exc.messages[0]
    user_region = volunteer.user.region_id if volunteer.user_id else None
    if user_region and not (
        volunteer.region_id.startswith(user_region) or user_region.startswith(volunteer.region_id)
    ):
        errors["user"] = _("登录账号的管辖区划须与志愿者服务区划一致")
    if errors:
        raise ValidationError(errors)
    volunteer.skills = _choices(volunteer.skills, Skill, "skills")
    volunteer.weekdays = _choices(volunteer.weekdays, Weekday, "weekdays")
    volunteer.day_parts = _choices(volunteer.day_parts, DayPart, "day_parts")
    duplicates = Volunteer.objects.exclude(pk=volunteer.pk)
    if volunteer.id_number and duplicates.filter(id_number=volunteer.id_number).exists():
        raise ValidationError({"id_number": _("该身份证号的志愿者已登记")})
    if duplicates.filter(region_id=volunteer.region_id, phone=volunteer.phone).exists():
        raise ValidationError({"phone": _("本区划已有使用该手机号的志愿者")})
    volunteer.full_clean(exclude=["region", "user", "registered_by"], validate_constraints=False)


def _save(volunteer: Volunteer) -> None:
    try:
        with transaction.atomic():
            volunteer.save()
    except IntegrityError:  # registered concurrently
        raise ValidationError(_("该志愿者已登记（身份证号或手机号重复）")) from None


@transaction.atomic
def volunteer_register(
    *,
    actor: User,
    region: Region,
    name: str,
    phone: str,
    id_number: str = "",
    kind: str = VolunteerKind.VOLUNTEER,
    organisation: str = "",
    skills: Iterable[str] = (),
    weekdays: Iterable[str] = (),
    day_parts: Iterable[str] = (),
    user: User | None = None,
    note: str = "",
) -> Volunteer:
    """Register a volunteer serving `region` (a county, township or village in the actor's scope)."""
    require_actor(actor, region.code)
    volunteer = Volunteer(
        region=region,
        name=name,
        phone=phone,
        id_number=id_number or "",
        kind=kind,
        organisation=organisation,
        skills=list(skills),
        weekdays=list(weekdays),
        day_parts=list(day_parts),
        user=user,
        note=note,
        registered_by=actor,
    )
    _clean_volunteer(volunteer)
    _save(volunteer)
    return volunteer


@transaction.atomic
def volunteer_update(*, actor: User, volunteer: Volunteer, **changes: Any) -> Volunteer:
    """Change a volunteer's details (also `active=False`: no longer available). A changed region
    must lie in the actor's scope too."""
    volunteer = Volunteer.objects.select_for_update().get(pk=volunteer.pk)
    require_actor(actor, volunteer.region_id)
    unknown = set(changes) - set(VOLUNTEER_FIELDS)
    if unknown:
        raise TypeError(f"volunteer_update: unknown fields {sorted(unknown)}")
    for name, value in changes.items():
        setattr(volunteer, name, value if value is not None or name == "user" else getattr(volunteer, name))
    if "region" in changes:
        require_actor(actor, volunteer.region_id)
    _clean_volunteer(volunteer)
    _save(volunteer)
    return volunteer


# --- assignments ----------------------------------------------------------------------------------


def _work_region(
    shift: PatrolShift | None, household: Household | None, campaign: Campaign | None, village: Region | None
) -> tuple[str, str]:
    """(kind, region code) of the work an assignment names: exactly one of them."""
    if sum(x is not None for x in (shift, household, campaign)) != 1:
        raise ValidationError(_("请选择巡查班次、探访家庭或集中慰问中的一项"))
    if shift is not None:
        return AssignmentKind.PATROL, shift.region_id
    if household is not None:
        return AssignmentKind.VISIT, household.region_id
    if village is None:
        raise ValidationError({"village": _("请选择配送的村（社区）或乡镇（街道）")})
    if not village.code.startswith(campaign.region_id) or len(village.code) < 9:
        raise ValidationError({"village": _("配送区域须为本次慰问范围内的乡镇（街道）或村（社区）")})
    if campaign.state in (CampaignState.DRAFT, CampaignState.CLOSED):
        raise ValidationError({"campaign": _("该集中慰问未在进行中，不能安排配送")})
    return AssignmentKind.DELIVERY, village.code


@transaction.atomic
def assignment_create(
    *,
    actor: User,
    volunteer: Volunteer,
    planned_hours: Decimal | str,
    date: datetime.date | None = None,
    shift: PatrolShift | None = None,
    household: Household | None = None,
    campaign: Campaign | None = None,
    village: Region | None = None,
    note: str = "",
) -> VolunteerAssignment:
    """Send a volunteer to a patrol shift, a planned visit to a household (on `date`), or a
    campaign's deliveries in one village (on `date`). The work must be in the actor's region and in
    the volunteer's county; a volunteer is never twice on the same work."""
    kind, region = _work_region(shift, household, campaign, village)
    require_actor(actor, region)
    volunteer = Volunteer.objects.visible_to(actor).filter(pk=volunteer.pk).first()
    if volunteer is None:
        raise PermissionDenied(_("该志愿者不在您的管辖范围内"))
    if not volunteer.active:
        raise ValidationError({"volunteer": _("该志愿者已不在册，不能安排任务")})
    if volunteer.region_id[:6] != region[:6]:
        raise ValidationError({"volunteer": _("只能安排在本县（区）服务的志愿者")})
    if shift is not None:
        date = date or timezone.localtime(shift.started_at).date()
    if date is None:
        raise ValidationError({"date": _("请填写服务日期")})
    assignment = VolunteerAssignment(
        volunteer=volunteer,
        region_id=region,
        kind=kind,
        shift=shift,
        household=household,
        campaign=campaign,
        date=date,
        planned_hours=hours_value(planned_hours, "planned_hours"),
        note=(note or "").strip()[:255],
        created_by=actor,
    )
    try:
        with transaction.atomic():
            assignment.save()
    except IntegrityError:
        raise ValidationError(_("该志愿者已安排了这项任务")) from None
    assignment_workflow.log(assignment, action="assign", actor=actor, comment=_("安排任务"))
    return assignment


def assignment_complete(
    *, actor: User, assignment: VolunteerAssignment, actual_hours: Decimal | str, comment: str = ""
) -> VolunteerAssignment:
    """The work is done, with the hours it took: it waits for the review (a task for the reviewer)."""
    return assignment_workflow.run(
        "complete", actor=actor, obj=assignment, actual_hours=actual_hours, comment=comment
    )


def assignment_accept(
    *, actor: User, assignment: VolunteerAssignment, comment: str = ""
) -> VolunteerAssignment:
    """Reviewed and accepted: the hours count, the records made on it are accepted."""
    return assignment_workflow.run("accept", actor=actor, obj=assignment, comment=comment)


def assignment_send_back(
    *, actor: User, assignment: VolunteerAssignment, comment: str
) -> VolunteerAssignment:
    """Sent back with the reviewer's comment: corrected, then completed again."""
    return assignment_workflow.run("send_back", actor=actor, obj=assignment, comment=comment)


def assignment_cancel(*, actor: User, assignment: VolunteerAssignment, comment: str) -> VolunteerAssignment:
    return assignment_workflow.run("cancel", actor=actor, obj=assignment, comment=comment)


# --- records made in a volunteer's name -------------------------------------------------------------


def _open_assignment(actor: User, assignment: VolunteerAssignment, kind: str) -> VolunteerAssignment:
    """The assignment locked, for adding a record to it: in the actor's region, of the right kind,
    and not yet completed (a completed one is under review: send it back first)."""
    require_actor(actor, assignment.region_id)
    locked = (
        VolunteerAssignment.objects.select_for_update(of=("self",))
        .select_related("volunteer")
        .get(pk=assignment.pk)
    )
    if locked.kind != kind:
        raise ValidationError(
            _("这是一项“%(kind)s”任务，不能登记这类记录") % {"kind": locked.get_kind_display()}
        )
    if locked.state not in (AssignmentState.ASSIGNED, AssignmentState.RETURNED):
        raise ValidationError(
            _("该安排当前为“%(state)s”，不能再添加记录") % {"state": locked.get_state_display()}
        )
    return locked


def _attribute(
    actor: User, assignment: VolunteerAssignment | None, volunteer: Volunteer, kind: str, obj
) -> VolunteerRecord:
    return VolunteerRecord.objects.create(
        volunteer=volunteer,
        assignment=assignment,
        region_id=obj.region_id,
        kind=kind,
        review_state=ReviewState.PENDING if assignment is not None else ReviewState.BY_CLUE,
        recorded_by=actor,
        **{kind: obj},
    )


@transaction.atomic
def record_visit(*, actor: User, assignment: VolunteerAssignment, **visit: Any) -> Visit:
    """A visit made by the volunteer of a visit assignment to its household (people.visit_record:
    the same checks, needs and next visit due as any visit), attributed to the volunteer."""
    assignment = _open_assignment(actor, assignment, AssignmentKind.VISIT)
    household = Household.objects.get(pk=assignment.household_id)
    done = visit_record(actor=actor, household=household, **visit)
    _attribute(actor, assignment, assignment.volunteer, RecordKind.VISIT, done)
    return done


@transaction.atomic
def record_encounter(*, actor: User, assignment: VolunteerAssignment, **encounter: Any) -> Encounter:
    """A person met on the street by the volunteer during the assignment's patrol shift
    (patrols.encounter_record), attributed to the volunteer."""
    assignment = _open_assignment(actor, assignment, AssignmentKind.PATROL)
    shift = PatrolShift.objects.get(pk=assignment.shift_id)
    done = patrol_services.encounter_record(actor=actor, shift=shift, **encounter)
    _attribute(actor, assignment, assignment.volunteer, RecordKind.ENCOUNTER, done)
    return done


@transaction.atomic
def record_delivery(
    *,
    actor: User,
    assignment: VolunteerAssignment,
    entry: CampaignHousehold,
    outcome: str,
    received_by_name: str = "",
    note: str = "",
    photo: Any = None,
) -> CampaignHousehold:
    """A campaign delivery made by the volunteer (campaigns.delivery_record: goods from stock, one
    tap), attributed to them. A household already delivered stays as it was and is not theirs."""
    assignment = _open_assignment(actor, assignment, AssignmentKind.DELIVERY)
    if entry.campaign_id != assignment.campaign_id or not entry.region_id.startswith(assignment.region_id):
        raise ValidationError(_("该户不在这项配送任务的范围内"))
    # the row locked before it is read: a second volunteer's tap waits, then finds it delivered and
    # leaves the first one's record alone
    before = CampaignHousehold.objects.select_for_update().values_list("state", flat=True).get(pk=entry.pk)
    done = delivery_record(
        actor=actor, entry=entry, outcome=outcome, received_by_name=received_by_name, note=note, photo=photo
    )
    if before != DeliveryState.DELIVERED:
        VolunteerRecord.objects.filter(delivery=done).delete()  # declined first, delivered on a second call
        _attribute(actor, assignment, assignment.volunteer, RecordKind.DELIVERY, done)
    return done


@transaction.atomic
def clue_report(
    *,
    actor: User,
    volunteer: Volunteer,
    place: str,
    description: str = "",
    reported_at: datetime.datetime | None = None,
    region: Region | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Clue:
    """A clue reported by a volunteer (a sanitation worker, a courier, a driver…), taken down by a
    staff member: it enters the patrols clue loop (dispatch, respond, outcome) with the volunteer as
    reporter and the channel of their kind, and is attributed to them."""
    if region is None:  # where the volunteer serves, or the actor's own region when that is narrower
        region = volunteer.region if in_scope(actor, volunteer.region_id) else actor.region
    require_actor(actor, getattr(region, "code", None))
    if not Volunteer.objects.visible_to(actor).filter(pk=volunteer.pk).exists():
        raise PermissionDenied(_("该志愿者不在您的管辖范围内"))
    if region.code[:6] != volunteer.region_id[:6]:
        raise ValidationError({"region": _("线索地点须在志愿者服务的县（区）内")})
    if not (place or "").strip():
        raise ValidationError({"place": _("请填写地点")})
    clue = patrol_services.clue_report(
        actor=actor,
        region=region,
        channel=CLUE_CHANNEL.get(volunteer.kind, ClueChannel.OTHER),
        place=place.strip(),
        reported_at=reported_at,
        reporter_name=volunteer.name,
        reporter_phone=volunteer.phone,
        description=description,
        latitude=latitude,
        longitude=longitude,
    )
    _attribute(actor, None, volunteer, RecordKind.CLUE, clue)
    return clue
