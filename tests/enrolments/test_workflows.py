"""Enrolment from application to decision and after, through the declared steps, on the 2026 holiday
calendar: the clocks (a 公示 across 国庆, make-up workdays), the objection loop, the staff-relatives
rule, an appeal after a refusal, a review ending a category, the monitored cohort, the amount rule,
and the tasks each waiting state puts on the today page.

Expected dates are counted by hand from the State Council's 2026 arrangement: 9-20 (Sun) and 10-10
(Sat) are make-up workdays; 9-25..27 (中秋) and 10-1..7 (国庆) are holidays."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from enrolments import services
from enrolments.appeals import appeal_workflow
from enrolments.models import Appeal, Enrolment, Review, Status
from enrolments.reviews import review_workflow
from enrolments.workflows import enrolment_workflow
from people.models import Assistance, Household
from relief.models import PolicyParameter, Task
from relief.todo.deadlines import follow_all
from tests.people.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "auth.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture
def day(monkeypatch):
    """Set today's date (everything reads it through timezone.localdate)."""
    from django.utils import timezone

    def set_day(value: datetime.date) -> None:
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: value)

    return set_day


@pytest.fixture
def household(regions):
    h = HouseholdFactory(region=regions["village"], monthly_income=Decimal("500.00"), is_urban=False)
    head = PersonFactory(household=h, name="张大爷")
    PersonFactory(household=h, name="李大娘")
    PersonFactory(household=h, name="张小明")
    Household.objects.filter(pk=h.pk).update(head=head)
    h.refresh_from_db()
    return h


def accepted(users, household, day, on=None, **kw) -> Enrolment:
    day(on or D(2026, 9, 18))
    return services.enrolment_create(
        actor=users["township"], household=household, kind=kw.pop("kind", "dibao"), authorisation=pdf(), **kw
    )


def run(step, user, obj, workflow=enrolment_workflow, **data):
    return workflow.run(step, actor=user, obj=obj, **data)


def to_county(users, household, day, **kw) -> Enrolment:
    """Accepted 2026-09-18, reported, investigated, recommended, 公示 from 9-29 to its end, closed."""
    e = accepted(users, household, day, **kw)
    t = users["township"]
    e = run("check_report", t, e, summary="无车辆、无房产、存款低于标准", reference="HD-2026-001")
    e = run("investigate", t, e, findings="三口之家，户主患慢性病，无固定收入")
    day(D(2026, 9, 29))
    e = run("township_opinion", t, e, recommend=True, comment="符合低保条件，建议纳入")
    day(D(2026, 10, 9))
    return run("notice_close", t, e)


# --- clocks ----------------------------------------------------------------------------------------


def test_total_limit_is_30_working_days_on_the_holiday_calendar_and_extends_once_by_15(users, household, day):
    e = accepted(users, household, day)
    assert e.status == Status.CHECKING
    assert e.accepted_on == D(2026, 9, 18)
    # 9-20 (make-up Sunday) counts; 中秋 and 国庆 do not; 10-10 (make-up Saturday) counts
    assert e.deadline == D(2026, 11, 5)
    e = run("extend", users["county"], e, comment="核对机构报告延迟")
    assert e.deadline == D(2026, 11, 26)
    with pytest.raises(ValidationError, match="只能延长一次"):
        run("extend", users["county"], e, comment="再次延期")


def test_a_notice_ending_in_the_national_day_holiday_runs_to_the_next_working_day(users, household, day):
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="核对无异常")
    e = run("investigate", t, e, findings="属实")
    day(D(2026, 9, 29))
    e = run("township_opinion", t, e, recommend=True, comment="建议纳入")
    assert e.status == Status.NOTICE
    assert (e.notice_start, e.notice_round) == (D(2026, 9, 29), 1)
    # 7 days end on 10-06, inside 国庆: the period ends on the first working day after it
    assert e.notice_end == D(2026, 10, 8)
    day(D(2026, 10, 8))
    assert "notice_close" not in enrolment_workflow.available_names(e, t)
    with pytest.raises(ValidationError, match="尚未届满"):
        run("notice_close", t, e)
    day(D(2026, 10, 9))
    e = run("notice_close", t, e)
    assert e.status == Status.COUNTY


