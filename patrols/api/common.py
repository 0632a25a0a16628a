"""What the patrols API's viewsets share: creating through a service and the region filter
(personal numbers are masked by relief.privacy.MaskedFieldsMixin)."""

from __future__ import annotations

from rest_framework import serializers, status
from rest_framework.response import Response

from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.idempotency import api_once


class RegionPrefixFilterSet(ScopedFilterSet):
    region = RegionPrefixFilter()


class ServiceCreateMixin:
    """`create` validates with `input_serializer_class`, calls `create_with_service(data)` and answers
    with the output serializer."""

    input_serializer_class: type[serializers.Serializer]

    def get_serializer_class(self):
        if self.action == "create":
            return self.input_serializer_class
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        return api_once(request, lambda: self._create(request))  # honours Idempotency-Key

    def _create(self, request):
        serializer = self.input_serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        obj = self.create_with_service(dict(serializer.validated_data))
        return self._respond(obj, status.HTTP_201_CREATED)

    def _respond(self, obj, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=obj.pk)
        output = self.output_serializer_class(obj, context=self.get_serializer_context())
        return Response(output.data, status=code)

    def _input(self, serializer_class, request):
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
