"""Pages of enrolment: the decision queue (sorted by deadline), an application's page with its steps
and clocks, filing an application (a phone at the township window or on a visit), the reviews due,
appeals and complaints. Every record comes through the door (relief/scoping.py: 404 outside the
region); the buttons come from enrolments/workflows.py; the writes are services."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from enrolments import clocks, forms, rules, selectors, services
from enrolments.appeals import appeal_workflow
from enrolments.models import Appeal, AppealKind, AppealStatus, Enrolment, Kind, Review, ReviewStatus, Status
from enrolments.reviews import review_workflow
from enrolments.workflows import enrolment_workflow
from people.models import Household
from relief.idempotency import page_once
from relief.pages import in_region_param, step_post, workflow_buttons
from relief.policy import MissingPolicyParameter
from relief.privacy import id_for, phone_for
from relief.scoping import access, require_writer
from relief.todo.services import answer_from_request
from relief.uploads import download_url
from relief.workflow import Workflow

PAGE_SIZE = 50


def _log_labels(workflow: Workflow, states: type[models.TextChoices]) -> dict[str, dict[str, str]]:
    """What a log row's step and state codes read as: the step labels of the declaration."""
    steps = {name: str(step.label) for name, step in workflow.steps.items()}
    steps.update(submit=_("登记申请"), register=pgettext("appeal", "登记"))
    return {"step_labels": steps, "state_labels": {k: str(v) for k, v in states.choices}}


# --- applications --------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Applications in progress, the nearest deadline first (the county's decision queue with
    ?status=county); decided ones with ?status=<state>, ?decided_since= or ?outcome= (the lists the
    dashboard's figures link to: selectors.queue_filter)."""
    qs = in_region_param(
        request, Enrolment.objects.visible_to(request.user).select_related("household__head", "region")
    )
    qs = selectors.queue_filter(qs, request.GET)
    page = Paginator(qs.by_deadline(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enrolments/queue.html",
        {
            "page": page,
            "rows": selectors.with_stage_due(page.object_list),
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "status": request.GET.get("status", ""),
            "kind": request.GET.get("kind", ""),
            "counts": selectors.queue_counts(request.user),
            "today": timezone.localdate(),
        },
    )


@login_required
def enrolment_create(request: HttpRequest) -> HttpResponse:
    """File an application for a household on the register (?household=, from its page or a task's
    one tap; ?alert= for 主动发现)."""
    require_writer(request.user)
    household = access(
        Household.objects.select_related("head", "region"), request.user, request.GET.get("household") or "0"
    )
    alert = selectors.alert_for(request.user, request.GET.get("alert"), household)
    found = alert is not None or request.GET.get("origin") == "found" or bool(request.GET.get("task"))
    initial = {"origin": "found" if found else "walk_in", "kind": request.GET.get("kind") or Kind.DIBAO}
    if (request.GET.get("person") or "").isdigit():
        initial["applicant"] = int(request.GET["person"])
    form = forms.EnrolmentForm(
        request.POST or None,
        request.FILES or None,
        household=household,
        initial=initial,
        can_accept=enrolment_workflow.steps["accept"].who(request.user) is None,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)

        def save() -> HttpResponse | None:
            try:
                with transaction.atomic():
                    enrolment = services.enrolment_create(
                        actor=request.user,
                        household=household,
                        origin_alert=alert,
                        accept=bool(data.get("authorisation")),
                        **data,
                    )
                    # filed from a visit need's task (?task=): that task is answered by this filing
                    answer_from_request(
                        actor=request.user,
                        task_id=request.GET.get("task"),
                        note=_("已登记救助申请（编号 %(pk)s）") % {"pk": enrolment.pk},
                        kinds={"category_review"},
                        household_id=household.pk,
                    )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
                return None
            messages.success(request, _("申请已登记"))
            return redirect("enrolments:detail", pk=enrolment.pk)

        if (response := page_once(request, save)) is not None:
            return response
    return render(
        request,
        "enrolments/enrolment_form.html",
        {"form": form, "household": household, "alert": alert, "today": timezone.localdate()},
    )


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return enrolment_action(request, pk, request.POST.get("step", ""))
    return _enrolment_page(request, pk)


DECISION_STEPS = ("approve", "refuse")


def _phone_friendly(steps: list) -> None:
    """Files from the camera, amounts on the number pad."""
    for _step, form in steps:
        for name, field in form.fields.items():
            if isinstance(field, django_forms.FileField):
                field.widget.attrs.update(accept="image/*,application/pdf", capture="environment")
            elif name in ("amount", "new_amount"):
                field.widget.attrs["inputmode"] = "decimal"


def _enrolment_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    enrolment = access(
        Enrolment.objects.select_related(
            "household__head",
            "household__region",
            "applicant",
            "region",
            "assistance",
            "decided_by",
            "investigation_visit",
            "origin_alert",
            "created_by",
        ),
        request.user,
        pk,
    )
    steps = workflow_buttons(enrolment_workflow, enrolment, request.user, bound)
    _phone_friendly(steps)
    suggestion = None
    if enrolment.status == Status.COUNTY:
        try:
            suggestion = rules.suggest(enrolment)
        except MissingPolicyParameter as exc:  # say so where the decision is made
            suggestion = rules.Suggestion(None, str(exc))
        for step, form in steps:
            if step.name == "approve" and not form.is_bound and suggestion.amount is not None:
                form.initial["amount"] = suggestion.amount
    elif enrolment.suggested_amount is not None:
        suggestion = rules.Suggestion(enrolment.suggested_amount, "")
    last_day = selectors.appeal_last_day(enrolment)
    today = timezone.localdate()
    return render(
        request,
        "enrolments/enrolment_detail.html",
        {
            "e": enrolment,
            "steps": [s for s in steps if s[0].name not in DECISION_STEPS],
            "decision_steps": [s for s in steps if s[0].name in DECISION_STEPS],
            "members": [(m, id_for(request.user, m.id_number)) for m in enrolment.members.all()],
            "applicant_id": id_for(
                request.user, enrolment.applicant.id_number if enrolment.applicant else ""
            ),
            "stage": clocks.stage_due(enrolment),
            "today": today,
            "suggestion": suggestion,
            "authorisation_url": download_url(enrolment, "authorisation"),
            "check_report_url": download_url(enrolment, "check_report"),
            "events": enrolment.events.select_related("actor"),
            "appeals": Appeal.objects.visible_to(request.user).filter(enrolment=enrolment),
            "appeal_last_day": last_day,
            "can_appeal": request.user.can_write and last_day is not None and today <= last_day,
            **_log_labels(enrolment_workflow, Status),
        },
    )


@login_required
@require_POST
def enrolment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request, enrolment_workflow, Enrolment, pk, action, page=_enrolment_page, url_name="enrolments:detail"
    )


# --- reviews -------------------------------------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    """The reviews coming due (scheduled, the nearest first); done ones with ?status=done, and
    ?outcome=end&since=<date> for the exits since a day (a dashboard figure's list)."""
    qs = in_region_param(
        request,
        Review.objects.visible_to(request.user).select_related("household__head", "assistance", "region"),
    )
    qs = selectors.review_filter(qs, request.GET)
    page = Paginator(qs.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enrolments/review_list.html",
        {
            "page": page,
            "status": request.GET.get("status", ""),
            "statuses": ReviewStatus.choices,
            "today": timezone.localdate(),
        },
    )


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return review_action(request, pk, request.POST.get("step", ""))
    return _review_page(request, pk)


def _review_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    review = access(
        Review.objects.select_related("household__head", "assistance__person", "done_by", "region"),
        request.user,
        pk,
    )
    steps = workflow_buttons(review_workflow, review, request.user, bound)
    _phone_friendly(steps)
    return render(
        request,
        "enrolments/review_detail.html",
        {
            "r": review,
            "steps": steps,
            "events": review.events.select_related("actor"),
            "enrolment": Enrolment.objects.visible_to(request.user)
            .filter(assistance=review.assistance_id)
            .first(),
            "today": timezone.localdate(),
            **_log_labels(review_workflow, ReviewStatus),
        },
    )


@login_required
@require_POST
def review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request, review_workflow, Review, pk, action, page=_review_page, url_name="enrolments:review-detail"
    )


# --- appeals and complaints ----------------------------------------------------------------------


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    qs = in_region_param(request, Appeal.objects.visible_to(request.user).select_related("region"))
    status = request.GET.get("status", "")
    if status in AppealStatus.values:
        qs = qs.filter(status=status)
    elif status != "all":
        qs = qs.open()
    if (kind := request.GET.get("kind", "")) in AppealKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "enrolments/appeal_list.html",
        {
            "page": page,
            "statuses": AppealStatus.choices,
            "kinds": AppealKind.choices,
            "status": status,
            "kind": kind,
            "today": timezone.localdate(),
        },
    )


