"""Pages of 慈善: the matching page (`/charity/`: the county's open needs, each beside the projects and
donations that fit it, assigned in one form), donors, donations (with every household they reached),
projects (budget, spent, households served), a need's page and the township's delivery form (the
delivery task's one tap)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from charity import selectors, services
from charity.forms import DeliverForm, DonationForm, DonorForm, NeedForm, ProjectForm
from charity.models import (
    CharityNeed,
    CharityProject,
    Donation,
    DonationItem,
    Donor,
    NeedKind,
    NeedOrigin,
    NeedState,
)
from people.models import Household, Person
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.models import Task
from relief.pages import in_region_param
from relief.scoping import access, require_writer
from relief.workflow import county_or_above


def _may_coordinate(user) -> bool:
    return bool(user.can_write and county_or_above(user) is None)


def _county_writer(request: HttpRequest) -> None:
    require_writer(request.user)
    if message := county_or_above(request.user):
        raise PermissionDenied(message)


def _errors_to(form_or_request, exc: ValidationError) -> None:
    for message in exc.messages[:5]:
        if hasattr(form_or_request, "add_error"):
            form_or_request.add_error(None, message)
        else:
            messages.error(form_or_request, message)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The matching page: open needs (by `?kind=`, under `?region=`), oldest first, each with what
    fits it; the needs assigned and waiting for delivery are counted beside."""
    needs = in_region_param(request, CharityNeed.objects.visible_to(request.user))
    counts = needs.aggregate(
        open=Count("id", filter=Q(state=NeedState.OPEN)),
        assigned=Count("id", filter=Q(state=NeedState.ASSIGNED)),
    )
    rows = needs.filter(state=NeedState.OPEN)
    kind = request.GET.get("kind", "")
    if kind in NeedKind.values:
        rows = rows.filter(kind=kind)
    rows = rows.select_related("household__head", "person", "region").order_by("created_at", "id")
    page = Paginator(rows, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "charity/index.html",
        {
            "page": page,
            "matches": selectors.matches(list(page), request.user),
            "counts": counts,
            "kind": kind,
            "kinds": NeedKind.choices,
            "may_coordinate": _may_coordinate(request.user),
            "assigned": CharityNeed.objects.visible_to(request.user)
            .filter(state=NeedState.ASSIGNED)
            .select_related("household__head", "project", "delivery_task")
            .order_by("assigned_at")[:20],
        },
    )


# --- donors -------------------------------------------------------------------------------------------


@login_required
def donor_list(request: HttpRequest) -> HttpResponse:
    donors = Donor.objects.visible_to(request.user).annotate(n=Count("donations")).order_by("kind", "name")
    page = Paginator(donors, 30).get_page(request.GET.get("page"))
    return render(
        request, "charity/donors.html", {"page": page, "may_coordinate": _may_coordinate(request.user)}
    )


@login_required
def donor_new(request: HttpRequest) -> HttpResponse:
    _county_writer(request)
    form = DonorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def run() -> HttpResponse | None:
            try:
                donor = services.donor_register(
                    actor=request.user, region=request.user.region, **form.cleaned_data
                )
            except ValidationError as exc:
                _errors_to(form, exc)
                return None
            messages.success(request, _("已登记捐赠方：%(n)s") % {"n": donor.name})
            return redirect(donor.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "charity/form.html", {"form": form, "title": _("登记捐赠方")})


@login_required
def donor_detail(request: HttpRequest, pk: int) -> HttpResponse:
    donor = access(Donor.objects.select_related("region"), request.user, pk)
    donations = Donation.objects.visible_to(request.user).filter(donor=donor).select_related("project")
    return render(request, "charity/donor_detail.html", {"d": donor, "donations": donations})


# --- donations ------------------------------------------------------------------------------------------


@login_required
def donation_list(request: HttpRequest) -> HttpResponse:
    rows = Donation.objects.visible_to(request.user).select_related("donor", "project", "region")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request, "charity/donations.html", {"page": page, "may_coordinate": _may_coordinate(request.user)}
    )


@login_required
def donation_new(request: HttpRequest) -> HttpResponse:
    _county_writer(request)
    form = DonationForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                donation = services.donation_receive(
                    actor=request.user,
                    donor=data["donor"],
                    region=request.user.region,
                    received_on=data["received_on"],
                    receipt_number=data["receipt_number"],
                    amount=data["amount"] or Decimal("0"),
                    items=form.item_lines(),
                    project=data["project"],
                    receipt=data["receipt"],
                    note=data["note"],
                )
            except ValidationError as exc:
                _errors_to(form, exc)
                return None
            messages.success(request, _("已登记捐赠"))
            return redirect(donation.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "charity/form.html", {"form": form, "title": _("登记捐赠"), "multipart": True})


