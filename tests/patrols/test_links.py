"""Records are linked (issue 14, point 6): an encounter escorted to a station opens (or joins) the
county station's case in the same transaction; a person recorded as 危重 is not closed without a
hospital referral, refused by the page and the API alike."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from funds.models import Stock
from patrols import services
from patrols.models import CaseStatus, Encounter, ExitType, StationCase, StationCaseEvent
from patrols.workflows import case_workflow
from tests.funds.factories import WarehouseFactory, item
from tests.patrols.factories import PatrolShiftFactory, PatrolTeamFactory, StationCaseFactory

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"  # a woman born 1949-12-31


def _escort(actor, shift, **kwargs) -> Encounter:
    kwargs.setdefault("actions", ["escorted_to_station"])
    return services.encounter_record(actor=actor, shift=shift, place="火车站广场", **kwargs)


# --- Opening or joining a case ------------------------------------------------------------------


def test_escorted_encounter_opens_a_case_at_the_county_station(users, regions, team):
    enc = _escort(
        users["county"], PatrolShiftFactory(team=team), description="灰色棉衣", sex="male", approx_age=60
    )
    case = StationCase.objects.get()
    assert enc.station_case == case and case.encounter == enc
    assert case.region_id == regions["county"].code and case.station_name == "金堂县救助管理站"
    assert case.status == CaseStatus.INTAKE and case.intake_at == enc.occurred_at
    assert (case.description, case.sex, case.approx_age) == ("灰色棉衣", "male", 60)
    assert case.created_by == users["county"]
    event = StationCaseEvent.objects.get(case=case)
    assert event.action == "intake" and "火车站广场" in event.comment


def test_an_encounter_not_escorted_opens_nothing(users, team):
    services.encounter_record(
        actor=users["county"], shift=PatrolShiftFactory(team=team), place="桥洞", description="老人"
    )
    assert not StationCase.objects.exists()


def test_the_station_keeps_the_name_its_cases_use(users, regions, team):
    StationCaseFactory(
        region=regions["county"],
        station_name="金堂县救助站（城东）",
        status=CaseStatus.EXITED,
        exit_type=ExitType.FAMILY_FOUND,
        exited_at=timezone.now(),
    )
    enc = _escort(users["county"], PatrolShiftFactory(team=team), description="男子")
    assert enc.station_case.station_name == "金堂县救助站（城东）"


def test_same_id_number_joins_the_open_case(users, regions, team):
    first = _escort(users["county"], PatrolShiftFactory(team=team), person_name="刘秀英", id_number=ID)
    second = _escort(
        users["county"],
        PatrolShiftFactory(team=team),
        person_name="刘秀英",
        id_number=ID,
        conditions=["critically_ill"],
        actions=["medical_referral", "escorted_to_station"],
    )
    case = StationCase.objects.get()
    assert first.station_case == second.station_case == case
    # what the second patrol saw counts: critically ill, and taken to hospital on the way
    assert case.critically_ill and case.hospital_referred_at == second.occurred_at
    assert list(case.events.values_list("action", flat=True)) == ["intake", "escorted"]


def test_a_closed_case_is_not_joined(users, regions, team):
    StationCaseFactory(
        region=regions["county"],
        id_number=ID,
        status=CaseStatus.EXITED,
        exit_type=ExitType.FAMILY_FOUND,
        exited_at=timezone.now(),
    )
    enc = _escort(users["county"], PatrolShiftFactory(team=team), id_number=ID, person_name="刘秀英")
    assert StationCase.objects.count() == 2 and enc.station_case.status == CaseStatus.INTAKE


def test_without_id_the_same_name_sex_and_about_the_same_age_joins(users, regions, team):
    open_case = StationCaseFactory(region=regions["county"], person_name="王老汉", sex="male", approx_age=68)
    StationCaseFactory(region=regions["other_county"], person_name="王老汉", sex="male", approx_age=68)
    shift = PatrolShiftFactory(team=team)
    same = _escort(users["county"], shift, person_name="王老汉", sex="male", approx_age=65)
    assert same.station_case == open_case
    older = _escort(users["county"], shift, person_name="王老汉", sex="male", approx_age=80)
    woman = _escort(users["county"], shift, person_name="王老汉", sex="female", approx_age=68)
    assert len({open_case.pk, older.station_case_id, woman.station_case_id}) == 3
    nameless = _escort(users["county"], shift, description="灰色棉衣", sex="male", approx_age=68)
    assert nameless.station_case != open_case  # a description alone matches no one
    assert StationCase.objects.in_region(regions["other_county"].code).count() == 1


def test_taken_to_hospital_on_the_way_the_case_starts_there(users, team):
    enc = _escort(
        users["county"],
        PatrolShiftFactory(team=team),
        description="倒地不起",
        conditions=["critically_ill"],
        actions=["medical_referral", "escorted_to_station"],
    )
    case = enc.station_case
    assert case.status == CaseStatus.IN_HOSPITAL and case.critically_ill
    assert case.hospital_referred_at == enc.occurred_at
    assert list(case.events.values_list("action", "from_state", "to_state")) == [
        ("intake", "", "intake"),
        ("hospitalize", "intake", "in_hospital"),
    ]
    assert "exit" in case_workflow.available_names(case, users["county"])


def test_no_encounter_without_its_case_and_no_case_without_its_encounter(users, regions, team):
    """One transaction: goods from stock that are not there undo the encounter and the case."""
    stock = Stock.objects.create(
        warehouse=WarehouseFactory(region=regions["county"]),
        item=item("quilt"),
        region=regions["county"],
        quantity=Decimal("1"),
    )
    with pytest.raises(ValidationError):
        _escort(
            users["county"],
            PatrolShiftFactory(team=team),
            description="男子",
            materials=[{"stock": stock, "quantity": Decimal("5")}],
        )
    assert not Encounter.objects.exists() and not StationCase.objects.exists()


# --- Pages and API: the links, region scoped ----------------------------------------------------


@pytest.fixture
def township_team(regions, users):
    team = PatrolTeamFactory(name="赵镇街道巡查队", region=regions["township"])
    team.members.set([users["township"]])
    return team


def test_encounter_page_links_its_case_and_case_page_lists_its_encounters(as_user, users, team):
    shift = PatrolShiftFactory(team=team)
    first = _escort(users["county"], shift, person_name="刘秀英", id_number=ID)
    second = services.encounter_record(
        actor=users["county"],
        shift=shift,
        place="汽车客运站",
        person_name="刘秀英",
        id_number=ID,
        actions=["escorted_to_station"],
    )
    case = first.station_case
    c = as_user(users["county"])
    html = c.get(reverse("patrols:encounter-detail", args=[second.pk])).content.decode()
    assert reverse("patrols:case-detail", args=[case.pk]) in html and "金堂县救助管理站" in html
    html = c.get(reverse("patrols:case-detail", args=[case.pk])).content.decode()
    for enc in (first, second):
        assert reverse("patrols:encounter-detail", args=[enc.pk]) in html
    assert "汽车客运站" in html and "火车站广场" in html


def test_a_township_patrol_opens_the_county_case_but_cannot_open_it(
    as_user, api, users, regions, township_team
):
    enc = _escort(users["township"], PatrolShiftFactory(team=township_team), description="男子")
    case = enc.station_case
    assert case.region_id == regions["county"].code  # the county's station
    html = as_user(users["township"]).get(reverse("patrols:encounter-detail", args=[enc.pk])).content.decode()
    assert "已转县（区）救助管理站" in html
    assert reverse("patrols:case-detail", args=[case.pk]) not in html
    assert as_user(users["township"]).get(reverse("patrols:case-detail", args=[case.pk])).status_code == 404
    api.force_authenticate(users["township"])
    assert api.get(f"/api/v1/encounters/{enc.pk}/").json()["station_case"] is None
    api.force_authenticate(users["county"])
    assert api.get(f"/api/v1/encounters/{enc.pk}/").json()["station_case"] == case.pk
    assert api.get(f"/api/v1/station-cases/{case.pk}/").json()["encounters"] == [enc.pk]
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/encounters/{enc.pk}/").status_code == 404


def test_api_escort_opens_the_case(api, users, team):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/encounters/",
        {
            "shift": PatrolShiftFactory(team=team).pk,
            "place": "东门大桥",
            "person_name": "刘秀英",
            "id_number": ID,
            "actions": ["escorted_to_station"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    case = StationCase.objects.get()
    assert r.json()["station_case"] == case.pk and case.id_number == ID


def test_other_region_cannot_escort_into_the_county(api, users, team):
    api.force_authenticate(users["other_county"])
    r = api.post(
        "/api/v1/encounters/",
        {
            "shift": PatrolShiftFactory(team=team).pk,
            "place": "x",
            "description": "y",
            "actions": ["escorted_to_station"],
        },
        format="json",
    )
    assert r.status_code in (400, 404)
    assert not Encounter.objects.exists() and not StationCase.objects.exists()


# --- 危重: no exit without a hospital referral ---------------------------------------------------


@pytest.fixture
def critical(regions):
    """A critically ill person in the station who was never sent to hospital (recorded directly)."""
    return StationCaseFactory(
        region=regions["county"],
        status=CaseStatus.IN_STATION,
        critically_ill=True,
        intake_at=timezone.now() - datetime.timedelta(days=1),
    )


def test_critical_case_page_offers_no_exit_and_refuses_it(as_user, users, critical):
    c = as_user(users["county"])
    url = reverse("patrols:case-detail", args=[critical.pk])
    html = c.get(url).content.decode()
    assert reverse("patrols:case-action", args=[critical.pk, "exit"]) not in html
    assert "尚未送医" in html
    r = c.post(
        reverse("patrols:case-action", args=[critical.pk, "exit"]),
        {"exit_type": "escorted_home", "comment": "护送返乡"},
        follow=True,
    )
    assert "危重人员须先送医救治" in r.content.decode()
    critical.refresh_from_db()
    assert critical.status == CaseStatus.IN_STATION and not critical.exit_type
    c.post(reverse("patrols:case-action", args=[critical.pk, "hospitalize"]))
    html = c.get(url).content.decode()
    assert reverse("patrols:case-action", args=[critical.pk, "exit"]) in html and "已送医" in html
    c.post(reverse("patrols:case-action", args=[critical.pk, "exit"]), {"exit_type": "to_hospital"})
    critical.refresh_from_db()
    assert critical.status == CaseStatus.EXITED and critical.exit_type == ExitType.TO_HOSPITAL


def test_critical_case_api_refuses_exit_with_the_reason(api, users, critical):
    api.force_authenticate(users["county"])
    body = api.get(f"/api/v1/station-cases/{critical.pk}/").json()
    assert "exit" not in [a["name"] for a in body["available_actions"]]
    r = api.post(f"/api/v1/station-cases/{critical.pk}/exit/", {"exit_type": "escorted_home"}, format="json")
    assert r.status_code == 400 and "危重人员须先送医救治" in r.content.decode()
    critical.refresh_from_db()
    assert critical.status == CaseStatus.IN_STATION
    r = api.post(f"/api/v1/station-cases/{critical.pk}/hospitalize/", {}, format="json")
    assert r.status_code == 200 and r.json()["hospital_referred_at"]
    r = api.post(f"/api/v1/station-cases/{critical.pk}/admit/", {}, format="json")  # back from hospital
    r = api.post(f"/api/v1/station-cases/{critical.pk}/exit/", {"exit_type": "escorted_home"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == CaseStatus.EXITED


def test_critical_long_term_case_is_not_settled_without_referral(users, regions):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.LONG_TERM, critically_ill=True)
    assert "settle" not in case_workflow.available_names(case, users["county"])
    with pytest.raises(ValidationError, match="危重"):
        services.station_case_exit(actor=users["county"], case=case, exit_type=ExitType.ESCORTED_HOME)
    assert StationCase.objects.get(pk=case.pk).status == CaseStatus.LONG_TERM


def test_the_referral_is_kept_from_the_first_hospitalize(users, critical):
    case = services.station_case_hospitalize(actor=users["county"], case=critical)
    first = case.hospital_referred_at
    case = services.station_case_admit(actor=users["county"], case=case)
    case = services.station_case_hospitalize(actor=users["county"], case=case)
    assert case.hospital_referred_at == first