def test_a_notice_ending_on_a_make_up_saturday_ends_that_day(users, household, day):
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="核对无异常")
    e = run("investigate", t, e, findings="属实")
    day(D(2026, 10, 3))
    e = run("township_opinion", t, e, recommend=True, comment="建议纳入")
    assert e.notice_end == D(2026, 10, 10)  # a Saturday, but a working day in 2026


def test_each_waiting_state_puts_a_task_on_the_right_level_with_its_own_clock(users, household, day):
    e = accepted(users, household, day)
    task = Task.objects.live().get(kind="enrolments.enrolment.checking", subject_id=str(e.pk))
    assert task.assignee_region == "510121001"  # the township
    # 10 working days after 9-18: 9-20 … 9-24 (5), 9-28 … 9-30 (8), 10-8, 10-9
    assert task.due_at.date() == D(2026, 10, 9)
    e = to_county(users, HouseholdFactory(region=household.region), day)
    county_task = Task.objects.live().get(kind="enrolments.enrolment.county", subject_id=str(e.pk))
    assert county_task.assignee_region == "510121"  # the county decides
    # entered 10-9: ten working days, the make-up Saturday 10-10 among them
    assert county_task.due_at.date() == D(2026, 10, 22)
    assert not Task.objects.live().filter(subject_id=str(e.pk), kind="enrolments.enrolment.notice").exists()


def test_a_stage_never_runs_past_the_total_limit(users, household, day):
    e = accepted(users, household, day)
    Enrolment.objects.filter(pk=e.pk).update(deadline=D(2026, 9, 30))
    e.refresh_from_db()
    follow_all()
    task = Task.objects.live().get(kind="enrolments.enrolment.checking", subject_id=str(e.pk))
    assert task.due_at.date() == D(2026, 9, 30)
    run("extend", users["county"], e, comment="核对报告延迟")  # the total moves: the stage's own clock again
    task.refresh_from_db()
    assert task.due_at.date() == D(2026, 10, 9)


def test_a_working_day_policy_value_set_for_the_county_changes_the_clock(users, household, regions, day):
    PolicyParameter.objects.create(
        key="enrol_total_working_days",
        region=regions["county"],
        valid_from=D(2026, 1, 1),
        value=Decimal("20"),
    )
    e = accepted(users, household, day)
    assert e.deadline == D(2026, 10, 22)  # the 20th working day after 9-18


# --- the loop of a 公示 objection ------------------------------------------------------------------


def test_an_objection_sends_the_case_back_to_investigation_and_a_new_notice(users, household, day):
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="核对无异常")
    e = run("investigate", t, e, findings="属实")
    day(D(2026, 9, 29))
    e = run("township_opinion", t, e, recommend=True, comment="建议纳入")
    day(D(2026, 9, 30))
    e = run("objection", t, e, comment="邻居反映其子在外务工月收入四千元")
    assert e.status == Status.INVESTIGATING
    assert "approve" not in enrolment_workflow.available_names(e, users["county"])
    day(D(2026, 10, 9))
    e = run("investigate", t, e, findings="其子已分户，收入不计入")
    e = run("township_opinion", t, e, recommend=True, comment="异议不成立，建议纳入")
    assert (e.status, e.notice_round) == (Status.NOTICE, 2)
    assert (e.notice_start, e.notice_end) == (D(2026, 10, 9), D(2026, 10, 16))
    actions = list(e.events.values_list("action", flat=True))
    assert actions.count("investigate") == 2 and "objection" in actions


def test_a_township_that_does_not_recommend_sends_it_to_the_county_without_a_notice(users, household, day):
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="名下有小轿车一辆")
    e = run("investigate", t, e, findings="有车辆")
    e = run("township_opinion", t, e, recommend=False, comment="不符合条件")
    assert e.status == Status.COUNTY and e.notice_start is None


