"""Forms every app shares: the inputs of a workflow step, built from its declared `Param`s, and how a
service's ValidationError is shown on a form."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError

if TYPE_CHECKING:  # relief.workflow builds its forms here: a real import would be a cycle
    from relief.workflow import Param, Step


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors on their fields, others on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def kept_input(request: Any, action: str, row: Any = None) -> dict[str, str]:
    """What a hand-written form posted, for its page drawn again with the error instead of a
    redirect to a blank form: the template reads it with `{% kept action name default %}`."""
    data = {k: v for k, v in request.POST.items() if k not in ("csrfmiddlewaretoken", "idempotency_key")}
    return {**data, "_action": action, "_row": "" if row is None else str(row)}


def _field(param: Param, user: Any) -> forms.Field:
    common = {"label": param.label or param.name, "required": param.required, "help_text": param.help_text}
    kind = param.kind
    if kind in ("text", "comment"):
        widget = forms.Textarea(attrs={"rows": 2}) if kind == "comment" else forms.TextInput
        return forms.CharField(max_length=param.max_length, widget=widget, **common)
    if kind in ("money", "decimal"):
        return forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, **common)
    if kind == "int":
        return forms.IntegerField(min_value=0, **common)
    if kind == "bool":
        return forms.BooleanField(**{**common, "required": False})
    if kind == "date":
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == "datetime":
        return forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common)
    if kind == "choice":
        return forms.ChoiceField(choices=[("", "---------"), *param.choices], **common)
    if kind == "ref":
        model = apps.get_model(param.model)
        return forms.ModelChoiceField(queryset=model._default_manager.visible_to(user), **common)
    if kind == "file":
        return forms.FileField(**common)
    raise ValueError(f"unknown param kind {kind!r}")


def step_form(
    step: Step, *, data: Any = None, files: Any = None, user: Any = None, prefix: str = ""
) -> forms.Form:
    """A form with one field per declared input of `step` (region-scoped choices for records)."""
    form = forms.Form(data=data, files=files, prefix=prefix or None)
    for param in step.params:
        field = _field(param, user)
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs.setdefault("class", css)
        form.fields[param.name] = field
    return form
