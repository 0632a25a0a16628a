"""Writes of alerts: raise, the steps of workflows.py, escalation of every overdue alert at once, and
a monitoring sweep on demand."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.alerts.sweeps import SWEEPS
from relief.alerts.workflows import (
    ESCALATED_COMMENT,
    ESCALATION_CAP,
    RAISED,
    REOPENED_COMMENT,
    alert_workflow,
    escalation_due_days,
    log_action,
)
from relief.jobs.services import job_start
from relief.models import Alert, AlertStatus, Job, Region, Severity, User
from relief.scoping import require_actor, require_writer


def alert_raise(
    *,
    kind: str,
    dedup_key: str,
    message: str,
    region: Region | str | None,
    severity: int = Severity.WARNING,
    due_at: datetime.datetime | None = None,
    subject: Model | None = None,
    subject_label: str = "",
    assignee: User | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert unless an unresolved one with the same key exists. Returns (alert, created)."""
    from relief.alerts.sweeps import tasks_follow_alerts

    region_code = region.code if isinstance(region, Region) else region
    existing = Alert.objects.unresolved().filter(dedup_key=dedup_key).first()
    if existing:
        return existing, False
    # resolved by hand while the condition remained: it comes back with its original clock
    earlier = (
        Alert.objects.filter(dedup_key=dedup_key, status=AlertStatus.RESOLVED, cause_open=True)
        .order_by("-id")
        .first()
    )
    if earlier is not None:
        with transaction.atomic():
            Alert.objects.filter(pk=earlier.pk).update(status=AlertStatus.OPEN, resolved_at=None)
            earlier.refresh_from_db()
            alert_workflow.log(
                earlier,
                action="reopened",
                actor=None,
                comment=REOPENED_COMMENT,
                from_state=AlertStatus.RESOLVED,
            )
            tasks_follow_alerts([earlier.pk])
        return earlier, False
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                kind=kind,
                dedup_key=dedup_key,
                message=message,
                region_id=region_code,
                severity=severity,
                due_at=due_at,
                assignee=assignee,
                subject_label=subject_label or (str(subject) if subject else ""),
                subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
                subject_id=str(subject.pk) if subject is not None else "",
            )
            alert_workflow.log(alert, action=RAISED, actor=None, comment=message)
            tasks_follow_alerts([alert.pk])
    except IntegrityError:  # raised concurrently by another worker
        return Alert.objects.unresolved().get(dedup_key=dedup_key), False
    return alert, True


def alert_acknowledge(*, actor: User, alert: Alert, note: str = "") -> Alert:
    """签收: a writer in the alert's region; they become its assignee if it has none."""
    return alert_workflow.run("acknowledge", actor=actor, obj=alert, note=note)


def alert_resolve(*, actor: User | None, alert: Alert, note: str) -> Alert:
    """Resolve by a person (a writer in the alert's region, with a note) or, with actor=None, by the
    system when the condition cleared (an alert already resolved is then left as it is)."""
    if actor is not None:
        return alert_workflow.run("resolve", actor=actor, obj=alert, note=note)
    try:
        return alert_workflow.run("auto_resolve", actor=None, obj=alert, note=note)
    except ValidationError:
        current = Alert.objects.get(pk=alert.pk)
        if current.status == AlertStatus.RESOLVED:
            return current
        raise


def alert_tasks_backfill(batch: int = 5000) -> int:
    """A task for every unresolved alert that has none (alerts raised before tasks existed), in
    batches of set-based statements. Returns how many were made."""
    from relief.alerts.sweeps import tasks_follow_alerts

    orphans = Alert.objects.unresolved().filter(region__isnull=False, tasks__isnull=True).order_by("pk")
    made, last = 0, 0
    while ids := list(orphans.filter(pk__gt=last).values_list("pk", flat=True)[:batch]):
        made += tasks_follow_alerts(ids)
        last = ids[-1]
    return made


def alert_escalate(*, alert: Alert) -> Alert:
    """提级督办 of one overdue alert (the system). Every overdue alert at once: alerts_escalate_overdue."""
    return alert_workflow.run("escalate", actor=None, obj=alert)


def alerts_escalate_overdue(now: datetime.datetime | None = None) -> int:
    """The escalate step over every overdue alert at once: one statement moves each one level up
    (never above the province) with a new due time and writes its "escalated" log row."""
    step = alert_workflow.steps["escalate"]
    now = now or timezone.now()
    days = escalation_due_days()
    cap = " ".join(f"WHEN {length} THEN {levels}" for length, levels in ESCALATION_CAP.items())
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            WITH up AS (
                UPDATE relief_alert SET escalation_level = escalation_level + 1,
                       due_at = %s + make_interval(days => %s)
                WHERE status = ANY(%s) AND due_at < %s
                  AND region_code IS NOT NULL
                  AND escalation_level < (CASE length(region_code) {cap} ELSE 4 END)
                RETURNING id, escalation_level, status
            ),
            ev AS (
                INSERT INTO relief_alertevent (alert_id, action, from_state, to_state, comment, at)
                SELECT id, %s, status, status, replace(%s, %s, escalation_level::text), %s FROM up
            )
            SELECT coalesce(array_agg(id), '{{}}') FROM up
            """,  # noqa: S608 - the CASE is built from integers of ESCALATION_CAP
            [
                now,
                days,
                [str(s) for s in step.sources],
                now,
                log_action("escalate"),
                ESCALATED_COMMENT,
                "%(level)s",
                now,
            ],
        )
        ids = cur.fetchone()[0]
        from relief.alerts.sweeps import tasks_follow_alerts

        tasks_follow_alerts(ids)
        return len(ids)


def sweep_start(*, actor: User, kinds: list[str] | None = None, region: Region | None = None) -> Job:
    """Run monitoring sweeps now over the actor's region (or a sub-region), as a job with progress
    (the handler and the per-county tasks: relief/alerts/tasks.py). A writer role only."""
    require_writer(actor)
    region = region or actor.region
    if region is not None:
        require_actor(actor, region.code)
    unknown = [k for k in kinds or [] if k not in SWEEPS]
    if unknown:
        raise ValidationError(_("未知的监测项目：%(kinds)s") % {"kinds": "、".join(unknown)})
    labels = "、".join(str(SWEEPS[k].label) for k in kinds) if kinds else _("全部监测项目")
    return job_start(
        actor=actor,
        kind="relief.sweep",
        title=_("主动发现监测：%(what)s") % {"what": labels},
        params={"kinds": kinds or [], "region": region.code if region else None},
        region=region,
    )
