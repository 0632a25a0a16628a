"""No page offers an action the user cannot take (issue 21, point 3): a crawl of every page as every
role, on the demo dataset, finds no link or form that answers 403, 404, 405 or 500 (tests/crawl.py
says how each link and form is followed)."""

from __future__ import annotations

import time

import pytest
from django.core.management import call_command

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
