"""值班值守: the duty roster and the hotline log. A call about someone on the street becomes a patrol
clue in one step (patrols.services.clue_report, channel 救助热线), linked both ways."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coldwaves.duty_models import CallKind, DutyRole, DutyShift, HotlineCall
from people.models import Household
from relief.models import Region, User
from relief.scoping import require_actor

#: a duty shift is at most a day long (a 24-hour duty is a day's roster, 带班 and 值班)
LONGEST_SHIFT = datetime.timedelta(hours=24)


def _desk(region: Region) -> None:
    if len(region.code) not in (6, 9):
        raise ValidationError({"region": _("值班安排到县（区）或乡镇（街道）")})


@transaction.atomic
def duty_shift_add(
    *,
    actor: User,
    region: Region,
    name: str,
    phone: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    role: str = DutyRole.OFFICER,
    user: User | None = None,
    note: str = "",
) -> DutyShift:
    require_actor(actor, region.code)
    _desk(region)
    if role not in DutyRole.values:
        raise ValidationError({"role": _("请选择值班岗位")})
    if not name.strip() or not phone.strip():
        raise ValidationError({"name": _("请填写值班人员和值班电话")})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})
    if ends_at - starts_at > LONGEST_SHIFT:
        raise ValidationError({"ends_at": _("一个班次不超过24小时，请分日排班")})
    shift = DutyShift(
        region=region,
        role=role,
        name=name.strip(),
        phone=phone.strip(),
        user=user,
        starts_at=starts_at,
        ends_at=ends_at,
        note=note,
        created_by=actor,
    )
    shift.full_clean()
    shift.save()
    return shift


@transaction.atomic
def hotline_call_log(
    *,
    actor: User,
    region: Region,
    place: str,
    asked: str,
    kind: str = CallKind.HELP,
    received_at: datetime.datetime | None = None,
    caller_name: str = "",
    caller_phone: str = "",
    household: Household | None = None,
    done: str = "",
) -> HotlineCall:
    """Log a call at the duty desk of `region`; the shift on duty then is recorded with it. A call
    logged with what was done is responded at once (an answered question)."""
    require_actor(actor, region.code)
    _desk(region)
    now = timezone.now()
    received_at = received_at or now
    if received_at > now + datetime.timedelta(minutes=5):
        raise ValidationError({"received_at": _("来电时间不能晚于当前时间")})
    if kind not in CallKind.values:
        raise ValidationError({"kind": _("请选择来电类型")})
    if not place.strip() or not asked.strip():
        raise ValidationError({"asked": _("请填写来电人所在地点和诉求")})
    if household is not None:
        require_actor(actor, household.region_id)
    duty = DutyShift.objects.filter(region=region).covering(received_at).order_by("role", "id").first()
    call = HotlineCall(
        region=region,
        received_at=received_at,
        kind=kind,
        caller_name=caller_name.strip(),
        caller_phone=caller_phone.strip(),
        place=place.strip(),
        asked=asked.strip(),
        done=done.strip(),
        responded_at=max(now, received_at) if done.strip() else None,
        household=household,
        duty=duty,
        taken_by=actor,
    )
    call.full_clean()
    call.save()
    return call


@transaction.atomic
def hotline_call_respond(
    *, actor: User, call: HotlineCall, done: str, responded_at: datetime.datetime | None = None
) -> HotlineCall:
    call = HotlineCall.objects.select_for_update().get(pk=call.pk)
    require_actor(actor, call.region_id)
    if not done.strip():
        raise ValidationError({"done": _("请填写处理情况")})
    responded_at = responded_at or timezone.now()
    if responded_at < call.received_at:
        raise ValidationError({"responded_at": _("处置时间不能早于来电时间")})
    call.done = done.strip()
    if call.responded_at is None:
        call.responded_at = responded_at
    call.save(update_fields=["done", "responded_at"])
    return call


@transaction.atomic
def hotline_call_to_clue(*, actor: User, call: HotlineCall):
    """The call becomes a patrol clue (救助热线) of the desk's region, once: a second tap returns it."""
    from patrols.models import ClueChannel
    from patrols.services import clue_report

    call = HotlineCall.objects.select_for_update().select_related("region").get(pk=call.pk)
    require_actor(actor, call.region_id)
    if call.clue_id:
        return call.clue
    clue = clue_report(
        actor=actor,
        region=call.region,
        channel=ClueChannel.HOTLINE,
        place=call.place,
        reported_at=call.received_at,
        reporter_name=call.caller_name,
        reporter_phone=call.caller_phone,
        description=call.asked,
    )
    call.clue = clue
    call.save(update_fields=["clue"])
    return clue
