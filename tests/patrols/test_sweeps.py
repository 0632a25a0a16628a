from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from patrols import services
from relief.models import Alert, AlertStatus
from tests.patrols.factories import ClueFactory

sweeps = pytest.importorskip("relief.alerts.sweeps")
pytestmark = pytest.mark.django_db


def test_overdue_clue_raises_alert_and_resolves_when_responded(regions, users, team):
    late = ClueFactory(
        region=regions["county"],
        team=team,
        status="dispatched",
        reported_at=timezone.now() - datetime.timedelta(hours=2),
        due_at=timezone.now() - datetime.timedelta(hours=1, minutes=30),
        place="北门桥洞",
    )
    ClueFactory(region=regions["county"])  # not yet due
    ClueFactory(
        region=regions["other_county"],
        reported_at=timezone.now() - datetime.timedelta(hours=2),
        due_at=timezone.now() - datetime.timedelta(hours=1),
    )
    result = sweeps.sweep_county("patrols.clue_overdue", regions["county"].code)
    assert result.raised == 1
    alert = Alert.objects.get(kind="patrols.clue_overdue")
    assert alert.region_id == regions["county"].code and "北门桥洞" in alert.message
    assert sweeps.sweep_county("patrols.clue_overdue", regions["county"].code).raised == 0
    services.clue_respond(actor=users["county"], clue=late)
    assert sweeps.sweep_county("patrols.clue_overdue", regions["county"].code).resolved == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
