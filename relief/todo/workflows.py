"""A task's process, declared once (relief/workflow.py): the task page's buttons, the API's
`available_actions` and actions come from here.

open → (take 接办: the one who takes it becomes the assignee) in_progress; open or in_progress →
(complete 办结, with a note) done, or (cancel 取消, with a reason) cancelled. Taken by the system:
escalate (提级督办: overdue, the supervision climbs one level; the state stays).

A task is done by hand or, when its cause clears, by the sync (relief.todo.common.py). Done by
hand while the cause remains, the next sync reopens it with its original due time and escalation
level. A task made from an alert is the alert's work: completing it resolves the alert by hand in
the same transaction.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy

from relief.models import Task, TaskEvent, TaskState
from relief.scoping import in_scope
from relief.todo.common import handling, supervisions_close
from relief.workflow import Param, Step, StepContext, Workflow

NOTE = Param("note", "comment", gettext_lazy("办理情况"), max_length=2000)
REASON = Param("note", "comment", gettext_lazy("取消原因"), max_length=2000)
LIVE = (TaskState.OPEN, TaskState.IN_PROGRESS)


def _must_write(user, task: Task) -> str | None:
    """A writer who is the task's named assignee, or whose region holds the region that must act
    (the township may act on its villages' tasks, never a village on the county's)."""
    if not user.can_write:
        return gettext_lazy("您的角色只能查看和督办，不能办结事项")
    if task.assignee_id is not None and task.assignee_id == user.pk:
        return None
    if not in_scope(user, task.assignee_region):
        return gettext_lazy("该事项由上级办理，您可以查看")
    return None


def _not_an_alert(task: Task) -> str | None:
    if task.alert_id is not None:
        return gettext_lazy("预警的事项随预警解除，不能取消")
    return None


def _take(ctx: StepContext) -> None:
    task: Task = ctx.obj
    task.assignee = ctx.actor
    ctx.fields.add("assignee")
    if task.alert_id is not None:  # taking an alert's task signs for the alert (签收)
        _alert_step(ctx, task, "acknowledge", ("open",))


def _close(ctx: StepContext) -> None:
    task: Task = ctx.obj
    task.closed_at = timezone.now()
    task.closed_by_hand = True
    task.answer = ctx.comment
    if task.assignee_id is None:
        task.assignee = ctx.actor
    ctx.fields |= {"closed_at", "closed_by_hand", "answer", "assignee"}
    _close_supervisions(task)


def _complete(ctx: StepContext) -> None:
    _close(ctx)
    task: Task = ctx.obj
    if task.alert_id is not None:
        _alert_step(ctx, task, "resolve", ("open", "acknowledged"))


def _close_supervisions(task: Task) -> None:
    """The task is closed: the 督办 instructions on it have nothing left to press for."""
    supervisions_close([task.pk])


def lock_alert_first(pk) -> None:
    """Lock order everywhere: an alert, then its task (sweeps, escalation and the alert page do so):
    a task step locks the task's alert before the task."""
    from relief.models import Alert

    list(Alert.objects.select_for_update().filter(tasks__pk=pk).values_list("pk", flat=True))


def _alert_step(ctx: StepContext, task: Task, step: str, states: tuple[str, ...]) -> None:
    """The task of an alert was taken or completed by hand: the alert takes the same step (签收,
    解除) in the same transaction. Resolved while its condition remains, the next sweep reopens
    both with their clock."""
    from relief.alerts.workflows import alert_workflow
    from relief.models import Alert

    alert = Alert.objects.filter(pk=task.alert_id).first()
    if alert is None or alert.status not in states:
        return
    with handling({task.pk}):
        alert_workflow.run(step, actor=ctx.actor, obj=alert, note=ctx.comment)


task_workflow = Workflow(
    name="relief.task",
    model=Task,
    log_model=TaskEvent,
    log_fk="task",
    state_field="state",
    writers_only=False,
    lock_before=lock_alert_first,
    steps=[
        Step(
            "take",
            gettext_lazy("接办"),
            sources=(TaskState.OPEN,),
            target=TaskState.IN_PROGRESS,
            params=(Param("note", "comment", gettext_lazy("说明"), max_length=2000),),
            comment_param="note",
            who=_must_write,
            apply=_take,
            state_message=gettext_lazy("只有待办的事项可以接办"),
            style="outline-primary",
        ),
        Step(
            "complete",
            gettext_lazy("办结"),
            sources=LIVE,
            target=TaskState.DONE,
            params=(NOTE,),
            comment_param="note",
            comment_required=gettext_lazy("办结需要填写办理情况"),
            who=_must_write,
            apply=_complete,
            state_message=gettext_lazy("该事项已办结或已取消"),
            style="success",
        ),
        Step(
            "cancel",
            gettext_lazy("取消"),
            sources=LIVE,
            target=TaskState.CANCELLED,
            params=(REASON,),
            comment_param="note",
            comment_required=gettext_lazy("取消事项需要填写原因"),
            when=_not_an_alert,
            who=_must_write,
            apply=_close,
            state_message=gettext_lazy("该事项已办结或已取消"),
            style="outline-secondary",
        ),
    ],
)
