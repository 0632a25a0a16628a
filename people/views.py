"""Pages of the register: household search, household page, create/edit, members, categories, visits.

Every page reads through `visible_to(user)` / `get_visible_or_404` (out of region: 404) and every
write needs a writer role (`require_writer`: 403); the writes themselves are services.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from people import services
from people.exports import export_filters
from people.forms import (
    AssistanceForm,
    HouseholdForm,
    HouseholdSearchForm,
    PersonForm,
    RosterUploadForm,
    VisitForm,
    apply_service_errors,
)
from people.models import Household, Person, Relation, RosterUpload, Visit
from people.roster import error_report, template_workbook
from people.roster.villages import example_places
from people.selectors import is_household_number, overdue_people_count, search_households, with_list_data
from people.visit_rules import next_visit_proposal
from relief import conflicts as conflicts_
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.jobs.services import job_start
from relief.pages import xlsx_response
from relief.paginator import CappedPaginator
from relief.privacy import NumberSearchLimited, number_kind, number_search
from relief.scoping import get_visible_or_404, require_writer

PAGE_SIZE = 25


# --- search --------------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Household search (the app's home page). A search with a number in it (ID, phone, household
    number) never stays in a URL, so it lands in no browser history or access log: the form posts,
    the search is kept in the session and the page is `?s=<letters>` (its pages `&page=N`); an old
    link with `?q=<number>` is moved there the same way."""
    stored = _stored_search(request)
    if stored is None and (request.method == "POST" or _has_digits(request.GET.get("q"))):
        return _search_start(request, request.POST if request.method == "POST" else request.GET)
    params = stored if stored is not None else request.GET
    form = HouseholdSearchForm(params or None, user=request.user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = with_list_data(search_households(request.user, data)).order_by("region_id", "id")
    if form.region_refused():
        qs = qs.none()
    # at most PEOPLE_SEARCH_COUNT_CAP results counted: "超过 10,000 户" beyond, pages still work
    page = CappedPaginator(qs, PAGE_SIZE, cap=settings.PEOPLE_SEARCH_COUNT_CAP).get_page(
        request.GET.get("page")
    )
    # the 探访逾期 filter counts people (as the dashboard figure and the alerts do), in these households
    overdue_people = overdue_people_count(request.user, qs) if data.get("visit_overdue") else None
    query = request.GET.copy()
    query.pop("page", None)
    if request.GET.get(SEARCH_KEY) and stored is None:
        messages.info(request, _("该查询已过期，请重新查询"))
    return render(
        request,
        "people/index.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_write": request.user.can_write,
            "overdue_people": overdue_people,
            "today": timezone.localdate(),
        },
    )


SEARCH_KEY = "s"  # ?s=<letters>: a search kept in the session
SESSION_SEARCHES = "people_searches"
KEPT_SEARCHES = 20


def _has_digits(value: str | None) -> bool:
    return any(c.isdigit() for c in value or "")


def _stored_search(request: HttpRequest) -> QueryDict | None:
    """The search `?s=` names, as the query dict the form reads; None when there is none (or it is
    gone with the session)."""
    key = request.GET.get(SEARCH_KEY)
    stored = request.session.get(SESSION_SEARCHES, {}).get(key) if key else None
    if stored is None:
        return None
    params = QueryDict(mutable=True)
    params.update(stored)
    return params


def _search_start(request: HttpRequest, params: QueryDict) -> HttpResponse:
    """Count and log a search by a whole ID or phone number, keep the search in the session and show
    it at `?s=<key>` (letters only: not a digit of what was typed)."""
    form = HouseholdSearchForm(params, user=request.user)
    fields = {name: params.get(name) for name in form.fields if params.get(name)}
    limited = _number_search_refused(request, fields.get("q"))
    if limited:
        return render(
            request,
            "people/index.html",
            {
                "form": form,
                "page": Paginator(Household.objects.none(), PAGE_SIZE).get_page(1),
                "query": "",
                "can_write": request.user.can_write,
                "search_refused": limited,
            },
            status=429,
        )
    key = "".join(secrets.choice(string.ascii_letters) for _ in range(12))
    searches = request.session.get(SESSION_SEARCHES, {})
    searches = dict(list(searches.items())[-(KEPT_SEARCHES - 1) :])
    searches[key] = fields
    request.session[SESSION_SEARCHES] = searches
    response = HttpResponseRedirect(f"{reverse('people:index')}?{urlencode({SEARCH_KEY: key})}")
    response.status_code = 303  # See Other: the page of the search, by GET
    return response


