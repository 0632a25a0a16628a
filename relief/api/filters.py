"""Filters every app's API shares."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

region_prefix_validator = RegexValidator(r"^\d{1,12}$", _("区划代码前缀应为 1 到 12 位数字"))


class RegionPrefixFilter(filters.CharFilter):
    """`?region=5101` → records whose region code starts with 5101 (an index-backed prefix match).
    `path` is the model's path to its region foreign key ("region", "institution__region")."""

    def __init__(self, path: str = "region", **kwargs) -> None:
        kwargs.setdefault("label", _("区划代码前缀"))
        kwargs.setdefault("validators", [region_prefix_validator])
        super().__init__(field_name=f"{path}__code", lookup_expr="startswith", **kwargs)


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
    """DjangoFilterBackend whose FilterSets built from `filterset_fields` are ScopedFilterSets."""

    filterset_base = ScopedFilterSet
