"""Edit conflicts: a form filled in on a page opened earlier (maybe offline, sent hours later from the
device's outbox) never silently overwrites what someone else changed meanwhile.

The edit form carries what it showed (`{{ edit_base }}`: the fields' values when it was drawn,
signed). On save, each field is merged three ways, base (what the form showed), theirs (what is
stored now) and mine (what was sent):

- theirs equals base: nobody else touched it, mine is saved;
- mine equals base: I did not touch it, theirs stays (not overwritten with the old value);
- both changed, to different values: a conflict. The page answers 409 with both values side by side
  and a choice per field (`resolve_<field>`: theirs or mine); sent again, the choices are applied.

A form sent without a base (an old page) is saved as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.core import signing
from django.utils.html import format_html

FIELD = "edit_base"
SALT = "relief.conflicts"
THEIRS, MINE = "theirs", "mine"


def _norm(field: forms.Field, value: Any) -> str:
    value = field.prepare_value(value)
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value).strip()


def _stored(form: forms.ModelForm) -> dict[str, str]:
    """The instance's values as stored now (a ModelForm's initial comes from its instance)."""
    return {name: _norm(field, form.initial.get(name)) for name, field in form.fields.items()}


def base_input(form: forms.ModelForm, request) -> str:
    """The hidden input to render in the form: the posted base when the form is drawn again (an
    error or a conflict), else what the form shows now."""
    token = request.POST.get(FIELD) if request.method == "POST" else None
    token = token or signing.dumps(_stored(form), salt=SALT, compress=True)
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, token)


@dataclass(frozen=True)
class Conflict:
    name: str
    label: str
    theirs: str
    mine: str
    choice: str = ""


def _display(field: forms.Field, value: str) -> str:
    choices = getattr(field, "choices", None)
    if choices is not None:
        for key, label in choices:
            if str(getattr(key, "value", key)) == value:
                return str(label)
    if isinstance(field, forms.BooleanField):
        return "✓" if value == "True" else "✗"
    return value


def merge(form: forms.ModelForm, request) -> list[Conflict]:
    """Three-way merge of a valid bound ModelForm (see above). Fields the user left alone take the
    stored value in form.cleaned_data; returns the conflicts left for the user to choose (none:
    save cleaned_data)."""
    try:
        base = signing.loads(request.POST.get(FIELD, ""), salt=SALT)
    except signing.BadSignature:
        return []
    stored = _stored(form)
    fresh = None  # the stored record, for a value to keep (a ModelForm's clean may change its instance)
    conflicts = []
    for name, field in form.fields.items():
        if name not in base or name not in form.cleaned_data:
            continue
        theirs, mine, was = stored[name], _norm(field, form.cleaned_data[name]), base[name]
        if theirs == was or mine == theirs:
            continue
        choice = request.POST.get(f"resolve_{name}", "")
        if mine == was or choice == THEIRS:
            fresh = fresh or type(form.instance)._default_manager.get(pk=form.instance.pk)
            form.cleaned_data[name] = getattr(fresh, name)
        elif choice != MINE:
            conflicts.append(
                Conflict(name, str(field.label), _display(field, theirs), _display(field, mine), choice)
            )
    return conflicts
