"""Writes of tasks: one task for one cause, 督办 instructions, escalation of overdue tasks, and the
tasks of alerts (one per alert, following it: relief/alerts keeps the finding, the task carries
the work)."""

from __future__ import annotations

import datetime
import uuid

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.models import Region, Role, Task, TaskState, User
from relief.policy import policy_value
from relief.scoping import in_scope
from relief.todo.common import LIVE, SUPERVISOR_SQL, due_at_end_of, supervisions_close
from relief.todo.workflows import task_workflow
from relief.workdays import add_working_days


def due_in_working_days(days: int, start: datetime.date | None = None) -> datetime.datetime:
    return due_at_end_of(add_working_days(start or timezone.localdate(), days).date)


def task_open(
    *,
    source: str,
    kind: str,
    cause_key: str,
    title: str,
    region: Region | str,
    due_at: datetime.datetime,
    assignee_region: str | None = None,
    assignee: User | None = None,
    subject: models.Model | None = None,
    subject_label: str = "",
    detail: str = "",
    urgent: bool = False,
    action_url: str = "",
    action_label: str = "",
    parent: Task | None = None,
    created_by: User | None = None,
    supervisor_region: str = "",
) -> tuple[Task, bool]:
    """Open a task for a cause unless a live one exists. Returns (task, created). Called inside the
    write that found the cause (a visit, a 督办), in its transaction."""
    region_code = region.code if isinstance(region, Region) else region
    existing = Task.objects.live().filter(cause_key=cause_key).first()
    if existing:
        return existing, False
    # ticked off by hand while the cause remained: back with its original due time and escalation
    earlier = (
        Task.objects.filter(cause_key=cause_key, state=TaskState.DONE, cause_open=True, closed_by_hand=True)
        .order_by("-id")
        .first()
    )
    if earlier is not None:
        try:
            with transaction.atomic():
                Task.objects.filter(pk=earlier.pk).update(
                    state=TaskState.OPEN, closed_at=None, closed_by_hand=False
                )
                earlier.refresh_from_db()
                task_workflow.log(
                    earlier,
                    action="reopened",
                    actor=None,
                    comment=REOPENED_BY_CAUSE,
                    from_state=TaskState.DONE,
                )
        except IntegrityError:  # reopened or made concurrently by another worker
            return Task.objects.live().get(cause_key=cause_key), False
        return earlier, False
    try:
        with transaction.atomic():
            task = Task.objects.create(
                source=source,
                kind=kind,
                cause_key=cause_key,
                title=title[:200],
                detail=detail,
                region_id=region_code,
                assignee_region=assignee_region or region_code,
                assignee=assignee,
                due_at=due_at,
                urgent=urgent,
                subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
                subject_id=str(subject.pk) if subject is not None else "",
                subject_label=(subject_label or (str(subject) if subject is not None else ""))[:200],
                action_url=action_url,
                action_label=action_label,
                parent=parent,
                created_by=created_by,
                supervisor_region=supervisor_region,
            )
            task_workflow.log(task, action="created", actor=created_by, comment=detail or title)
    except IntegrityError:
        return Task.objects.live().get(cause_key=cause_key), False
    return task, True


REOPENED_BY_CAUSE = "事由仍存在，重新打开（原办理时限和督办层级不变）"


def task_close_for_cause(task: Task, note: str) -> Task:
    """The cause is gone (the record moved on): the live task is done by the system at once."""
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if not locked.is_live:
        return locked
    old = locked.state
    locked.state = TaskState.DONE
    locked.cause_open = False
    locked.closed_at = timezone.now()
    locked.answer = locked.answer or note
    locked.save(
        update_fields=["state", "cause_open", "closed_at", "answer"]
    )  # lint: allow-save (the system closes it; no person's step)
    task_workflow.log(locked, action="cause_cleared", actor=None, comment=note, from_state=old)
    supervisions_close([locked.pk])
    return locked


def task_take(*, actor: User, task: Task, note: str = "") -> Task:
    return task_workflow.run("take", actor=actor, obj=task, note=note)


def task_complete(*, actor: User, task: Task, note: str) -> Task:
    return task_workflow.run("complete", actor=actor, obj=task, note=note)


def task_cancel(*, actor: User, task: Task, note: str) -> Task:
    return task_workflow.run("cancel", actor=actor, obj=task, note=note)


