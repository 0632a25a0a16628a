"""The today page (each role's home: its work, most urgent first), the task lists (mine, my region,
督办 to me, due today, overdue, done) and a task's page with its one-tap action, its steps, its 督办
instructions and their answers."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.db.models.functions import Left
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relief.forms import kept_input
from relief.models import Job, Region, Role, Task, TaskState
from relief.pages import subject_url, workflow_buttons, workflow_post
from relief.scoping import access
from relief.todo import services
from relief.todo.selectors import TABS, source_label, tab_queryset, task_lines
from relief.todo.today import sections_for
from relief.todo.workflows import task_workflow

LINES = 20


@login_required
def today(request: HttpRequest) -> HttpResponse:
    """The home page of every role: its work today."""
    user = request.user
    now = timezone.now()
    day = timezone.localdate()
    visible = Task.objects.visible_to(user).live()
    mine = visible.assigned_to(user) if user.region_id else visible
    mine = mine.select_related("region").order_by("-urgent", "due_at", "id")
    sections = []
    for section in sections_for(user):
        lines, total = section.lines(user, day, limit=LINES)
        sections.append({"section": section, "lines": lines, "total": total})
        if section.replaces_kinds:
            mine = mine.exclude(kind__in=section.replaces_kinds)
    escalated = visible.escalated_to(user).select_related("region").order_by("due_at")
    issued = (
        Task.objects.visible_to(user).filter(source="supervision", created_by=user).order_by("-created_at")
    )
    behind = _behind(user, visible, now)
    return render(
        request,
        "relief/today.html",
        {
            "region": user.region,
            "day": day,
            "mine": task_lines(mine[:LINES], now),
            "mine_total": mine.count(),
            "overdue_total": mine.filter(due_at__lt=now).count(),
            "sections": sections,
            "escalated": task_lines(escalated[:LINES], now),
            "escalated_total": escalated.count(),
            "issued": issued.select_related("region")[:10],
            "behind": behind,
            "jobs": Job.objects.visible_to(user)[:5],
        },
    )


def _behind(user, visible, now: datetime.datetime) -> list[dict]:
    """For county and above: the regions one level down furthest behind (most overdue tasks, then
    most escalated, then most open)."""
    code = user.region_id
    if user.role not in (Role.COUNTY, Role.CITY, Role.PROVINCE, Role.ADMIN):
        return []
    children = (
        Region.objects.visible_to(user).filter(parent_id=code)
        if code
        else Region.objects.visible_to(user).filter(level=1)
    )
    child_len = {None: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(code) if code else None, 12)
    counts = (
        visible.annotate(child=Left("region_id", child_len))
        .values("child")
        .annotate(
            overdue=Count("id", filter=Q(due_at__lt=now)),
            live=Count("id"),
            escalated=Count("id", filter=Q(escalation_level__gt=0)),
        )
        .order_by("-overdue", "-escalated", "-live")[:10]
    )
    names = dict(children.values_list("code", "name"))
    return [
        {**row, "name": names.get(row["child"], row["child"]), "code": row["child"]}
        for row in counts
        if row["child"] in names
    ]


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "mine"
    qs = tab_queryset(request.user, tab).select_related("region", "assignee")
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    region = request.GET.get("region", "")
    if region.isdigit():
        qs = qs.filter(region__code__startswith=region)
    page = Paginator(qs.order_by("-urgent", "due_at", "id"), 50).get_page(request.GET.get("page"))
    counts = {t: tab_queryset(request.user, t).count() for t in ("mine", "region", "escalated", "overdue")}
    return render(
        request,
        "relief/task_list.html",
        {
            "page": page,
            "lines": task_lines(page.object_list, timezone.now()),
            "tab": tab,
            "tabs": TABS,
            "counts": counts,
        },
    )


SUPERVISE_PLACEHOLDER = gettext_lazy("例如：请于3个工作日内上门核实并报告处置情况")


@login_required
def task_detail(request: HttpRequest, pk: int, bound: dict | None = None, kept=None) -> HttpResponse:
    """`bound`: a step's form that answered an error; `kept`: the 督办 form's input when it did."""
    task = access(Task.objects.all(), request.user, pk, related=("region", "assignee", "alert", "parent"))
    steps = workflow_buttons(task_workflow, task, request.user, bound)
    return render(
        request,
        "relief/task_detail.html",
        {
            "task": task,
            "source_label": source_label(task),
            "subject_url": subject_url(task),
            "events": task.events.select_related("actor"),
            "supervisions": task.supervisions.select_related("created_by").order_by("created_at"),
            "steps": steps,
            "action_url": reverse("task-detail", args=[task.pk]),
            "can_supervise": services.supervise_refusal(request.user, task) is None,
            "supervise_placeholder": SUPERVISE_PLACEHOLDER,
            "overdue": task.is_overdue,
            "kept": kept,
        },
    )


@login_required
@require_POST
def task_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    declared = task_workflow.steps.get(step)
    if declared is None or declared.system:
        raise Http404
    task = access(Task.objects.all(), request.user, pk)
    done, bound = workflow_post(request, task_workflow, task, declared.name, raise_denied=True)
    if done:
        nxt = request.POST.get("next", "")
        return redirect(
            nxt if nxt.startswith("/") and not nxt.startswith("//") else reverse("task-detail", args=[pk])
        )
    return task_detail(request, pk, bound=bound)


@login_required
@require_POST
def task_supervise(request: HttpRequest, pk: int) -> HttpResponse:
    task = access(Task.objects.all(), request.user, pk)
    try:
        days = int(request.POST.get("working_days") or 3)
    except ValueError:
        days = 0
    try:
        services.supervise(
            actor=request.user, task=task, instruction=request.POST.get("instruction", ""), working_days=days
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return task_detail(request, pk, kept=kept_input(request, "supervise"))
    except PermissionDenied as exc:
        raise PermissionDenied(str(exc)) from None
    messages.success(request, _("督办要求已下达"))
    return redirect("task-detail", pk=pk)


__all__ = ["TaskState", "task_detail", "task_list", "task_step", "task_supervise", "today"]
