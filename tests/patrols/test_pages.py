from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patrols.models import (
    CaseStatus,
    Clue,
    ClueStatus,
    ColdWaveLevel,
    ColdWaveWarning,
    Encounter,
    PatrolShift,
)
from tests.patrols.factories import (
    ClueFactory,
    ColdWaveWarningFactory,
    PatrolShiftFactory,
    StationCaseFactory,
)

pytestmark = pytest.mark.django_db


def test_index_shows_cold_wave_level_and_frequency(as_user, users, regions, team):
    ColdWaveWarningFactory(region=regions["city"], level=ColdWaveLevel.RED)
    ClueFactory(region=regions["county"], place="南门桥下")
    html = as_user(users["county"]).get(reverse("patrols:index")).content.decode()
    assert "红色" in html
    assert "每日至少巡查 2 次" in html
    assert "未达到要求" in html
    assert "南门桥下" in html


def test_shift_create_page_derives_night(as_user, users, team):
    c = as_user(users["county"])
    r = c.post(
        reverse("patrols:shift-create"),
        {
            "team": team.pk,
            "area": "火车站",
            "started_at": "2025-01-10T22:15",
            "members_present": [users["county"].pk],
            "joint_partners": ["police", "chengguan"],
            "weather": "snow",
            "temperature_c": "-4",
        },
    )
    shift = PatrolShift.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("patrols:shift-detail", args=[shift.pk])
    assert shift.is_night and shift.joint_partners == ["chengguan", "police"]
    html = c.get(r["Location"]).content.decode()
    assert "公安" in html and "城管" in html


def test_encounter_form_is_phone_friendly(as_user, users, team):
    shift = PatrolShiftFactory(team=team)
    html = as_user(users["county"]).get(reverse("patrols:encounter-create", args=[shift.pk])).content.decode()
    assert 'name="viewport"' in html
    assert 'class="btn-check"' in html and "btn-lg" in html
    for label in ("受冻", "疑似精神障碍", "未成年人", "护送至救助站", "发放被褥", "拒绝救助", "移交公安"):
        assert label in html


def test_encounter_form_records_flags(as_user, users, team):
    shift = PatrolShiftFactory(team=team)
    r = as_user(users["county"]).post(
        reverse("patrols:encounter-create", args=[shift.pk]),
        {
            "place": "东门桥洞",
            "sex": "male",
            "approx_age": "60",
            "description": "灰色棉衣",
            "conditions": ["cold_exposure", "illness"],
            "actions": ["food_given", "bedding_given"],
            "materials_given": "棉被1床",
            "latitude": "30.5",
            "longitude": "104.1",
            "another": "1",
        },
    )
    assert r.status_code == 302 and r["Location"] == reverse("patrols:encounter-create", args=[shift.pk])
    enc = Encounter.objects.get()
    assert enc.cold_exposure and enc.illness and not enc.minor
    assert enc.food_given and enc.bedding_given and not enc.escorted_to_station
    assert enc.region_id == shift.region_id and enc.recorded_by == users["county"]


def test_encounter_form_refusal_needs_reason(as_user, users, team):
    shift = PatrolShiftFactory(team=team)
    r = as_user(users["county"]).post(
        reverse("patrols:encounter-create", args=[shift.pk]),
        {"place": "桥洞", "description": "老人", "actions": ["refused_help"]},
    )
    assert r.status_code == 200
    assert "拒绝救助时必须填写拒绝原因" in r.content.decode()
    assert not Encounter.objects.exists()


def test_clue_pages_workflow(as_user, users, regions, team):
    c = as_user(users["county"])
    r = c.post(
        reverse("patrols:clue-create"),
        {
            "region": regions["county"].code,
            "channel": "taxi",
            "place": "北站出口",
            "reporter_phone": "13900000000",
        },
    )
    clue = Clue.objects.get()
    assert r["Location"] == reverse("patrols:clue-detail", args=[clue.pk])
    c.post(reverse("patrols:clue-action", args=[clue.pk, "dispatch"]), {"team": team.pk})
    c.post(reverse("patrols:clue-action", args=[clue.pk, "respond"]), {})
    c.post(reverse("patrols:clue-action", args=[clue.pk, "close"]), {"outcome": "helped"})
    clue.refresh_from_db()
    assert clue.status == ClueStatus.CLOSED and clue.response_minutes is not None
    html = c.get(reverse("patrols:clue-list") + "?status=closed").content.decode()
    assert "北站出口" in html and "已就地救助" in html


