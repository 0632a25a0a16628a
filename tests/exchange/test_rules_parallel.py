"""A large batch's rules run over its counties on several database connections at once
(exchange.rules.rules_sweep with workers > 1: threads, each county in its own transaction). The
warnings, their tasks and their dispositions are those of the one-connection run, a second run
raises nothing, and the batch's own processing counts them."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from exchange import rules, services
from exchange.models import Disposition, ExchangeBatch, RuleKind
from exchange.rules import alert_kind, rules_sweep
from relief.models import Alert, Task
from tests.exchange import factories as f
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db(transaction=True)  # the threads see only what is committed
COUNTIES = ["510121", "510129"]


def _household(village: str) -> object:
    household = household_with_head(village, birth=datetime.date(1970, 1, 1))
    household.monthly_income = 1000  # 12 × 1000 × 0.5 = 6000
    household.save(update_fields=["monthly_income"])
    return household


@pytest.fixture
def batch(regions):
    src = f.source(RuleKind.MEDICAL_SHARE, name="四川省医保")
    f.rule(src, RuleKind.MEDICAL_SHARE, share="0.5", months=12)
    b = f.batch(src, region_code="51")
    today = timezone.localdate()
    for village in ("510121001001", "510129001001"):
        household = _household(village)
        f.record(b, household.head, amount="7000", occurred_on=today - datetime.timedelta(days=20))
    below = _household("510121001001")
    f.record(b, below.head, amount="100", occurred_on=today)
    return b


def test_the_counties_on_two_connections_give_each_warning_its_task_and_disposition(batch, monkeypatch):
    threads: list[str] = []
    sweep = rules.sweep_county

    def recording(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return sweep(*args, **kwargs)

    monkeypatch.setattr(rules, "sweep_county", recording)
    assert not connection.in_atomic_block
    assert rules_sweep(COUNTIES, [RuleKind.MEDICAL_SHARE], workers=2) == 2
    assert len(threads) == 2 and all(name.startswith("rules") for name in threads)  # not this thread

    alerts = Alert.objects.filter(kind=alert_kind(RuleKind.MEDICAL_SHARE)).order_by("region_id")
    assert [a.region_id for a in alerts] == ["510121001001", "510129001001"]
    for alert in alerts:
        assert Task.objects.filter(alert=alert, state="open").count() == 1
        assert Disposition.objects.get(alert=alert).status == "verifying"

    # again, on two connections: nothing new, nothing doubled
    assert rules_sweep(COUNTIES, [RuleKind.MEDICAL_SHARE], workers=2) == 0
    assert alerts.count() == 2 and Task.objects.count() == 2 and Disposition.objects.count() == 2


def test_a_batch_large_enough_runs_its_rules_on_several_connections(batch, monkeypatch, settings):
    settings.EXCHANGE_RULE_WORKERS = 2
    monkeypatch.setattr(rules, "PARALLEL_LINES", 1)
    seen: list[int] = []
    original = rules.rules_sweep

    def recording(counties, kinds, today=None, *, workers=1):
        seen.append(workers)
        return original(counties, kinds, today, workers=workers)

    monkeypatch.setattr(rules, "rules_sweep", recording)
    ExchangeBatch.objects.filter(pk=batch.pk).update(received=3, status="done")
    done = services.batch_process(batch_id=batch.pk)
    assert seen == [2]
    assert done.warnings_raised == 2 and done.finished_at is not None
    assert Disposition.objects.count() == 2
