"""Filters every app's API shares, and the one rule every query parameter follows: a parameter that
is sent holds a value of its documented type, or the request answers 400. Leave a parameter out not
to filter by it; `?has_problem=`, `?has_problem=null` or `?date_to=` are refused, not ignored (a
client that misspells a value would otherwise get the unfiltered list and believe it filtered).

- booleans: `true`/`false` (also `1`/`0`, any case), nothing else;
- dates, numbers, ids and choices: present means not empty, and valid;
- number filters on integer columns take integers only (the schema says integer).
"""

from __future__ import annotations

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.utils import get_model_field
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema_field

from relief.scoping import ScopedQuerySet

region_prefix_validator = RegexValidator(r"^\d{1,12}$", _("区划代码前缀应为 1 到 12 位数字"))


class RegionPrefixField(forms.CharField):
    """A region code prefix: text, but never empty when sent (StrictFilterForm)."""

    refuse_empty = True


@extend_schema_field({"type": "string", "pattern": r"^\d{1,12}$"})
class RegionPrefixFilter(filters.CharFilter):
    """`?region=5101` → records whose region code starts with 5101 (an index-backed prefix match).
    `path` is the model's path to its region foreign key ("region", "institution__region")."""

    field_class = RegionPrefixField

    def __init__(self, path: str = "region", **kwargs) -> None:
        kwargs.setdefault("label", _("区划代码前缀"))
        kwargs.setdefault("validators", [region_prefix_validator])
        self.path = path
        super().__init__(field_name=f"{path}__code", lookup_expr="startswith", **kwargs)

    def filter(self, qs, value):
        # a model whose records belong to several regions (a 督查 trip) says so in its in_region,
        # which its visible_to uses too: the filter and the permission agree
        if value and self.path == "region" and _own_in_region(qs):
            return qs.in_region(value)
        return super().filter(qs, value)


def _own_in_region(qs) -> bool:
    method = getattr(type(qs), "in_region", None)
    return method is not None and method is not ScopedQuerySet.in_region


class RelatedIdFilter(filters.Filter):
    """`?household=12`: the rows related to that id, among the rows the caller may see (the viewset's
    queryset is already `visible_to(user)`). A plain id, never a model choice: a choice field checks
    the id against the whole table, so an id outside the caller's region (200, empty) would differ
    from one that does not exist (400): an existence oracle. Here both give an empty list; only a
    malformed id (not a number, for numeric keys) is a 400, whatever exists."""

    def __init__(self, *args, target_pk: models.Field | None = None, **kwargs) -> None:
        numeric = target_pk is None or isinstance(target_pk, models.IntegerField)
        self.field_class = forms.IntegerField if numeric else forms.CharField
        super().__init__(*args, **kwargs)


BOOLEAN_VALUES = {"true": True, "false": False, "1": True, "0": False}


