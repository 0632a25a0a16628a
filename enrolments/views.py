"""Pages of enrolment: the decision queue (sorted by deadline), an application's page with its steps
and clocks, filing an application (a phone at the township window or on a visit), the reviews due,
appeals and complaints. Every record comes through the door (relief/scoping.py: 404 outside the
region); the buttons come from enrolments/workflows.py; the writes are services."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from enrolments import clocks, forms, rules, selectors, services
from enrolments.appeals import appeal_workflow
from enrolments.models import Appeal, AppealKind, AppealStatus, Enrolment, Kind, Review, Status
from enrolments.reviews import review_workflow
from enrolments.workflows import enrolment_workflow
from people.models import Household
from relief.idempotency import page_once
from relief.pages import in_region_param, workflow_buttons, workflow_post
from relief.privacy import id_for
from relief.scoping import access, require_writer
from relief.todo.services import answer_from_request
from relief.workflow import Workflow

PAGE_SIZE = 50


def _step_post(
    request: HttpRequest,
    workflow: Workflow,
    model: type[models.Model],
    pk: int,
    action: str,
    *,
    page: Callable[..., HttpResponse],
    url_name: str,
) -> HttpResponse:
    """Every step button: the record through the door, the step through its declaration."""
    step = workflow.steps.get(action.replace("-", "_"))
    if step is None or step.system:
        raise Http404
    obj = access(model, request.user, pk, for_write=True)
    done, bound = workflow_post(request, workflow, obj, step.name, raise_denied=True)
    if done:
        return redirect(url_name, pk=obj.pk)
    return page(request, pk, bound=bound)


# --- applications --------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Applications in progress, the nearest deadline first (the county's decision queue with
    ?status=county); decided ones with ?status=<state>."""
    qs = in_region_param(
        request, Enrolment.objects.visible_to(request.user).select_related("household__head", "region")
    )
    status = request.GET.get("status", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    elif status != "all":
        qs = qs.open()
    kind = request.GET.get("kind", "")
    if kind in Kind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs.by_deadline(), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(e, clocks.stage_due(e)) for e in page.object_list]
    return render(
        request,
        "enrolments/queue.html",
        {
            "page": page,
            "rows": rows,
            "statuses": Status.choices,
            "kinds": Kind.choices,
            "status": status,
            "kind": kind,
            "counts": selectors.queue_counts(request.user),
        },
    )


@login_required
def enrolment_create(request: HttpRequest) -> HttpResponse:
    """File an application for a household on the register (?household=, from its page or a task's
    one tap; ?alert= for 主动发现)."""
    require_writer(request.user)
    household = access(Household, request.user, request.GET.get("household") or "0")
    alert = selectors.alert_for(request.user, request.GET.get("alert"))
    found = alert is not None or request.GET.get("origin") == "found" or bool(request.GET.get("task"))
    initial = {"origin": "found" if found else "walk_in", "kind": request.GET.get("kind") or Kind.DIBAO}
    if (request.GET.get("person") or "").isdigit():
        initial["applicant"] = int(request.GET["person"])
    form = forms.EnrolmentForm(
        request.POST or None, request.FILES or None, household=household, initial=initial
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
                        **{k: v for k, v in data.items() if k != "accept"},
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
        request, "enrolments/enrolment_form.html", {"form": form, "household": household, "alert": alert}
    )


@login_required
def enrolment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return enrolment_action(request, pk, request.POST.get("step", ""))
    return _enrolment_page(request, pk)


def _enrolment_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    enrolment = access(
        Enrolment.objects.select_related(
            "household__head", "applicant", "region", "assistance", "decided_by"
        ),
        request.user,
        pk,
    )
    steps = workflow_buttons(enrolment_workflow, enrolment, request.user, bound)
    suggestion = None
    if enrolment.status == Status.COUNTY:
        try:
            suggestion = rules.suggest(enrolment)
        except Exception as exc:  # a missing policy value: say so where the decision is made
            suggestion = rules.Suggestion(None, str(exc))
        for step, form in steps:
            if step.name == "approve" and not form.is_bound and suggestion.amount is not None:
                form.initial["amount"] = suggestion.amount
    members = [(m, id_for(request.user, m.id_number)) for m in enrolment.members.all()]
    return render(
        request,
        "enrolments/enrolment_detail.html",
        {
            "e": enrolment,
            "steps": steps,
            "members": members,
            "stage": clocks.stage_due(enrolment),
            "suggestion": suggestion,
            "events": enrolment.events.select_related("actor"),
            "appeals": Appeal.objects.visible_to(request.user).filter(enrolment=enrolment),
            "can_appeal": request.user.can_write and enrolment.decided_on is not None,
        },
    )


@login_required
@require_POST
def enrolment_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _step_post(
        request, enrolment_workflow, Enrolment, pk, action, page=_enrolment_page, url_name="enrolments:detail"
    )


# --- reviews -------------------------------------------------------------------------------------


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    qs = in_region_param(
        request,
        Review.objects.visible_to(request.user).scheduled().select_related("household__head", "assistance"),
    )
    page = Paginator(qs.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enrolments/review_list.html", {"page": page})


@login_required
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return review_action(request, pk, request.POST.get("step", ""))
    return _review_page(request, pk)


def _review_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    review = access(
        Review.objects.select_related("household__head", "assistance", "done_by"), request.user, pk
    )
    return render(
        request,
        "enrolments/review_detail.html",
        {
            "r": review,
            "steps": workflow_buttons(review_workflow, review, request.user, bound),
            "events": review.events.select_related("actor"),
            "enrolment": Enrolment.objects.visible_to(request.user)
            .filter(assistance=review.assistance_id)
            .first(),
        },
    )


@login_required
@require_POST
def review_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _step_post(
        request, review_workflow, Review, pk, action, page=_review_page, url_name="enrolments:review-detail"
    )


# --- appeals and complaints ----------------------------------------------------------------------


@login_required
def appeal_list(request: HttpRequest) -> HttpResponse:
    qs = in_region_param(request, Appeal.objects.visible_to(request.user).select_related("region"))
    if request.GET.get("status") in AppealStatus.values:
        qs = qs.filter(status=request.GET["status"])
    elif request.GET.get("status") != "all":
        qs = qs.open()
    page = Paginator(qs.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "enrolments/appeal_list.html", {"page": page, "statuses": AppealStatus.choices})


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
        Appeal.objects.select_related("enrolment", "household__head", "region", "assignee"), request.user, pk
    )
    return render(
        request,
        "enrolments/appeal_detail.html",
        {
            "a": appeal,
            "steps": workflow_buttons(appeal_workflow, appeal, request.user, bound),
            "events": appeal.events.select_related("actor"),
        },
    )


@login_required
@require_POST
def appeal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _step_post(
        request, appeal_workflow, Appeal, pk, action, page=_appeal_page, url_name="enrolments:appeal-detail"
    )
