"""Serializer fields every app's API shares.

A region input refuses a retired region (`Region.retired_on`) unless the record being edited is
already there: records keep their retired village, new ones never get it (the same rule as the
pickers of the pages, `RegionQuerySet.current()`).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class RefuseRetiredRegion:
    """For fields whose value may be a `Region`: a retired one only where the record already is."""

    default_error_messages = {"retired": _("该区划已撤销，不能用于新的记录，请选择现行区划")}

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)  # type: ignore[misc]
        meta = getattr(value, "_meta", None)
        if meta is not None and meta.label == "relief.Region" and value.retired_on is not None:
            instance = getattr(self.parent, "instance", None)  # type: ignore[attr-defined]
            source = self.source.removesuffix("_id")  # type: ignore[attr-defined]
            if getattr(instance, f"{source}_id", None) != value.pk:
                self.fail("retired")  # type: ignore[attr-defined]
        return value


class ScopedRelatedField(RefuseRetiredRegion, serializers.PrimaryKeyRelatedField):
    """A foreign key input limited to what the requesting user may see: a record outside their region
    answers "does not exist", the same as a missing one."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))


class RegionCodeField(RefuseRetiredRegion, serializers.PrimaryKeyRelatedField):
    """A region named by its code, on input. Region codes are public (GB/T 2260), so any existing
    code is accepted here and the service answers 403 for one outside the caller's scope (an
    unknown code is "does not exist")."""

    def __init__(self, **kwargs) -> None:
        from relief.models import Region

        kwargs.setdefault("queryset", Region.objects.all())  # lint: allow-unscoped (public codes)
        super().__init__(**kwargs)


class RegionSlugField(RefuseRetiredRegion, serializers.SlugRelatedField):
    """A region named by its code through `slug_field="code"`, refusing a retired one for new records."""
