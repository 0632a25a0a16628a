"""Recovery (追回): a payment paid after the person's death is found by the sweep, answered by the
recovery form it links to, brought back in two sums and shown in the allocation ledger; a double
registration, an over-return, a write-off by a township and other counties are refused."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from funds import services
from funds.models import BatchStatus, Payment, Recovery, RecoveryReason, RecoveryState
from funds.selectors import ledger
from funds.sweeps import PAID_AFTER_DEATH, RECOVERY_OVERDUE
from people.models import Person
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, AlertStatus, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def approver(regions):
    return User.objects.create(username="t-county-approver", role=Role.COUNTY, region=regions["county"])


@pytest.fixture
def paid(users, county_people, allocation, approver):
    """A batch generated and reviewed by one county user, approved by another, registered as paid by
    the first; one of its people then found to have died the day before it was paid."""
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    batch = services.batch_review(actor=users["county"], batch=batch)
    batch = services.batch_approve(actor=approver, batch=batch)
    batch = services.batch_mark_paid(actor=users["county"], batch=batch)
    assert batch.status == BatchStatus.PAID
    line = Payment.objects.filter(batch=batch, person__isnull=False).order_by("id").first()
    Person.objects.filter(pk=line.person_id).update(died_on=batch.paid_at.date() - datetime.timedelta(days=1))
    return line


def _row(user, payment):
    return next(
        r for r in ledger(user, payment.batch.allocation.year).rows if r.program_id == payment.program_id
    )


def test_paid_after_death_is_found_recovered_in_two_sums_and_shown_in_the_ledger(
    as_user, users, paid, regions
):
    county = users["county"]
    county_code = regions["county"].code
    before = _row(county, paid)
    assert (before.to_recover, before.recovered) == (0, 0)

    sweep_county(PAID_AFTER_DEATH, county_code)
    alert = Alert.objects.get(kind=PAID_AFTER_DEATH, status__in=[AlertStatus.OPEN])
    assert paid.recipient_name in alert.message and str(paid.amount) in alert.message
    # the alert's one tap opens the recovery form for this line
    page = as_user(users["township"]).get(reverse("alert-detail", args=[alert.pk]))
    form_url = f"{reverse('funds:recovery-new')}?payment={paid.pk}&amp;reason=after_death"
    assert form_url in page.content.decode()
    form = as_user(users["township"]).get(
        f"{reverse('funds:recovery-new')}?payment={paid.pk}&reason=after_death"
    )
    assert form.status_code == 200 and str(paid.amount) in form.content.decode()

    response = as_user(users["township"]).post(
        reverse("funds:recovery-new"),
        {
            "payment": paid.pk,
            "reason": RecoveryReason.AFTER_DEATH,
            "amount": str(paid.amount),
            "detail": "公安比对",
        },
    )
    recovery = Recovery.objects.get(payment=paid)
    assert response.status_code == 302 and response.url == recovery.get_absolute_url()
    assert (recovery.amount, recovery.state, recovery.household_id) == (
        paid.amount,
        RecoveryState.OPEN,
        paid.household_id,
    )
    assert recovery.due_on and recovery.due_on > timezone.localdate()
    # registered: the finding clears and the alert resolves itself
    sweep_county(PAID_AFTER_DEATH, county_code)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    row = _row(county, paid)
    assert (row.to_recover, row.recovered) == (paid.amount, 0)

    first = (paid.amount / 2).quantize(Decimal("0.01"))
    as_user(users["township"]).post(
        reverse("funds:recovery-action", args=[recovery.pk, "return"]),
        {"amount": str(first), "returned_on": timezone.localdate().isoformat(), "receipt": "NO.001"},
    )
    recovery.refresh_from_db()
    assert (recovery.state, recovery.returned_amount) == (RecoveryState.PARTIAL, first)
    row = _row(county, paid)
    assert (row.to_recover, row.recovered) == (paid.amount - first, first)
    assert row.available == before.available + first

    # more than is owed is refused, and nothing changes
    with pytest.raises(ValidationError):
        services.recovery_return(actor=county, recovery=recovery, amount=paid.amount)
    services.recovery_return(actor=county, recovery=recovery, amount=paid.amount - first, receipt="NO.002")
    recovery.refresh_from_db()
    assert recovery.state == RecoveryState.RECOVERED and recovery.closed_at
    assert list(recovery.returns.values_list("receipt", flat=True)) == ["NO.001", "NO.002"]
    row = _row(county, paid)
    assert (row.to_recover, row.recovered) == (0, paid.amount)
    page = as_user(county).get(reverse("funds:index")).content.decode()
    assert 'data-testid="ledger-recovered"' in page
    detail = as_user(county).get(recovery.get_absolute_url()).content.decode()
    assert "NO.002" in detail and "已追回" in detail


def test_a_line_is_registered_for_recovery_once_and_only_when_really_paid(users, paid):
    county = users["county"]
    services.recovery_open(actor=county, payment=paid, reason=RecoveryReason.AFTER_DEATH)
    with pytest.raises(ValidationError, match="请勿重复登记"):
        services.recovery_open(actor=county, payment=paid, reason=RecoveryReason.DUPLICATE)
    with pytest.raises(ValidationError):
        other = Payment.objects.filter(batch=paid.batch).exclude(pk=paid.pk).first()
        services.recovery_open(
            actor=county, payment=other, reason=RecoveryReason.WRONG_AMOUNT, amount="99999"
        )
    assert Recovery.objects.count() == 1


def test_other_counties_and_read_only_roles_cannot_register_and_townships_cannot_write_off(
    as_user, api, users, paid
):
    with pytest.raises(PermissionDenied):
        services.recovery_open(actor=users["other_county"], payment=paid, reason=RecoveryReason.AFTER_DEATH)
    with pytest.raises(PermissionDenied):
        services.recovery_open(actor=users["city"], payment=paid, reason=RecoveryReason.AFTER_DEATH)
    recovery = services.recovery_open(
        actor=users["township"], payment=paid, reason=RecoveryReason.AFTER_DEATH
    )
    with pytest.raises(ValidationError, match="县级"):
        services.recovery_waive(actor=users["township"], recovery=recovery, reason="无遗产可追")
    assert as_user(users["other_county"]).get(recovery.get_absolute_url()).status_code == 404
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/recoveries/{recovery.pk}/").status_code == 404
    assert api.get("/api/v1/recoveries/").json()["count"] == 0
    services.recovery_waive(actor=users["county"], recovery=recovery, reason="无遗产可追")
    recovery.refresh_from_db()
    assert recovery.state == RecoveryState.WAIVED


def test_the_api_registers_returns_and_answers_errors_in_json(api, users, paid):
    api.force_authenticate(users["api_write"])
    created = api.post(
        "/api/v1/recoveries/",
        {"payment": paid.pk, "reason": "after_death", "amount": "10.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="rec-1",
    )
    assert created.status_code == 201, created.content
    again = api.post(
        "/api/v1/recoveries/",
        {"payment": paid.pk, "reason": "after_death", "amount": "10.00"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="rec-1",
    )
    assert again.status_code in (200, 201) and again.json()["id"] == created.json()["id"]
    rid = created.json()["id"]
    over = api.post(f"/api/v1/recoveries/{rid}/return/", {"amount": "10.01"}, format="json")
    assert over.status_code == 400 and "待追回" in over.content.decode()
    done = api.post(f"/api/v1/recoveries/{rid}/return/", {"amount": "10.00", "receipt": "R1"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "recovered"
    assert done.json()["returns"][0]["receipt"] == "R1"
    assert Recovery.objects.count() == 1


def test_an_open_recovery_past_its_deadline_is_an_alert(users, paid, regions):
    recovery = services.recovery_open(actor=users["county"], payment=paid, reason=RecoveryReason.AFTER_DEATH)
    Recovery.objects.filter(pk=recovery.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    sweep_county(RECOVERY_OVERDUE, regions["county"].code)
    assert Alert.objects.filter(kind=RECOVERY_OVERDUE, status=AlertStatus.OPEN).count() == 1
    services.recovery_return(actor=users["county"], recovery=recovery, amount=paid.amount)
    sweep_county(RECOVERY_OVERDUE, regions["county"].code)
    assert not Alert.objects.filter(kind=RECOVERY_OVERDUE, status=AlertStatus.OPEN).exists()


@pytest.mark.django_db(transaction=True)
def test_two_returns_at_once_never_bring_back_more_than_is_owed(users, paid):
    recovery = services.recovery_open(actor=users["county"], payment=paid, reason=RecoveryReason.AFTER_DEATH)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt():
        try:
            barrier.wait()
            services.recovery_return(actor=users["county"], recovery=recovery, amount=paid.amount)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recovery.refresh_from_db()
    assert sorted(outcomes) == ["ok", "refused"]
    assert recovery.returned_amount == paid.amount and recovery.returns.count() == 1


def test_a_dibao_household_left_out_of_this_winters_subsidy_is_an_alert(users, paid, regions):
    from funds.models import Program
    from funds.sweeps import NO_WINTER_SUBSIDY
    from tests.funds.factories import dibao_household

    Program.objects.filter(pk=paid.program_id).update(winter=True)
    late = dibao_household()
    sweep_county(NO_WINTER_SUBSIDY, regions["county"].code)
    found = set(
        Alert.objects.filter(kind=NO_WINTER_SUBSIDY, status=AlertStatus.OPEN).values_list(
            "subject_id", flat=True
        )
    )
    assert found == {str(late.pk)} or found == {late.pk}


def test_the_same_cause_paid_twice_in_a_year_is_an_alert_answered_by_a_recovery(users, regions):
    from funds.models import AppStatus, AssistanceApplication
    from funds.sweeps import SAME_CAUSE_TWICE

    common = {
        "region": regions["village"],
        "kind": "expense",
        "cause": "medical",
        "applicant_name": "张三",
        "id_number": "510121195001011234",
        "place": "村委会",
        "status": AppStatus.PAID,
        "approved_amount": Decimal("800.00"),
        "paid_at": timezone.now(),
        "year": timezone.localdate().year,
    }
    # The database allows one live application per person, cause and year; what it cannot stop is
    # an urgent one paid in advance (先行救助) and then rejected, followed by a new one paid in full.
    AssistanceApplication.objects.create(
        **{
            **common,
            "kind": "urgent",
            "status": AppStatus.REJECTED,
            "rejection_reason": "经核查家庭收入超标",
            "approved_amount": None,
            "paid_at": None,
            "emergency_amount": Decimal("500.00"),
            "emergency_paid_at": timezone.now(),
        }
    )
    second = AssistanceApplication.objects.create(**common)
    AssistanceApplication.objects.create(**{**common, "cause": "fire"})
    AssistanceApplication.objects.create(**{**common, "cause": "accident", "id_number": "510121195001021230"})
    sweep_county(SAME_CAUSE_TWICE, regions["county"].code)
    alerts = Alert.objects.filter(kind=SAME_CAUSE_TWICE, status=AlertStatus.OPEN)
    assert [str(a.subject_id) for a in alerts] == [str(second.pk)]
    services.recovery_open(actor=users["county"], application=second, reason=RecoveryReason.DUPLICATE)
    sweep_county(SAME_CAUSE_TWICE, regions["county"].code)
    assert not Alert.objects.filter(kind=SAME_CAUSE_TWICE, status=AlertStatus.OPEN).exists()


def test_a_line_paid_after_the_household_left_its_category_is_an_alert_opening_the_recovery(
    as_user, users, paid, regions
):
    from funds.sweeps import PAID_AFTER_EXIT
    from people.models import Assistance

    paid_on = paid.batch.paid_at.date()
    lines = Payment.objects.filter(batch=paid.batch)
    later = paid.household  # 低保: leaves only three days after the payment
    left = lines.exclude(household=later).get().household  # 特困: left ten days before
    Assistance.objects.filter(household=left).update(end_date=paid_on - datetime.timedelta(days=10))
    Assistance.objects.filter(household=later).update(end_date=paid_on + datetime.timedelta(days=3))
    sweep_county(PAID_AFTER_EXIT, regions["county"].code)
    alerts = Alert.objects.filter(kind=PAID_AFTER_EXIT, status=AlertStatus.OPEN)
    found = set(
        Payment.objects.filter(pk__in=[a.subject_id for a in alerts]).values_list("household", flat=True)
    )
    assert found == {left.pk}
    alert = alerts.filter(subject_id=str(lines.filter(household=left).first().pk)).get()
    page = as_user(users["county"]).get(reverse("alert-detail", args=[alert.pk]))
    assert f"?payment={alert.subject_id}&amp;reason=after_exit" in page.content.decode()
    assert "退出" in alert.message and left.head.name in alert.message
    for line in lines.filter(household=left):
        services.recovery_open(actor=users["county"], payment=line, reason=RecoveryReason.AFTER_EXIT)
    sweep_county(PAID_AFTER_EXIT, regions["county"].code)
    assert not Alert.objects.filter(kind=PAID_AFTER_EXIT, status=AlertStatus.OPEN).exists()