@login_required
def appeal_create(request: HttpRequest) -> HttpResponse:
    """A 复查 of a decision (?enrolment=) or a complaint (about a household, ?household=)."""
    require_writer(request.user)
    enrolment = None
    household = None
    if request.GET.get("enrolment"):
        enrolment = access(Enrolment, request.user, request.GET["enrolment"])
    elif request.GET.get("household"):
        household = access(Household, request.user, request.GET["household"])
    kind = AppealKind.REVIEW if enrolment else AppealKind.COMPLAINT
    form = forms.AppealForm(
        request.POST or None, user=request.user, kind=kind, need_region=not (enrolment or household)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)

        def save() -> HttpResponse | None:
            try:
                appeal = services.appeal_create(
                    actor=request.user, kind=kind, enrolment=enrolment, household=household, **data
                )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
                return None
            messages.success(request, _("已登记"))
            return redirect("enrolments:appeal-detail", pk=appeal.pk)

        if (response := page_once(request, save)) is not None:
            return response
    return render(
        request,
        "enrolments/appeal_form.html",
        {"form": form, "enrolment": enrolment, "household": household, "kind": kind},
    )


@login_required
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return appeal_action(request, pk, request.POST.get("step", ""))
    return _appeal_page(request, pk)


def _appeal_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    appeal = access(
        Appeal.objects.select_related("enrolment__household__head", "household__head", "region", "assignee"),
        request.user,
        pk,
    )
    return render(
        request,
        "enrolments/appeal_detail.html",
        {
            "a": appeal,
            "steps": workflow_buttons(appeal_workflow, appeal, request.user, bound),
            "events": appeal.events.select_related("actor"),
            "phone": phone_for(request.user, appeal.phone),
            "today": timezone.localdate(),
            **_log_labels(appeal_workflow, AppealStatus),
        },
    )


@login_required
@require_POST
def appeal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request, appeal_workflow, Appeal, pk, action, page=_appeal_page, url_name="enrolments:appeal-detail"
    )
