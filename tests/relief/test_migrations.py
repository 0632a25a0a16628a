"""Migrations of relief that move data: the alert log keeps its notes and learns its states."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = ("relief", "0006_personal_data_reveal")


def migrate_to(*targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(list(targets))
    return executor.loader.project_state(list(targets)).apps


@pytest.mark.django_db(transaction=True)
def test_alert_events_keep_their_notes_and_gain_the_states_before_and_after():
    from relief.models import AlertEvent

    # every app's latest migration: going back to relief 0006 also unapplies the migrations of other
    # apps that depend on a later relief one, and they must come back too
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old = migrate_to(BEFORE)
    try:
        Region = old.get_model("relief", "Region")
        Alert = old.get_model("relief", "Alert")
        Event = old.get_model("relief", "AlertEvent")
        region = Region.objects.create(code="51", name="四川省", level=1)
        t0 = timezone.now() - datetime.timedelta(days=3)
        history = {
            "handled": ["raised", "acknowledged", "escalated", "resolved"],
            "cleared": ["raised", "escalated", "escalated", "auto_resolved"],
            "open": ["raised"],
        }
        ids = {}
        for name, actions in history.items():
            alert = Alert.objects.create(
                kind="test", region=region, message=name, dedup_key=name, status="open"
            )
            ids[name] = alert.pk
            for i, action in enumerate(actions):
                event = Event.objects.create(alert=alert, action=action, note=f"{name}-{i}")
                Event.objects.filter(pk=event.pk).update(at=t0 + datetime.timedelta(hours=i))
    finally:
        migrate_to(*latest)

    def states(name):
        return list(
            AlertEvent.objects.filter(alert_id=ids[name])
            .order_by("at", "id")
            .values_list("action", "from_state", "to_state", "comment")
        )

    assert states("handled") == [
        ("raised", "", "open", "handled-0"),
        ("acknowledged", "open", "acknowledged", "handled-1"),
        ("escalated", "acknowledged", "acknowledged", "handled-2"),
        ("resolved", "acknowledged", "resolved", "handled-3"),
    ]
    assert states("cleared") == [
        ("raised", "", "open", "cleared-0"),
        ("escalated", "open", "open", "cleared-1"),
        ("escalated", "open", "open", "cleared-2"),
        ("auto_resolved", "open", "resolved", "cleared-3"),
    ]
    assert states("open") == [("raised", "", "open", "open-0")]
