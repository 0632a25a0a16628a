"""/api/v1/enrolments/, /enrolment-reviews/ and /appeals/ end to end: an online application from
another system (its number taken once), masking, every step as an action (the verification system's
report posted as a file or as JSON), reviews, appeals inside and after their window, filters, and
lists whose query count does not grow."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from enrolments.models import Appeal, Enrolment, EnrolmentMember, Review, Status
from enrolments.register import review_schedule
from people.services import assistance_add
from relief.models import PolicyParameter
from tests.enrolments.api_world import TODAY, D, enrolment_at, family, pdf, set_day
from tests.people.factories import make_id_number

pytestmark = pytest.mark.django_db

URL = "/api/v1/enrolments/"


@pytest.fixture
def api_day(monkeypatch):
    """Set today (every clock reads timezone.localdate); TODAY to begin with."""
    set_day(monkeypatch, TODAY)
    return lambda value: set_day(monkeypatch, value)


@pytest.fixture
def api_family(regions):
    return family(regions["village"])


@pytest.fixture
def api_at(monkeypatch, users, api_family):
    """api_at(state, household=api_family, **kw): an application brought to `state`."""

    def at(state: str, household=None, **kw) -> Enrolment:
        return enrolment_at(monkeypatch, users, household or api_family, state, **kw)

    return at


def act(api, user, enrolment, step, data=None, fmt="json"):
    api.force_authenticate(user)
    return api.post(f"{URL}{enrolment.pk}/{step}/", data or {}, format=fmt)


def actions(body) -> list[str]:
    return [a["name"] for a in body["available_actions"]]


def online(household, **extra) -> dict:
    return {"household": household.pk, "kind": "dibao", "reason": "户主患病，无固定收入", **extra}


# --- create: an online application from another system -------------------------------------------


def test_an_online_application_is_filed_with_its_members_and_waits_for_acceptance(
    api, users, api_family, api_day
):
    head = api_family.members.get(name="张大爷")
    wife_id = make_id_number(birth=D(1962, 5, 1), male=False)
    api.force_authenticate(users["api_write"])
    r = api.post(
        URL,
        online(
            api_family,
            external_id="ZW-2026-0001",
            members=[
                {"person": head.pk, "name": "张大爷", "relation": "户主", "monthly_income": "300.00"},
                {"name": "李大娘", "id_number": wife_id, "monthly_income": "150.50", "deposits": "2000"},
            ],
        ),
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["origin"], body["status"], body["external_id"]) == ("online", "submitted", "ZW-2026-0001")
    assert body["origin_display"] == "线上申请（其他系统）"
    assert actions(body) == ["accept", "withdraw"]  # not accepted yet: no limit to extend
    assert body["stage"]["label"] == "受理" and body["stage"]["level"] == 9
    e = Enrolment.objects.get(pk=body["id"])
    assert e.created_by == users["api_write"] and e.events.get().action == "submit"
    rows = list(e.members.values_list("person_id", "name", "id_number", "monthly_income", "deposits"))
    assert rows == [
        (head.pk, "张大爷", head.id_number, Decimal("300.00"), Decimal("0.00")),
        (None, "李大娘", wife_id, Decimal("150.50"), Decimal("2000.00")),
    ]
    # an API client sees numbers masked; the members as declared
    shown = {m["name"]: m["id_number"] for m in body["members"]}
    assert shown["李大娘"] == wife_id[:6] + "********" + wife_id[-4:]
    assert [ev["action_label"] for ev in body["events"]] == ["提交申请"]


def test_without_members_the_register_members_are_declared(api, users, api_family, api_day):
    api.force_authenticate(users["county"])
    r = api.post(URL, online(api_family, origin="walk_in"))
    assert r.status_code == 201
    assert r.json()["origin"] == "walk_in"
    assert sorted(m["name"] for m in r.json()["members"]) == ["张大爷", "张小明", "李大娘"]
    assert sum(Decimal(m["monthly_income"]) for m in r.json()["members"]) == Decimal("500.00")


def test_the_same_external_id_sent_again_answers_the_application_registered(api, users, api_family, api_day):
    api.force_authenticate(users["api_write"])
    first = api.post(URL, online(api_family, external_id="ZW-7"))
    assert first.status_code == 201
    again = api.post(URL, online(api_family, external_id=" ZW-7 "))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    # another application under a number already taken: refused, nothing created
    other = api.post(URL, online(api_family, external_id="ZW-7", kind="dibao_edge"))
    assert other.status_code == 409
    error = other.json()["error"]
    assert error["code"] == "external_id_taken" and str(first.json()["id"]) in error["message"]
    assert Enrolment.objects.count() == 1 and EnrolmentMember.objects.count() == 3


def test_an_external_id_taken_in_another_county_is_refused_without_saying_which(
    api, users, regions, api_family, api_day
):
    api.force_authenticate(users["api_write"])
    assert api.post(URL, online(api_family, external_id="ZW-8")).status_code == 201
    api.force_authenticate(users["other_county"])
    r = api.post(URL, online(family(regions["other_village"]), external_id="ZW-8"))
    assert r.status_code == 409
    assert r.json()["error"]["message"] == "该外部系统申请编号已登记"  # not which application
    assert Enrolment.objects.count() == 1


def test_an_idempotency_key_sent_twice_files_one_application(api, users, api_family, api_day):
    api.force_authenticate(users["api_write"])
    headers = {"HTTP_IDEMPOTENCY_KEY": "5b3a6c1e-enrol"}
    first = api.post(URL, online(api_family), format="json", **headers)
    again = api.post(URL, online(api_family), format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert Enrolment.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (lambda h: {"household": h.pk, "kind": "tekun"}, "applicant", "特困人员按人认定"),
        (lambda h: {"household": h.pk, "kind": "wealth"}, "kind", ""),
        (
            lambda h: {
                "household": h.pk,
                "kind": "dibao",
                "members": [{"name": "甲", "id_number": "510121"}],
            },
            "members",
            "身份证号应为18位",
        ),
        (
            lambda h: {
                "household": h.pk,
                "kind": "dibao",
                "members": [{"name": "甲", "monthly_income": "-1"}],
            },
            "members",
            "",
        ),
    ],
    ids=["tekun-without-applicant", "unknown-kind", "bad-id-number", "negative-income"],
)
def test_a_bad_application_is_refused_in_chinese_and_nothing_is_filed(
    api, users, api_family, api_day, data, field, message
):
    api.force_authenticate(users["county"])
    r = api.post(URL, data(api_family))
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert message in error["message"]
    assert not Enrolment.objects.exists()


def test_a_member_or_applicant_outside_the_region_does_not_exist(api, users, regions, api_family, api_day):
    stranger = family(regions["other_village"]).members.first()
    api.force_authenticate(users["county"])
    r = api.post(URL, online(api_family, members=[{"person": stranger.pk, "name": "外县人"}]))
    assert r.status_code == 400 and "members" in r.json()["error"]["fields"]
    r = api.post(URL, online(api_family, kind="tekun", applicant=stranger.pk))
    assert r.status_code == 400 and "applicant" in r.json()["error"]["fields"]
    assert not Enrolment.objects.exists()


def test_a_second_open_application_of_the_same_kind_is_refused(api, users, api_family, api_day):
    api.force_authenticate(users["county"])
    assert api.post(URL, online(api_family)).status_code == 201
    r = api.post(URL, online(api_family))
    assert r.status_code == 400 and "办理中" in r.json()["error"]["message"]
    assert Enrolment.objects.count() == 1


def test_errors_are_in_english_when_asked(api, users, api_family, api_day):
    api.force_authenticate(users["county"])
    r = api.post(URL, {"household": api_family.pk, "kind": "tekun"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    assert "特困" not in r.json()["error"]["message"]


# --- masking -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "masked"), [("county", False), ("township", False), ("city", True), ("api_read", True)]
)
def test_id_numbers_and_numbers_in_text_are_masked_for_roles_that_do_not_need_them(
    api, users, api_family, api_at, who, masked
):
    e = api_at("submitted", reason="联系人电话13812345678")
    head = api_family.members.get(name="张大爷")
    api.force_authenticate(users[who])
    body = api.get(f"{URL}{e.pk}/").json()
    member = next(m for m in body["members"] if m["name"] == "张大爷")
    if masked:
        assert member["id_number"] == head.id_number[:6] + "********" + head.id_number[-4:]
        assert body["reason"] == "联系人电话138****5678"
    else:
        assert member["id_number"] == head.id_number and body["reason"] == "联系人电话13812345678"
    listed = api.get(URL).json()["results"][0]
    assert ("13812345678" in listed["reason"]) is not masked


def test_an_appeal_phone_is_masked_for_officials(api, users, api_at):
    e = api_at("refused")
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/appeals/", {"kind": "review", "enrolment": e.pk, "phone": "13900001111", "content": "不服"}
    )
    assert r.status_code == 201 and r.json()["phone"] == "13900001111"
    api.force_authenticate(users["city"])
    assert api.get("/api/v1/appeals/").json()["results"][0]["phone"] == "139****1111"


# --- the steps, as actions -----------------------------------------------------------------------


def test_acceptance_takes_the_signed_authorisation_as_a_file(api, users, api_at):
    e = api_at("submitted")
    r = act(api, users["township"], e, "accept")
    assert r.status_code == 400 and "authorisation" in r.json()["error"]["fields"]
    assert "授权书" in r.json()["error"]["message"]
    r = act(api, users["township"], e, "accept", {"authorisation": pdf("auth.pdf")}, fmt="multipart")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "checking" and body["accepted_on"] == "2026-10-12"
    assert body["authorisation"] == f"/files/enrolments.enrolment/{e.pk}/authorisation/"
    assert body["deadline"] and body["stage"]["label"] == "家庭经济状况核对报告"


def test_the_verification_system_uploads_its_report_as_a_file(api, users, api_at):
    e = api_at("checking")
    r = act(
        api,
        users["api_write"],
        e,
        "check-report",
        {"report": pdf(), "summary": "名下无车辆、无房产", "reference": "HD-2026-0093"},
        fmt="multipart",
    )
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["status"] == "investigating" and body["check_reference"] == "HD-2026-0093"
    assert body["check_report"] and body["check_reported_on"] == "2026-10-12"
    e.refresh_from_db()
    assert e.check_report.read().startswith(b"%PDF") and e.check_summary == "名下无车辆、无房产"
    assert e.events.filter(action="check_report").get().actor == users["api_write"]


def test_the_verification_system_posts_its_report_as_json(api, users, api_at):
    e = api_at("checking")
    r = act(
        api,
        users["api_write"],
        e,
        "check-report",
        {"summary": "存款 3.2 万元，低于标准", "reference": "HD-9"},
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["check_summary"], body["check_report"]) == (
        "investigating",
        "存款 3.2 万元，低于标准",
        None,
    )
    assert body["events"][-1]["comment"] == "存款 3.2 万元，低于标准"


@pytest.mark.parametrize(
    ("data", "fmt", "field"),
    [
        ({"reference": "HD-1"}, "json", "summary"),
        ({"report": "not a file"}, "json", "report"),
        ({"report": ("x.pdf", b"MZ not a pdf")}, "multipart", "report"),
    ],
    ids=["nothing", "not-a-file", "not-a-pdf"],
)
def test_a_report_without_content_is_refused_and_nothing_moves(api, users, api_at, data, fmt, field):
    from django.core.files.uploadedfile import SimpleUploadedFile

    e = api_at("checking")
    if isinstance(data.get("report"), tuple):
        data = {"report": SimpleUploadedFile(*data["report"], content_type="application/pdf")}
    r = act(api, users["api_write"], e, "check-report", data, fmt=fmt)
    assert r.status_code == 400 and field in r.json()["error"]["fields"]
    e.refresh_from_db()
    assert e.status == Status.CHECKING and not e.check_report and e.events.count() == 2


def test_from_investigation_to_approval_through_the_api(api, users, api_at, api_day):
    e = api_at("investigating")
    t, c = users["township"], users["county"]
    r = act(api, t, e, "investigate", {"findings": "三口之家，户主患慢性病", "visited_on": "2026-10-10"})
    assert r.status_code == 200 and r.json()["status"] == "township"
    assert r.json()["investigation_visit"] is not None
    r = act(api, t, e, "township-opinion", {"recommend": True, "comment": "建议纳入"})
    body = r.json()
    assert body["status"] == "notice" and (body["notice_start"], body["notice_end"]) == (
        "2026-10-12",
        "2026-10-19",
    )
    assert "notice_close" not in actions(body)
    r = act(api, t, e, "notice-close")
    assert r.status_code == 400 and "尚未届满" in r.json()["error"]["message"]
    api_day(D(2026, 10, 20))
    r = act(api, t, e, "notice-close", {"comment": "公示无异议"})
    body = r.json()
    assert body["status"] == "county"
    # 600 rural standard × 3 persons − 500 declared income
    assert body["suggestion"]["amount"] == "1300.00" and "1300.00" in body["suggestion"]["explanation"]
    assert body["stage"]["level"] == 6
    api.force_authenticate(t)
    assert "approve" not in actions(api.get(f"{URL}{e.pk}/").json())  # the decision is the county's
    r = act(api, t, e, "approve")
    assert r.status_code == 403 and r.json()["error"]["code"] == "permission_denied"
    r = act(api, c, e, "approve", {"amount": "1400.00"})
    assert r.status_code == 400 and "amount_reason" in r.json()["error"]["fields"]
    r = act(api, c, e, "approve", {"dibao_class": "B"})
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["status"], body["amount"], body["start_month"]) == ("approved", "1300.00", "2026-11-01")
    assert body["suggestion"] is None and body["stage"] is None and body["available_actions"] == []
    assert body["events"][-1]["amount"] == "1300.00"
    assert Review.objects.filter(assistance_id=body["assistance"]).exists()


def test_a_step_in_the_wrong_state_is_refused_in_chinese(api, users, api_at):
    e = api_at("checking")
    r = act(api, users["county"], e, "approve")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "当前状态为“经济状况核对中”，不能确认纳入"
    assert Enrolment.objects.get(pk=e.pk).status == Status.CHECKING


def test_an_objection_sends_it_back_to_investigation(api, users, api_at):
    e = api_at("notice")
    r = act(api, users["township"], e, "objection", {"comment": "邻居反映其子在外务工"})
    assert r.json()["status"] == "investigating"
    assert act(api, users["township"], e, "objection", {"comment": "x"}).status_code == 400


def test_a_democratic_review_where_the_county_holds_one(api, users, regions, api_at):
    PolicyParameter.objects.create(
        key="enrol_democratic_review", region=regions["county"], valid_from=D(2026, 1, 1), value=Decimal("1")
    )
    e = api_at("investigating")
    assert (
        act(api, users["township"], e, "investigate", {"findings": "属实"}).json()["status"] == "evaluating"
    )
    r = act(api, users["township"], e, "evaluate", {})
    assert r.status_code == 400 and "comment" in r.json()["error"]["fields"]
    r = act(api, users["township"], e, "evaluate", {"comment": "评议小组7人，同意7人"})
    assert (r.json()["status"], r.json()["evaluation_result"]) == ("township", "评议小组7人，同意7人")


def test_a_staff_relatives_case_needs_the_county_visit(api, users, api_at):
    e = api_at("county", staff_relative=True, staff_relative_note="村委会主任之弟")
    c = users["county"]
    api.force_authenticate(c)
    body = api.get(f"{URL}{e.pk}/").json()
    assert "approve" not in actions(body) and "county_visit" in actions(body)
    assert act(api, users["township"], e, "county-visit", {"comment": "代查"}).status_code == 403
    r = act(api, c, e, "county-visit", {"comment": "县局两人入户，情况属实"})
    assert r.json()["county_visit_on"] == "2026-10-12" and "approve" in actions(r.json())


def test_a_refusal_is_told_in_writing(api, users, api_at):
    e = api_at("county")
    r = act(api, users["county"], e, "refuse", {})
    assert r.status_code == 400 and "comment" in r.json()["error"]["fields"]
    r = act(api, users["county"], e, "refuse", {"comment": "人均收入高于标准"})
    assert r.json()["status"] == "refused" and r.json()["stage"]["label"] == "书面告知不予确认"
    r = act(api, users["township"], e, "notify-refusal", {"method": "当面送达告知书"})
    assert (r.json()["status"], r.json()["notified_on"], r.json()["notice_method"]) == (
        "refusal_sent",
        "2026-10-12",
        "当面送达告知书",
    )


def test_the_limit_is_extended_once_and_an_application_withdrawn(api, users, api_at):
    e = api_at("checking")
    deadline = e.deadline
    r = act(api, users["county"], e, "extend", {"comment": "核对报告延迟"})
    assert r.json()["extended"] and r.json()["deadline"] > deadline.isoformat()
    assert "extend" not in actions(r.json())
    assert act(api, users["county"], e, "extend", {"comment": "再次"}).status_code == 400
    r = act(api, users["township"], e, "withdraw", {"comment": "申请人主动撤回"})
    assert r.json()["status"] == "withdrawn" and r.json()["available_actions"] == []


def test_a_system_step_is_not_an_action(api, users, api_at):
    e = api_at("refused")
    assert act(api, users["county"], e, "reopen").status_code == 404


# --- reviews ---------------------------------------------------------------------------------------


@pytest.fixture
def api_review(users, api_family, api_day):
    assistance = assistance_add(
        actor=users["county"],
        household=api_family,
        category="dibao",
        start_date=D(2025, 11, 1),
        monthly_amount=Decimal("1300.00"),
    )
    return review_schedule(assistance, after=D(2025, 11, 1))


def review_act(api, user, review, step, data):
    api.force_authenticate(user)
    return api.post(f"/api/v1/enrolment-reviews/{review.pk}/{step}/", data, format="json")


def test_a_review_continues_and_the_next_is_scheduled(api, users, api_review):
    api.force_authenticate(users["township"])
    listed = api.get("/api/v1/enrolment-reviews/").json()["results"]
    assert [(r["id"], r["category"], r["due_on"]) for r in listed] == [(api_review.pk, "dibao", "2026-11-01")]
    assert actions(listed[0]) == ["continue"]  # change and end are the county's
    r = review_act(api, users["township"], api_review, "continue", {"findings": "家庭情况无变化"})
    assert r.status_code == 200 and (r.json()["status"], r.json()["outcome"]) == ("done", "continue")
    nxt = Review.objects.get(assistance=api_review.assistance, status="scheduled")
    assert nxt.due_on == D(2027, 10, 12)


def test_a_review_changes_the_amount(api, users, api_review):
    r = review_act(api, users["county"], api_review, "change", {"findings": "其子就业"})
    assert r.status_code == 400 and "new_amount" in r.json()["error"]["fields"]
    r = review_act(
        api, users["county"], api_review, "change", {"findings": "其子就业", "new_amount": "800.00"}
    )
    assert r.status_code == 200 and r.json()["new_amount"] == "800.00"
    api_review.assistance.refresh_from_db()
    assert api_review.assistance.monthly_amount == Decimal("800.00")


def test_a_review_ends_the_category(api, users, api_review):
    data = {"end_reason": "人均收入超过标准", "end_notice": "2026-10-12 当面告知"}
    assert review_act(api, users["township"], api_review, "end", data).status_code == 403
    r = review_act(api, users["county"], api_review, "end", data)
    assert r.status_code == 200 and r.json()["outcome"] == "end"
    assert [e["action_label"] for e in r.json()["events"]] == ["退出"]
    api_review.assistance.refresh_from_db()
    assert api_review.assistance.end_date == TODAY


# --- appeals and complaints --------------------------------------------------------------------------

APPEALS = "/api/v1/appeals/"


def test_an_appeal_within_30_days_of_a_refusal_is_registered_and_answered(api, users, api_at, api_day):
    e = api_at("refused")  # decided 10-09
    api_day(D(2026, 11, 8))  # the 30th day
    api.force_authenticate(users["township"])
    r = api.post(
        APPEALS, {"kind": "review", "enrolment": e.pk, "person_name": "张大爷", "content": "其子已分户"}
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["status"], body["received_on"], body["household"]) == (
        "registered",
        "2026-11-08",
        e.household_id,
    )
    assert body["due_on"] and [ev["action_label"] for ev in body["events"]] == ["登记"]
    assert actions(body) == []  # a 复查 of the county's decision is the county's to answer
    pk = body["id"]
    api.force_authenticate(users["county"])
    r = api.post(f"{APPEALS}{pk}/take/", {}, format="json")
    assert r.json()["status"] == "assigned" and r.json()["assignee"] == users["county"].pk
    r = api.post(f"{APPEALS}{pk}/answer/", {"comment": "收入认定有误"}, format="json")
    assert r.status_code == 400 and "outcome" in r.json()["error"]["fields"]
    r = api.post(
        f"{APPEALS}{pk}/answer/", {"outcome": "upheld", "comment": "收入认定有误，重新调查"}, format="json"
    )
    assert r.json()["status"] == "answered"
    e.refresh_from_db()
    assert e.status == Status.INVESTIGATING  # reopened
    r = api.post(f"{APPEALS}{pk}/close/", {"comment": "已重新审核"}, format="json")
    assert (r.json()["status"], r.json()["closed_on"]) == ("closed", "2026-11-08")


def test_an_appeal_after_the_window_is_refused(api, users, api_at, api_day):
    e = api_at("refused")
    api_day(D(2026, 11, 9))
    api.force_authenticate(users["county"])
    r = api.post(APPEALS, {"kind": "review", "enrolment": e.pk, "content": "不服"})
    assert r.status_code == 400
    assert "received_on" in r.json()["error"]["fields"] and "复查申请期限" in r.json()["error"]["message"]
    # nor can a date inside the window be claimed for it later than today
    r = api.post(
        APPEALS, {"kind": "review", "enrolment": e.pk, "content": "不服", "received_on": "2026-11-10"}
    )
    assert r.status_code == 400
    assert not Appeal.objects.exists()


def test_an_appeal_of_an_undecided_application_is_refused(api, users, api_at):
    e = api_at("county")
    api.force_authenticate(users["county"])
    r = api.post(APPEALS, {"kind": "review", "enrolment": e.pk, "content": "不服"})
    assert r.status_code == 400 and "enrolment" in r.json()["error"]["fields"]
    assert not Appeal.objects.exists()


def test_a_complaint_about_a_household_or_a_place(api, users, regions, api_family, api_day):
    api.force_authenticate(users["village"])
    r = api.post(APPEALS, {"kind": "complaint", "household": api_family.pk, "content": "该户有商铺出租"})
    assert r.status_code == 201 and r.json()["region"] == "510121001001"
    r = api.post(APPEALS, {"kind": "complaint", "region": "510121001001", "content": "村里有人冒领"})
    assert r.status_code == 201 and r.json()["household"] is None
    r = api.post(APPEALS, {"kind": "complaint", "content": "无处可查"})
    assert r.status_code == 400 and "region" in r.json()["error"]["fields"]
    api.force_authenticate(users["township"])
    pk = api.get(APPEALS, {"kind": "complaint"}).json()["results"][0]["id"]
    assert actions(api.get(f"{APPEALS}{pk}/").json()) == ["take", "answer"]
    assert Appeal.objects.count() == 2


# --- lists: filters, order, queries --------------------------------------------------------------


def test_filters_and_the_queue_order(api, users, regions, api_at, api_day):
    first = api_at("checking")
    second = api_at("submitted", household=family(regions["village"], head="王五"), kind="dibao_edge")
    third = api_at("checking", household=family(regions["village"], head="赵六"))
    Enrolment.objects.filter(pk=third.pk).update(deadline=first.deadline - datetime.timedelta(days=3))
    api.force_authenticate(users["county"])

    def ids(**params):
        r = api.get(URL, params)
        assert r.status_code == 200, r.json()
        return [row["id"] for row in r.json()["results"]]

    assert ids() == [third.pk, first.pk, second.pk]  # nearest deadline first, none last
    assert ids(ordering="-submitted_at")[0] == third.pk
    assert ids(kind="dibao_edge") == [second.pk]
    assert ids(status="submitted") == [second.pk]
    assert ids(origin="online") == [third.pk, first.pk, second.pk] and ids(origin="walk_in") == []
    assert ids(household=first.household_id) == [first.pk]
    assert ids(region="510121001") == [third.pk, first.pk, second.pk] and ids(region="510129") == []
    assert ids(open="false") == []
    assert ids(deadline_before=first.deadline.isoformat()) == [third.pk, first.pk]
    assert api.get(URL, {"status": ""}).status_code == 400
    assert api.get(URL, {"region": "abc"}).status_code == 400


def test_the_other_system_finds_its_application_by_its_own_number(api, users, api_family, api_day):
    api.force_authenticate(users["api_write"])
    pk = api.post(URL, online(api_family, external_id="ZW-42")).json()["id"]
    assert [r["id"] for r in api.get(URL, {"external_id": "ZW-42"}).json()["results"]] == [pk]


@pytest.mark.parametrize("n", [1, 4])
def test_the_enrolment_list_queries_do_not_grow(
    api, users, regions, monkeypatch, django_assert_num_queries, n
):
    for i in range(n):
        enrolment_at(monkeypatch, users, family(regions["village"], head=f"户主{i}"), "checking")
    api.force_authenticate(users["county"])
    with django_assert_num_queries(2):  # count, page (household with its head, applicant joined)
        r = api.get(URL)
    assert r.json()["count"] == n


@pytest.mark.parametrize("n", [1, 4])
def test_the_review_list_queries_do_not_grow(api, users, regions, api_day, django_assert_num_queries, n):
    for i in range(n):
        a = assistance_add(
            actor=users["county"],
            household=family(regions["village"], head=f"户主{i}"),
            category="dibao",
            start_date=D(2025, 11, 1),
        )
        review_schedule(a, after=D(2025, 11, 1))
    api.force_authenticate(users["county"])
    with django_assert_num_queries(2):  # count, page (assistance, household with its head joined)
        r = api.get("/api/v1/enrolment-reviews/")
    assert r.json()["count"] == n


@pytest.mark.parametrize("n", [1, 4])
def test_the_appeal_list_queries_do_not_grow(api, users, regions, api_day, django_assert_num_queries, n):
    from enrolments.services import appeal_create

    for i in range(n):
        appeal_create(
            actor=users["county"],
            kind="complaint",
            household=family(regions["village"], head=f"户主{i}"),
            content=f"投诉{i}",
        )
    api.force_authenticate(users["county"])
    with django_assert_num_queries(2):  # count, page (household with its head, assignee joined)
        r = api.get(APPEALS)
    assert r.json()["count"] == n
