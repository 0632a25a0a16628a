"""An official CAP warning that comes in by itself starts the roll call: the level's hook runs on
commit, the tick opens the county's list at the CAP's level, and the CAP Update raises its level
(keeping the earlier of the two deadlines)."""

from __future__ import annotations

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from coldwaves import tasks
from coldwaves.models import RollCall, RollCallEntry
from coldwaves.services import rollcall_tick
from people.models import Household
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "patrols" / "fixtures"
CST = ZoneInfo("Asia/Shanghai")


def _post(api, user, name: str):
    api.force_authenticate(user)
    return api.post(
        "/api/v1/cold-alerts/cap/", data=(FIXTURES / name).read_bytes(), content_type="application/cap+xml"
    )


def test_a_cap_alert_opens_the_roll_call_and_its_update_raises_it(
    api, users, regions, monkeypatch, django_capture_on_commit_callbacks
):
    household = household_with_head("510121001001", birth=datetime.date(1935, 1, 1), lives_alone=True)
    Household.objects.filter(pk=household.pk).update(heating_type="electric")
    queued = []
    monkeypatch.setattr(tasks.rollcall_tick_task, "delay", lambda *a, **k: queued.append(a))
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(api, users["county"], "cap_alert_yellow.xml")
    assert response.status_code == 201, response.content
    assert queued, "a level coming into force must start the roll call"

    rollcall_tick(now=datetime.datetime(2026, 1, 10, 13, tzinfo=CST))
    roll_call = RollCall.objects.get(region_id="510121")
    assert roll_call.level == 2
    assert list(RollCallEntry.objects.values_list("person_id", flat=True)) == [household.head_id]
    assert roll_call.due_at == roll_call.opened_at + datetime.timedelta(hours=24)

    assert _post(api, users["county"], "cap_update_orange.xml").status_code == 201
    rollcall_tick(now=datetime.datetime(2026, 1, 11, 7, tzinfo=CST))
    roll_call.refresh_from_db()
    assert roll_call.level == 3
    # orange gives 12 hours from the update (19:00), later than yellow's 24 hours from the start
    # (13:00): the earlier deadline stands
    assert roll_call.due_at == datetime.datetime(2026, 1, 11, 13, tzinfo=CST)
