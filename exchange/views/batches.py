"""Batch pages: the list, the upload form, one batch (counts, reasons, invalid lines, unmatched
records), and the search of records across the batches the user may see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from exchange import services
from exchange.forms import BatchUploadForm, RecordSearchForm
from exchange.ingest import CODES
from exchange.models import DataSource, ExchangeBatch, ExchangeRecord, RecordStatus, Via
from exchange.selectors import record_search
from relief.idempotency import page_key, page_once
from relief.privacy import NumberSearchLimited
from relief.scoping import access, require_writer

PAGE_SIZE = 50


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def source_list(request: HttpRequest) -> HttpResponse:
    sources = (
        DataSource.objects.visible_to(request.user).select_related("region").order_by("region_id", "code")
    )
    return render(request, "exchange/source_list.html", {"sources": sources, "tab": "sources"})


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = ExchangeBatch.objects.visible_to(request.user).select_related("source", "region", "job")
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "exchange/batch_list.html", {"page": page, "query": _query(request), "tab": "batches"}
    )


@login_required
def batch_upload(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    form = BatchUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST":
        response = page_once(request, lambda: _receive(request, form))
        if response is not None:
            return response
    return render(request, "exchange/batch_form.html", {"form": form, "tab": "upload"})


def _receive(request: HttpRequest, form: BatchUploadForm) -> HttpResponse | None:
    if not form.is_valid():
        return None
    try:
        batch, created = services.batch_receive(
            actor=request.user,
            source=form.cleaned_data["source"],
            region=form.cleaned_data["region"],
            file=form.cleaned_data["file"],
            period=form.cleaned_data["period"],
            key=page_key(request),
            via=Via.UPLOAD,
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return None
    except PermissionDenied as exc:
        form.add_error("region", str(exc))
        return None
    if not created:
        messages.info(request, _("该批数据已接收过（内容相同），未重复比对"))
    elif batch.job_id:
        messages.success(request, _("已接收，正在后台比对，完成后本页显示结果"))
    else:
        messages.success(request, _("已接收并完成比对"))
    return redirect("exchange:batch-detail", pk=batch.pk)


def _records(request: HttpRequest, qs, form: RecordSearchForm):
    """The records the search form asks for, or none with the form's error."""
    if not form.is_valid():
        return qs.none()
    if form.cleaned_data["status"]:
        qs = qs.filter(status=form.cleaned_data["status"])
    try:
        return record_search(
            qs, actor=request.user, id_number=form.cleaned_data["id_number"], name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        form.add_error("id_number", exc)
    except NumberSearchLimited as exc:
        form.add_error("id_number", str(exc))
    return qs.none()


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(
        ExchangeBatch.objects.select_related("source", "region", "job", "created_by"), request.user, pk
    )
    records = ExchangeRecord.objects.visible_to(request.user).filter(batch=batch).order_by("line")
    invalid = Paginator(records.filter(status=RecordStatus.INVALID), PAGE_SIZE).get_page(
        request.GET.get("invalid_page")
    )
    reasons = [(code, CODES.get(code, code), n) for code, n in sorted(batch.invalid_reasons.items())]
    return render(
        request,
        "exchange/batch_detail.html",
        {"batch": batch, "invalid": invalid, "reasons": reasons, "tab": "batches"},
    )


@login_required
def record_list(request: HttpRequest) -> HttpResponse:
    """The records the user may see, unmatched ones first asked for (the county's search)."""
    params = request.GET.copy()
    params.setdefault("status", RecordStatus.UNMATCHED)
    form = RecordSearchForm(params)
    qs = ExchangeRecord.objects.visible_to(request.user).select_related("batch__source", "region")
    batch = None
    if request.GET.get("batch", "").isdigit():
        batch = access(ExchangeBatch, request.user, request.GET["batch"])
        qs = qs.filter(batch=batch)
    qs = _records(request, qs, form).order_by("-batch_id", "line")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    # a line matched to one of the user's people may come from another county's batch: no link to it
    batches = ExchangeBatch.objects.visible_to(request.user).filter(pk__in={r.batch_id for r in page})
    context = {
        "page": page,
        "form": form,
        "batch": batch,
        "query": _query(request),
        "tab": "records",
        "visible_batches": set(batches.values_list("pk", flat=True)),
    }
    return render(request, "exchange/record_list.html", context)
