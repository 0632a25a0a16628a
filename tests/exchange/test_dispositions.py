"""A warning is verified and answered on its disposition page: one tap from the task, a home visit
recorded on the register, an answer that resolves the warning (and its task) once however often
the button is pressed; another county's staff get 404 on the page, the API and the feedback."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from exchange.dispositions import disposition_step
from exchange.hooks import after_match
from exchange.models import Disposition, DispositionTransition, RuleKind
from funds.bank_files import bank_lines
from funds.models import Payment
from people.models import Person, Visit
from relief.models import AlertStatus, Task
from tests.conftest import login
from tests.exchange import factories as f
from tests.funds.factories import BatchFactory

pytestmark = pytest.mark.django_db


def _warning(family, today, kind=RuleKind.MEDICAL_SHARE, person="head", **rule) -> Disposition:
    src = f.source(kind, name="四川省医保" if kind == RuleKind.MEDICAL_SHARE else "殡葬")
    f.rule(src, kind, **rule)
    b = f.batch(src)
    f.record(b, family[person], amount="9000", occurred_on=today - datetime.timedelta(days=5))
    assert after_match(b) == 1
    return Disposition.objects.select_related("alert").get()


def test_the_task_opens_the_disposition_page_in_one_tap(client, users, family, today):
    d = _warning(family, today)
    task = Task.objects.get(alert=d.alert)
    login(client, users["township"])
    r = client.get(task.action_url)
    assert r.status_code == 302 and r["Location"] == reverse("exchange_dispositions:detail", args=[d.pk])
    page = client.get(r["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-step="verify"' in body and "四川省医保" in body


def test_verify_by_visit_then_enrol_resolves_the_warning_once_on_a_double_click(client, users, family, today):
    d = _warning(family, today)
    township = users["township"]
    login(client, township)
    url = reverse("exchange_dispositions:detail", args=[d.pk])
    r = client.post(
        url,
        {
            "step": "verify",
            "verify-how": "visit",
            "verify-on": today.isoformat(),
            "verify-findings": "住院两次，自付较多",
            "idempotency_key": "k-verify",
        },
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert d.status == "verified" and d.verified_by == township
    visit = Visit.objects.get(household=family["household"])
    assert d.visit == visit and "住院两次" in visit.needs

    data = {"step": "enrol", "enrol-kind": "rigid_expense", "enrol-note": "", "idempotency_key": "k-enrol"}
    first = client.post(url, data)
    second = client.post(url, data)  # the same form sent twice
    expected = f"{reverse('enrolments:create')}?household={family['household'].pk}&alert={d.alert_id}&kind=rigid_expense"
    assert first.status_code == 302 and first["Location"] == expected
    assert second.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.outcome, d.disposed_by) == ("disposed", "enrolment", township)
    assert DispositionTransition.objects.filter(disposition=d, action="enrol").count() == 1
    d.alert.refresh_from_db()
    assert d.alert.status == AlertStatus.RESOLVED
    assert Task.objects.get(alert=d.alert).state == "done"
    # the next sweep does not bring it back: it was answered
    from exchange.rules import rules_sweep

    assert rules_sweep(["510121"], [RuleKind.MEDICAL_SHARE]) == 0
    d.alert.refresh_from_db()
    assert d.alert.status == AlertStatus.RESOLVED


@pytest.mark.parametrize(
    ("step", "data", "outcome"),
    [
        ("refer", {"department": "health", "note": "大病救助"}, "referred"),
        ("not_needed", {"reason": "已有商业保险报销"}, "not_needed"),
        ("temporary", {"note": ""}, "temporary"),
    ],
)
def test_the_other_answers(users, family, today, step, data, outcome):
    d = _warning(family, today)
    actor = users["township"]
    d = disposition_step(actor=actor, disposition=d, step="verify", how="phone", findings="电话核实")
    d = disposition_step(actor=actor, disposition=d, step=step, **data)
    assert d.outcome == outcome and d.status == "disposed"
    if step == "refer":
        assert d.referred_to == "health" and "大病救助" in d.reason


def test_not_needed_requires_a_reason(users, family, today):
    from django.core.exceptions import ValidationError

    d = _warning(family, today)
    d = disposition_step(
        actor=users["township"], disposition=d, step="verify", how="records", findings="查阅资料"
    )
    with pytest.raises(ValidationError):
        disposition_step(actor=users["township"], disposition=d, step="not_needed", reason=" ")


def test_confirming_a_death_holds_unpaid_lines_and_lists_payments_after_it(client, users, family, today):
    head = family["head"]
    unpaid = BatchFactory(status="approved", total_amount=Decimal("1500.00"), payment_count=3)
    line = Payment.objects.create(
        batch=unpaid,
        program=unpaid.program,
        region_id=head.region_id,
        household=family["household"],
        person=head,
        recipient_name=head.name,
        id_number=head.id_number,
        amount=Decimal("500.00"),
    )
    paid = BatchFactory(status="paid", paid_at=datetime.datetime.now(datetime.UTC))
    after = Payment.objects.create(
        batch=paid,
        program=paid.program,
        region_id=head.region_id,
        household=family["household"],
        person=head,
        recipient_name=head.name,
        id_number=head.id_number,
        amount=Decimal("300.00"),
    )
    d = _warning(family, today, kind=RuleKind.DEATH)
    actor = users["township"]
    d = disposition_step(actor=actor, disposition=d, step="verify", how="visit", findings="家属确认已去世")
    died_on = today - datetime.timedelta(days=20)
    d = disposition_step(actor=actor, disposition=d, step="confirm_death", died_on=died_on)
    assert d.outcome == "death_confirmed"
    person = Person.objects.get(pk=head.pk)
    assert not person.active and person.died_on == died_on
    line.refresh_from_db()
    assert line.held_at is not None and "死亡" in line.held_reason
    unpaid.refresh_from_db()
    assert (unpaid.total_amount, unpaid.payment_count) == (Decimal("1000.00"), 2)
    assert not Payment.objects.filter(batch=unpaid).payable().filter(person=head).exists()
    # the held line is not sent to the bank
    assert head.name not in [row[1] for row in bank_lines(unpaid, None)]
    login(client, users["county"])
    page = client.get(reverse("exchange_dispositions:recovery")).content.decode()
    assert 'data-count="1"' in page and paid.title in page
    login(client, users["other_county"])
    page = client.get(reverse("exchange_dispositions:recovery")).content.decode()
    assert 'data-count="0"' in page
    del after


def test_rejecting_a_death_records_why_and_keeps_the_person(users, family, today):
    d = _warning(family, today, kind=RuleKind.DEATH)
    actor = users["township"]
    d = disposition_step(actor=actor, disposition=d, step="verify", how="visit", findings="本人在家")
    d = disposition_step(actor=actor, disposition=d, step="reject_death", reason="本人健在，系同名")
    assert d.outcome == "death_rejected" and "同名" in d.reason
    assert Person.objects.get(pk=family["head"].pk).active


def test_death_steps_only_on_death_warnings(users, family, today):
    from exchange.dispositions import disposition_workflow

    d = _warning(family, today)
    d = disposition_step(actor=users["township"], disposition=d, step="verify", how="phone", findings="x")
    names = disposition_workflow.available_names(d, users["township"])
    assert "confirm_death" not in names and {"enrol", "refer", "not_needed", "temporary"} <= set(names)


def test_another_county_gets_404_on_page_api_and_feedback(client, api, users, family, today):
    d = _warning(family, today)
    source = d.rule.source
    login(client, users["other_county"])
    assert client.get(reverse("exchange_dispositions:detail", args=[d.pk])).status_code == 404
    r = client.post(
        reverse("exchange_dispositions:step", args=[d.pk, "verify"]),
        {"verify-how": "phone", "verify-findings": "x"},
    )
    assert r.status_code == 404
    assert client.get(reverse("exchange_dispositions:open") + f"?alert={d.alert_id}").status_code == 404
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/exchange/dispositions/{d.pk}/").status_code == 404
    assert (
        api.post(
            f"/api/v1/exchange/dispositions/{d.pk}/verify/", {"how": "phone", "findings": "x"}
        ).status_code
        == 404
    )
    # the province's source is visible to the other county, but none of these dispositions are
    assert api.get(f"/api/v1/exchange/feedback/{source.code}/").json()["count"] == 0
    d.refresh_from_db()
    assert d.status == "verifying"
    api.force_authenticate(users["county"])
    assert (
        api.get(f"/api/v1/exchange/dispositions/{d.pk}/").json()["available_actions"][0]["name"] == "verify"
    )
    r = api.post(
        f"/api/v1/exchange/dispositions/{d.pk}/verify/", {"how": "phone", "findings": "电话"}, format="json"
    )
    assert r.status_code == 200 and r.json()["status"] == "verified"


def test_dispositions_list_is_scoped_with_few_queries(
    api, users, family, today, django_assert_max_num_queries
):
    _warning(family, today)
    api.force_authenticate(users["county"])
    with django_assert_max_num_queries(12):
        r = api.get("/api/v1/exchange/dispositions/")
    assert r.json()["count"] == 1
    api.force_authenticate(users["other_county"])
    assert api.get("/api/v1/exchange/dispositions/").json()["count"] == 0


def test_a_death_that_leaves_nobody_holds_the_household_s_own_lines_too(users, family, today):
    """A per-household line (a campaign's cash: no person, the head as recipient) is held when the
    death leaves the household with no active member; a household with someone left keeps it."""
    from exchange.deaths import death_confirm
    from people.services import person_deactivate

    head, child = family["head"], family["child"]
    batch = BatchFactory(status="reviewed", total_amount=Decimal("800.00"), payment_count=1)
    line = Payment.objects.create(
        batch=batch,
        program=batch.program,
        region_id=head.region_id,
        household=family["household"],
        person=None,
        recipient_name=head.name,
        id_number=head.id_number,
        amount=Decimal("800.00"),
    )
    death_confirm(actor=users["township"], person=child, died_on=today)
    line.refresh_from_db()
    assert line.held_at is None, "the head still lives there"
    person_deactivate(actor=users["township"], person=Person.objects.get(pk=head.pk), reason="迁出")
    died = Person.objects.get(pk=child.pk)
    assert death_confirm(actor=users["township"], person=died, died_on=today) == 1
    line.refresh_from_db()
    batch.refresh_from_db()
    assert line.held_at is not None and "死亡" in line.held_reason
    assert (batch.total_amount, batch.payment_count) == (Decimal("0.00"), 0)