@login_required
def donation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A donation's page: totals received, allotted, delivered and balance, its goods lines, and
    every household it reached with the money and goods each got."""
    donation = access(Donation.objects.select_related("donor", "project", "region"), request.user, pk)
    return render(
        request,
        "charity/donation_detail.html",
        {
            "d": donation,
            "totals": selectors.donation_totals(donation),
            "items": donation.items.all(),
            "trace": selectors.donation_trace(donation, request.user),
        },
    )


# --- projects -----------------------------------------------------------------------------------------


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    rows = CharityProject.objects.visible_to(request.user).select_related("region", "organiser")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request, "charity/projects.html", {"page": page, "may_coordinate": _may_coordinate(request.user)}
    )


@login_required
def project_new(request: HttpRequest) -> HttpResponse:
    _county_writer(request)
    form = ProjectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():

        def run() -> HttpResponse | None:
            try:
                project = services.project_create(
                    actor=request.user, region=request.user.region, **form.cleaned_data
                )
            except ValidationError as exc:
                _errors_to(form, exc)
                return None
            messages.success(request, _("已创建慈善项目"))
            return redirect(project.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "charity/form.html", {"form": form, "title": _("新建慈善项目")})


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = access(CharityProject.objects.select_related("region", "organiser"), request.user, pk)
    needs = (
        CharityNeed.objects.visible_to(request.user)
        .filter(project=project)
        .select_related("household__head", "region")
        .order_by("state", "-assigned_at")
    )
    return render(
        request,
        "charity/project_detail.html",
        {
            "p": project,
            "summary": selectors.project_summary(project, request.user),
            "needs": needs[:200],
            "donations": Donation.objects.visible_to(request.user)
            .filter(project=project)
            .select_related("donor"),
            "may_coordinate": _may_coordinate(request.user) and project.state == "active",
        },
    )


@login_required
@require_POST
def project_close(request: HttpRequest, pk: int) -> HttpResponse:
    project = access(CharityProject.objects.all(), request.user, pk, for_write=True)
    services.project_close(actor=request.user, project=project)
    messages.success(request, _("项目已结束"))
    return redirect(project.get_absolute_url())


# --- needs --------------------------------------------------------------------------------------------


def _need_source(request: HttpRequest) -> dict:
    """Where a need added by hand comes from: `?task=` (its household and detail, linked to it),
    `?warning=` (a department-data warning's disposition), `?call=` (a hotline call about a
    household), else `?household=` (and `?person=`). Each is opened through the user's scope."""
    from coldwaves.duty_models import HotlineCall
    from exchange.models import Disposition

    user = request.user
    if request.GET.get("task"):
        task = access(Task.objects.select_related("subject_type"), user, request.GET["task"])
        subject = task.subject if task.subject_type_id else None
        return {
            "household_id": getattr(subject, "household_id", None) or request.GET.get("household"),
            "person_id": getattr(subject, "person_id", None),
            "source_task": task,
            "origin": NeedOrigin.VISIT if task.source == "need" else NeedOrigin.MANUAL,
            "cause": f"task:{task.pk}",
            "text": task.detail,
        }
    if request.GET.get("warning"):
        warning = access(Disposition.objects.select_related("rule"), user, request.GET["warning"])
        return {
            "household_id": warning.household_id,
            "person_id": warning.person_id,
            "disposition": warning,
            "origin": NeedOrigin.WARNING,
            "cause": f"warning:{warning.pk}",
            "text": "；".join(p for p in (str(warning.rule), warning.findings) if p),
        }
    if request.GET.get("call"):
        call = access(HotlineCall.objects.all(), user, request.GET["call"])
        return {
            "household_id": call.household_id,
            "person_id": None,
            "call": call,
            "origin": NeedOrigin.HOTLINE,
            "cause": f"call:{call.pk}",
            "text": call.asked,
        }
    return {
        "household_id": request.GET.get("household"),
        "person_id": request.GET.get("person"),
        "origin": NeedOrigin.MANUAL,
        "cause": "",
        "text": "",
    }


