"""Writes of the shared core: jobs, alerts, policy parameters. One transaction each."""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Job,
    JobState,
    PolicyParameter,
    Region,
    Severity,
    User,
)
from relief.scoping import require_in_scope

logger = logging.getLogger(__name__)


# --- Jobs -------------------------------------------------------------------------------------


def _enqueue(job_id: int) -> None:
    from relief.tasks import run_job

    try:
        run_job.delay(job_id)
    except Exception:  # the broker is down: the job stays pending and the page says so
        logger.exception("could not queue job %s", job_id)
        Job.objects.filter(pk=job_id, state=JobState.PENDING).update(enqueue_failed=True)


@transaction.atomic
def job_start(
    *,
    actor: User | None,
    kind: str,
    title: str,
    params: dict[str, Any] | None = None,
    region: Region | None = None,
) -> Job:
    from relief.jobs import HANDLERS

    if kind not in HANDLERS:
        raise ValueError(f"no handler for job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        title=title,
        params=params or {},
        started_by=actor,
        region=region if region is not None else getattr(actor, "region", None),
    )
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


@transaction.atomic
def job_retry(*, actor: User, job: Job) -> Job:
    job = Job.objects.select_for_update().get(pk=job.pk)
    if not job.can_retry:
        raise ValidationError(_("只有失败或中断的任务可以重试"))
    job.state = JobState.PENDING
    job.error = ""
    job.message = _("已由 %(user)s 重新提交") % {"user": actor}
    job.progress_done = 0
    job.heartbeat_at = None
    job.finished_at = None
    job.save(update_fields=["state", "error", "message", "progress_done", "heartbeat_at", "finished_at"])
    transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def jobs_requeue_stranded(older_than_seconds: int = 60) -> int:
    """Queue again the jobs that could not be queued because the broker was down."""
    limit = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    ids = list(
        Job.objects.filter(state=JobState.PENDING, created_at__lt=limit, enqueue_failed=True).values_list(
            "pk", flat=True
        )[:500]
    )
    for job_id in ids:
        Job.objects.filter(pk=job_id).update(enqueue_failed=False)
        _enqueue(job_id)
    return len(ids)


def jobs_mark_lost() -> int:
    """Mark running jobs whose worker stopped reporting as lost, so their owner sees it and can retry."""
    return Job.objects.stalled().update(
        state=JobState.LOST,
        finished_at=timezone.now(),
        error=_("后台进程在处理过程中停止响应（可能已重启或被终止）。数据未做部分修改，可以点击“重试”。"),
    )


# --- Alerts -----------------------------------------------------------------------------------


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
    region_code = region.code if isinstance(region, Region) else region
    existing = Alert.objects.unresolved().filter(dedup_key=dedup_key).first()
    if existing:
        return existing, False
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
            AlertEvent.objects.create(alert=alert, action="raised", note=message)
    except IntegrityError:  # raised concurrently by another worker
        return Alert.objects.unresolved().get(dedup_key=dedup_key), False
    return alert, True


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, note: str = "") -> Alert:
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    require_in_scope(actor, alert.region_id)
    if alert.status != AlertStatus.OPEN:
        raise ValidationError(_("只有待处理的预警可以签收"))
    alert.status = AlertStatus.ACKNOWLEDGED
    if alert.assignee_id is None:
        alert.assignee = actor
    alert.save(update_fields=["status", "assignee"])
    AlertEvent.objects.create(alert=alert, action="acknowledged", actor=actor, note=note)
    return alert


@transaction.atomic
def alert_resolve(*, actor: User | None, alert: Alert, note: str) -> Alert:
    """Resolve by a person (with a note) or, with actor=None, by the system when the condition cleared."""
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if actor is not None:
        require_in_scope(actor, alert.region_id)
        if not note.strip():
            raise ValidationError(_("解除预警需要填写处理说明"))
    if alert.status == AlertStatus.RESOLVED:
        return alert
    alert.status = AlertStatus.RESOLVED
    alert.resolved_at = timezone.now()
    alert.save(update_fields=["status", "resolved_at"])
    AlertEvent.objects.create(
        alert=alert, action="resolved" if actor else "auto_resolved", actor=actor, note=note
    )
    return alert


# --- Policy parameters --------------------------------------------------------------------------


@transaction.atomic
def policy_set(
    *, actor: User, key: str, value: Decimal, region: Region | None, valid_from: datetime.date, note: str = ""
) -> PolicyParameter:
    from relief.policy import PARAMETERS

    if not actor.is_region_admin:
        raise PermissionDenied(_("只有管理员可以修改政策参数"))
    if key not in PARAMETERS:
        raise ValidationError(_("未知的政策参数"))
    row, _created = PolicyParameter.objects.update_or_create(
        key=key,
        region=region,
        valid_from=valid_from,
        defaults={"value": value, "note": note, "updated_by": actor},
    )
    return row


# --- Regions ------------------------------------------------------------------------------------


def regions_load_stdnum(*, provinces: list[str] | None = None) -> int:
    """Insert or update the current provinces, cities and counties from python-stdnum's table.
    Safe to run again. Returns the number of rows written."""
    from relief.regions import stdnum_divisions

    entries = [e for e in stdnum_divisions() if not provinces or e.code[:2] in provinces]
    names = {e.code: e.name for e in entries}
    rows = []
    for e in entries:
        full = " ".join(
            names[c] for c in (e.code[:2], e.code[:4], e.code) if c in names and len(c) <= len(e.code)
        )
        rows.append(
            Region(
                code=e.code,
                name=e.name,
                level=e.level,
                parent_id=e.parent,
                full_name=" ".join(dict.fromkeys(full.split())),
            )
        )
    with transaction.atomic():
        Region.objects.bulk_create(
            sorted(rows, key=lambda r: len(r.code)),
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "full_name"],
            batch_size=2000,
        )
    return len(rows)


# --- Sweeps and escalation ------------------------------------------------------------------------


def sweep_start(*, actor: User, kinds: list[str] | None = None, region: Region | None = None) -> Job:
    """Run monitoring sweeps now over the actor's region (or a sub-region), as a job with progress."""
    from relief.scoping import require_writer
    from relief.sweeps import SWEEPS

    require_writer(actor)
    region = region or actor.region
    if region is not None:
        require_in_scope(actor, region.code)
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


def alerts_escalate_overdue(now: datetime.datetime | None = None) -> int:
    """Unresolved alerts past their due time move one level up (督办), never above the province, with a
    new due time; one statement for all of them, each with an "escalated" event."""
    from django.db import connection

    from relief.policy import policy_value

    now = now or timezone.now()
    days = int(policy_value("alert_due_days", None))
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """
            WITH up AS (
                UPDATE relief_alert SET escalation_level = escalation_level + 1,
                       due_at = %s + make_interval(days => %s)
                WHERE status <> 'resolved' AND due_at < %s
                  AND region_code IS NOT NULL
                  AND escalation_level < (CASE length(region_code) WHEN 2 THEN 0 WHEN 4 THEN 1 WHEN 6 THEN 2
                                          WHEN 9 THEN 3 ELSE 4 END)
                RETURNING id, escalation_level
            ),
            ev AS (
                INSERT INTO relief_alertevent (alert_id, action, note, at)
                SELECT id, 'escalated', '逾期未处理，提级督办（第' || escalation_level || '级）', %s FROM up
            )
            SELECT count(*) FROM up
            """,
            [now, days, now, now],
        )
        return cur.fetchone()[0]