def _number_search_refused(request: HttpRequest, q: str | None) -> str:
    """Count and log a search by a whole ID or phone number (roles that see masked numbers); the
    message to show when the hourly limit is reached, else ""."""
    kind = number_kind(q)
    if kind == "phone" and q and is_household_number(request.user, q):
        kind = None  # a household number that looks like a landline is no phone search
    if kind is None:
        return ""
    try:
        number_search(actor=request.user, kind=kind, value=q or "", model_label="people.household")
    except NumberSearchLimited as exc:
        return str(exc)
    return ""


# --- household page ------------------------------------------------------------------------------


def _household_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in services.HOUSEHOLD_FIELDS}


def _person_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k in services.PERSON_FIELDS}


@login_required
def household_create(request: HttpRequest) -> HttpResponse:
    """A new household with its head in one step; further members are added on its page."""
    require_writer(request.user)
    form = HouseholdForm(request.POST or None, user=request.user)
    head_form = PersonForm(request.POST or None, prefix="head", initial={"relation": Relation.HEAD})
    head_form.fields.pop("make_head", None)
    head_form.fields.pop("relation", None)
    if request.method == "POST" and form.is_valid() and head_form.is_valid():
        try:
            with transaction.atomic():
                household = services.household_create(
                    actor=request.user, **_household_kwargs(form.cleaned_data)
                )
                services.person_add(
                    actor=request.user,
                    household=household,
                    relation=Relation.HEAD,
                    make_head=True,
                    **{k: v for k, v in _person_kwargs(head_form.cleaned_data).items() if k != "relation"},
                )
        except ValidationError as exc:
            _split_errors(exc, form, head_form)
        else:
            messages.success(request, _("已登记家庭：%(h)s") % {"h": household})
            return redirect("people:household-detail", pk=household.pk)
    return render(
        request, "people/household_form.html", {"form": form, "head_form": head_form, "household": None}
    )


def _split_errors(exc: ValidationError, form, head_form) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        if field in head_form.fields:
            head_form.add_error(field, errors)
        elif field in form.fields:
            form.add_error(field, errors)
        else:
            form.add_error(None, errors)


