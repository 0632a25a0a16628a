"""The demo's work: after every app has seeded its records, the monitoring sweeps run once (their
alerts become tasks), every record waiting for a step gets its deadline task, and the city issues
one 督办 on the county's most overdue task, so every demo login lands on a today page with work."""

from __future__ import annotations

import datetime

from django.utils import timezone

from relief.alerts.services import alerts_escalate_overdue
from relief.alerts.sweeps import SWEEPS, sweep_county
from relief.demo import DemoContext
from relief.models import Alert, Task
from relief.regions import Level
from relief.todo.deadlines import follow_all
from relief.todo.services import supervise


def seed_work(ctx: DemoContext) -> None:
    raised = 0
    for county in ctx.counties:
        for kind in SWEEPS:
            raised += sweep_county(kind, county.code).raised
    waiting = follow_all()
    # Some alerts have been waiting a while: a few went past their due time and were escalated
    # (督办) one level up, as the hourly escalation does in real work.
    county = ctx.counties[0]
    late = list(
        Alert.objects.unresolved()
        .filter(region__code__startswith=county.code)
        .order_by("id")
        .values_list("pk", flat=True)[:5]
    )
    Alert.objects.filter(pk__in=late).update(due_at=timezone.now() - datetime.timedelta(days=1))
    escalated = alerts_escalate_overdue()
    # one was left on the desk up to the city too: it has climbed to the province (one level a
    # round: a village's alert takes four, a county's two)
    for _round in range(len(Level.choices)):
        if not late or Task.objects.filter(alert_id=late[0], supervisor_region__regex=r"^\d{2}$").exists():
            break
        Alert.objects.filter(pk__in=late[:1]).update(due_at=timezone.now() - datetime.timedelta(days=1))
        alerts_escalate_overdue()
    city = ctx.users.get("city")
    supervised = 0
    target = Task.objects.live().filter(region__code__startswith=county.code).order_by("due_at", "id").first()
    if city is not None and target is not None:
        supervise(actor=city, task=target, instruction="请于3个工作日内核实处置并报告结果", working_days=3)
        supervised = 1
    ctx.log(
        f"work: {raised} alerts raised by the sweeps, {waiting} records waiting for a step, "
        f"{Task.objects.live().count()} open tasks, {escalated} escalated, {supervised} 督办"
    )