@login_required
def need_new(request: HttpRequest) -> HttpResponse:
    """Add a need from the household page, a task, a warning or a hotline call (see _need_source):
    one need per source and kind."""
    require_writer(request.user)
    source = _need_source(request)
    household = access(Household.objects.select_related("head"), request.user, source["household_id"])
    person = access(Person.objects.all(), request.user, source["person_id"]) if source["person_id"] else None
    form = NeedForm(request.POST or None, initial={"description": source["text"]})
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]

        def run() -> HttpResponse | None:
            try:
                need, _created = services.need_add(
                    actor=request.user,
                    household=household,
                    person=person,
                    kind=kind,
                    description=form.cleaned_data["description"],
                    origin=source["origin"],
                    cause_key=f"{source['cause']}:{kind}" if source["cause"] else "",
                    source_task=source.get("source_task"),
                    disposition=source.get("disposition"),
                    call=source.get("call"),
                )
            except ValidationError as exc:
                _errors_to(form, exc)
                return None
            messages.success(request, _("已登记救助需求，县级慈善协调人员将对接项目"))
            return redirect(need.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(
        request,
        "charity/form.html",
        {"form": form, "title": _("登记救助需求：%(h)s") % {"h": household.head or household}},
    )


@login_required
def need_detail(request: HttpRequest, pk: int, kept: dict | None = None) -> HttpResponse:
    """`kept`: what the assign or close form posted when it answered an error (drawn again)."""
    need = access(
        CharityNeed.objects.select_related("household__head", "person", "region", "project", "delivery_task"),
        request.user,
        pk,
    )
    match = selectors.matches([need], request.user)[0] if need.state == NeedState.OPEN else None
    return render(
        request,
        "charity/need_detail.html",
        {
            "n": need,
            "match": match,
            "allotments": need.allotments.select_related("donation__donor", "line"),
            "may_coordinate": _may_coordinate(request.user),
            "may_write": request.user.can_write,
            "kept": kept,
        },
    )


def _shares(request: HttpRequest) -> list[services.Share]:
    """The allotment lines of the assign form: `amount_<donation id>` and `quantity_<line id>`."""
    shares = []
    donations = Donation.objects.visible_to(request.user)
    for key, raw in request.POST.items():
        raw = (raw or "").strip()
        if not raw or not (key.startswith("amount_") or key.startswith("quantity_")):
            continue
        kind, _sep, pk = key.partition("_")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise ValidationError(_("请填写正确的金额或数量")) from None
        if value == 0 or not pk.isdigit():
            continue
        if kind == "amount":
            donation = donations.filter(pk=pk).first()
            if donation is None:
                raise ValidationError(_("未找到该捐赠"))
            shares.append(services.Share(donation=donation, amount=value))
        else:
            line = (
                DonationItem.objects.filter(pk=pk, donation__in=donations).select_related("donation").first()
            )
            if line is None:
                raise ValidationError(_("未找到该捐赠物资"))
            shares.append(services.Share(donation=line.donation, line=line, quantity=value))
    return shares


@login_required
@require_POST
def need_assign(request: HttpRequest, pk: int) -> HttpResponse:
    need = access(CharityNeed.objects.all(), request.user, pk, for_write=True)
    back = request.POST.get("next", "")
    target = back if back.startswith("/charity/") else need.get_absolute_url()

    def run() -> HttpResponse | None:
        try:
            project = access(CharityProject.objects.all(), request.user, request.POST.get("project") or 0)
            services.need_assign(actor=request.user, need=need, project=project, shares=_shares(request))
        except ValidationError as exc:
            _errors_to(request, exc)
            return None
        messages.success(request, _("已对接项目，送达任务已派给乡镇（街道）：%(h)s") % {"h": need.household})
        return redirect(target)

    done = page_once(request, run)
    return done if done is not None else need_detail(request, pk, kept=kept_input(request, "assign", row=pk))


@login_required
def need_deliver(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery form (the delivery task's one tap): who received it, when, an optional photo."""
    need = access(
        CharityNeed.objects.select_related("household__head", "person", "project"),
        request.user,
        pk,
        for_write=request.method == "POST",
    )
    if need.state == NeedState.DELIVERED and request.method == "GET":
        messages.info(request, _("该需求已登记送达"))
        return redirect(need.get_absolute_url())
    initial = {
        "received_by_name": need.person.name if need.person_id else getattr(need.household.head, "name", "")
    }
    initial["delivered_on"] = timezone.localdate()
    form = DeliverForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def run() -> HttpResponse | None:
            try:
                services.need_deliver(actor=request.user, need=need, **form.cleaned_data)
            except ValidationError as exc:
                _errors_to(form, exc)
                return None
            messages.success(request, _("已登记送达：%(h)s") % {"h": need.household})
            return redirect(need.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(
        request,
        "charity/deliver.html",
        {
            "form": form,
            "n": need,
            "allotments": need.allotments.live().select_related("donation__donor", "line"),
        },
    )


@login_required
@require_POST
def need_close(request: HttpRequest, pk: int) -> HttpResponse:
    need = access(CharityNeed.objects.all(), request.user, pk, for_write=True)
    try:
        services.need_close(actor=request.user, need=need, reason=request.POST.get("reason", ""))
        messages.success(request, _("需求已关闭"))
    except ValidationError as exc:
        _errors_to(request, exc)
        return need_detail(request, pk, kept=kept_input(request, "close"))
    return redirect(need.get_absolute_url())
