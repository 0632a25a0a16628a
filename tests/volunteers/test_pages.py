"""Pages of the volunteers: the list with search and hours, register with Chinese errors, the
volunteer's page (masked for officials), assign from a shift, record a visit in the volunteer's
name, complete and review from the queue, a clue from a volunteer, another county 404, officials
read only."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from patrols.models import Clue
from people.models import Visit
from relief.models import Task
from volunteers import services
from volunteers.models import AssignmentState, Volunteer, VolunteerAssignment

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_list_search_and_hours(as_user, users, regions, volunteer, household):
    services.volunteer_register(
        actor=users["county"],
        region=regions["county"],
        name="赵海军",
        phone="13900000009",
        kind="driver",
        skills=["driving"],
        day_parts=["night"],
    )
    a = services.assignment_create(
        actor=users["township"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate(),
        planned_hours="2",
    )
    services.assignment_complete(actor=users["township"], assignment=a, actual_hours="2.5")
    services.assignment_accept(actor=users["township"], assignment=a)
    client = as_user(users["township"])
    html = text(client.get("/volunteers/"))
    assert "王秀英" in html and "赵海军" in html and "今冬 2.5 小时 · 累计 2.5 小时" in html
    html = text(client.get("/volunteers/?skill=driving&day_part=night"))
    assert "赵海军" in html and "王秀英" not in html
    html = text(client.get("/volunteers/?q=王&weekday=6"))
    assert "王秀英" in html and "赵海军" not in html
    assert "13908121234" in html  # staff see the number


def test_register_form_with_chinese_errors(as_user, users, regions):
    client = as_user(users["township"])
    assert text(client.get("/volunteers/new/"))
    bad = {
        "region": regions["village"].code,
        "name": "李四",
        "phone": "123",
        "kind": "courier",
        "id_number": "510121198001010011",
    }
    html = text(client.post("/volunteers/new/", bad))
    assert "手机号格式不正确" in html and "校验位" in html
    assert not Volunteer.objects.exists()
    good = {
        **bad,
        "phone": "13900000010",
        "id_number": "",
        "skills": ["delivery", "driving"],
        "weekdays": ["1", "2"],
        "day_parts": ["day"],
    }
    r = client.post("/volunteers/new/", good)
    v = Volunteer.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/volunteers/{v.pk}/"
    assert (
        v.kind == "courier" and v.skills == ["delivery", "driving"] and v.registered_by == users["township"]
    )


def test_volunteer_page_masks_for_officials(as_user, users, volunteer):
    staff = text(as_user(users["county"]).get(f"/volunteers/{volunteer.pk}/"))
    assert volunteer.id_number in staff and "13908121234" in staff
    official = text(as_user(users["province"]).get(f"/volunteers/{volunteer.pk}/"))
    assert volunteer.id_number not in official and "13908121234" not in official
    assert "139****1234" in official and "显示" in official
    assert as_user(users["other_county"]).get(f"/volunteers/{volunteer.pk}/").status_code == 404


def test_officials_read_only(as_user, users, volunteer, shift):
    client = as_user(users["province"])
    assert client.get("/volunteers/new/").status_code == 403
    assert client.get(f"/volunteers/assign/?shift={shift.pk}").status_code == 403
    r = client.post(f"/volunteers/{volunteer.pk}/edit/", {"name": "改名"})
    assert r.status_code == 403
    assert Volunteer.objects.get(pk=volunteer.pk).name == "王秀英"


def test_assign_from_a_shift_record_complete_and_review(as_user, users, volunteer, shift):
    client = as_user(users["county"])
    html = text(client.get(f"/volunteers/assign/?shift={shift.pk}"))
    assert "王秀英" in html
    r = client.post(
        f"/volunteers/assign/?shift={shift.pk}", {"volunteer": volunteer.pk, "planned_hours": "3"}
    )
    a = VolunteerAssignment.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/volunteers/assignments/{a.pk}/"
    html = text(client.get(r["Location"]))
    assert "登记街面救助" in html and "登记完成" in html
    r = client.post(
        f"/volunteers/assignments/{a.pk}/encounter/",
        {"place": "火车站广场", "description": "黑色羽绒服", "sex": "male"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert a.records.get().encounter.place == "火车站广场"
    html = text(client.get(f"/volunteers/assignments/{a.pk}/"))
    assert "由志愿者王秀英记录" in html
    r = client.post(f"/volunteers/assignments/{a.pk}/complete/", {"complete-actual_hours": "3"})
    assert r.status_code == 302
    a.refresh_from_db()
    assert a.state == AssignmentState.DONE and a.actual_hours == Decimal("3.0")
    # the review: a task on the county's today page, one tap to the assignment
    task = Task.objects.live().get(kind="volunteers.assignment.review")
    assert task.action_url == f"/volunteers/assignments/{a.pk}/"
    assert "志愿服务待审核：王秀英" in text(client.get("/"))
    queue = text(client.get("/volunteers/review/"))
    assert "王秀英" in queue and "审核通过" in queue and "退回" in queue
    r = client.post(f"/volunteers/assignments/{a.pk}/send_back/", {"send_back-comment": ""})
    assert VolunteerAssignment.objects.get(pk=a.pk).state == AssignmentState.DONE  # no reason: refused
    r = client.post(f"/volunteers/assignments/{a.pk}/accept/", {"accept-comment": "属实"})
    assert r.status_code == 302
    assert VolunteerAssignment.objects.get(pk=a.pk).state == AssignmentState.ACCEPTED
    assert not Task.objects.live().filter(kind="volunteers.assignment.review").exists()
    assert "累计 3.0 小时" in text(client.get("/volunteers/"))


def test_visit_form_in_the_volunteers_name(as_user, users, volunteer, household):
    a = services.assignment_create(
        actor=users["village"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate(),
        planned_hours="2",
    )
    client = as_user(users["village"])
    assert "由志愿者王秀英记录" in text(client.get(f"/volunteers/assignments/{a.pk}/visit/"))
    r = client.post(
        f"/volunteers/assignments/{a.pk}/visit/",
        {"kind": "general", "channel": "home", "heating_ok": "on", "needs": ""},
    )
    assert r.status_code == 302
    visit = Visit.objects.get(household=household)
    assert visit.volunteer_record.volunteer == volunteer and visit.visitor == users["village"]
    # a village worker completes but does not review
    client.post(f"/volunteers/assignments/{a.pk}/complete/", {"complete-actual_hours": "2"})
    assert "审核通过" not in text(client.get(f"/volunteers/assignments/{a.pk}/"))
    assert client.post(f"/volunteers/assignments/{a.pk}/accept/", {}).status_code == 403
    assert VolunteerAssignment.objects.get(pk=a.pk).state == AssignmentState.DONE


def test_another_county_gets_404(as_user, users, volunteer, shift):
    a = services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")
    client = as_user(users["other_county"])
    for url in (
        f"/volunteers/assignments/{a.pk}/",
        f"/volunteers/{volunteer.pk}/edit/",
        f"/volunteers/{volunteer.pk}/clue/",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(f"/volunteers/assignments/{a.pk}/complete/", {"complete-actual_hours": "2"}).status_code
        == 404
    )
    assert VolunteerAssignment.objects.get(pk=a.pk).state == AssignmentState.ASSIGNED
    assert "王秀英" not in text(client.get("/volunteers/"))


def test_clue_from_a_volunteer(as_user, users, regions):
    courier = services.volunteer_register(
        actor=users["county"], region=regions["county"], name="李小龙", phone="13900000011", kind="courier"
    )
    client = as_user(users["county"])
    html = text(client.get(f"/volunteers/{courier.pk}/clue/"))
    assert "报告人：李小龙（快递员）" in html
    assert (
        "请填写" in text(client.post(f"/volunteers/{courier.pk}/clue/", {"place": ""}))
        or not Clue.objects.exists()
    )
    r = client.post(
        f"/volunteers/{courier.pk}/clue/", {"place": "人民公园东门", "description": "有人睡在长椅上"}
    )
    clue = Clue.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/patrols/clues/{clue.pk}/"
    assert clue.channel == "courier" and clue.reporter_name == "李小龙"
    assert "人民公园东门" in text(client.get(f"/volunteers/{courier.pk}/"))


def test_pages_fit_a_phone(as_user, users, volunteer):
    """Every page extends the base layout (its viewport meta) and uses no fixed-width table."""
    client = as_user(users["county"])
    for url in (
        "/volunteers/",
        f"/volunteers/{volunteer.pk}/",
        "/volunteers/assign/",
        "/volunteers/review/",
        "/volunteers/new/",
    ):
        html = text(client.get(url))
        assert 'name="viewport"' in html and "<table" not in html, url


def test_the_list_masks_numbers_for_officials(as_user, users, volunteer):
    html = text(as_user(users["city"]).get("/volunteers/"))
    assert "王秀英" in html and "139****1234" in html and "13908121234" not in html


def test_the_township_sees_the_review_task_of_a_village_visit(as_user, users, volunteer, household):
    a = services.assignment_create(
        actor=users["village"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate(),
        planned_hours="2",
    )
    services.assignment_complete(actor=users["village"], assignment=a, actual_hours="2")
    today = text(as_user(users["township"]).get("/"))
    assert "志愿服务待审核：王秀英" in today and f"/volunteers/assignments/{a.pk}/" in today
    assert "志愿服务待审核：王秀英" not in text(as_user(users["other_county"]).get("/"))


def test_a_sent_back_assignment_is_the_village_s_task_until_completed_again(
    as_user, users, volunteer, household
):
    a = services.assignment_create(
        actor=users["village"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate(),
        planned_hours="2",
    )
    services.assignment_complete(actor=users["village"], assignment=a, actual_hours="2")
    services.assignment_send_back(actor=users["township"], assignment=a, comment="请补充探访记录")
    task = Task.objects.live().get(kind="volunteers.assignment.returned")
    assert (
        task.assignee_region == household.region_id and task.action_url == f"/volunteers/assignments/{a.pk}/"
    )
    today = text(as_user(users["village"]).get("/"))
    assert "志愿服务被退回，请修改后重新提交：王秀英" in today
    services.assignment_complete(actor=users["village"], assignment=a, actual_hours="2")
    assert not Task.objects.live().filter(kind="volunteers.assignment.returned").exists()
    assert Task.objects.live().filter(kind="volunteers.assignment.review").count() == 1


def test_an_assignment_whose_day_passed_unrecorded_is_a_task_after_the_nightly_run(
    as_user, users, volunteer, household
):
    from relief.todo.deadlines import follow_all

    past = services.assignment_create(
        actor=users["village"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate() - datetime.timedelta(days=3),
        planned_hours="2",
    )
    services.assignment_create(
        actor=users["village"],
        volunteer=volunteer,
        household=household,
        date=timezone.localdate() + datetime.timedelta(days=3),
        planned_hours="2",
    )
    follow_all()
    task = Task.objects.live().get(kind="volunteers.assignment.late")  # the future one waits
    assert task.subject_id == str(past.pk)
    assert "志愿服务日期已过，尚未登记完成：王秀英" in text(as_user(users["village"]).get("/"))
    services.assignment_cancel(actor=users["village"], assignment=past, comment="志愿者生病，改日再去")
    assert not Task.objects.live().filter(kind="volunteers.assignment.late").exists()


def test_a_refused_delivery_keeps_what_was_typed(as_user, users, volunteer, campaign, regions):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campaigns.models import CampaignHousehold

    a = services.assignment_create(
        actor=users["township"],
        volunteer=volunteer,
        campaign=campaign,
        village=regions["village"],
        date=timezone.localdate(),
        planned_hours="4",
    )
    entry = CampaignHousehold.objects.get(campaign=campaign)
    r = as_user(users["township"]).post(
        f"/volunteers/assignments/{a.pk}/deliveries/{entry.pk}/",
        {
            "outcome": "delivered",
            "received_by_name": "张小山（代签）",
            "photo": SimpleUploadedFile("a.png", b"<html>not a picture</html>", content_type="image/png"),
        },
    )
    page = text(r)
    assert "只能上传图片" in page and 'value="张小山（代签）"' in page
    assert CampaignHousehold.objects.get(pk=entry.pk).state == "pending"
