"""Two volunteers of one campaign tap "delivered" for the same household at the same moment, on real
PostgreSQL connections: the household is delivered once, and the record belongs to whoever was first
(the second tap waits for the row lock, finds it delivered and takes nothing from the first)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import CampaignHousehold
from volunteers import services
from volunteers.models import VolunteerRecord

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_volunteers_delivering_to_one_household_at_once(users, volunteer, campaign, regions):
    other = services.volunteer_register(
        actor=users["township"],
        region=regions["village"],
        name="李春花",
        phone="13908125678",
        kind="volunteer",
        skills=["delivery"],
    )
    assignments = [
        services.assignment_create(
            actor=users["township"],
            volunteer=v,
            campaign=campaign,
            village=regions["village"],
            date=timezone.localdate(),
            planned_hours="2",
        )
        for v in (volunteer, other)
    ]
    first, second = assignments
    entry_pk = CampaignHousehold.objects.get(campaign=campaign).pk
    first_holds_lock, first_may_commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def deliver(assignment, hold: bool) -> None:
        try:
            with transaction.atomic():
                entry = CampaignHousehold.objects.get(pk=entry_pk)
                services.record_delivery(
                    actor=users["township"],
                    assignment=assignment,
                    entry=entry,
                    outcome="delivered",
                    received_by_name="张大山",
                )
                if hold:  # the first tap's transaction stays open until the second one waits on it
                    first_holds_lock.set()
                    first_may_commit.wait(30)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=deliver, args=(first, True))
    a.start()
    assert first_holds_lock.wait(30)
    b = threading.Thread(target=deliver, args=(second, False))
    b.start()
    # wait until the second tap is blocked on a row lock held by the first
    for _ in range(300):
        with connection.cursor() as cursor:
            cursor.execute(
                "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()"
            )
            if cursor.fetchone()[0]:
                break
        time.sleep(0.05)
    first_may_commit.set()
    a.join(30)
    b.join(30)
    assert errors == []
    entry = CampaignHousehold.objects.get(pk=entry_pk)
    assert entry.state == "delivered"
    records = list(VolunteerRecord.objects.filter(delivery=entry))
    assert [r.assignment_id for r in records] == [first.pk], "the delivery stays the first volunteer's"
