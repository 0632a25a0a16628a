"""The page of one assistance category record (救助类别认定): end it (终止, with the reason), correct a
record entered wrongly (更正, the fields changed and why), or replace it from a date (更换, e.g. 分散供养
→ 集中供养 when a person moves into an institution), and every earlier version with who changed it
and why. Writes: people/assistance_services.py; categories that cannot hold at once are refused
there with the record in the way named."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy

from people import assistance_services as services
from people.forms import AssistanceForm, BootstrapMixin, apply_service_errors
from people.models import Assistance, Category, DibaoClass, MonitoringType, TekunMode
from relief.idempotency import page_once
from relief.scoping import get_visible_or_404, require_writer

DATE = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


def _reason(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=200)


class AssistanceEndForm(BootstrapMixin, forms.Form):
    end_date = forms.DateField(label=gettext_lazy("终止日期"), **DATE)
    reason = _reason(gettext_lazy("终止原因"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()


class AssistanceCorrectForm(AssistanceForm):
    """The registration form's fields (the note left as it was) and why the record is corrected."""

    reason = _reason(gettext_lazy("更正原因"))

    class Meta(AssistanceForm.Meta):
        fields = [f for f in AssistanceForm.Meta.fields if f != "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, household=kwargs["instance"].household, **kwargs)


class AssistanceReplaceForm(BootstrapMixin, forms.Form):
    on = forms.DateField(label=gettext_lazy("更换日期（新类别认定日期）"), **DATE)
    category = forms.ChoiceField(label=gettext_lazy("新救助类别"), choices=Category.choices)
    dibao_class = forms.ChoiceField(
        label=gettext_lazy("低保类别"), choices=[("", "---------"), *DibaoClass.choices], required=False
    )
    tekun_mode = forms.ChoiceField(
        label=gettext_lazy("特困供养方式"), choices=[("", "---------"), *TekunMode.choices], required=False
    )
    monitoring_type = forms.ChoiceField(
        label=gettext_lazy("监测对象类型"),
        choices=[("", "---------"), *MonitoringType.choices],
        required=False,
    )
    reason = _reason(gettext_lazy("更换原因"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()


FORMS = {"end": AssistanceEndForm, "correct": AssistanceCorrectForm, "replace": AssistanceReplaceForm}


def _forms(record: Assistance, data: Any = None, action: str = "") -> dict[str, forms.BaseForm]:
    today = timezone.localdate()
    made: dict[str, forms.BaseForm] = {
        "end": AssistanceEndForm(initial={"end_date": today}, prefix="end"),
        "correct": AssistanceCorrectForm(instance=record, prefix="correct"),
        "replace": AssistanceReplaceForm(
            initial={"on": today, "category": record.category, "tekun_mode": record.tekun_mode},
            prefix="replace",
        ),
    }
    if action == "correct":
        made[action] = AssistanceCorrectForm(data, instance=record, prefix=action)
    elif action in FORMS:
        made[action] = FORMS[action](data, prefix=action)
    return made


def _write(request: HttpRequest, record: Assistance, action: str, data: dict[str, Any]) -> Assistance:
    actor = request.user
    if action == "end":
        return services.assistance_end(actor=actor, assistance=record, **data)
    if action == "correct":
        reason = data.pop("reason")
        return services.assistance_correct(actor=actor, assistance=record, reason=reason, **data)
    return services.assistance_replace(actor=actor, assistance=record, **data)


DONE = {
    "end": gettext_lazy("已终止救助类别"),
    "correct": gettext_lazy("已更正救助类别"),
    "replace": gettext_lazy("已更换救助类别"),
}


@login_required
def assistance_detail(request: HttpRequest, pk: int) -> HttpResponse:
    record = get_visible_or_404(Assistance.objects.select_related("household", "person"), request.user, pk=pk)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        require_writer(request.user)
    made = _forms(record, request.POST or None, action)
    form = made.get(action)
    if form is not None and form.is_valid():

        def save() -> HttpResponse | None:
            try:
                _write(request, record, action, dict(form.cleaned_data))
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return None
            messages.success(request, DONE[action])
            return redirect("people:household-detail", pk=record.household_id)

        if (done := page_once(request, save)) is not None:
            return done
    history = Assistance.history.filter(id=record.pk).select_related("history_user", "person")
    return render(
        request,
        "people/assistance_detail.html",
        {
            "record": record,
            "household": record.household,
            "forms": made if request.user.can_write else {},
            "active": action or "end",
            "current": record.is_current(),
            "history": history.order_by("-history_date", "-history_id")[:50],
        },
    )
