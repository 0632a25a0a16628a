"""督查 services: a finding becomes a task for the region visited, is closed by its answer once
the supervisor accepts it, comes back when sent back, escalates when late; the trip closes when every
finding is closed or with a reason; who may do what; bad input answered in Chinese."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from relief.models import Task, TaskState
from relief.todo.deadlines import working_days_after
from relief.todo.selectors import tab_queryset
from relief.todo.services import task_complete, tasks_escalate_overdue
from supervision import services
from supervision.deadlines import ISSUE_WORKING_DAYS
from supervision.models import FindingState, TripState
from supervision.selectors import open_findings
from supervision.services import finding_tasks_sync
from tests.factories import region
from tests.institutions.factories import HazardFactory, InstitutionFactory, evidence
from tests.supervision.factories import issued, make_finding, make_trip

pytestmark = pytest.mark.django_db


def rectify_task(finding) -> Task:
    return Task.objects.filter(cause_key=f"finding:{finding.pk}:rectify").order_by("-id").first()


def review_task(finding) -> Task:
    return Task.objects.filter(cause_key=f"finding:{finding.pk}:review").order_by("-id").first()


def test_a_finding_becomes_a_task_for_the_region_visited_on_issue(users):
    city, county = users["city"], users["county"]
    trip = make_trip(city)
    finding = make_finding(city, trip)
    assert finding.state == FindingState.DRAFT
    assert rectify_task(finding) is None  # recorded during the trip, not yet given
    trip = services.trip_issue(actor=city, trip=trip)
    finding.refresh_from_db()
    assert trip.state == TripState.ISSUED and finding.state == FindingState.OPEN
    task = rectify_task(finding)
    assert task.state == TaskState.OPEN and task.assignee_region == "510121"
    assert task.action_url == f"/supervision/findings/{finding.pk}/answer/"
    assert task.due_at == finding.due_at and task.due_at > timezone.now()
    # on the county's list of its own work, not on the neighbour's
    assert task in tab_queryset(county, "mine")
    assert task not in tab_queryset(users["other_county"], "region")


def test_the_answer_closes_the_task_and_the_acceptance_closes_the_finding(users):
    city, county = users["city"], users["county"]
    trip, (finding,) = issued(city)
    finding = services.finding_answer(
        actor=county, finding=finding, comment="已逐户走访，补送取暖煤", evidence=evidence()
    )
    assert finding.state == FindingState.ANSWERED and finding.evidence
    task = rectify_task(finding)
    assert task.state == TaskState.DONE and task not in tab_queryset(county, "mine")
    review = review_task(finding)
    assert review.state == TaskState.OPEN and review.assignee_region == "5101"
    assert review in tab_queryset(city, "mine")
    finding = services.finding_accept(actor=city, finding=finding, comment="核实无误")
    assert finding.state == FindingState.CLOSED and finding.closed_by == city
    review.refresh_from_db()
    task.refresh_from_db()
    assert review.state == TaskState.DONE and not task.cause_open
    trip.refresh_from_db()
    assert trip.state == TripState.CLOSED  # its only finding closed: the trip is done


def test_sent_back_reopens_the_same_task_with_the_comment_and_a_new_deadline(users):
    city, county = users["city"], users["county"]
    _trip, (finding,) = issued(city)
    services.finding_answer(actor=county, finding=finding, comment="已走访")
    first = rectify_task(finding)
    finding = services.finding_send_back(actor=city, finding=finding, comment="未附走访台账", working_days=3)
    assert finding.state == FindingState.OPEN and finding.returned_count == 1
    task = rectify_task(finding)
    assert task.pk == first.pk and task.state == TaskState.OPEN
    assert "未附走访台账" in task.detail
    assert task.events.filter(action="reopened", comment__contains="未附走访台账").exists()
    assert task.due_at == finding.due_at
    assert review_task(finding).state == TaskState.DONE
    assert task in tab_queryset(county, "mine")
    # answered again, accepted: closed
    services.finding_answer(actor=county, finding=finding, comment="台账已补")
    finding = services.finding_accept(actor=city, finding=finding)
    assert finding.state == FindingState.CLOSED
    assert Task.objects.filter(cause_key__startswith=f"finding:{finding.pk}:").live().count() == 0


def test_an_overdue_rectification_escalates_one_level_up(users):
    city = users["city"]
    _trip, (finding,) = issued(city)
    task = rectify_task(finding)
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert tasks_escalate_overdue() >= 1
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.supervisor_region == "5101"
    assert task in tab_queryset(city, "escalated")


def test_a_task_ticked_off_by_hand_comes_back_while_the_finding_waits(users):
    city, county = users["city"], users["county"]
    _trip, (finding,) = issued(city)
    task = rectify_task(finding)
    task_complete(actor=county, task=task, note="已办")
    assert finding_tasks_sync() == 1
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert finding_tasks_sync() == 0


def test_the_trip_closes_only_with_a_reason_while_findings_are_open(users):
    city, county = users["city"], users["county"]
    trip, (a, b) = issued(city, n=2)
    services.finding_answer(actor=county, finding=a, comment="已整改")
    services.finding_accept(actor=city, finding=a)
    with pytest.raises(ValidationError) as exc:
        services.trip_close(actor=city, trip=trip)
    assert "未销号" in str(exc.value)
    trip = services.trip_close(actor=city, trip=trip, comment="剩余问题转入年度考核")
    b.refresh_from_db()
    assert trip.state == TripState.CLOSED and trip.closing_note == "剩余问题转入年度考核"
    assert b.state == FindingState.CLOSED_BY_TRIP
    assert not rectify_task(b).is_live


def test_a_finding_added_after_issue_is_given_at_once(users):
    city = users["city"]
    trip, _ = issued(city, n=0)
    finding = make_finding(city, trip, working_days=2)
    assert finding.state == FindingState.OPEN and rectify_task(finding).is_live


def test_county_staff_supervise_their_townships(users):
    county, township = users["county"], users["township"]
    _trip, (finding,) = issued(county, regions=("510121001",), region="510121001")
    task = rectify_task(finding)
    assert task.assignee_region == "510121001" and task in tab_queryset(township, "mine")
    with pytest.raises(PermissionDenied):  # the supervisor does not answer for the region
        services.finding_answer(actor=county, finding=finding, comment="代报")
    services.finding_answer(actor=township, finding=finding, comment="已整改")
    with pytest.raises(PermissionDenied):  # nor does the region accept its own answer
        services.finding_accept(actor=township, finding=finding)


def test_who_may_organise_and_where(users):
    with pytest.raises(PermissionDenied):
        make_trip(users["township"], regions=("510121001001",), start=False)
    with pytest.raises(ValidationError) as exc:  # a neighbour's region, or its own
        make_trip(users["county"], regions=("510129",), start=False)
    assert "下级区划" in str(exc.value)
    with pytest.raises(ValidationError):
        make_trip(users["city"], regions=("5101",), start=False)
    trip = make_trip(users["province"], regions=("5101", "510121"))
    with pytest.raises(PermissionDenied):  # the city may not act for the province's trip
        services.trip_issue(actor=users["city"], trip=trip)


def test_bad_input_is_refused_in_chinese(users):
    city = users["city"]
    with pytest.raises(ValidationError) as exc:
        services.trip_create(
            actor=city,
            title="",
            leader="",
            planned_start=datetime.date(2026, 12, 5),
            planned_end=datetime.date(2026, 12, 1),
            regions=[],
        )
    errors = exc.value.message_dict
    assert errors["title"] == ["请填写督查名称"] and errors["leader"] == ["请填写带队领导"]
    assert errors["planned_end"] == ["计划结束日期不能早于开始日期"]
    assert errors["regions"] == ["请至少选择一个被督查地区"]
    planned = make_trip(city, start=False)
    with pytest.raises(ValidationError, match="督查开始后"):
        make_finding(city, planned)
    trip = make_trip(city)
    with pytest.raises(ValidationError) as exc:
        make_finding(city, trip, region="510129", text="", area="nothing")
    errors = exc.value.message_dict
    assert errors["region"] == ["问题所在地区必须是本次督查的被督查地区"]
    assert errors["text"] == ["请填写发现的问题"] and errors["area"] == ["请选择督查事项"]
    other = InstitutionFactory(region=region("510129001"))
    with pytest.raises(ValidationError, match="关联的记录不在被督查地区"):
        make_finding(city, trip, area="institution_safety", institution=other)
    with pytest.raises(ValidationError, match="只能关联一个"):
        make_finding(city, trip, institution=InstitutionFactory(), figure_name="走访率", figure_value="60%")
    services.trip_issue(actor=city, trip=trip)
    finding = make_finding(city, trip, hazard=HazardFactory())
    with pytest.raises(ValidationError) as exc:
        services.finding_answer(actor=users["county"], finding=finding, comment="  ")
    assert exc.value.message_dict["comment"] == ["请填写整改情况"]
    with pytest.raises(ValidationError) as exc:
        from django.core.files.uploadedfile import SimpleUploadedFile

        services.finding_answer(
            actor=users["county"],
            finding=finding,
            comment="已整改",
            evidence=SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/octet-stream"),
        )
    assert "只能上传" in exc.value.message_dict["evidence"][0]
    services.finding_answer(actor=users["county"], finding=finding, comment="已整改")
    with pytest.raises(ValidationError) as exc:
        services.finding_send_back(actor=city, finding=finding, comment="")
    assert exc.value.message_dict["comment"] == ["退回须说明原因"]


def test_open_findings_counts_by_region_and_kind(users):
    city, county = users["city"], users["county"]
    region("510121002", "另一镇")
    trip = make_trip(city, regions=("510121", "510129"))
    make_finding(city, trip, "510121", area="visits")
    make_finding(city, trip, "510121", area="payments")
    make_finding(city, trip, "510129", area="visits")
    trip = services.trip_issue(actor=city, trip=trip)
    answered = trip.findings.filter(area="payments").first()
    services.finding_answer(actor=county, finding=answered, comment="已补发")
    late = trip.findings.filter(region_id="510121", area="visits").first()
    type(late).objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    home = open_findings("510121")
    assert (home["total"], home["open"], home["answered"], home["overdue"]) == (2, 1, 1, 1)
    assert home["by_area"]["visits"]["label"] == "走访探视" and home["by_area"]["payments"]["answered"] == 1
    assert set(home["by_region"]) == {"510121"}
    city_wide = open_findings("5101")
    assert city_wide["total"] == 3 and set(city_wide["by_region"]) == {"510121", "510129"}
    assert open_findings("510121002") == {
        "total": 0,
        "open": 0,
        "answered": 0,
        "overdue": 0,
        "by_region": {},
        "by_area": {},
        "rows": [],
    }


def test_the_supervising_body_s_own_waits_are_its_tasks(users):
    """A planned trip whose day has come, a trip past its last day with findings still drafts, and a
    trip issued with nothing found each wait for the city itself: on its list, done by the step."""
    from relief.todo.deadlines import follow_all

    city = users["city"]
    today = timezone.localdate()
    planned = make_trip(city, start=False, planned_start=today, planned_end=today)
    later = make_trip(
        city,
        start=False,
        planned_start=today + datetime.timedelta(days=7),
        planned_end=today + datetime.timedelta(days=8),
    )
    past = make_trip(
        city, planned_start=today - datetime.timedelta(days=5), planned_end=today - datetime.timedelta(days=3)
    )
    make_finding(city, past)
    follow_all()

    def live(kind):
        return {t.subject_id: t for t in Task.objects.live().filter(kind=kind)}

    assert set(live("supervision.trip.start")) == {str(planned.pk)}, "the trip next week waits"
    task = live("supervision.trip.issue")[str(past.pk)]
    assert task.assignee_region == "5101" and task in tab_queryset(city, "mine")
    # due three working days after the trip's last day (whatever weekday the test runs on)
    assert task.action_url == f"/supervision/{past.pk}/"
    assert task.due_at == working_days_after(past.planned_end, ISSUE_WORKING_DAYS)
    assert str(later.pk) not in live("supervision.trip.issue")

    services.trip_start(actor=city, trip=planned)
    assert str(planned.pk) not in live("supervision.trip.start")
    services.trip_issue(actor=city, trip=past)
    assert str(past.pk) not in live("supervision.trip.issue")
    assert str(past.pk) not in live("supervision.trip.close"), "its finding is the county's work now"
    nothing = services.trip_issue(actor=city, trip=planned)  # nothing found on the trip
    assert str(nothing.pk) in live("supervision.trip.close")
    services.trip_close(actor=city, trip=nothing, comment="未发现问题")
    assert str(nothing.pk) not in live("supervision.trip.close")