def test_where_the_county_holds_a_democratic_review_it_comes_before_the_township(
    users, household, regions, day
):
    PolicyParameter.objects.create(
        key="enrol_democratic_review", region=regions["county"], valid_from=D(2026, 1, 1), value=Decimal("1")
    )
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="核对无异常")
    e = run("investigate", t, e, findings="属实")
    assert e.status == Status.EVALUATING
    with pytest.raises(ValidationError):
        run("evaluate", t, e, comment="")
    e = run("evaluate", t, e, comment="评议小组7人，同意7人")
    assert e.status == Status.TOWNSHIP and e.evaluation_result.startswith("评议小组")


def test_the_investigation_is_a_visit_on_the_register(users, household, day):
    e = accepted(users, household, day)
    t = users["township"]
    e = run("check_report", t, e, summary="核对无异常")
    e = run("investigate", t, e, findings="住房为土坯房")
    visit = e.investigation_visit
    assert visit is not None and visit.kind == "investigation" and visit.household_id == household.pk


# --- decision, amount, register ------------------------------------------------------------------


def test_approval_starts_the_category_today_and_payments_the_month_after(users, household, day):
    e = to_county(users, household, day)
    c = users["county"]
    # 600 rural standard × 3 persons − 500 declared income
    with pytest.raises(ValidationError, match="调整理由"):
        run("approve", c, e, amount=Decimal("1500.00"))
    day(D(2026, 10, 12))
    e = run("approve", c, e, dibao_class="B")
    assert e.status == Status.APPROVED
    assert (e.suggested_amount, e.amount) == (Decimal("1300.00"), Decimal("1300.00"))
    a = Assistance.objects.get(pk=e.assistance_id)
    assert (a.category, a.dibao_class, a.start_date) == ("dibao", "B", D(2026, 10, 12))
    assert (a.monthly_amount, a.payment_from) == (Decimal("1300.00"), D(2026, 11, 1))
    review = Review.objects.get(assistance=a)
    assert review.due_on == D(2027, 4, 12)  # class B: half-yearly
    assert e.events.filter(action="approve").get().amount == Decimal("1300.00")


def test_a_changed_amount_needs_a_reason_and_is_kept_with_it(users, household, day):
    e = to_county(users, household, day)
    e = run("approve", users["county"], e, amount=Decimal("1400.00"), amount_reason="户主重病，按规定增发")
    assert (e.amount, e.suggested_amount, e.amount_reason) == (
        Decimal("1400.00"),
        Decimal("1300.00"),
        "户主重病，按规定增发",
    )


def test_tekun_amount_is_the_basic_standard_plus_the_care_level(users, household, day):
    person = household.members.get(name="张大爷")
    e = to_county(users, household, day, kind="tekun", applicant=person, care_level="partial")
    from enrolments.rules import suggest

    # 600 × 1.3 + 400 (半失能)
    assert suggest(e).amount == Decimal("1180.00")
    with pytest.raises(ValidationError, match="供养方式"):
        run("approve", users["county"], e)
    e = run("approve", users["county"], e, tekun_mode="dispersed")
    a = e.assistance
    assert (a.category, a.person_id, a.tekun_mode, a.monthly_amount) == (
        "tekun",
        person.pk,
        "dispersed",
        Decimal("1180.00"),
    )


def test_the_decision_is_the_countys(users, household, day):
    e = to_county(users, household, day)
    assert "approve" not in enrolment_workflow.available_names(e, users["township"])
    with pytest.raises(PermissionDenied):
        run("approve", users["township"], e)
    assert Enrolment.objects.get(pk=e.pk).status == Status.COUNTY


def test_a_second_open_application_of_the_same_kind_is_refused(users, household, day):
    accepted(users, household, day)
    with pytest.raises(ValidationError, match="办理中"):
        accepted(users, household, day)
    assert Enrolment.objects.filter(household=household).count() == 1


