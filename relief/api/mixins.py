"""The API side of region scoping: every viewset over region-scoped data uses ScopedViewSetMixin."""

from __future__ import annotations

from relief.scoping import require_in_scope


class ScopedViewSetMixin:
    """`get_queryset()` is narrowed by `visible_to(request.user)`: records outside the user's region
    are simply not found (404). A create or update that names a region outside the user's region is
    refused (403) before anything is written."""

    #: name of the serializer field that carries the record's region code on input
    region_input_field = "region"

    def get_queryset(self):
        qs = super().get_queryset()
        if not hasattr(qs, "visible_to"):
            raise TypeError(f"{qs.model.__name__} is not region-scoped")
        return qs.visible_to(self.request.user)

    def _check_region(self, serializer) -> None:
        region = serializer.validated_data.get(self.region_input_field)
        if region is not None or self.region_input_field in serializer.validated_data:
            require_in_scope(self.request.user, getattr(region, "code", region))

    def perform_create(self, serializer):
        self._check_region(serializer)
        super().perform_create(serializer)

    def perform_update(self, serializer):
        self._check_region(serializer)
        super().perform_update(serializer)