def answer_from_request(
    *, actor: User, task_id: str | None, note: str, kinds: set[str], household_id: int | None
) -> Task | None:
    """A follow-up was made from a task's one-tap link (`?task=<id>`): that task is done by the
    actor with `note`, if it is live, in their region, a need of one of `kinds` and found on a visit
    to this household, and the actor may complete it. Anything else (a forged, stale or unrelated id,
    a task of the level above) is ignored: the record itself was saved."""
    if not task_id or not str(task_id).isdigit() or household_id is None:
        return None
    task = (
        Task.objects.visible_to(actor)
        .live()
        .filter(pk=int(task_id), source="need", kind__in=kinds)
        .select_related("subject_type")
        .first()
    )
    if task is None or not actor.can_write:
        return None
    subject = task.subject if task.subject_type_id else None
    if getattr(subject, "household_id", None) != household_id:
        return None
    if "complete" not in task_workflow.available_names(task, actor):
        return None  # the level above's task (the village sees it, the township answers it)
    return task_workflow.run("complete", actor=actor, obj=task, note=note)


# --- 督办 ----------------------------------------------------------------------------------------


def supervise_refusal(user: User, task: Task) -> str | None:
    """Why `user` may not add a 督办 instruction to `task` (None: they may): a township, county,
    city or province user whose region lies above the task's, on a live task."""
    if not (user and user.is_authenticated and user.is_active):
        return _("请先登录")
    if user.role in (Role.VILLAGE, Role.API_CLIENT):
        return _("督办须由乡镇（街道）及以上工作人员或官员办理")
    if not task.is_live:
        return _("该事项已办结或已取消")
    if user.is_region_admin:
        return None
    if not in_scope(user, task.assignee_region) or user.region_id == task.assignee_region:
        return _("只能督办下级的事项")
    return None


def supervise(*, actor: User, task: Task, instruction: str, working_days: int = 3) -> Task:
    """督办: an instruction from above, with a deadline in working days, for the task's assignee.
    It shows on their today page; their answer (completing it) shows on the task above."""
    if message := supervise_refusal(actor, task):
        raise PermissionDenied(message)
    instruction = (instruction or "").strip()
    if not instruction:
        raise ValidationError({"instruction": _("请填写督办要求")})
    if not 1 <= int(working_days) <= 30:
        raise ValidationError({"working_days": _("办理时限应为1至30个工作日")})
    with transaction.atomic():
        child, _created = task_open(
            source="supervision",
            kind="supervision",
            cause_key=f"supervision:{task.pk}:{uuid.uuid4().hex[:12]}",
            title=_("督办：%(title)s") % {"title": task.title},
            region=task.region_id,
            assignee_region=task.assignee_region,
            assignee=task.assignee,
            due_at=due_in_working_days(int(working_days)),
            subject=task.subject_type and task.subject,
            subject_label=task.subject_label,
            detail=instruction,
            urgent=True,
            action_url=task.action_url,
            action_label=task.action_label,
            parent=task,
            created_by=actor,
            supervisor_region=actor.region_id or "",
        )
        task_workflow.log(task, action="supervised", actor=actor, comment=instruction, from_state=task.state)
    return child


# --- escalation ----------------------------------------------------------------------------------


def tasks_escalate_overdue(now: datetime.datetime | None = None) -> int:
    """提级督办 of every overdue task that keeps its own clock (alert tasks follow their alert): one
    statement moves each one level up (never above the province) with a new due time."""
    now = now or timezone.now()
    days = int(policy_value("alert_due_days", None))
    supervisor = SUPERVISOR_SQL.format(esc="(t.escalation_level + 1)", region="t.assignee_region")
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            f"""
            WITH up AS (
                UPDATE relief_task t SET escalation_level = t.escalation_level + 1,
                    supervisor_region = {supervisor},
                    due_at = %s + make_interval(days => %s)
                WHERE t.state = ANY(%s) AND t.due_at < %s AND t.alert_id IS NULL
                  AND t.escalation_level < (CASE length(t.assignee_region)
                        WHEN 2 THEN 0 WHEN 4 THEN 1 WHEN 6 THEN 2 WHEN 9 THEN 3 ELSE 4 END)
                RETURNING t.id, t.state, t.escalation_level
            )
            INSERT INTO relief_taskevent (task_id, action, from_state, to_state, comment, at)
            SELECT id, 'escalated', state, state, %s || escalation_level::text || %s, %s FROM up
            """,  # noqa: S608
            [now, days, LIVE, now, "逾期未办结，提级督办（第", "级）", now],
        )
        return cur.rowcount