def test_acceptance_needs_the_signed_authorisation(users, household, day):
    day(D(2026, 9, 18))
    e = services.enrolment_create(actor=users["township"], household=household, kind="dibao", origin="online")
    assert e.status == Status.SUBMITTED
    with pytest.raises(ValidationError, match="授权书"):
        run("accept", users["township"], e)
    fake = SimpleUploadedFile("auth.pdf", b"MZ not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        run("accept", users["township"], e, authorisation=fake)
    e = run("accept", users["township"], e, authorisation=pdf())
    assert e.status == Status.CHECKING and e.authorisation


# --- staff relatives -------------------------------------------------------------------------------


def test_a_staff_relatives_case_needs_a_county_home_visit_before_any_decision(users, household, day):
    e = to_county(users, household, day, staff_relative=True, staff_relative_note="申请人系村委会主任之弟")
    c = users["county"]
    assert "approve" not in enrolment_workflow.available_names(e, c)
    assert "refuse" not in enrolment_workflow.available_names(e, c)
    with pytest.raises(ValidationError, match="县级民政部门入户核查"):
        run("approve", c, e)
    with pytest.raises(PermissionDenied):
        run("county_visit", users["township"], e, comment="乡镇代为核查")
    e = run("county_visit", c, e, comment="县局两人入户，情况属实")
    assert e.county_visit_on is not None
    e = run("approve", c, e)
    assert e.status == Status.APPROVED


def test_an_ordinary_case_has_no_county_visit_step(users, household, day):
    e = to_county(users, household, day)
    assert "county_visit" not in enrolment_workflow.available_names(e, users["county"])


# --- refusal, letter, appeal -----------------------------------------------------------------------


def test_a_refusal_is_told_in_writing_within_3_working_days(users, household, day):
    e = to_county(users, household, day)
    day(D(2026, 9, 30))
    with pytest.raises(ValidationError):
        run("refuse", users["county"], e, comment="")
    e = run("refuse", users["county"], e, comment="家庭人均收入高于低保标准")
    task = Task.objects.live().get(kind="enrolments.enrolment.refused", subject_id=str(e.pk))
    assert task.due_at.date() == D(2026, 10, 10)  # 10-8, 10-9, and the make-up Saturday
    with pytest.raises(ValidationError, match="告知方式"):
        run("notify_refusal", users["township"], e)
    e = run("notify_refusal", users["township"], e, method="当面送达书面告知书")
    assert e.status == Status.REFUSAL_SENT and e.notified_on == D(2026, 9, 30)
    assert not Task.objects.live().filter(subject_id=str(e.pk), kind__startswith="enrolments.").exists()


def test_an_appeal_after_a_refusal_upheld_by_the_county_reopens_the_case(users, household, day):
    e = to_county(users, household, day)
    day(D(2026, 10, 12))
    e = run("refuse", users["county"], e, comment="人均收入超标")
    e = run("notify_refusal", users["township"], e, method="邮寄")
    day(D(2026, 11, 11))  # the 30th day after the decision
    appeal = services.appeal_create(
        actor=users["township"],
        kind="review",
        enrolment=e,
        person_name="张大爷",
        content="收入计算有误，其子已分户",
    )
    assert appeal.due_on == D(2026, 12, 9)  # 20 working days
    task = Task.objects.live().get(kind="enrolments.appeal.review", subject_id=str(appeal.pk))
    assert task.assignee_region == "510121"
    with pytest.raises(PermissionDenied):  # a 复查 of the county's decision is the county's to answer
        run("answer", users["township"], appeal, appeal_workflow, outcome="upheld", comment="成立")
    appeal = run("take", users["county"], appeal, appeal_workflow)
    appeal = run(
        "answer", users["county"], appeal, appeal_workflow, outcome="upheld", comment="收入认定有误，重新调查"
    )
    e.refresh_from_db()
    assert e.status == Status.INVESTIGATING and e.decided_on is None and e.refusal_reason == ""
    assert e.deadline > D(2026, 11, 11)
    assert e.events.filter(action="reopen").exists()
    appeal = run("close", users["county"], appeal, appeal_workflow, comment="已重新审核")
    assert appeal.status == "closed" and appeal.closed_on == D(2026, 11, 11)


def test_an_appeal_after_30_days_is_refused(users, household, day):
    e = to_county(users, household, day)
    day(D(2026, 10, 12))
    e = run("refuse", users["county"], e, comment="人均收入超标")
    day(D(2026, 11, 12))
    with pytest.raises(ValidationError, match="复查申请期限"):
        services.appeal_create(actor=users["township"], kind="review", enrolment=e, content="不服")
    assert not Appeal.objects.exists()


def test_an_appeal_rejected_leaves_the_refusal(users, household, day):
    e = to_county(users, household, day)
    e = run("refuse", users["county"], e, comment="人均收入超标")
    appeal = services.appeal_create(actor=users["township"], kind="review", enrolment=e, content="不服")
    run("answer", users["county"], appeal, appeal_workflow, outcome="rejected", comment="维持原决定")
    e.refresh_from_db()
    assert e.status == Status.REFUSED


def test_a_complaint_is_registered_assigned_answered_and_closed_on_its_clock(users, household, day):
    day(D(2026, 9, 29))
    complaint = services.appeal_create(
        actor=users["village"], kind="complaint", household=household, content="该户有商铺出租，不应享受低保"
    )
    assert complaint.due_on == D(2026, 10, 26)  # 15 working days: 9-30, 10-8 … 10-26 with 10-10
    task = Task.objects.live().get(kind="enrolments.appeal.complaint", subject_id=str(complaint.pk))
    assert task.assignee_region == "510121001"
    complaint = run("take", users["township"], complaint, appeal_workflow)
    task = Task.objects.live().get(kind="enrolments.appeal.complaint", subject_id=str(complaint.pk))
    assert task.assignee_id == users["township"].pk  # taken: the handler's by name
    with pytest.raises(ValidationError, match="办理结果"):
        run("answer", users["township"], complaint, appeal_workflow, comment="已核实")
    complaint = run(
        "answer",
        users["township"],
        complaint,
        appeal_workflow,
        outcome="rejected",
        comment="商铺已于去年转让",
    )
    assert (
        not Task.objects.live().filter(subject_id=str(complaint.pk), kind__startswith="enrolments.").exists()
    )


# --- reviews and the cohort ------------------------------------------------------------------------


def test_a_review_shows_on_the_township_today_page_30_days_before_it_is_due(users, household, day):
    e = to_county(users, household, day)
    e = run("approve", users["county"], e, dibao_class="C")
    review = Review.objects.get(assistance=e.assistance)
    assert review.due_on == D(2027, 1, 9)  # class C: quarterly
    day(D(2026, 12, 9))
    follow_all()
    assert not Task.objects.live().filter(kind="enrolments.review").exists()
    day(D(2026, 12, 10))
    follow_all()
    task = Task.objects.live().get(kind="enrolments.review", subject_id=str(review.pk))
    assert task.assignee_region == "510121001" and task.due_at.date() == D(2027, 1, 9)


def test_a_review_continuing_schedules_the_next_one(users, household, day):
    e = to_county(users, household, day)
    e = run("approve", users["county"], e)  # stable income, no class: yearly
    review = Review.objects.get(assistance=e.assistance)
    assert review.due_on == D(2027, 10, 9)
    day(D(2027, 10, 1))
    run("continue", users["township"], review, review_workflow, findings="家庭情况无变化")
    nxt = Review.objects.get(assistance=e.assistance, status="scheduled")
    assert nxt.due_on == D(2028, 10, 1)


def test_a_review_ending_a_category_stops_it_and_keeps_the_household_watched(users, household, day):
    e = to_county(users, household, day)
    e = run("approve", users["county"], e)
    review = Review.objects.get(assistance=e.assistance)
    day(D(2027, 3, 15))
    with pytest.raises(PermissionDenied):  # ending a category is the county's decision
        run("end", users["township"], review, review_workflow, end_reason="收入超标", end_notice="已告知")
    with pytest.raises(ValidationError, match="告知"):
        run("end", users["county"], review, review_workflow, end_reason="其子就业，人均收入超过标准")
    run(
        "end",
        users["county"],
        review,
        review_workflow,
        end_reason="其子就业，人均收入超过标准",
        end_notice="2027-03-15 当面告知",
    )
    a = Assistance.objects.get(pk=e.assistance_id)
    assert a.end_date == D(2027, 3, 15)
    assert not Assistance.objects.current(D(2027, 3, 16)).filter(pk=a.pk).exists()
    household.refresh_from_db()
    assert household.cohort_until == D(2029, 3, 15) and "退出低保" in household.cohort_reason
    assert Household.objects.monitored(D(2028, 6, 1)).filter(pk=household.pk).exists()
    assert not Household.objects.monitored(D(2029, 3, 16)).filter(pk=household.pk).exists()
    assert not Review.objects.filter(assistance=a, status="scheduled").exists()


def test_a_refused_applicant_stays_in_the_monitored_cohort(users, household, day):
    e = to_county(users, household, day)
    day(D(2026, 10, 12))
    run("refuse", users["county"], e, comment="人均收入超标")
    household.refresh_from_db()
    assert household.cohort_until == D(2028, 10, 12)
    assert Household.objects.monitored(D(2027, 1, 1)).filter(pk=household.pk).exists()
    # the cohort's visit rule now schedules its members' visits (the visit-overdue sweep reads it)
    member = household.members.get(name="张小明")
    assert member.visit_rule_name.startswith("动态监测对象") and member.next_visit_due is not None


def test_categories_without_a_review_get_the_next_one_never_in_the_past(users, household, day):
    from enrolments.register import reviews_schedule_missing
    from people.services import assistance_add

    day(D(2026, 12, 1))
    a = assistance_add(
        actor=users["township"], household=household, category="dibao", start_date=D(2024, 3, 1)
    )
    assert reviews_schedule_missing() == 1
    assert Review.objects.get(assistance=a).due_on == D(2027, 3, 1)
    assert reviews_schedule_missing() == 0


def test_a_decided_amount_is_paid_from_the_month_after(users, household, day):
    from funds.models import Program
    from funds.services.eligibility import eligible_payments

    e = to_county(users, household, day)
    day(D(2026, 10, 12))
    run("approve", users["county"], e)
    program = Program.objects.create(
        code="dibao-monthly",
        name="低保金",
        categories=["dibao"],
        amount_basis="household",
        amount_mode="decided",
    )
    household.refresh_from_db()
    assert eligible_payments(program, household, D(2026, 10, 31)) == []
    rows = eligible_payments(program, household, D(2026, 11, 5))
    assert [r["amount"] for r in rows] == [Decimal("1300.00")]


# --- 主动发现 ------------------------------------------------------------------------------------


def test_an_application_from_an_alert_answers_it(users, household, day):
    from tests.factories import AlertFactory

    day(D(2026, 9, 18))
    alert = AlertFactory(region=household.region, kind="people.dibao_uncovered", message="应保未保")
    e = services.enrolment_create(
        actor=users["township"], household=household, kind="dibao", origin="found", origin_alert=alert
    )
    alert.refresh_from_db()
    assert alert.status == "resolved"
    assert e.origin == "found" and e.status == Status.SUBMITTED


def test_approval_replaces_a_category_it_cannot_hold_beside(users, household, day):
    """A 低保边缘 household approved for 低保: the 低保边缘 ends the day before (the register refuses two
    tiers at once), with the decision as its reason; the approval does not fail."""
    from people import services as people_services

    edge = people_services.assistance_add(
        actor=users["county"], household=household, category="dibao_edge", start_date=D(2026, 1, 1)
    )
    e = to_county(users, household, day)
    day(D(2026, 10, 12))
    e = run("approve", users["county"], e, dibao_class="B")
    edge.refresh_from_db()
    assert edge.end_date == D(2026, 10, 11)
    assert str(e.pk) in edge.end_reason
    assert Assistance.objects.get(pk=e.assistance_id).category == "dibao"
