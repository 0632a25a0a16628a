"""Reading tasks: the list tabs, the lines pages draw, the labels of where a task came from."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy

from relief.models import Task, TaskState

TABS = {
    "mine": gettext_lazy("我的待办"),
    "region": gettext_lazy("本辖区"),
    "escalated": gettext_lazy("督办给我"),
    "due_today": gettext_lazy("今日到期"),
    "overdue": gettext_lazy("已逾期"),
    "done": gettext_lazy("已办结"),
}

SOURCE_LABELS = {
    "alert": gettext_lazy("监测预警"),
    "need": gettext_lazy("探访发现的需求"),
    "supervision": gettext_lazy("督办"),
    "finding": gettext_lazy("督查整改"),
}


def end_of_today() -> datetime.datetime:
    day = timezone.localdate()
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def tab_queryset(user, tab: str) -> QuerySet:
    """The tasks of a list tab, inside the user's region."""
    qs = Task.objects.visible_to(user)
    if tab == "mine":
        return qs.live().assigned_to(user)
    if tab == "escalated":
        return qs.live().escalated_to(user)
    if tab == "due_today":
        return qs.due_by(end_of_today())
    if tab == "overdue":
        return qs.overdue()
    if tab == "done":
        return qs.exclude(state__in=[TaskState.OPEN, TaskState.IN_PROGRESS])
    return qs.live()


def source_label(task: Task) -> str:
    """Why the task exists, in words: the alert kind's label, the need, the deadline, 督办."""
    if task.source == "alert":
        from relief.alerts.sweeps import SWEEPS

        sweep = SWEEPS.get(task.kind)
        return str(sweep.label) if sweep else str(SOURCE_LABELS["alert"])
    if task.source == "deadline":
        from relief.todo.deadlines import DEADLINES

        deadline = DEADLINES.get(task.kind)
        return str(deadline.label) if deadline else str(gettext_lazy("办理时限"))
    if task.source == "need":
        from relief.todo.needs import need_label

        return need_label(task.kind)
    return str(SOURCE_LABELS.get(task.source, task.source))


@dataclass(frozen=True)
class TaskLine:
    task: Task
    why: str
    overdue: bool


def task_lines(tasks, now: datetime.datetime) -> list[TaskLine]:
    return [TaskLine(t, source_label(t), t.is_live and t.due_at < now) for t in tasks]
