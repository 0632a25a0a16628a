"""Pages of warnings and their dispositions: the list (scoped, filtered), the page a warning's task
opens in one tap (verify, then answer), the payments to recover after a death, and a source's
feedback file. Thin: the steps are exchange/dispositions.py, the reads exchange/feedback.py and
exchange/deaths.py."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from exchange.deaths import held_payments, payments_after_death
from exchange.dispositions import disposition_for_alert, disposition_workflow
from exchange.feedback import feedback_rows, feedback_source, feedback_workbook
from exchange.models import (
    Disposition,
    DispositionStatus,
    DispositionTransition,
    ExchangeRecord,
    Outcome,
    RecordStatus,
    RuleKind,
)
from exchange.rules import PREFIX
from relief.models import Alert
from relief.pages import in_region_param, workflow_buttons, workflow_post, xlsx_response
from relief.privacy import id_for
from relief.scoping import access

PAGE_SIZE = 50


def dispositions_for(request: HttpRequest):
    """The dispositions the user may see, with the list's filters (?status=&outcome=&kind=&region=)."""
    qs = Disposition.objects.visible_to(request.user).select_related("rule", "household", "person", "alert")
    qs = in_region_param(request, qs)
    if (status := request.GET.get("status", "")) in DispositionStatus.values:
        qs = qs.filter(status=status)
    if (outcome := request.GET.get("outcome", "")) in Outcome.values:
        qs = qs.filter(outcome=outcome)
    kind = request.GET.get("kind", "")
    if kind.startswith(PREFIX):
        kind = kind[len(PREFIX) :]
    if kind in RuleKind.values:
        qs = qs.filter(rule__kind=kind)
    if request.GET.get("since"):
        from relief.pages import date_param

        if since := date_param(request, "since"):
            qs = qs.filter(created_at__date__gte=since)
    return qs


@login_required
def disposition_list(request: HttpRequest) -> HttpResponse:
    qs = dispositions_for(request).order_by("status", "-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exchange/dispositions/list.html",
        {
            "page": page,
            "statuses": DispositionStatus.choices,
            "outcomes": Outcome.choices,
            "kinds": RuleKind.choices,
            "filters": {k: request.GET.get(k, "") for k in ("status", "outcome", "kind", "region")},
        },
    )


@login_required
def open_warning(request: HttpRequest) -> HttpResponse:
    """The one tap from a warning's task (?alert=): its disposition page."""
    alert_id = request.GET.get("alert", "")
    alert = access(Alert.objects.filter(kind__startswith=PREFIX), request.user, alert_id or "0")
    disposition = disposition_for_alert(alert)
    if disposition is None:
        raise Http404
    return redirect("exchange_dispositions:detail", pk=disposition.pk)


def _records(d: Disposition):
    """The department lines behind the warning: the rule's source's matched lines of the subject."""
    qs = ExchangeRecord.objects.filter(source_id=d.rule.source_id, status=RecordStatus.MATCHED)
    qs = qs.filter(person_id=d.person_id) if d.person_id else qs.filter(household_id=d.household_id)
    return qs.select_related("batch").order_by("-occurred_on", "-id")[:50]


def _page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    d = access(
        Disposition.objects.select_related("rule__source", "household", "person", "alert", "visit", "region"),
        request.user,
        pk,
    )
    steps = workflow_buttons(disposition_workflow, d, request.user, bound)
    for step, form in steps:
        if (
            step.name == "enrol"
            and not form.is_bound
            and d.rule.suggestion in dict(form.fields["kind"].choices)
        ):
            form.initial["kind"] = d.rule.suggestion
        if "on" in form.fields and not form.is_bound:
            form.initial["on"] = timezone.localdate()
    records = [(r, id_for(request.user, r.id_number)) for r in _records(d)]
    context = {
        "d": d,
        "steps": steps,
        "records": records,
        "transitions": DispositionTransition.objects.filter(disposition=d).select_related("actor"),
        "started": _started(d),
    }
    return render(request, "exchange/dispositions/detail.html", context)


def _started(d: Disposition) -> dict:
    """What the answer started (an application filed from the warning), and where to go on."""
    out: dict = {}
    if d.outcome == Outcome.ENROLMENT:
        enrolment = d.enrolment or d.household.enrolments.filter(origin_alert_id=d.alert_id).first()
        out["enrolment"] = enrolment
        if enrolment is None:
            kind = (
                d.rule.suggestion
                if d.rule.suggestion in ("dibao", "tekun", "dibao_edge", "rigid_expense")
                else "dibao"
            )
            out["next_url"] = enrolment_url(d, kind)
    elif d.outcome == Outcome.TEMPORARY:
        out["next_url"] = temporary_url(d)
    return out


def enrolment_url(d: Disposition, kind: str) -> str:
    query = urlencode({"household": d.household_id, "alert": d.alert_id, "kind": kind})
    return f"{reverse('enrolments:create')}?{query}"


def temporary_url(d: Disposition) -> str:
    person = d.person_id or d.household.head_id
    return f"{reverse('funds:application-create')}?{urlencode({'person': person or ''})}"


@login_required
def disposition_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return disposition_step(request, pk, request.POST.get("step", ""))
    return _page(request, pk)


@login_required
@require_POST
def disposition_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """A step button (a double click takes it once: relief.pages.workflow_post). Done: an enrolment
    or a temporary assistance goes on to its form, pre-filled; anything else back to the page."""
    step = disposition_workflow.steps.get(action.replace("-", "_"))
    if step is None or step.system:
        raise Http404
    d = access(Disposition, request.user, pk, for_write=True)
    done, bound = workflow_post(request, disposition_workflow, d, step.name, raise_denied=True)
    if not done:
        return _page(request, pk, bound=bound)
    d.refresh_from_db()
    if step.name == "enrol" and d.outcome == Outcome.ENROLMENT:
        return redirect(enrolment_url(d, request.POST.get("enrol-kind") or d.rule.suggestion))
    if step.name == "temporary" and d.outcome == Outcome.TEMPORARY:
        return redirect(temporary_url(d))
    return redirect("exchange_dispositions:detail", pk=d.pk)


@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    """Payments made after a confirmed death (to recover) and the lines held, in the user's region."""
    after = in_region_param(request, payments_after_death(request.user)).prefetch_related("recoveries")
    held = in_region_param(request, held_payments(request.user))
    return render(
        request,
        "exchange/dispositions/recovery.html",
        {
            "after": Paginator(after, PAGE_SIZE).get_page(request.GET.get("page")),
            "held": held[:200],
        },
    )


@login_required
def feedback_export(request: HttpRequest, source_code: str) -> HttpResponse:
    """A source's feedback (xlsx): what was done about each warning its records raised, in the user's
    region."""
    source = feedback_source(request.user, source_code)
    content = feedback_workbook(source, request.user, feedback_rows(source, request.user))
    return xlsx_response(content, f"feedback-{source.code}-{timezone.localdate():%Y%m%d}.xlsx")
