"""The work loop of a finding (relief/todo): the rectification (整改) task of the region visited
and the acceptance (验收) task of the supervising body. Called inside the finding's step, in its
transaction, after the finding's row is locked.

- issued: a rectification task for the region visited, due at the finding's deadline, whose one
  tap opens the answer form; it escalates when late like every task (tasks_escalate_overdue);
- answered: the rectification task is done by the answer; an acceptance task for the supervisor;
- sent back: the acceptance task is done; the same rectification task is reopened with the
  supervisor's comment and a new deadline;
- accepted or closed with the trip: every task of the finding is closed.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from relief.models import Task, TaskState, User
from relief.policy import policy_value
from relief.todo.services import due_in_working_days, task_close_for_cause, task_open
from relief.todo.workflows import task_workflow

SOURCE = "finding"
RECTIFY = "supervision.rectify"
REVIEW = "supervision.review"


def rectify_key(finding) -> str:
    return f"finding:{finding.pk}:rectify"


def review_key(finding) -> str:
    return f"finding:{finding.pk}:review"


def rectify_due(finding, start: datetime.date | None = None, days: int | None = None) -> datetime.datetime:
    """The deadline of the region's answer: the finding's own working days, else the policy's."""
    days = (
        days
        or finding.working_days
        or int(policy_value("supervision_rectify_working_days", finding.region_id))
    )
    return due_in_working_days(int(days), start)


def _title(finding) -> str:
    return _("督查整改：%(text)s") % {"text": finding.text[:80]}


def rectify_task_open(finding, *, actor: User | None) -> Task:
    task, _created = task_open(
        source=SOURCE,
        kind=RECTIFY,
        cause_key=rectify_key(finding),
        title=_title(finding),
        region=finding.region_id,
        assignee_region=finding.region_id,
        due_at=finding.due_at,
        subject=finding,
        subject_label=f"{finding.trip.title[:60]} · {finding.get_area_display()}",
        detail=finding.requirement or finding.text,
        urgent=finding.severity == "major",
        action_url=reverse("supervision:finding-answer", args=[finding.pk]),
        action_label=str(_("报送整改情况")),
        created_by=actor,
        supervisor_region=finding.trip.region_id,
    )
    return task


def _latest(key: str) -> Task | None:
    return Task.objects.filter(cause_key=key).order_by("-id").first()


def rectify_task_done(finding, note: str) -> None:
    """The region answered: its task is done (or, ticked off by hand before, its cause is gone)."""
    task = _latest(rectify_key(finding))
    if task is None:
        return
    if task.is_live:
        task_close_for_cause(task, note)
    else:
        Task.objects.filter(pk=task.pk).update(cause_open=False)


def rectify_task_reopen(finding, *, actor: User, comment: str) -> Task:
    """Sent back: the same task, open again for the region with the comment and the new deadline
    (a fresh clock: the escalation starts again from the region's own level)."""
    task = _latest(rectify_key(finding))
    if task is None or task.is_live:
        return task or rectify_task_open(finding, actor=actor)
    locked = Task.objects.select_for_update().get(pk=task.pk)
    old = locked.state
    note = _("督查组退回：%(comment)s") % {"comment": comment}
    Task.objects.filter(pk=locked.pk).update(
        state=TaskState.OPEN,
        cause_open=True,
        closed_at=None,
        closed_by_hand=False,
        answer="",
        due_at=finding.due_at,
        escalation_level=0,
        supervisor_region=finding.trip.region_id,
        detail=f"{note}\n{finding.requirement or finding.text}",
    )
    locked.refresh_from_db()
    task_workflow.log(locked, action="reopened", actor=actor, comment=note, from_state=old)
    return locked


def review_task_open(finding, *, actor: User | None) -> Task:
    days = int(policy_value("supervision_review_working_days", finding.region_id))
    task, _created = task_open(
        source=SOURCE,
        kind=REVIEW,
        cause_key=review_key(finding),
        title=_("督查整改待验收：%(text)s") % {"text": finding.text[:80]},
        region=finding.trip.region_id,
        assignee_region=finding.trip.region_id,
        due_at=due_in_working_days(days),
        subject=finding,
        subject_label=f"{finding.trip.title[:60]} · {finding.region.name}",
        detail=finding.answer,
        action_url=reverse("supervision:finding", args=[finding.pk]),
        action_label=str(_("验收")),
        created_by=actor,
    )
    return task


def review_task_done(finding, note: str) -> None:
    task = _latest(review_key(finding))
    if task is None:
        return
    if task.is_live:
        task_close_for_cause(task, note)
    else:
        Task.objects.filter(pk=task.pk).update(cause_open=False)


def finding_tasks_close(finding, note: str) -> None:
    rectify_task_done(finding, note)
    review_task_done(finding, note)