@login_required
def household_edit(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    require_writer(request.user)
    form = HouseholdForm(request.POST or None, instance=household, user=request.user)
    conflicts: list[conflicts_.Conflict] = []
    if request.method == "POST" and form.is_valid():

        def save() -> HttpResponse | None:
            # a field someone else changed since the form was drawn is not overwritten (relief/conflicts.py)
            conflicts.extend(conflicts_.merge(form, request))
            if conflicts:
                return None
            try:
                services.household_update(
                    actor=request.user, household=household, **_household_kwargs(form.cleaned_data)
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return None
            messages.success(request, _("已保存"))
            return redirect("people:household-detail", pk=household.pk)

        if (response := page_once(request, save)) is not None:
            return response
    context = {
        "form": form,
        "household": household,
        "edit_base": conflicts_.base_input(form, request),
        "conflicts": conflicts,
    }
    return render(request, "people/household_form.html", context, status=409 if conflicts else 200)


# --- members -------------------------------------------------------------------------------------


@login_required
def person_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    require_writer(request.user)
    form = PersonForm(request.POST or None, initial={"relation": Relation.CHILD})
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_add(
                actor=request.user,
                household=household,
                make_head=form.cleaned_data.get("make_head", False),
                **_person_kwargs(form.cleaned_data),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已添加成员：%(name)s") % {"name": person.name})
            return redirect("people:household-detail", pk=household.pk)
    return render(request, "people/person_form.html", {"form": form, "household": household, "person": None})


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("household"), request.user, pk=pk)
    require_writer(request.user)
    form = PersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **_person_kwargs(form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("people:household-detail", pk=person.household_id)
    return render(
        request,
        "people/person_form.html",
        {"form": form, "household": person.household, "person": person},
    )


# --- assistance categories -----------------------------------------------------------------------


@login_required
def assistance_create(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household.objects.all(), request.user, pk=pk)
    require_writer(request.user)
    form = AssistanceForm(
        request.POST or None, household=household, initial={"start_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assistance_add(actor=request.user, household=household, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("已登记救助类别"))
            return redirect("people:household-detail", pk=household.pk)
    return render(request, "people/assistance_form.html", {"form": form, "household": household})


# --- visits --------------------------------------------------------------------------------------


@login_required
def visit_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone visit form: under a minute for a township worker."""
    household = get_visible_or_404(Household.objects.select_related("region", "head"), request.user, pk=pk)
    require_writer(request.user)
    form = VisitForm(request.POST or None, household=household)
    # the next visit the rules ask for: this member's, or the household's most urgent member's
    target = form.member(
        request.POST.get("person") if request.method == "POST" else request.GET.get("person")
    )
    proposal = next_visit_proposal(household, target)
    if not form.is_bound:
        form.initial = {
            "kind": request.GET.get("kind") or "general",
            "channel": "home",
            "person": target,
            "next_visit_due": proposal.date,
        }
    if request.method == "POST" and form.is_valid():

        def save() -> HttpResponse | None:
            try:
                services.visit_record(actor=request.user, household=household, **form.service_kwargs())
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return None
            messages.success(request, _("探访记录已保存"))
            return redirect("people:household-detail", pk=household.pk)

        # A resubmitted form (the same idempotency_key) saves one visit and answers the same redirect.
        if (response := page_once(request, save)) is not None:
            return response
    return render(
        request, "people/visit_form.html", {"form": form, "household": household, "proposal": proposal}
    )


@login_required
def person_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit to this person (the one tap of a visit-overdue task): their household's visit
    form with them chosen."""
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    query = {"person": person.pk}
    if request.GET.get("task", "").isdigit():
        query["task"] = request.GET["task"]
    return redirect(f"{reverse('people:visit-create', args=[person.household_id])}?{urlencode(query)}")


@login_required
def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_visible_or_404(
        Visit.objects.select_related("household", "person", "visitor"), request.user, pk=pk
    )
    from people.needs import visit_needs
    from relief.todo.selectors import task_lines

    return render(
        request,
        "people/visit_detail.html",
        {"visit": visit, "needs": task_lines(visit_needs(visit).select_related("region"), timezone.now())},
    )


@login_required
@require_POST
def person_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """注销: the member moved out, died or was registered by mistake; the ID number becomes free."""
    person = get_visible_or_404(Person.objects.all(), request.user, pk=pk)
    require_writer(request.user)
    try:
        services.person_deactivate(actor=request.user, person=person, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        context = {"form": PersonForm(instance=person), "household": person.household, "person": person}
        return render(
            request, "people/person_form.html", {**context, "kept": kept_input(request, "deactivate")}
        )
    messages.success(request, _("已注销成员：%(name)s") % {"name": person.name})
    return redirect("people:household-detail", pk=person.household_id)


# --- Excel: roster template, import (dry run, commit), export ------------------------------------


@login_required
def roster_template(request: HttpRequest) -> HttpResponse:
    response = xlsx_response(template_workbook(example_places(request.user)), "roster-template.xlsx")
    # keep the Chinese file name: xlsx_response writes a plain `filename="…"`, which only suits ASCII
    response["Content-Disposition"] = content_disposition_header(True, "花名册模板.xlsx")
    return response


@login_required
def roster_upload(request: HttpRequest) -> HttpResponse:
    """Upload a roster; its dry run starts at once and the upload's page shows the result."""
    require_writer(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            upload = services.roster_upload_create(actor=request.user, file=form.cleaned_data["file"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("people:roster-upload-detail", pk=upload.pk)
    uploads = (
        RosterUpload.objects.visible_to(request.user)
        .select_related("uploaded_by", "dry_run_job", "commit_job")
        .order_by("-created_at")[:20]
    )
    return render(request, "people/roster_upload.html", {"form": form, "uploads": uploads})


def _roster_upload(request: HttpRequest, pk: int) -> RosterUpload:
    """The upload, its jobs' results read without their error lists (a report of 100,000 errors
    is read in pages: people/roster/error_report.py)."""
    upload = get_visible_or_404(
        RosterUpload.objects.select_related("dry_run_job", "commit_job", "uploaded_by").defer(
            "dry_run_job__result", "commit_job__result"
        ),
        request.user,
        pk=pk,
    )
    for job in (upload.dry_run_job, upload.commit_job):
        if job is not None:
            job.result = error_report.report_of(job)  # what `Job.problems` and the template read
    return upload


def _roster_errors(upload: RosterUpload, report: dict, commit_report: dict, page: Any) -> dict[str, Any]:
    """The context of the error list (people/_roster_errors.html): one page of the report's errors."""
    job = error_report.report_job(upload.dry_run_job, upload.commit_job, commit_report)
    count = (commit_report if job is upload.commit_job else report).get("error_count") or 0
    paginator = Paginator(error_report.StoredErrors(job, count), error_report.ERRORS_PAGE_SIZE)
    errors = paginator.get_page(page)
    return {
        "errors": errors,
        "error_pages": paginator.get_elided_page_range(errors.number, on_each_side=2, on_ends=1),
    }


@login_required
def roster_upload_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The dry run's report (every bad row, a page at a time), the commit button, and the commit's
    progress."""
    upload = _roster_upload(request, pk)
    dry, commit = upload.dry_run_job, upload.commit_job
    report = dry.result if dry else {}
    active = commit if commit else dry
    commit_report = commit.result if commit else {}
    context = {
        "upload": upload,
        "dry": dry,
        "commit": commit,
        "active": active,
        "report": report,
        **_roster_errors(upload, report, commit_report, request.GET.get("errors_page")),
        "commit_report": commit_report,
        "can_commit": bool(
            request.user.can_write
            and dry
            and dry.state == "succeeded"
            and not report.get("error_count")
            and (commit is None or commit.state in ("failed", "lost"))
        ),
        "polling": bool(active and not active.is_finished and not active.is_stalled),
    }
    template = (
        "people/_roster_status.html"
        if request.headers.get("HX-Request")
        else "people/roster_upload_detail.html"
    )
    return render(request, template, context)


@login_required
def roster_upload_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """One page of the error list (htmx); without htmx, the upload's page at that page."""
    upload = _roster_upload(request, pk)
    page = request.GET.get("page")
    if not request.headers.get("HX-Request"):
        url = reverse("people:roster-upload-detail", args=[upload.pk])
        return redirect(f"{url}?{urlencode({'errors_page': page or 1})}#roster-errors")
    report = upload.dry_run_job.result if upload.dry_run_job else {}
    commit_report = upload.commit_job.result if upload.commit_job else {}
    context = {"upload": upload, "report": report, **_roster_errors(upload, report, commit_report, page)}
    return render(request, "people/_roster_errors.html", context)


@login_required
@require_POST
def roster_upload_error_file(request: HttpRequest, pk: int) -> HttpResponse:
    """下载错误行: the bad rows as they are in the uploaded file, under its header, with a 错误原因
    column, made by a job (the job's page offers the file): the clerk fixes it and uploads it again.
    A read, as every export: any role that sees the upload; ID and phone numbers masked for the
    roles that see them masked (relief/privacy.py)."""
    upload = _roster_upload(request, pk)
    job = job_start(
        actor=request.user,
        kind=error_report.ERROR_FILE_JOB,
        title=_("花名册错误行：%(name)s") % {"name": upload.original_name},
        params={"upload_id": upload.pk},
    )
    return redirect("job-detail", pk=job.pk)


@login_required
@require_POST
def roster_commit(request: HttpRequest, pk: int) -> HttpResponse:
    upload = get_visible_or_404(RosterUpload.objects.all(), request.user, pk=pk)
    require_writer(request.user)
    try:
        services.roster_commit_start(actor=request.user, upload=upload)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("people:roster-upload-detail", pk=upload.pk)


@login_required
@require_POST
def roster_export(request: HttpRequest) -> HttpResponse:
    """Export the roster with the search page's current filters (`?s=` of the search kept in the
    session, or the query string), as a job."""
    params = _stored_search(request) or request.GET
    refused = _number_search_refused(request, params.get("q"))
    if refused:
        messages.error(request, refused)
        return redirect("people:index")
    job = job_start(
        actor=request.user,
        kind="people.roster_export",
        title=_("导出花名册"),
        params={"filters": export_filters(params)},
    )
    return redirect("job-detail", pk=job.pk)
