"""Serializer fields every app's API shares."""

from __future__ import annotations

from rest_framework import serializers


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key input limited to what the requesting user may see: a record outside their region
    answers "does not exist", the same as a missing one."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))


class RegionCodeField(serializers.PrimaryKeyRelatedField):
    """A region named by its code, on input. Region codes are public (GB/T 2260), so any existing
    code is accepted here and the service answers 403 for one outside the caller's scope (an
    unknown code is "does not exist")."""

    def __init__(self, **kwargs) -> None:
        from relief.models import Region

        kwargs.setdefault("queryset", Region.objects.all())  # lint: allow-unscoped (public codes)
        super().__init__(**kwargs)
