"""The enrolment pages as a township worker, a county officer and a city official use them: the
queue by deadline, filing from the household page with the signed authorisation, the investigation
from a phone, the county's decision with the suggested amount, out-of-region 404s, read-only roles,
the household panel, the dashboard section, and the 应保未保 alert's one tap to a pre-filled form.

Fixtures are local to this module (tests/enrolments/conftest.py belongs to the workflow tests)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import chinese_calendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrolments import services
from enrolments.appeals import appeal_workflow
from enrolments.models import Appeal, Enrolment, Review, Status
from enrolments.reviews import review_workflow
from enrolments.workflows import enrolment_workflow
from people.choices import DIBAO_UNCOVERED, VisitKind
from people.models import Household, Visit
from relief.alerts.sweeps import sweep_county
from relief.dashboard import selectors as dashboard
from relief.models import Alert, Region, Task
from tests.people.factories import HouseholdFactory, PersonFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = datetime.date(2026, 12, 2)  # a Wednesday; 2027's holidays are not published (see below)


def pdf(name: str = "auth.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    """Today is TODAY (everything reads it through timezone.localdate); the holiday calendar of
    2027 is unknown, as it is until the State Council publishes it."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    known = chinese_calendar.is_workday

    def is_workday(day):
        if day.year >= 2027:
            raise NotImplementedError
        return known(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", is_workday)
    return TODAY


def make_household(region_code: str = "510121001001", income: str = "500.00") -> Household:
    h = HouseholdFactory(region=Region.objects.get(code=region_code), monthly_income=Decimal(income))
    head = PersonFactory(household=h, name="张大爷")
    PersonFactory(household=h, name="张小明", relation="child")
    Household.objects.filter(pk=h.pk).update(head=head)
    h.refresh_from_db()
    return h


@pytest.fixture
def household(regions):
    return make_household()


def run(step, user, obj, workflow=enrolment_workflow, **data):
    return workflow.run(step, actor=user, obj=obj, **data)


def accepted(users, household, on: datetime.date | None = None, kind: str = "dibao") -> Enrolment:
    e = services.enrolment_create(actor=users["township"], household=household, kind=kind)
    return run("accept", users["township"], e, authorisation=pdf(), on=on or TODAY)


def investigating(users, household, **kw) -> Enrolment:
    e = accepted(users, household, **kw)
    return run("check_report", users["township"], e, summary="无车辆、无房产", report=pdf("report.pdf"))


def at_county(users, household, **kw) -> Enrolment:
    """Investigated and sent to the county without a 公示 (not recommended by the township)."""
    t = users["township"]
    e = run("investigate", t, investigating(users, household, **kw), findings="三口之家，无固定收入")
    if e.status == Status.EVALUATING:
        e = run("evaluate", t, e, comment="评议通过")
    return run("township_opinion", t, e, recommend=False, comment="请县级审核")


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- every page renders for the people who work with it -----------------------------------------


def test_pages_render_for_township_and_county(as_user, users, household, regions):
    e = at_county(users, household)
    refused = run("refuse", users["county"], at_county(users, make_household()), comment="有商品房")
    appeal = services.appeal_create(
        actor=users["township"], kind="review", enrolment=refused, content="房已出售，请求复查"
    )
    approved = run("approve", users["county"], at_county(users, make_household()))
    review = Review.objects.get(assistance=approved.assistance)
    pages = [
        reverse("enrolments:queue"),
        reverse("enrolments:queue") + "?status=all",
        reverse("enrolments:detail", args=[e.pk]),
        reverse("enrolments:detail", args=[refused.pk]),
        reverse("enrolments:detail", args=[approved.pk]),
        reverse("enrolments:create") + f"?household={household.pk}",
        reverse("enrolments:review-list"),
        reverse("enrolments:review-detail", args=[review.pk]),
        reverse("enrolments:appeal-list"),
        reverse("enrolments:appeal-detail", args=[appeal.pk]),
        reverse("enrolments:appeal-create") + f"?enrolment={refused.pk}",
        reverse("enrolments:appeal-create"),
    ]
    for who in ("township", "county"):
        client = as_user(users[who])
        for url in pages:
            assert "暖冬" in html(client.get(url)), (who, url)
    county = as_user(users["county"])
    body = html(county.get(reverse("enrolments:detail", args=[e.pk])))
    # the decision: the rules' amount and how it was reached, next to the approve form
    assert 'data-testid="suggestion"' in body
    assert "农村低保标准 600.00 元 × 2 人 − 家庭月收入 500.00 元 = 700.00 元" in body
    assert 'name="approve-amount"' in body and 'value="700.00"' in body
    assert body.index('data-testid="suggestion"') < body.index('data-step="approve"')
    assert "下载核对报告" in body
    body = html(county.get(reverse("enrolments:detail", args=[refused.pk])))
    assert "有商品房" in body and "尚未告知" in body
    assert f"?enrolment={refused.pk}" in body  # 复查 may still be asked for
    assert reverse("enrolments:appeal-detail", args=[appeal.pk]) in body
    body = html(county.get(reverse("enrolments:detail", args=[approved.pk])))
    assert "700.00 元/月" in body and "2027-01" in body
    # the township asks no county step of the queue's decision
    body = html(as_user(users["township"]).get(reverse("enrolments:detail", args=[e.pk])))
    assert 'data-step="approve"' not in body and 'data-step="withdraw"' in body


def test_ids_of_members_are_masked_for_officials(as_user, users, household):
    e = accepted(users, household)
    full = household.head.id_number
    assert full in html(as_user(users["county"]).get(reverse("enrolments:detail", args=[e.pk])))
    body = html(as_user(users["city"]).get(reverse("enrolments:detail", args=[e.pk])))
    assert full not in body and f"{full[:6]}********{full[-4:]}" in body


# --- filing from the household page --------------------------------------------------------------


def test_filing_from_the_household_page_with_the_authorisation_goes_to_checking(as_user, users, household):
    client = as_user(users["township"])
    page = html(client.get(reverse("people:household-detail", args=[household.pk])))
    link = f"{reverse('enrolments:create')}?household={household.pk}"
    assert f'href="{link}"' in page and "申请救助" in page
    form = html(client.get(link))
    assert 'capture="environment"' in form and 'type="file"' in form
    response = client.post(link, {"kind": "dibao", "origin": "walk_in", "authorisation": pdf()})
    e = Enrolment.objects.get(household=household)
    assert response.status_code == 302 and response["Location"] == reverse("enrolments:detail", args=[e.pk])
    assert e.status == Status.CHECKING and e.accepted_on == TODAY
    assert e.deadline == datetime.date(2027, 1, 13) and not e.deadline_exact
    assert [m.name for m in e.members.all()] == ["张大爷", "张小明"]
    body = html(client.get(response["Location"]))
    assert "经济状况核对中" in body and 'data-testid="inexact"' in body
    download = re.search(r'href="(/files/enrolments\.enrolment/\d+/authorisation/)"', body).group(1)
    assert client.get(download).status_code == 200
    # the household page lists it
    page = html(client.get(reverse("people:household-detail", args=[household.pk])))
    assert reverse("enrolments:detail", args=[e.pk]) in page and "经济状况核对中" in page


def test_filing_without_the_authorisation_waits_to_be_accepted(as_user, users, household):
    client = as_user(users["township"])
    client.post(
        f"{reverse('enrolments:create')}?household={household.pk}", {"kind": "dibao", "origin": "walk_in"}
    )
    assert Enrolment.objects.get(household=household).status == Status.SUBMITTED


def test_a_village_worker_registers_and_the_township_accepts(as_user, users, household):
    client = as_user(users["village"])
    url = f"{reverse('enrolments:create')}?household={household.pk}&origin=found"
    assert 'name="authorisation"' not in html(client.get(url))
    client.post(url, {"kind": "dibao", "origin": "found", "origin_note": "走访发现"})
    e = Enrolment.objects.get(household=household)
    assert e.status == Status.SUBMITTED and e.origin == "found"
    body = html(as_user(users["township"]).get(reverse("enrolments:detail", args=[e.pk])))
    assert 'data-step="accept"' in body and 'name="accept-authorisation"' in body
    assert 'capture="environment"' in body


def test_a_tekun_application_needs_the_member(as_user, users, household):
    client = as_user(users["township"])
    url = f"{reverse('enrolments:create')}?household={household.pk}"
    body = html(client.post(url, {"kind": "tekun", "origin": "walk_in"}))
    assert "请选择申请的家庭成员" in body and not Enrolment.objects.exists()


# --- the investigation, on a phone -------------------------------------------------------------


def test_the_investigation_step_on_a_phone_records_an_investigation_visit(as_user, users, household):
    e = investigating(users, household)
    client = as_user(users["village"])  # village workers read; the township investigates
    assert 'data-step="investigate"' not in html(client.get(reverse("enrolments:detail", args=[e.pk])))
    client = as_user(users["township"])
    body = html(client.get(reverse("enrolments:detail", args=[e.pk])))
    assert 'name="viewport"' in body and 'type="date"' in body and 'name="investigate-findings"' in body
    response = client.post(
        reverse("enrolments:detail", args=[e.pk]),
        {
            "step": "investigate",
            "investigate-visited_on": "2026-12-01",
            "investigate-findings": "户主患慢性病，住房漏风",
        },
    )
    assert response.status_code == 302
    e.refresh_from_db()
    visit = Visit.objects.get(household=household, kind=VisitKind.INVESTIGATION)
    assert e.investigation_visit == visit and e.status in (Status.EVALUATING, Status.TOWNSHIP)
    assert visit.visited_at.date() == datetime.date(2026, 12, 1) and "住房漏风" in visit.note
    body = html(client.get(reverse("enrolments:detail", args=[e.pk])))
    assert reverse("people:visit-detail", args=[visit.pk]) in body


def test_a_step_refused_by_its_rule_shows_the_form_again(as_user, users, household):
    e = investigating(users, household)
    body = html(
        as_user(users["township"]).post(
            reverse("enrolments:detail", args=[e.pk]),
            {"step": "investigate", "investigate-visited_on": "2026-12-09", "investigate-findings": "属实"},
        )
    )
    assert "调查日期不能晚于今天" in body
    assert Enrolment.objects.get(pk=e.pk).status == Status.INVESTIGATING


# --- the queue -------------------------------------------------------------------------------------


def test_the_queue_orders_by_deadline_with_overdue_and_inexact_dates(as_user, users, regions):
    late = accepted(users, make_household(), on=datetime.date(2026, 10, 9))  # limit 11-19: past
    soon = accepted(users, make_household(), on=datetime.date(2026, 10, 30))  # limit 12-11
    new = accepted(users, make_household())  # limit 2027-01-13: the 2027 calendar is unknown
    waiting = services.enrolment_create(actor=users["township"], household=make_household(), kind="dibao")
    body = html(as_user(users["county"]).get(reverse("enrolments:queue")))
    order = [int(pk) for pk in re.findall(r'data-enrolment="(\d+)"', body)]
    assert order == [late.pk, soon.pk, new.pk, waiting.pk]
    rows = dict(zip(order, re.split(r'data-testid="queue-row"', body)[1:], strict=True))
    # the total limit in red with its badge when passed; a stage's own limit can pass before it
    assert 'text-danger fw-semibold">2026-11-19</span> <span class="badge text-bg-danger"' in rows[late.pk]
    assert '<span class="text-nowrap">2026-12-11</span>' in rows[soon.pk]  # the total: not yet
    assert 'text-danger fw-semibold">2026-11-13</span>' in rows[soon.pk]  # its check report: late
    assert 'data-testid="overdue"' not in rows[new.pk]
    assert 'data-testid="inexact"' in rows[new.pk] and 'data-testid="inexact"' not in rows[soon.pk]
    assert 'data-count="4"' in body
    assert re.search(r'data-testid="due-soon">[^<]*<span[^>]*>1<', body)  # the overdue one
    # filters
    body = html(as_user(users["county"]).get(reverse("enrolments:queue") + "?status=submitted"))
    assert re.findall(r'data-enrolment="(\d+)"', body) == [str(waiting.pk)]
    body = html(as_user(users["county"]).get(reverse("enrolments:queue") + "?due_within=3"))
    assert re.findall(r'data-enrolment="(\d+)"', body) == [str(late.pk)]
    body = html(as_user(users["county"]).get(reverse("enrolments:queue") + "?kind=tekun"))
    assert 'data-count="0"' in body


# --- scope and roles -------------------------------------------------------------------------------


def test_out_of_region_pages_answer_404(as_user, users, household):
    e = at_county(users, household)
    review_of = run("approve", users["county"], at_county(users, make_household()))
    review = Review.objects.get(assistance=review_of.assistance)
    appeal = services.appeal_create(
        actor=users["township"], kind="complaint", household=household, content="投诉"
    )
    client = as_user(users["other_county"])
    for url in (
        reverse("enrolments:detail", args=[e.pk]),
        reverse("enrolments:create") + f"?household={household.pk}",
        reverse("enrolments:review-detail", args=[review.pk]),
        reverse("enrolments:appeal-detail", args=[appeal.pk]),
        reverse("enrolments:appeal-create") + f"?enrolment={review_of.pk}",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("enrolments:detail", args=[e.pk]), {"step": "refuse", "refuse-comment": "x"}
    )
    assert response.status_code == 404
    assert Enrolment.objects.get(pk=e.pk).status == Status.COUNTY
    body = html(client.get(reverse("enrolments:queue")))
    assert 'data-count="0"' in body


def test_a_read_only_role_gets_no_buttons(as_user, users, household):
    e = at_county(users, household)
    approved = run("approve", users["county"], at_county(users, make_household()))
    review = Review.objects.get(assistance=approved.assistance)
    appeal = services.appeal_create(
        actor=users["township"], kind="complaint", household=household, content="投诉"
    )
    client = as_user(users["city"])
    for url in (
        reverse("enrolments:detail", args=[e.pk]),
        reverse("enrolments:detail", args=[approved.pk]),
        reverse("enrolments:review-detail", args=[review.pk]),
        reverse("enrolments:appeal-detail", args=[appeal.pk]),
        reverse("enrolments:appeal-list"),
        reverse("people:household-detail", args=[household.pk]),
    ):
        body = html(client.get(url))
        assert 'data-testid="workflow-actions"' not in body, url
        assert 'data-testid="enrolment-create"' not in body and 'data-testid="appeal-create"' not in body
        assert 'data-testid="complaint-create"' not in body
    assert client.get(reverse("enrolments:create") + f"?household={household.pk}").status_code == 403
    response = client.post(
        reverse("enrolments:detail", args=[e.pk]), {"step": "refuse", "refuse-comment": "x"}
    )
    assert response.status_code == 403
    assert Enrolment.objects.get(pk=e.pk).status == Status.COUNTY
    assert 'data-step="approve"' in html(
        as_user(users["county"]).get(reverse("enrolments:detail", args=[e.pk]))
    )


# --- the household page -----------------------------------------------------------------------------


def test_the_household_panel_shows_decisions_reviews_appeals_and_the_cohort(as_user, users, household):
    refused = run("refuse", users["county"], at_county(users, household), comment="家庭收入超过标准")
    approved = run("approve", users["county"], at_county(users, household, kind="dibao_edge"))
    review = Review.objects.get(assistance=approved.assistance)
    appeal = services.appeal_create(
        actor=users["township"], kind="review", enrolment=refused, content="收入计算有误"
    )
    client = as_user(users["township"])
    page = html(client.get(reverse("people:household-detail", args=[household.pk])))
    panel = page[page.index('data-testid="household-enrolments"') :]
    for url in (
        reverse("enrolments:detail", args=[refused.pk]),
        reverse("enrolments:detail", args=[approved.pk]),
        reverse("enrolments:review-detail", args=[review.pk]),
        reverse("enrolments:appeal-detail", args=[appeal.pk]),
    ):
        assert url in panel
    assert "家庭收入超过标准" in panel and "已确认纳入" in panel
    household.refresh_from_db()
    assert household.cohort_until is not None
    assert 'data-testid="cohort-badge"' in page and "动态监测至" in page
    assert household.cohort_reason in panel
    listing = html(client.get(reverse("people:index")))
    assert 'data-testid="cohort-badge"' in listing


def test_the_household_page_stays_a_few_queries(as_user, users, household, django_assert_max_num_queries):
    run("refuse", users["county"], at_county(users, household), comment="不符合")
    for _ in range(3):
        services.appeal_create(actor=users["township"], kind="complaint", household=household, content="投诉")
    client = as_user(users["county"])
    client.get(reverse("people:household-detail", args=[household.pk]))
    with django_assert_max_num_queries(
        21
    ):  # the same with one appeal or many (21: members' payment accounts, the assistance chain's seven, charity's panel)
        client.get(reverse("people:household-detail", args=[household.pk]))


# --- appeals ---------------------------------------------------------------------------------------


def test_an_appeal_is_registered_from_the_decision_and_answered_by_the_county(as_user, users, household):
    refused = run("refuse", users["county"], at_county(users, household), comment="不符合")
    client = as_user(users["township"])
    url = reverse("enrolments:appeal-create") + f"?enrolment={refused.pk}"
    response = client.post(url, {"person_name": "张大爷", "phone": "13900000000", "content": "请求复查"})
    appeal = Appeal.objects.get(enrolment=refused)
    assert response["Location"] == reverse("enrolments:appeal-detail", args=[appeal.pk])
    body = html(client.get(response["Location"]))
    assert 'data-step="answer"' not in body  # answered by the county that decided
    body = html(as_user(users["county"]).get(response["Location"]))
    assert 'data-step="answer"' in body and "请求复查" in body
    run("answer", users["county"], appeal, workflow=appeal_workflow, outcome="upheld", comment="重新调查")
    refused.refresh_from_db()
    assert refused.status == Status.INVESTIGATING


# --- the dashboard ---------------------------------------------------------------------------------


def figures(client, code: str) -> dict[str, str]:
    body = html(client.get(f"/dashboard/?region={code}"))
    found = re.findall(r'data-testid="figure-(enrolments\.[a-z_]+)">\s*(?:<a [^>]*>)?([^<]*)<', body)
    return {k: v.strip() for k, v in found}


def test_the_dashboard_section_shows_the_right_numbers(as_user, users, regions):
    late = at_county(users, make_household(), on=datetime.date(2026, 10, 9))  # limit 11-19: past
    run("approve", users["county"], late)  # decided late
    on_time = run("approve", users["county"], at_county(users, make_household()))  # decided in time
    run("refuse", users["county"], at_county(users, make_household()), comment="不符合")  # in time
    accepted(users, make_household(), on=datetime.date(2026, 10, 9))  # in progress, past its limit
    accepted(users, make_household(), on=datetime.date(2026, 10, 30))  # limit 12-11
    accepted(users, make_household(), kind="dibao_edge")
    services.enrolment_create(  # the other county's
        actor=users["other_county"], household=make_household("510129001001"), kind="dibao"
    )
    review = Review.objects.get(assistance=on_time.assistance)
    run("end", users["county"], review, workflow=review_workflow, end_reason="已就业", end_notice="当面告知")
    client = as_user(users["county"])
    got = figures(client, "510121")
    assert got == {
        "enrolments.in_progress": "3",
        "enrolments.due_soon": "1",
        "enrolments.decided": "3",
        "enrolments.in_time_share": "67%",
        "enrolments.refused": "1",
        "enrolments.exits": "1",
    }
    summary = dashboard.summary(Region.objects.get(code="510121"), live=True)
    rows = {r["key"]: r for r in dashboard.figure_rows(summary.totals, "510121")}
    assert {d["dim"]: d["value"] for d in rows["enrolments.in_progress"]["dims"] if d["value"]} == {
        "dibao": 2,
        "dibao_edge": 1,
    }
    # each figure's list shows its number
    for key, want in (
        ("enrolments.in_progress", 3),
        ("enrolments.due_soon", 1),
        ("enrolments.decided", 3),
        ("enrolments.refused", 1),
    ):
        listed = html(client.get(rows[key]["url"]))
        assert f'data-count="{want}"' in listed, key
    assert 'data-count="1"' in html(client.get(rows["enrolments.exits"]["url"]))
    # the city sees both counties
    assert figures(as_user(users["city"]), "5101")["enrolments.in_progress"] == "4"


# --- 主动发现: the 应保未保 alert's one tap ----------------------------------------------------------


def test_the_dibao_uncovered_alert_opens_the_form_prefilled_and_the_application_answers_it(
    as_user, users, regions
):
    household = make_household(income="400.00")  # 200 a head, below the rural 600
    sweep_county(DIBAO_UNCOVERED, "510121")
    alert = Alert.objects.get(kind=DIBAO_UNCOVERED, subject_id=str(household.pk))
    task = Task.objects.get(alert=alert)
    want = f"{reverse('enrolments:create')}?household={household.pk}&alert={alert.pk}&kind=dibao"
    assert task.action_url == want and task.action_label == "发起低保申请"
    client = as_user(users["township"])
    page = html(client.get(reverse("alert-detail", args=[alert.pk])))
    link = re.search(r'data-testid="alert-action" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == f"{want}&task={task.pk}"
    form = html(client.get(link))
    assert 'data-testid="form-alert"' in form
    assert re.search(r'<option value="dibao" selected>', form)
    assert re.search(r'<option value="found" selected>', form)
    client.post(link, {"kind": "dibao", "origin": "found", "authorisation": pdf()})
    e = Enrolment.objects.get(household=household)
    assert e.origin_alert == alert and e.status == Status.CHECKING
    alert.refresh_from_db()
    task.refresh_from_db()
    assert alert.status == "resolved" and task.state == "done"
    # the next night's sweep does not raise it again while the application runs
    result = sweep_county(DIBAO_UNCOVERED, "510121")
    assert result.raised == 0 and result.reopened == 0
    assert Alert.objects.get(pk=alert.pk).status == "resolved"


def test_an_alert_about_another_household_is_not_answered(as_user, users, regions):
    household, other = make_household(income="400.00"), make_household(income="400.00")
    sweep_county(DIBAO_UNCOVERED, "510121")
    alert = Alert.objects.get(kind=DIBAO_UNCOVERED, subject_id=str(other.pk))
    client = as_user(users["township"])
    url = f"{reverse('enrolments:create')}?household={household.pk}&alert={alert.pk}&kind=dibao"
    assert 'data-testid="form-alert"' not in html(client.get(url))
    client.post(url, {"kind": "dibao", "origin": "found"})
    assert Enrolment.objects.get(household=household).origin_alert is None
    assert Alert.objects.get(pk=alert.pk).status == "open"
