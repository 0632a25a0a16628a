"""Filters every app's API shares."""

from __future__ import annotations

from django.core.validators import RegexValidator
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