def test_clue_page_error_is_shown(as_user, users, regions):
    clue = ClueFactory(region=regions["county"])
    c = as_user(users["county"])
    r = c.post(reverse("patrols:clue-action", args=[clue.pk, "respond"]), {}, follow=True)
    assert "只有已派发的线索可以登记到场" in r.content.decode()


def test_reporter_phone_masked_for_officials(as_user, users, regions):
    clue = ClueFactory(region=regions["county"], reporter_phone="13912345678")
    assert (
        "13912345678"
        not in as_user(users["city"]).get(reverse("patrols:clue-detail", args=[clue.pk])).content.decode()
    )
    assert (
        "13912345678"
        in as_user(users["county"]).get(reverse("patrols:clue-detail", args=[clue.pk])).content.decode()
    )


def test_case_detail_shows_milestones_and_overdue(as_user, users, regions):
    case = StationCaseFactory(
        region=regions["county"],
        intake_at=timezone.now() - datetime.timedelta(days=3),
        status=CaseStatus.IN_STATION,
    )
    html = as_user(users["county"]).get(reverse("patrols:case-detail", args=[case.pk])).content.decode()
    for label in ("发布寻亲公告", "采集DNA样本", "站内救助期限", "一个月档案更新", "启动落户安置"):
        assert label in html
    assert "table-danger" in html and "已逾期" in html  # the 24-hour search notice is overdue


def test_case_pages_intake_and_actions(as_user, users, regions):
    c = as_user(users["county"])
    r = c.post(
        reverse("patrols:case-create"),
        {
            "region": regions["county"].code,
            "station_name": "金堂县救助管理站",
            "description": "男，约70岁",
            "sex": "male",
            "critically_ill": "on",
        },
    )
    assert r.status_code == 302
    case_url = r["Location"]
    pk = int(case_url.rstrip("/").rsplit("/", 1)[-1])
    r = c.post(reverse("patrols:case-action", args=[pk, "admit"]), follow=True)
    assert "须先送医" in r.content.decode()
    c.post(reverse("patrols:case-action", args=[pk, "hospitalize"]))
    c.post(reverse("patrols:case-action", args=[pk, "admit"]))
    c.post(
        reverse("patrols:case-action", args=[pk, "exit"]),
        {"exit_type": "escorted_home", "comment": "护送返乡"},
    )
    html = c.get(case_url).content.decode()
    assert "已离站" in html and "护送返乡" in html


def test_coldwave_page_form_for_officials_only(as_user, users, regions):
    assert "发布寒潮预警" in as_user(users["city"]).get(reverse("patrols:coldwave")).content.decode()
    assert "发布寒潮预警" not in as_user(users["village"]).get(reverse("patrols:coldwave")).content.decode()
    r = as_user(users["village"]).post(
        reverse("patrols:coldwave"), {"region": regions["county"].code, "level": "2"}
    )
    assert r.status_code == 403
    r = as_user(users["county"]).post(
        reverse("patrols:coldwave"), {"region": regions["county"].code, "level": "3"}
    )
    assert r.status_code == 302
    assert ColdWaveWarning.objects.get().level == ColdWaveLevel.ORANGE


def test_case_list_filters(as_user, users, regions):
    StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION, description="在站甲")
    StationCaseFactory(
        region=regions["county"],
        status=CaseStatus.EXITED,
        exit_type="family_found",
        exited_at=timezone.now(),
        description="离站乙",
        person_name="离站乙",
    )
    c = as_user(users["county"])
    html = c.get(reverse("patrols:case-list")).content.decode()
    assert "离站乙" not in html
    assert "离站乙" in c.get(reverse("patrols:case-list") + "?status=all").content.decode()
