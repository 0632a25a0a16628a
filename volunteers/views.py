"""Pages of the volunteers, made for a phone: the list with search by name, skill and availability
(hours this winter and in all), the register and edit form, a volunteer's page (assignments, what
was recorded in their name, hours), the assign form (from a patrol shift, a campaign or a visit
plan), an assignment's page (record a visit, an encounter or deliveries in the volunteer's name;
complete; review), the review queue, and a clue reported by a volunteer."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, CampaignHousehold, CampaignState, DeliveryState
from patrols.forms import EncounterForm
from patrols.models import PatrolShift
from people.forms import VisitForm
from people.models import Household
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.models import Region
from relief.pages import step_post, workflow_buttons
from relief.regions import Level
from relief.scoping import access, in_scope, require_writer
from volunteers import services
from volunteers.forms import AssignForm, ClueReportForm, SearchForm, VolunteerForm
from volunteers.models import AssignmentKind, AssignmentState, Volunteer, VolunteerAssignment, VolunteerRecord
from volunteers.workflows import assignment_workflow

FIELDS = (
    "region",
    "name",
    "phone",
    "id_number",
    "kind",
    "organisation",
    "skills",
    "weekdays",
    "day_parts",
    "note",
)


def _plain_choices(form):
    """People's and patrols' forms draw their choices as button toggles with their own markup; drawn
    by the generic field loop here, they are plain check boxes and radio buttons."""
    from django import forms

    for field in form.fields.values():
        if isinstance(field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
            field.widget.template_name = "volunteers/_inline_checks.html"
    return form


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages[:5]:
        messages.error(request, message)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    rows = Volunteer.objects.visible_to(request.user)
    if form.is_valid():
        data = form.cleaned_data
        rows = rows.search(
            q=data["q"].strip(),
            skill=data["skill"],
            kind=data["kind"],
            weekday=data["weekday"],
            day_part=data["day_part"],
        )
        if not data["inactive"]:
            rows = rows.filter(active=True)
    else:
        rows = rows.filter(active=True)
    rows = rows.with_hours(timezone.localdate()).select_related("region").order_by("region_id", "name", "id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    to_review = VolunteerAssignment.objects.visible_to(request.user).to_review().count()
    return render(
        request,
        "volunteers/index.html",
        {"form": form, "page": page, "to_review": to_review, "may_write": request.user.can_write},
    )


def _volunteer_form_page(request: HttpRequest, volunteer: Volunteer | None) -> HttpResponse:
    require_writer(request.user)
    form = VolunteerForm(request.POST or None, user=request.user, instance=volunteer)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k in FIELDS or k == "active"}

        def run() -> HttpResponse | None:
            try:
                if volunteer is None:
                    saved = services.volunteer_register(actor=request.user, **data)
                    messages.success(request, _("已登记志愿者 %(name)s") % {"name": saved.name})
                else:
                    saved = services.volunteer_update(actor=request.user, volunteer=volunteer, **data)
                    messages.success(request, _("已保存"))
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            return redirect(saved.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "volunteers/form.html", {"form": form, "volunteer": volunteer})


@login_required
def volunteer_new(request: HttpRequest) -> HttpResponse:
    return _volunteer_form_page(request, None)


@login_required
def volunteer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = access(Volunteer.objects.all(), request.user, pk, for_write=True)
    if not in_scope(request.user, volunteer.region_id):
        raise Http404  # a township's volunteer is seen by its villages, edited by the township
    return _volunteer_form_page(request, volunteer)


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    volunteer = access(
        Volunteer.objects.with_hours(timezone.localdate()).select_related("region"), request.user, pk
    )
    assignments = (
        VolunteerAssignment.objects.visible_to(request.user)
        .filter(volunteer=volunteer)
        .select_related("region", "shift__team", "household__head", "campaign")
        .annotate(records_count=Count("records"))
        .order_by("-date", "-id")[:50]
    )
    records = (
        VolunteerRecord.objects.visible_to(request.user)
        .filter(volunteer=volunteer)
        .select_related("volunteer", "visit", "encounter", "delivery__household__head", "clue")[:50]
    )
    return render(
        request,
        "volunteers/detail.html",
        {
            "v": volunteer,
            "assignments": assignments,
            "records": records,
            "may_edit": request.user.can_write and in_scope(request.user, volunteer.region_id),
            "may_write": request.user.can_write,
        },
    )


# --- assigning ------------------------------------------------------------------------------------


def _target(request: HttpRequest) -> dict:
    """The work named in the query string (?shift=, ?household=, ?campaign=), through the door."""
    user, get = request.user, request.GET
    if get.get("shift"):
        return {"shift": access(PatrolShift.objects.select_related("team"), user, get["shift"])}
    if get.get("household"):
        return {"household": access(Household.objects.select_related("head"), user, get["household"])}
    if get.get("campaign"):
        return {"campaign": access(Campaign.objects.all(), user, get["campaign"])}
    return {}


def _choices(request: HttpRequest) -> dict:
    """What may be assigned, when nothing is named yet: recent and coming shifts, open campaigns,
    and households found by name or number."""
    user = request.user
    since = timezone.now() - datetime.timedelta(days=7)
    q = (request.GET.get("q") or "").strip()
    households = []
    if q:
        households = (
            Household.objects.visible_to(user)
            .filter(Q(head__name__icontains=q) | Q(household_number=q))
            .select_related("head", "region")[:20]
        )
    return {
        "shifts": PatrolShift.objects.visible_to(user)
        .filter(started_at__gte=since)
        .select_related("team")[:20],
        "campaigns": Campaign.objects.visible_to(user).filter(
            state__in=[CampaignState.LISTED, CampaignState.IN_PROGRESS]
        )[:20],
        "households": households,
        "q": q,
    }


@login_required
def assign(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    target = _target(request)
    if not target:
        return render(
            request,
            "volunteers/assign_choose.html",
            {**_choices(request), "volunteer": request.GET.get("volunteer", "")},
        )
    work_region = (
        target["shift"].region_id
        if "shift" in target
        else target["household"].region_id
        if "household" in target
        else target["campaign"].region_id
    )
    volunteers = (
        Volunteer.objects.visible_to(request.user)
        .filter(active=True, region__code__startswith=work_region[:6])
        .order_by("name", "id")
    )
    villages = None
    if "campaign" in target:
        villages = (
            Region.objects.visible_to(request.user)
            .current()
            .filter(code__startswith=target["campaign"].region_id, level__in=[Level.TOWNSHIP, Level.VILLAGE])
            .order_by("code")
        )
    initial = {"volunteer": request.GET.get("volunteer") or None}
    if "shift" in target:
        initial["date"] = timezone.localtime(target["shift"].started_at).date()
    form = AssignForm(
        request.POST or None,
        initial=initial,
        volunteers=volunteers,
        villages=villages,
        need_date="shift" not in target,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                done = services.assignment_create(
                    actor=request.user,
                    volunteer=data["volunteer"],
                    planned_hours=data["planned_hours"],
                    date=data.get("date"),
                    village=data.get("village"),
                    note=data["note"],
                    **target,
                )
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            messages.success(request, _("已安排：%(a)s") % {"a": done})
            return redirect(done.get_absolute_url())

        answer = page_once(request, run)
        if answer is not None:
            return answer
    return render(request, "volunteers/assign.html", {"form": form, **target})


# --- an assignment ----------------------------------------------------------------------------------


def _assignment(request: HttpRequest, pk: int) -> VolunteerAssignment:
    return access(
        VolunteerAssignment.objects.select_related(
            "volunteer", "region", "shift__team", "household__head", "campaign"
        ),
        request.user,
        pk,
    )


@login_required
def assignment_detail(
    request: HttpRequest, pk: int, bound: dict | None = None, kept: dict | None = None
) -> HttpResponse:
    a = _assignment(request, pk)
    records = list(
        a.records.select_related("volunteer", "visit", "encounter", "delivery__household__head", "clue")
    )
    a.records_count = len(records)
    open_for_records = (
        a.state in (AssignmentState.ASSIGNED, AssignmentState.RETURNED) and request.user.can_write
    )
    deliveries = None
    if a.kind == AssignmentKind.DELIVERY and open_for_records:
        deliveries = (
            CampaignHousehold.objects.visible_to(request.user)
            .filter(campaign=a.campaign, region__code__startswith=a.region_id)
            .exclude(state=DeliveryState.DELIVERED)
            .select_related("household__head", "region")
            .order_by("region_id", "id")[:60]
        )
    return render(
        request,
        "volunteers/assignment.html",
        {
            "a": a,
            "records": records,
            "events": a.events.select_related("actor"),
            "steps": workflow_buttons(assignment_workflow, a, request.user, bound),
            "open_for_records": open_for_records,
            "deliveries": deliveries,
            "kept": kept,
        },
    )


@login_required
@require_POST
def assignment_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request,
        assignment_workflow,
        VolunteerAssignment,
        pk,
        action,
        page=assignment_detail,
        url_name="volunteers:assignment",
    )


@login_required
def record_visit(request: HttpRequest, pk: int) -> HttpResponse:
    a = access(
        VolunteerAssignment.objects.select_related("volunteer", "household"), request.user, pk, for_write=True
    )
    if a.kind != AssignmentKind.VISIT:
        raise Http404
    form = _plain_choices(VisitForm(request.POST or None, household=a.household))
    if request.method == "POST" and form.is_valid():

        def run() -> HttpResponse | None:
            try:
                services.record_visit(actor=request.user, assignment=a, **form.service_kwargs())
            except ValidationError as exc:
                from people.forms import apply_service_errors

                apply_service_errors(form, exc)
                return None
            messages.success(request, _("已登记探访（由志愿者%(name)s记录）") % {"name": a.volunteer.name})
            return redirect(a.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "volunteers/record_form.html", {"a": a, "form": form, "title": _("登记探访")})


@login_required
def record_encounter(request: HttpRequest, pk: int) -> HttpResponse:
    a = access(
        VolunteerAssignment.objects.select_related("volunteer", "shift"), request.user, pk, for_write=True
    )
    if a.kind != AssignmentKind.PATROL:
        raise Http404
    form = _plain_choices(EncounterForm(request.POST or None))
    if request.method == "POST" and form.is_valid():

        def run() -> HttpResponse | None:
            try:
                services.record_encounter(actor=request.user, assignment=a, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            messages.success(
                request, _("已登记街面救助（由志愿者%(name)s记录）") % {"name": a.volunteer.name}
            )
            return redirect(a.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "volunteers/record_form.html", {"a": a, "form": form, "title": _("登记街面救助")})


@login_required
@require_POST
def record_delivery(request: HttpRequest, pk: int, entry: int) -> HttpResponse:
    a = access(VolunteerAssignment.objects.select_related("volunteer"), request.user, pk, for_write=True)
    household = access(CampaignHousehold.objects.all(), request.user, entry, for_write=True)

    def run() -> HttpResponse | None:
        try:
            done = services.record_delivery(
                actor=request.user,
                assignment=a,
                entry=household,
                outcome=request.POST.get("outcome", ""),
                received_by_name=request.POST.get("received_by_name", ""),
                note=request.POST.get("note", ""),
                photo=request.FILES.get("photo"),
            )
        except ValidationError as exc:
            _errors(request, exc)
            return None
        messages.success(
            request, _("已登记：%(h)s %(s)s") % {"h": done.household, "s": done.get_state_display()}
        )
        return redirect(a.get_absolute_url())

    done = page_once(request, run)
    if done is not None:
        return done
    # the error on the assignment's page, with what was typed in that household's form
    return assignment_detail(request, pk, kept=kept_input(request, "deliver", row=household.pk))


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    rows = (
        VolunteerAssignment.objects.visible_to(request.user)
        .to_review()
        .select_related("volunteer", "region", "shift__team", "household__head", "campaign", "completed_by")
        .annotate(records_count=Count("records"))
        .order_by("completed_at", "id")
    )
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    for a in page:
        a.steps = workflow_buttons(assignment_workflow, a, request.user)
    return render(request, "volunteers/review.html", {"page": page})


@login_required
def clue_report(request: HttpRequest, pk: int) -> HttpResponse:
    require_writer(request.user)
    volunteer = access(Volunteer.objects.all(), request.user, pk)
    form = ClueReportForm(request.POST or None, user=request.user, volunteer=volunteer)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                clue = services.clue_report(actor=request.user, volunteer=volunteer, **data)
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            messages.success(request, _("已登记线索，请派发巡查队"))
            return redirect("patrols:clue-detail", pk=clue.pk)

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "volunteers/clue_form.html", {"v": volunteer, "form": form})
