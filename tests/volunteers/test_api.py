"""API of the volunteers: register and edit (a masked number written back keeps the stored one),
search by skill and availability, assign and take the workflow's steps, hours, masking for
officials, another county 404, read-only roles 403, Chinese errors, fixed query counts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from volunteers.models import AssignmentState, Volunteer, VolunteerAssignment

pytestmark = pytest.mark.django_db

URL = "/api/v1/volunteers/"
ASSIGN = "/api/v1/volunteer-assignments/"


def test_register_round_trip_and_masking(api, users, regions):
    api.force_authenticate(users["county"])
    body = {
        "region": regions["township"].code,
        "name": "张德明",
        "phone": "13900000021",
        "kind": "sanitation",
        "skills": ["patrol"],
        "weekdays": ["1", "2", "3", "4", "5", "6", "7"],
        "day_parts": ["day", "night"],
    }
    r = api.post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    data = r.json()
    assert data["kind_display"] == "环卫工人" and data["availability_display"] == "每天 · 白天、夜间"
    assert data["hours_total"] == "0.0" and data["phone"] == "13900000021"
    pk = data["id"]
    api.force_authenticate(users["province"])
    shown = api.get(f"{URL}{pk}/").json()
    assert shown["phone"] == "139****0021"
    assert api.patch(f"{URL}{pk}/", {"name": "改名"}, format="json").status_code == 403
    # the county writes back the masked number it might have been shown: the stored one is kept
    api.force_authenticate(users["county"])
    r = api.patch(f"{URL}{pk}/", {"phone": "139****0021", "organisation": "县环卫所"}, format="json")
    assert r.status_code == 200, r.json()
    v = Volunteer.objects.get(pk=pk)
    assert v.phone == "13900000021" and v.organisation == "县环卫所"
    assert api.get(URL, {"skill": "patrol", "day_part": "night"}).json()["count"] == 1
    assert api.get(URL, {"skill": "nursing"}).json()["count"] == 0
    api.force_authenticate(users["other_county"])
    assert api.get(f"{URL}{pk}/").status_code == 404
    assert api.patch(f"{URL}{pk}/", {"name": "改名"}, format="json").status_code == 404
    assert Volunteer.objects.get(pk=pk).name == "张德明"


def test_bad_input_in_chinese(api, users, regions):
    api.force_authenticate(users["county"])
    r = api.post(
        URL,
        {"region": regions["township"].code, "name": "李四", "phone": "12", "skills": ["x"]},
        format="json",
    )
    assert r.status_code == 400
    r = api.post(URL, {"region": regions["township"].code, "name": "李四", "phone": "12"}, format="json")
    assert r.status_code == 400 and "手机号格式不正确" in r.content.decode()
    r = api.post(
        URL, {"region": regions["other_county"].code, "name": "李四", "phone": "13900000022"}, format="json"
    )
    assert r.status_code == 403
    assert not Volunteer.objects.exists()


def test_assign_complete_accept_counts_hours(api, users, volunteer, household, django_assert_num_queries):
    api.force_authenticate(users["township"])
    body = {
        "volunteer": volunteer.pk,
        "household": household.pk,
        "date": str(timezone.localdate()),
        "planned_hours": "2",
    }
    r = api.post(ASSIGN, body, format="json")
    assert r.status_code == 201, r.json()
    a = r.json()
    assert a["kind"] == "visit" and a["state"] == "assigned"
    assert {x["name"] for x in a["available_actions"]} == {"complete", "cancel"}
    r = api.post(f"{ASSIGN}{a['id']}/complete/", {"actual_hours": "30"}, format="json")
    assert r.status_code == 400 and "不超过24小时" in r.content.decode()
    r = api.post(f"{ASSIGN}{a['id']}/complete/", {"actual_hours": "2.5"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "done"
    api.force_authenticate(users["province"])
    assert api.post(f"{ASSIGN}{a['id']}/accept/", {}, format="json").status_code == 403
    api.force_authenticate(users["other_county"])
    assert api.post(f"{ASSIGN}{a['id']}/accept/", {}, format="json").status_code == 404
    assert VolunteerAssignment.objects.get(pk=a["id"]).state == AssignmentState.DONE
    api.force_authenticate(users["township"])
    r = api.post(f"{ASSIGN}{a['id']}/accept/", {"comment": "属实"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "accepted"
    assert api.get(f"{URL}{volunteer.pk}/").json()["hours_winter"] == "2.5"
    detail = api.get(f"{ASSIGN}{a['id']}/").json()
    assert [e["action"] for e in detail["events"]] == ["assign", "complete", "accept"]
    with django_assert_num_queries(2):  # the count and the page (volunteer joined, records counted)
        assert api.get(ASSIGN, {"state": "accepted"}).json()["count"] == 1
    with django_assert_num_queries(2):
        assert api.get(URL).json()["count"] == 1
    with django_assert_num_queries(1):  # nothing recorded: the count alone
        assert api.get("/api/v1/volunteer-records/").json()["count"] == 0


def test_assign_refused_for_another_countys_household(api, users, volunteer):
    from tests.people.factories import household_with_head

    theirs = household_with_head("510129001001", name="李四海")
    api.force_authenticate(users["county"])
    body = {
        "volunteer": volunteer.pk,
        "household": theirs.pk,
        "date": str(timezone.localdate()),
        "planned_hours": "2",
    }
    r = api.post(ASSIGN, body, format="json")
    assert r.status_code == 400  # not found among what the caller sees: the same answer as a missing id
    r = api.post(ASSIGN, {"volunteer": volunteer.pk, "planned_hours": "2"}, format="json")
    assert r.status_code == 400 and "请选择巡查班次、探访家庭或集中慰问中的一项" in r.content.decode()
    assert not VolunteerAssignment.objects.exists()
