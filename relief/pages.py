"""Helpers every app's pages share: workflow buttons and their POST handler, Excel responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from relief.idempotency import page_step_once
from relief.workflow import Workflow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """An Excel file as a download (never shown inline)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def subject_url(record: Any) -> str:
    """The page of the record an alert or a task is about (its `subject`): "" when it has none, the
    record is gone, or its model has no page."""
    if getattr(record, "subject_type_id", None) is None or not record.subject_id:
        return ""
    try:
        obj = record.subject
    except Exception:
        return ""
    get_url = getattr(obj, "get_absolute_url", None)
    return get_url() if obj is not None and get_url else ""


def workflow_buttons(
    workflow: Workflow, obj: models.Model, user: Any, bound: dict[str, Any] | None = None
) -> list[tuple[Any, Any]]:
    """(step, form) for every step `user` may take on `obj` now: what `_workflow_actions.html` draws.
    `bound` keeps the form of a step whose submission failed, with what was typed."""
    bound = bound or {}
    buttons = []
    for step in workflow.available(obj, user):
        form = bound.get(step.name) or workflow.form_for(step, user=user)
        # the question asked before the step (relief/workflow.py Step.confirm): text, or made from obj
        form.confirm = step.confirm(obj) if callable(step.confirm) else step.confirm
        buttons.append((step, form))
    return buttons


def workflow_post(
    request: HttpRequest,
    workflow: Workflow,
    obj: models.Model,
    step_name: str | None = None,
    *,
    raise_denied: bool = False,
) -> tuple[bool, dict[str, Any]]:
    """Take the step posted from a page. Returns (done, bound forms): on success a message is queued
    and the caller redirects; on failure the bound form (with the errors and what was typed) goes
    back to the page through `workflow_buttons(..., bound=...)`. `raise_denied`: a refusal of the
    actor (PermissionDenied) is not a message but propagates, so the page answers 403."""
    # A repeated idempotency_key (a double click, a resubmitted form) takes the step once.
    return page_step_once(request, lambda: _workflow_post(request, workflow, obj, step_name, raise_denied))


def _workflow_post(request, workflow, obj, step_name, raise_denied) -> tuple[bool, dict[str, Any]]:
    name = step_name or request.POST.get("step", "")
    step = workflow.step(name)
    form = workflow.form_for(step, data=request.POST, files=request.FILES, user=request.user)
    if not form.is_valid():
        messages.error(request, _("请检查填写的内容"))
        return False, {name: form}
    try:
        workflow.run(name, actor=request.user, obj=obj, **form.cleaned_data)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field_name, errors in exc.message_dict.items():
                form.add_error(field_name if field_name in form.fields else None, errors)
        else:
            form.add_error(None, exc.messages)
        messages.error(request, "；".join(exc.messages))
        return False, {name: form}
    except PermissionDenied as exc:
        if raise_denied:
            raise
        messages.error(request, str(exc) or _("您无权执行该操作"))
        return False, {name: form}
    messages.success(request, _("已%(step)s") % {"step": step.label})
    return True, {}


def step_post(
    request: HttpRequest,
    workflow: Workflow,
    model: type[models.Model],
    pk: int,
    action: str,
    *,
    page: Callable[..., HttpResponse],
    url_name: str,
) -> HttpResponse:
    """The one handler of every step button (posted to the detail page, or to `<pk>/<step>/`): the
    record through the door (404 outside the region, 403 for a read-only role), the step through its
    declaration (403 when this user may not take it). Done: back to the page; refused: the page
    again, with the form as it was filled in and the reason."""
    from django.http import Http404
    from django.shortcuts import redirect

    from relief.scoping import access

    step = workflow.steps.get(action.replace("-", "_"))
    if step is None or step.system:
        raise Http404
    obj = access(model, request.user, pk, for_write=True)
    done, bound = workflow_post(request, workflow, obj, step.name, raise_denied=True)
    if done:
        return redirect(url_name, pk=obj.pk)
    return page(request, pk, bound=bound)


def region_param(request: HttpRequest) -> str:
    """`?region=<code>` of a list page: a region code prefix (1 to 12 digits); "" when absent,
    "-" (matches nothing) when malformed."""
    code = (request.GET.get("region") or "").strip()
    if not code:
        return ""
    return code if code.isdigit() and len(code) <= 12 else "-"


def in_region_param(request: HttpRequest, qs: models.QuerySet) -> models.QuerySet:
    """Narrow a list's queryset, already `visible_to(user)`, to the records under `?region=<code>`
    (an index-backed prefix match on its scope field). It only narrows: a region outside the
    user's scope, or a malformed code, gives an empty list, never more."""
    code = region_param(request)
    return qs.in_region(code) if code else qs


def date_param(request: HttpRequest, name: str):
    """`?<name>=YYYY-MM-DD` as a date, None when absent or malformed."""
    import datetime

    try:
        return datetime.date.fromisoformat(request.GET.get(name) or "")
    except ValueError:
        return None


def local_midnight(day):
    """00:00 local time (Asia/Shanghai) of `day`, aware."""
    import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