class StrictBooleanWidget(BooleanWidget):
    """Reads true/false/1/0 (any case) and hands anything else to the field to refuse
    (django-filter's widget turns an unknown value into "no filter")."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            return BOOLEAN_VALUES.get(value.strip().lower(), value)
        return value


class StrictBooleanField(forms.NullBooleanField):
    """None when the parameter is absent, True or False when it is a boolean, else invalid."""

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        raise ValidationError(_("应为 true 或 false（也可用 1 或 0）"), code="invalid")

    def validate(self, value) -> None:
        pass


class StrictFilterForm(forms.Form):
    """The form of every API FilterSet: a parameter sent empty is refused unless it is a text filter
    (a text filter's empty value is a string like any other; a region prefix is not free text)."""

    empty_allowed: frozenset[str] = frozenset()  # choice filters whose choices include ""

    def clean(self):
        cleaned = super().clean()
        for name, field in self.fields.items():
            if name in self.empty_allowed:
                continue
            raw = self.data.get(name)
            text = isinstance(field, forms.CharField) and not getattr(field, "refuse_empty", False)
            if isinstance(raw, str) and not raw.strip() and not text:
                self.add_error(name, _("参数不能为空：不按此条件筛选时请不要带这个参数"))
        return cleaned


def _strict(filter_: filters.Filter, model) -> filters.Filter:
    filter_ = copy.deepcopy(filter_)  # the page's FilterSet keeps its own, lenient filter
    if isinstance(filter_, filters.BooleanFilter):
        filter_.field_class = StrictBooleanField
        filter_.extra["widget"] = StrictBooleanWidget
    elif isinstance(filter_, filters.NumberFilter) and filter_.lookup_expr in INTEGER_LOOKUPS:
        field = get_model_field(model, filter_.field_name) if model and filter_.field_name else None
        if isinstance(field, models.IntegerField | models.AutoField):
            filter_.field_class = forms.IntegerField
    return filter_


INTEGER_LOOKUPS = {"exact", "gte", "lte", "gt", "lt"}


def _choice_values(filter_: filters.Filter, model) -> set:
    """The values a choice filter documents (its own choices, else its column's): "" among them is a
    value like any other (a follow-up of "none"), not an empty parameter."""
    if not isinstance(filter_, filters.ChoiceFilter | filters.MultipleChoiceFilter):
        return set()
    choices = filter_.extra.get("choices")
    if choices is None or callable(choices):
        field = get_model_field(model, filter_.field_name) if model and filter_.field_name else None
        choices = getattr(field, "choices", None) or []
    return {value for value, _label in choices}


class StrictParameters:
    """Mixed into an API FilterSet by `FilterBackend`: the module's rule for query parameters. Pages
    that share a FilterSet (institutions/filters.py) keep the lenient form, whose empty fields a
    browser sends with every search."""

    @classmethod
    def get_filters(cls):
        found = super().get_filters()
        for name, filter_ in found.items():
            found[name] = _strict(filter_, cls._meta.model)
        return found

    def get_form_class(self):
        empty_allowed = frozenset(
            name
            for name, filter_ in self.base_filters.items()
            if "" in _choice_values(filter_, self._meta.model)
        )
        return type(
            f"{type(self).__name__}Form",
            (StrictFilterForm, super().get_form_class()),
            {"empty_allowed": empty_allowed},
        )


_STRICT: dict[type, type] = {}


def strict_filterset(filterset_class: type[filters.FilterSet] | None) -> type[filters.FilterSet] | None:
    """`filterset_class` with StrictParameters (made once per class)."""
    if filterset_class is None or issubclass(filterset_class, StrictParameters):
        return filterset_class
    if filterset_class not in _STRICT:
        _STRICT[filterset_class] = type(
            filterset_class.__name__,
            (StrictParameters, filterset_class),
            {"__module__": filterset_class.__module__},
        )
    return _STRICT[filterset_class]


class ScopedFilterSet(filters.FilterSet):
    """Base of every API FilterSet: foreign keys listed in `Meta.fields` filter by plain id
    (RelatedIdFilter), so a foreign and a missing id answer alike."""

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        relation = getattr(field, "many_to_one", False) or (
            getattr(field, "one_to_one", False) and field.concrete
        )
        if relation and lookup_expr in (None, "exact"):
            return RelatedIdFilter(
                field_name=field_name, target_pk=field.target_field, label=field.verbose_name
            )
        return super().filter_for_field(field, field_name, lookup_expr)


class FilterBackend(filters.DjangoFilterBackend):
    """DjangoFilterBackend whose FilterSets are ScopedFilterSets with StrictParameters."""

    # Views with `filterset_fields` get a FilterSet made on each request from this base: strict
    # already, so strict_filterset returns it as it is (nothing cached per request).
    filterset_base = strict_filterset(ScopedFilterSet)

    def get_filterset_class(self, view, queryset=None):
        # Every API list follows the module's rule for query parameters, and so does its schema
        # (drf-spectacular asks this method for the FilterSet it documents).
        return strict_filterset(super().get_filterset_class(view, queryset))
