"""Pages of 值班值守: the duty roster (now, and the coming days) with a form to add a shift, and the
hotline log with forms to log a call, record what was done, and forward a call as a patrol clue."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coldwaves.duty_models import CallKind, DutyRole, DutyShift, HotlineCall
from coldwaves.services import duty
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.models import Region
from relief.scoping import access


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages[:5]:
        messages.error(request, message)


def _when(value: str) -> datetime.datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def _desk(user) -> Region | None:
    """The duty desk a user logs for: their own county or township."""
    region = getattr(user, "region", None)
    return region if region is not None and len(region.code) in (6, 9) else None


@login_required
def duty_page(request: HttpRequest, kept: dict | None = None) -> HttpResponse:
    """`kept`: what a form posted when it answered an error (the page drawn again with it)."""
    now = timezone.now()
    shifts = (
        DutyShift.objects.visible_to(request.user)
        .filter(ends_at__gt=now, starts_at__lt=now + datetime.timedelta(days=7))
        .select_related("region")
        .order_by("starts_at", "region_id", "role")[:200]
    )
    calls = HotlineCall.objects.visible_to(request.user).select_related("region", "clue", "duty")[:50]
    return render(
        request,
        "coldwaves/duty.html",
        {
            "shifts": shifts,
            "on_duty": [s for s in shifts if s.starts_at <= now],
            "calls": calls,
            "roles": DutyRole.choices,
            "kinds": CallKind.choices,
            "desk": _desk(request.user),
            "may_write": request.user.can_write and _desk(request.user) is not None,
            "now": now,
            "kept": kept,
        },
    )


@login_required
@require_POST
def shift_add(request: HttpRequest) -> HttpResponse:
    def run() -> HttpResponse | None:
        try:
            desk = _desk(request.user)
            if desk is None:
                raise ValidationError(_("值班安排到县（区）或乡镇（街道）"))
            starts_at, ends_at = (
                _when(request.POST.get("starts_at", "")),
                _when(request.POST.get("ends_at", "")),
            )
            if starts_at is None or ends_at is None:
                raise ValidationError(_("请填写值班开始和结束时间"))
            duty.duty_shift_add(
                actor=request.user,
                region=desk,
                role=request.POST.get("role", DutyRole.OFFICER),
                name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""),
                starts_at=starts_at,
                ends_at=ends_at,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            _errors(request, exc)
            return None
        messages.success(request, _("已登记值班安排"))
        return redirect("coldwaves:duty")

    return page_once(request, run) or duty_page(request, kept=kept_input(request, "shift"))


@login_required
@require_POST
def call_log(request: HttpRequest) -> HttpResponse:
    def run() -> HttpResponse | None:
        try:
            desk = _desk(request.user)
            if desk is None:
                raise ValidationError(_("值班安排到县（区）或乡镇（街道）"))
            duty.hotline_call_log(
                actor=request.user,
                region=desk,
                kind=request.POST.get("kind", CallKind.HELP),
                received_at=_when(request.POST.get("received_at", "")),
                caller_name=request.POST.get("caller_name", ""),
                caller_phone=request.POST.get("caller_phone", ""),
                place=request.POST.get("place", ""),
                asked=request.POST.get("asked", ""),
                done=request.POST.get("done", ""),
            )
        except ValidationError as exc:
            _errors(request, exc)
            return None
        messages.success(request, _("已登记来电"))
        return redirect("coldwaves:duty")

    return page_once(request, run) or duty_page(request, kept=kept_input(request, "call"))


@login_required
@require_POST
def call_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    call = access(HotlineCall.objects.all(), request.user, pk, for_write=True)
    try:
        if action == "respond":
            duty.hotline_call_respond(actor=request.user, call=call, done=request.POST.get("done", ""))
            messages.success(request, _("已记录处理情况"))
        elif action == "clue":
            clue = duty.hotline_call_to_clue(actor=request.user, call=call)
            messages.success(request, _("已转为街面巡查线索"))
            return redirect("patrols:clue-detail", pk=clue.pk)
        else:
            raise ValidationError(_("无此操作"))
    except ValidationError as exc:
        _errors(request, exc)
        return duty_page(request, kept=kept_input(request, action, row=call.pk))
    return redirect("coldwaves:duty")
