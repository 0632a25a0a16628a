"""Workflow deadlines as tasks: while a record waits in a state for someone's step (an application
for the county's approval, a rectified hazard for its verification, a 公示 for its end), a task
for the level that must act, with the deadline the policy sets.

An app declares its deadlines once and registers them (from its AppConfig.ready()):

    register(Deadline(key="funds.application.county", label="临时救助待县级审批",
                      model="funds.AssistanceApplication", states=("reviewed", "notice_done"),
                      level=6, when=lambda app: app.approval_level == "county",
                      due=decision_due, title=..., action="funds:application-detail",
                      action_label="审批"))

`follow(obj)` runs after every workflow step on the record (relief/todo/hooks.py), inside the
step's transaction: the task of the state it left is done at once ("已办理"), the task of the state
it entered is opened (or reopened with its original clock if it was ticked off by hand while the
record still waited). `follow_all()` does the same for every record in a waiting state (nightly, and
for the demo), and closes tasks whose record left by a path without a step.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.models import Task, TaskState


@dataclass(frozen=True)
class Deadline:
    key: str
    label: Any
    model: str
    states: tuple[str, ...]
    #: code length of the region that must act (9 township, 6 county), cut from the record's region
    level: int
    due: Callable[[Any], datetime.datetime]
    title: Callable[[Any], str]
    action: str
    action_label: Any
    #: the record's region code (default: obj.region_id)
    region: Callable[[Any], str] | None = None
    when: Callable[[Any], bool] | None = None
    state_field: str = "status"
    urgent: bool = False
    #: a named person instead of the role (a hazard's owner)
    assignee: Callable[[Any], Any] | None = None


DEADLINES: dict[str, Deadline] = {}


def register(deadline: Deadline) -> None:
    DEADLINES[deadline.key] = deadline


def deadlines_for(model: type[models.Model]) -> list[Deadline]:
    label = f"{model._meta.app_label}.{model.__name__}"
    return [d for d in DEADLINES.values() if d.model == label]


def _region(d: Deadline, obj: Any) -> str | None:
    return d.region(obj) if d.region else getattr(obj, "region_id", None)


def _prefix(d: Deadline, obj: Any) -> str:
    return f"deadline:{d.key}:{obj.pk}:"


def follow(obj: models.Model) -> None:
    """Bring the deadline tasks of one record in step with its state."""
    from relief.todo.services import task_close_for_cause, task_open

    for d in deadlines_for(type(obj)):
        region = _region(d, obj)
        state = getattr(obj, d.state_field)
        wanted = None
        if region and state in d.states and (d.when is None or d.when(obj)):
            wanted = f"{_prefix(d, obj)}{state}"
        stale = Task.objects.live().filter(cause_key__startswith=_prefix(d, obj))
        if wanted:
            stale = stale.exclude(cause_key=wanted)
        for task in stale:
            task_close_for_cause(task, _("已办理：%(state)s") % {"state": _state_label(obj, d)})
        # ticked off by hand in a state the record has left: that cause is gone (coming back to the
        # state later is a new wait, with a new deadline)
        forgotten = Task.objects.filter(
            cause_key__startswith=_prefix(d, obj), state=TaskState.DONE, cause_open=True
        )
        if wanted:
            forgotten = forgotten.exclude(cause_key=wanted)
        forgotten.update(cause_open=False)
        if wanted:
            due_at = d.due(obj)
            assignee = d.assignee(obj) if d.assignee else None
            task, created = task_open(
                source="deadline",
                kind=d.key,
                cause_key=wanted,
                title=d.title(obj),
                region=region,
                assignee_region=region[: d.level],
                assignee=assignee,
                due_at=due_at,
                subject=obj,
                urgent=d.urgent,
                action_url=reverse(d.action, args=[obj.pk]),
                action_label=str(d.action_label),
            )
            _retime(task, created, due_at, assignee if d.assignee else task.assignee)


def _retime(task: Task, created: bool, due_at: datetime.datetime, assignee: Any) -> None:
    """A live task of a record still waiting follows what its deadline is now: a limit extended
    (延期), a total limit that now comes first, the handler named since."""
    if created or task.state not in (TaskState.OPEN, TaskState.IN_PROGRESS):
        return
    changes: dict[str, Any] = {}
    # an escalated task (提级督办) keeps the due time its escalation gave it unless the record's
    # deadline is now later (延期): putting the passed deadline back would escalate it every night
    if task.due_at != due_at and not (task.escalation_level and task.due_at and due_at < task.due_at):
        changes["due_at"] = due_at
    if assignee is not None and task.assignee_id != assignee.pk:
        changes["assignee"] = assignee
    if changes:
        Task.objects.filter(pk=task.pk).update(**changes)


def _state_label(obj: Any, d: Deadline) -> str:
    display = getattr(obj, f"get_{d.state_field}_display", None)
    return str(display()) if display else str(getattr(obj, d.state_field))


def follow_all(region_code: str | None = None) -> int:
    """Every record in a waiting state gets its task; tasks of records that left are closed."""
    n = 0
    for d in DEADLINES.values():
        model = apps.get_model(d.model)
        qs = model._default_manager.filter(**{f"{d.state_field}__in": d.states})
        for obj in qs.iterator(chunk_size=500):
            region = _region(d, obj)
            if region_code and not (region or "").startswith(region_code):
                continue
            with transaction.atomic():
                follow(obj)
            n += 1
        live = Task.objects.live().filter(source="deadline", kind=d.key)
        if region_code:
            live = live.filter(region__code__startswith=region_code)
        waiting = {str(pk) for pk in qs.values_list("pk", flat=True)}
        for task in live.exclude(subject_id__in=waiting):
            obj = model._default_manager.filter(pk=task.subject_id).first()
            with transaction.atomic():
                if obj is not None:
                    follow(obj)
                else:
                    from relief.todo.services import task_close_for_cause

                    task_close_for_cause(task, _("记录已不存在"))
    return n


def end_of_working_day(day: datetime.date) -> datetime.datetime:
    from relief.todo.common import due_at_end_of

    return due_at_end_of(day)


def working_days_after(moment: datetime.datetime | datetime.date | None, days: int) -> datetime.datetime:
    from relief.workdays import add_working_days

    if moment is None:
        moment = timezone.now()
    day = timezone.localtime(moment).date() if isinstance(moment, datetime.datetime) else moment
    return end_of_working_day(add_working_days(day, days).date)


__all__ = ["DEADLINES", "Deadline", "TaskState", "follow", "follow_all", "register", "working_days_after"]
