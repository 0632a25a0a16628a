"""Issue 21, point 3, on the demo dataset (seeded once for the module):

- no page offers an action the user cannot take: a crawl of every page as every role finds no link
  or form that answers 403, 404, 405 or 500 (tests/crawl.py says how each link and form is followed);
- forms keep what was typed when they answer an error: each form that answered an invalid POST with
  a redirect and a blank form now draws its page again, with the error and the values as typed (one
  invalid POST per form, as the user who works with it)."""

from __future__ import annotations

import html
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from relief.models import User
from tests.crawl import Crawl
from tests.test_permission_matrix import _enrolment_records, _exchange_records

pytestmark = pytest.mark.django_db

ROLES = ["admin", "province", "city", "county", "township", "village"]


@pytest.fixture(scope="module")
def demo_users(module_db, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", "--people", "150", stdout=open("/dev/null", "w"))  # noqa: SIM115
        users = {u.username: u for u in User.objects.filter(username__in=ROLES)}
        _enrolment_records(users["county"])
        _exchange_records(users["county"])
        recovery_record(users["county"])
        return users


def recovery_record(county: User) -> None:
    """An open recovery (追回) in the county, unless the demo already has one: from a paid line."""
    from django.core.exceptions import ValidationError

    from funds.models import Payment
    from funds.recovery_models import OPEN_STATES, Recovery
    from funds.services import recovery_open

    if Recovery.objects.visible_to(county).filter(state__in=OPEN_STATES).exists():
        return
    for payment in Payment.objects.visible_to(county).order_by("pk")[:50]:
        try:
            recovery_open(actor=county, payment=payment, reason="duplicate", detail="重复发放")
            return
        except ValidationError:
            continue


@pytest.mark.parametrize("role", ROLES)
def test_no_link_or_button_fails(demo_users, client, role):
    client.force_login(demo_users[role], backend="django.contrib.auth.backends.ModelBackend")
    started = time.monotonic()
    crawl = Crawl(client).run("/")
    print(
        f"{role}: {crawl.requests} requests in {time.monotonic() - started:.1f}s; slowest: {crawl.slowest()}"
    )
    assert crawl.requests > 20, "the crawl found too few pages to mean anything"
    if crawl.failures:
        pytest.fail(f"{len(crawl.failures)} failing as {role}:\n" + "\n".join(str(f) for f in crawl.failures))


# --- forms keep what was typed -----------------------------------------------------------------


def _emergency_pay(users):
    """The 先行救助 amount the issue names: over the township's limit, refused, kept."""
    from funds.models import AppStatus, AssistanceApplication
    from funds.workflows import application_workflow

    user = users["county"]
    app = next(
        a
        for a in AssistanceApplication.objects.visible_to(user).filter(status=AppStatus.SUBMITTED)
        if "emergency_pay" in application_workflow.available_names(a, user)
    )
    data = {
        "step": "emergency_pay",
        "emergency_pay-amount": "98765.43",
        "emergency_pay-comment": "先行救助说明甲",
    }
    return user, reverse("funds:application-detail", args=[app.pk]), data, ["98765.43", "先行救助说明甲"]


def _recovery_return(users):
    from funds.recovery_models import OPEN_STATES, Recovery

    user = users["county"]
    recovery = Recovery.objects.visible_to(user).filter(state__in=OPEN_STATES).first()
    data = {"amount": "12x", "receipt": "RC-7788-甲", "note": "退回备注乙"}
    url = reverse("funds:recovery-action", args=[recovery.pk, "return"])
    return user, url, data, ["12x", "RC-7788-甲", "退回备注乙"]


def _allocation_correct(users):
    from funds.models import Allocation

    user = users["county"]
    allocation = Allocation.objects.visible_to(user).filter(cancelled_at__isnull=True).first()
    data = {"amount": "1.2.3", "reason": "更正原因丙"}
    url = reverse("funds:allocation-change", args=[allocation.pk, "correct"])
    return user, url, data, ["1.2.3", "更正原因丙"]


def _task_supervise(users):
    from relief.models import Task
    from relief.todo import services

    user = users["county"]
    task = next(
        t for t in Task.objects.visible_to(user).live() if services.supervise_refusal(user, t) is None
    )
    data = {"instruction": "督办要求丁", "working_days": "99"}
    return user, reverse("task-supervise", args=[task.pk]), data, ["督办要求丁", 'value="99"']


def _duty_shift(users):
    data = {"role": "leader", "name": "值班员戊", "phone": "13800001111", "starts_at": "", "ends_at": ""}
    return users["county"], reverse("coldwaves:shift-add"), data, ["值班员戊", "13800001111"]


def _hotline_call(users):
    data = {"kind": "help", "caller_name": "来电人己", "place": "桥下庚", "asked": ""}
    return users["county"], reverse("coldwaves:call-log"), data, ["来电人己", "桥下庚"]


def _rollcall_answer(users):
    from coldwaves.models import RollCallEntry

    user = users["county"]
    entry = RollCallEntry.objects.visible_to(user).filter(
        answered_at__isnull=True, roll_call__closed_at__isnull=True
    )
    entry = entry.first()
    data = {"outcome": "needs_help", "channel": "home", "needs": "家里没有煤辛", "follow_up": ""}
    return user, reverse("coldwaves:answer", args=[entry.pk]), data, ["家里没有煤辛"]


def _charity_assign(users):
    from charity.models import CharityNeed, NeedState
    from charity.selectors import matches

    user = users["county"]
    match = next(
        m
        for m in matches(list(CharityNeed.objects.visible_to(user).filter(state=NeedState.OPEN)), user)
        if m.projects and any(d.balance > 0 for d in m.donations)
    )
    donation = next(d for d in match.donations if d.balance > 0)
    data = {"project": match.projects[0].pk, f"amount_{donation.pk}": "77x"}
    return user, reverse("charity:assign", args=[match.need.pk]), data, ['value="77x"']


def _recovery_create(users):
    from funds.models import Payment

    user = users["county"]
    payment = Payment.objects.visible_to(user).order_by("pk").first()
    data = {"payment": payment.pk, "reason": "other", "amount": "zz", "detail": "追回说明癸"}
    return user, reverse("funds:recovery-new"), data, ["追回说明癸", 'value="zz"']


def _clue_dispatch(users):
    from patrols.models import Clue, ClueStatus

    user = users["county"]
    clue = Clue.objects.visible_to(user).filter(status=ClueStatus.NEW).first()
    data = {"comment": "派发说明壬"}  # no team: refused
    return user, reverse("patrols:clue-action", args=[clue.pk, "dispatch"]), data, ["派发说明壬"]


FORMS = {
    "先行救助": _emergency_pay,
    "追回退回": _recovery_return,
    "资金指标更正": _allocation_correct,
    "督办": _task_supervise,
    "值班安排": _duty_shift,
    "值班来电": _hotline_call,
    "寒潮点名需要帮助": _rollcall_answer,
    "慈善对接": _charity_assign,
    "登记追回": _recovery_create,
    "线索派发": _clue_dispatch,
}


@pytest.mark.parametrize("name", FORMS)
def test_an_invalid_post_draws_the_form_again_with_what_was_typed(demo_users, client, name):
    user, url, data, typed = FORMS[name](demo_users)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(url, data)
    assert response.status_code in (200, 400), f"{name}: answered {response.status_code}, not the form again"
    page = html.unescape(response.content.decode())
    for value in typed:
        assert value in page, f"{name}: {value!r} typed but not on the page drawn again"
