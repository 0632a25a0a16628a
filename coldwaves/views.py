"""Pages of the roll call (寒潮点名), made for a phone: the open roll calls with their progress, one
roll call with progress per township (or village) and the people the user must reach, each answered
in one tap, and one person's page (where the alert's button lands) with the needs form."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coldwaves import services
from coldwaves.models import REACHED, Outcome, RollCall, RollCallEntry
from coldwaves.selectors import EMPTY, progress_by_region, progress_by_roll_call, region_names
from people.choices import FollowUp
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.pages import in_region_param
from relief.scoping import access


def _depth(user) -> int:
    """Progress per township for county and higher officials, per village for a township."""
    code = getattr(user, "region_id", None) or ""
    return 12 if len(code) >= 9 else 9


@login_required
def index(request: HttpRequest) -> HttpResponse:
    roll_calls = list(
        RollCall.objects.visible_to(request.user)
        .select_related("warning", "region")
        .order_by("-opened_at")[:30]
    )
    entries = RollCallEntry.objects.visible_to(request.user)
    totals = progress_by_roll_call(entries.filter(roll_call__in=roll_calls))
    for rc in roll_calls:
        rc.progress = totals.get(rc.pk, dict(EMPTY))
    return render(request, "coldwaves/index.html", {"roll_calls": roll_calls, "now": timezone.now()})


@login_required
def rollcall(request: HttpRequest, pk: int) -> HttpResponse:
    roll_call = access(RollCall.objects.select_related("warning", "region"), request.user, pk)
    entries = RollCallEntry.objects.visible_to(request.user).filter(roll_call=roll_call)
    depth = _depth(request.user)
    progress = progress_by_region(entries, depth=depth)
    names = region_names([row["region"] for row in progress])
    for row in progress:
        row["name"] = names.get(row["region"], row["region"])
    show = request.GET.get("show", "todo")
    rows = entries.select_related("person", "household", "region")
    if show == "todo":
        rows = rows.exclude(outcome__in=REACHED)
    elif show in Outcome.values:
        rows = rows.filter(outcome=show)
    rows = rows.annotate(
        first=Case(
            When(outcome=Outcome.NOT_REACHED, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("first", "due_at", "region_id", "id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "coldwaves/rollcall.html",
        {
            "rc": roll_call,
            "progress": progress,
            "page": page,
            "show": show,
            "outcomes": Outcome.choices,
            "now": timezone.now(),
            "may_write": request.user.can_write and roll_call.closed_at is None,
        },
    )


#: the states of the people list (a dashboard figure's link names one)
STATES = {
    "todo": Q(outcome__in=[Outcome.PENDING, Outcome.NOT_REACHED]),
    "reached": Q(outcome__in=REACHED),
    Outcome.NEEDS_HELP.value: Q(outcome=Outcome.NEEDS_HELP),
    Outcome.NOT_REACHED.value: Q(outcome=Outcome.NOT_REACHED),
}


@login_required
def entry_list(request: HttpRequest) -> HttpResponse:
    """The people on the open roll calls under `?region=`, by `?state=` (todo, reached, needs_help,
    not_reached, overdue; all when absent): what the dashboard's roll call figures count."""
    rows = in_region_param(
        request, RollCallEntry.objects.visible_to(request.user).filter(roll_call__closed_at__isnull=True)
    )
    state = request.GET.get("state", "")
    now = timezone.now()
    if state == "overdue":
        rows = rows.filter(STATES["todo"], due_at__lt=now)
    elif state in STATES:
        rows = rows.filter(STATES[state])
    rows = rows.select_related("person", "household", "region").order_by("due_at", "region_id", "id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "coldwaves/entry_list.html",
        {"page": page, "state": state, "now": now, "may_write": request.user.can_write},
    )


@login_required
def entry(request: HttpRequest, pk: int, kept: dict | None = None) -> HttpResponse:
    """`kept`: what the answer form posted when it answered an error (drawn again with it)."""
    e = access(
        RollCallEntry.objects.select_related("roll_call__warning", "person", "household", "region", "visit"),
        request.user,
        pk,
    )
    return render(
        request,
        "coldwaves/entry.html",
        {
            "e": e,
            "follow_ups": [c for c in FollowUp.choices if c[0]],
            "now": timezone.now(),
            "may_write": request.user.can_write and e.roll_call.closed_at is None,
            "kept": kept,
        },
    )


@login_required
@require_POST
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    e = access(RollCallEntry.objects.all(), request.user, pk, for_write=True)
    back = request.POST.get("next", "")
    target = back if back.startswith("/coldwaves/") else e.roll_call.get_absolute_url()

    outcome, channel = request.POST.get("outcome", ""), request.POST.get("channel", "phone")
    if outcome == "safe_home":  # the second green button: visited at home
        outcome, channel = Outcome.SAFE, "home"

    def run() -> HttpResponse | None:
        try:
            done = services.rollcall_answer(
                actor=request.user,
                entry=e,
                outcome=outcome,
                channel=channel,
                needs=request.POST.get("needs", ""),
                follow_up=request.POST.get("follow_up", ""),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            for message in exc.messages[:5]:
                messages.error(request, message)
            return None
        messages.success(
            request,
            _("已记录：%(name)s %(outcome)s")
            % {"name": done.person.name, "outcome": done.get_outcome_display()},
        )
        return redirect(target)

    done = page_once(request, run)
    return done if done is not None else entry(request, pk, kept=kept_input(request, "answer"))
