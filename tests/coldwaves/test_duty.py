"""值班值守: a county under a warning with no one on duty is an alert that clears once a shift is on;
the hotline log records who called from where, what was asked and done, and how fast; a call about
someone on the street becomes a patrol clue once; another county sees none of it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coldwaves.models import DutyShift, HotlineCall
from coldwaves.services import rollcall_tick
from coldwaves.sweeps import DUTY_GAP
from patrols.models import Clue
from patrols.services import cold_warning_issue
from relief.models import Alert, AlertStatus

pytestmark = pytest.mark.django_db


def _local(dt: datetime.datetime) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_no_one_on_duty_during_a_warning_is_an_alert_until_a_shift_is_entered(as_user, users, regions):
    cold_warning_issue(actor=users["county"], region=regions["county"], level=3)
    rollcall_tick()
    alert = Alert.objects.get(kind=DUTY_GAP, status=AlertStatus.OPEN)
    assert alert.region_id == "510121" and "无人值班" in alert.message
    county = as_user(users["county"])
    page = county.get(reverse("alert-detail", args=[alert.pk]))
    assert reverse("coldwaves:duty") in page.content.decode()

    now = timezone.now()
    too_long = county.post(
        reverse("coldwaves:shift-add"),
        {
            "role": "officer",
            "name": "王值班",
            "phone": "028-84987110",
            "starts_at": _local(now),
            "ends_at": _local(now + datetime.timedelta(hours=30)),
        },
        follow=True,
    )
    assert "一个班次不超过24小时" in too_long.content.decode()
    assert not DutyShift.objects.exists()
    county.post(
        reverse("coldwaves:shift-add"),
        {
            "role": "officer",
            "name": "王值班",
            "phone": "028-84987110",
            "starts_at": _local(now - datetime.timedelta(minutes=5)),
            "ends_at": _local(now + datetime.timedelta(hours=12)),
        },
    )
    shift = DutyShift.objects.get()
    assert (shift.region_id, shift.created_by) == ("510121", users["county"])
    rollcall_tick()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    # the township sees its county's duty desk: whom to call
    duty = as_user(users["township"]).get(reverse("coldwaves:duty")).content.decode()
    assert "王值班" in duty and "028-84987110" in duty


def test_a_hotline_call_is_logged_answered_and_forwarded_to_the_patrols_once(as_user, users, regions):
    county = as_user(users["county"])
    now = timezone.now()
    DutyShift.objects.create(
        region=regions["county"],
        name="李接线",
        phone="12349",
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=8),
    )
    refused = county.post(
        reverse("coldwaves:call-log"), {"kind": "street", "place": "", "asked": ""}, follow=True
    )
    assert "请填写来电人所在地点和诉求" in refused.content.decode()
    county.post(
        reverse("coldwaves:call-log"),
        {
            "kind": "street",
            "received_at": _local(now - datetime.timedelta(minutes=20)),
            "caller_name": "张先生",
            "caller_phone": "13912345678",
            "place": "赵镇滨河路桥洞",
            "asked": "桥洞下有一位老人，衣着单薄",
        },
    )
    call = HotlineCall.objects.get()
    assert call.duty.name == "李接线" and call.taken_by == users["county"] and call.responded_at is None
    county.post(reverse("coldwaves:call-action", args=[call.pk, "clue"]))
    county.post(reverse("coldwaves:call-action", args=[call.pk, "clue"]))  # a second tap
    clue = Clue.objects.get()
    assert (clue.channel, clue.place, clue.description) == ("hotline", "赵镇滨河路桥洞", call.asked)
    call.refresh_from_db()
    assert call.clue_id == clue.pk
    county.post(
        reverse("coldwaves:call-action", args=[call.pk, "respond"]), {"done": "已派巡查队，老人送至救助站"}
    )
    call.refresh_from_db()
    assert call.done and 19 <= call.response_minutes <= 21
    page = county.get(reverse("coldwaves:duty")).content.decode()
    assert "13912345678" in page  # the county's desk calls back
    assert "已派巡查队" in page

    # another county: not in its log, and it cannot act on the call
    other = as_user(users["other_county"])
    assert "赵镇滨河路桥洞" not in other.get(reverse("coldwaves:duty")).content.decode()
    assert (
        other.post(reverse("coldwaves:call-action", args=[call.pk, "respond"]), {"done": "x"}).status_code
        == 404
    )


def test_a_province_official_sees_the_number_masked(as_user, users, regions):
    HotlineCall.objects.create(
        region=regions["county"],
        received_at=timezone.now(),
        caller_phone="13912345678",
        place="赵镇",
        asked="求助",
    )
    page = as_user(users["province"]).get(reverse("coldwaves:duty")).content.decode()
    assert "13912345678" not in page and "139****5678" in page
