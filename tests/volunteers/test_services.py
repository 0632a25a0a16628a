"""Services of the volunteers: register, assign to a patrol shift, a visit or a campaign's
deliveries, record in the volunteer's name, complete, review (accept / send back), hours counted
only when accepted, the review task on the today page, clues into the patrols loop, scoping and
Chinese errors."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from campaigns.models import CampaignHousehold
from patrols.models import Clue, ClueStatus
from patrols.services import clue_dispatch
from people.models import Visit
from relief.models import Task
from tests.patrols.factories import PatrolTeamFactory
from volunteers import services
from volunteers.models import AssignmentState, ReviewState, Volunteer, VolunteerRecord

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = timezone.localdate


def hours(volunteer) -> tuple[Decimal, Decimal]:
    v = Volunteer.objects.with_hours(TODAY()).get(pk=volunteer.pk)
    return v.hours_winter, v.hours_total


def review_tasks(assignment):
    return Task.objects.live().filter(kind="volunteers.assignment.review", subject_id=str(assignment.pk))


# --- registering ------------------------------------------------------------------------------------


def test_register_keeps_skills_and_availability(volunteer):
    v = Volunteer.objects.get(pk=volunteer.pk)
    assert v.skills == ["companion", "patrol"] and v.weekdays == ["6", "7"] and v.day_parts == ["day"]
    assert v.skills_display == "探访陪护、巡查" and v.availability_display == "周六、周日 · 白天"
    assert list(Volunteer.objects.search(skill="patrol", weekday="6", day_part="day")) == [v]
    assert not Volunteer.objects.search(day_part="night").exists()
    assert not Volunteer.objects.search(skill="nursing").exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "请填写姓名"),
        ({"phone": "12345"}, "phone", "手机号格式不正确"),
        ({"id_number": "510121198001010011"}, "id_number", "校验位"),
        ({"skills": ["flying"]}, "skills", "未知选项"),
    ],
)
def test_bad_input_is_refused_in_chinese(users, regions, changes, field, message):
    data = {"region": regions["village"], "name": "李四", "phone": "13900000001", **changes}
    with pytest.raises(ValidationError) as exc:
        services.volunteer_register(actor=users["township"], **data)
    assert message in "".join(exc.value.message_dict[field])
    assert not Volunteer.objects.exists()


def test_a_volunteer_is_registered_once(users, regions, volunteer):
    with pytest.raises(ValidationError) as exc:
        services.volunteer_register(
            actor=users["county"],
            region=regions["township"],
            name="王秀英",
            phone="13900000002",
            id_number=volunteer.id_number,
        )
    assert "已登记" in exc.value.message_dict["id_number"][0]
    with pytest.raises(ValidationError):
        services.volunteer_register(
            actor=users["county"], region=regions["village"], name="另一人", phone=volunteer.phone
        )


def test_register_is_scoped_and_for_writers(users, regions):
    for who in ("other_county", "village"):
        with pytest.raises(PermissionDenied):
            services.volunteer_register(
                actor=users[who], region=regions["township"], name="李四", phone="13900000003"
            )
    with pytest.raises(PermissionDenied):
        services.volunteer_register(
            actor=users["city"], region=regions["village"], name="李四", phone="13900000003"
        )
    assert not Volunteer.objects.exists()


def test_update_and_retire(users, volunteer):
    services.volunteer_update(actor=users["village"], volunteer=volunteer, skills=["repair"], active=False)
    volunteer.refresh_from_db()
    assert volunteer.skills == ["repair"] and not volunteer.active
    with pytest.raises(PermissionDenied):
        services.volunteer_update(actor=users["other_county"], volunteer=volunteer, name="改名")


def test_villages_see_their_township_and_county_volunteers(users, regions):
    county_one = services.volunteer_register(
        actor=users["county"], region=regions["county"], name="县级志愿者", phone="13900000004"
    )
    assert Volunteer.objects.visible_to(users["village"]).filter(pk=county_one.pk).exists()
    assert not Volunteer.objects.visible_to(users["other_county"]).filter(pk=county_one.pk).exists()


# --- assigning and the review ------------------------------------------------------------------------


def test_patrol_assignment_hours_count_only_when_accepted(users, volunteer, shift):
    a = services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="3")
    assert (
        a.kind == "patrol"
        and a.region_id == shift.region_id
        and a.date == timezone.localtime(shift.started_at).date()
    )
    encounter = services.record_encounter(
        actor=users["county"],
        assignment=a,
        place="东门大桥桥洞",
        description="灰色棉衣",
        conditions=["cold_exposure"],
    )
    record = VolunteerRecord.objects.get(encounter=encounter)
    assert record.volunteer == volunteer and record.review_state == ReviewState.PENDING
    services.assignment_complete(actor=users["county"], assignment=a, actual_hours=D("3.5"))
    a.refresh_from_db()
    assert a.state == AssignmentState.DONE and a.completed_by == users["county"]
    assert hours(volunteer) == (D("0"), D("0"))  # done is not counted
    task = review_tasks(a).get()
    assert (
        task.assignee_region == "510121" and "王秀英" in task.title
    )  # county-level work: the county reviews
    assert task.action_url == a.get_absolute_url()
    services.assignment_accept(actor=users["county"], assignment=a, comment="属实")
    a.refresh_from_db()
    assert a.state == AssignmentState.ACCEPTED and a.reviewed_by == users["county"]
    assert hours(volunteer) == (D("3.5"), D("3.5"))
    assert VolunteerRecord.objects.get(pk=record.pk).review_state == ReviewState.ACCEPTED
    assert not review_tasks(a).exists()  # the task is done by the review


def test_visit_recorded_in_the_volunteers_name_and_sent_back(users, volunteer, household):
    a = services.assignment_create(
        actor=users["village"], volunteer=volunteer, household=household, date=TODAY(), planned_hours="2"
    )
    visit = services.record_visit(actor=users["village"], assignment=a, heating_ok=False, needs="煤不够")
    assert Visit.objects.get(pk=visit.pk).volunteer_record.volunteer == volunteer
    services.assignment_complete(actor=users["village"], assignment=a, actual_hours="2")
    assert review_tasks(a).get().assignee_region == "510121001"  # the township of the village reviews
    with pytest.raises(PermissionDenied):  # a village worker does not review
        services.assignment_accept(actor=users["village"], assignment=a)
    with pytest.raises(ValidationError) as exc:
        services.assignment_send_back(actor=users["township"], assignment=a, comment=" ")
    assert "请填写退回原因" in str(exc.value)
    services.assignment_send_back(actor=users["township"], assignment=a, comment="请补拍照片")
    a.refresh_from_db()
    assert a.state == AssignmentState.RETURNED and a.review_comment == "请补拍照片"
    assert visit.volunteer_record.__class__.objects.get(visit=visit).review_state == ReviewState.RETURNED
    assert hours(volunteer) == (D("0"), D("0")) and not review_tasks(a).exists()
    # corrected and completed again: reviewed again, then counted
    services.assignment_complete(actor=users["village"], assignment=a, actual_hours="1.5")
    assert VolunteerRecord.objects.get(visit=visit).review_state == ReviewState.PENDING
    assert review_tasks(a).exists()
    services.assignment_accept(actor=users["township"], assignment=a)
    assert hours(volunteer) == (D("1.5"), D("1.5"))


def test_campaign_deliveries_attributed(users, volunteer, campaign, regions):
    a = services.assignment_create(
        actor=users["township"],
        volunteer=volunteer,
        campaign=campaign,
        village=regions["village"],
        date=TODAY(),
        planned_hours="4",
    )
    entry = CampaignHousehold.objects.get(campaign=campaign)
    services.record_delivery(
        actor=users["township"], assignment=a, entry=entry, outcome="delivered", received_by_name="张大山"
    )
    entry.refresh_from_db()
    assert entry.state == "delivered" and entry.volunteer_record.volunteer == volunteer
    # a second tap changes nothing and attributes nothing twice
    services.record_delivery(
        actor=users["township"], assignment=a, entry=entry, outcome="delivered", received_by_name="张大山"
    )
    assert VolunteerRecord.objects.filter(delivery=entry).count() == 1


def test_hours_this_winter_and_in_all(users, volunteer, household):
    last_winter = TODAY() - datetime.timedelta(days=400)
    for day, h in ((TODAY(), "2"), (last_winter, "5")):
        a = services.assignment_create(
            actor=users["township"], volunteer=volunteer, household=household, date=day, planned_hours=h
        )
        services.assignment_complete(actor=users["township"], assignment=a, actual_hours=h)
        services.assignment_accept(actor=users["township"], assignment=a)
    assert hours(volunteer) == (D("2.0"), D("7.0"))


@pytest.mark.parametrize("value", ["0", "25", "abc", ""])
def test_hours_out_of_range_are_refused(users, volunteer, shift, value):
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(
            actor=users["county"], volunteer=volunteer, shift=shift, planned_hours=value
        )
    assert "服务时长" in str(exc.value)


def test_assignment_rules(users, volunteer, shift, household, regions):
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(actor=users["county"], volunteer=volunteer, planned_hours="2")
    assert "请选择巡查班次、探访家庭或集中慰问中的一项" in str(exc.value)
    services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")
    with pytest.raises(ValidationError) as exc:  # not twice on the same shift
        services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")
    assert "已安排" in str(exc.value)
    other_shift = shift.__class__.objects.create(
        team=PatrolTeamFactory(region=regions["other_county"]),
        region=regions["other_county"],
        area="晋原街道",
        started_at=timezone.now(),
    )
    with pytest.raises(PermissionDenied):  # the neighbour cannot assign our volunteer, nor we theirs
        services.assignment_create(
            actor=users["other_county"], volunteer=volunteer, shift=other_shift, planned_hours="2"
        )
    with pytest.raises(PermissionDenied):
        services.assignment_create(
            actor=users["county"], volunteer=volunteer, shift=other_shift, planned_hours="2"
        )
    services.volunteer_update(actor=users["county"], volunteer=volunteer, active=False)
    with pytest.raises(ValidationError) as exc:
        services.assignment_create(
            actor=users["county"], volunteer=volunteer, household=household, date=TODAY(), planned_hours="2"
        )
    assert "不在册" in str(exc.value)


def test_records_only_on_an_open_assignment_of_their_kind(users, volunteer, household, shift):
    a = services.assignment_create(
        actor=users["county"], volunteer=volunteer, household=household, date=TODAY(), planned_hours="2"
    )
    with pytest.raises(ValidationError) as exc:
        services.record_encounter(actor=users["county"], assignment=a, place="桥洞", description="老人")
    assert "入户探访" in str(exc.value)
    services.record_visit(actor=users["county"], assignment=a)
    with pytest.raises(ValidationError):  # a record: no cancelling, it is reviewed instead
        services.assignment_cancel(actor=users["county"], assignment=a, comment="误操作")
    services.assignment_complete(actor=users["county"], assignment=a, actual_hours="2")
    with pytest.raises(ValidationError) as exc:
        services.record_visit(actor=users["county"], assignment=a)
    assert "待审核" in str(exc.value)
    b = services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")
    services.assignment_cancel(actor=users["county"], assignment=b, comment="天气原因取消")
    b.refresh_from_db()
    assert b.state == AssignmentState.CANCELLED
    # cancelled: the volunteer can be assigned to the shift again
    services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")


def test_officials_and_neighbours_cannot_take_steps(users, volunteer, shift):
    a = services.assignment_create(actor=users["county"], volunteer=volunteer, shift=shift, planned_hours="2")
    for who in ("province", "city"):
        with pytest.raises(PermissionDenied):
            services.assignment_complete(actor=users[who], assignment=a, actual_hours="2")
    with pytest.raises(PermissionDenied):
        services.assignment_complete(actor=users["other_county"], assignment=a, actual_hours="2")
    a.refresh_from_db()
    assert a.state == AssignmentState.ASSIGNED and a.actual_hours is None


# --- clues ------------------------------------------------------------------------------------------


def test_a_sanitation_workers_clue_enters_the_patrol_loop(users, regions):
    worker = services.volunteer_register(
        actor=users["county"], region=regions["county"], name="张德明", phone="13900000005", kind="sanitation"
    )
    clue = services.clue_report(
        actor=users["township"], volunteer=worker, place="东门大桥", region=regions["township"]
    )
    clue = Clue.objects.get(pk=clue.pk)
    assert (
        clue.channel == "sanitation"
        and clue.reporter_name == "张德明"
        and clue.reporter_phone == "13900000005"
    )
    assert clue.status == ClueStatus.NEW and clue.region_id == "510121001"
    record = VolunteerRecord.objects.get(clue=clue)
    assert record.assignment is None and record.review_state == ReviewState.BY_CLUE
    team = PatrolTeamFactory(region=regions["county"])
    clue_dispatch(actor=users["county"], clue=clue, team=team)  # the usual loop from here
    assert Clue.objects.get(pk=clue.pk).status == ClueStatus.DISPATCHED


def test_a_clue_outside_the_volunteers_county_is_refused(users, regions, volunteer):
    with pytest.raises(PermissionDenied):
        services.clue_report(
            actor=users["county"], volunteer=volunteer, place="大邑", region=regions["other_county"]
        )
    with pytest.raises(ValidationError):
        services.clue_report(actor=users["county"], volunteer=volunteer, place=" ")
    assert not Clue.objects.exists()
