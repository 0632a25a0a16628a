"""/api/v1/assistances/: assistance category records (救助类别认定), scoped (out of region: 404), with
the steps of people/assistance_services.py: `end` (终止, with the reason), `correct` (更正: the
fields given changed, the reason kept in the history) and `replace` (更换: the record ends the day
before `on` and a new one starts on `on`, in one transaction). A category that cannot hold beside
another answers 400 with the record in the way named."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from people import assistance_services as services
from people.models import Assistance, Category, DibaoClass, MonitoringType, Person, TekunMode
from relief.api.fields import ScopedRelatedField
from relief.api.filters import ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin


class AssistanceRecordSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Assistance
        fields = [
            "id",
            "household",
            "person",
            "region",
            "category",
            "category_display",
            "label",
            "dibao_class",
            "tekun_mode",
            "monitoring_type",
            "start_date",
            "end_date",
            "end_reason",
            "monthly_amount",
            "payment_from",
            "note",
        ]
        read_only_fields = fields


class AssistanceEndSerializer(serializers.Serializer):
    end_date = serializers.DateField()
    reason = serializers.CharField(max_length=200)


class AssistanceCorrectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    person = ScopedRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    dibao_class = serializers.ChoiceField(choices=DibaoClass.choices, required=False, allow_blank=True)
    tekun_mode = serializers.ChoiceField(choices=TekunMode.choices, required=False, allow_blank=True)
    monitoring_type = serializers.ChoiceField(
        choices=MonitoringType.choices, required=False, allow_blank=True
    )
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)


class AssistanceReplaceSerializer(serializers.Serializer):
    on = serializers.DateField()
    reason = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    dibao_class = serializers.ChoiceField(choices=DibaoClass.choices, required=False, allow_blank=True)
    tekun_mode = serializers.ChoiceField(choices=TekunMode.choices, required=False, allow_blank=True)
    monitoring_type = serializers.ChoiceField(
        choices=MonitoringType.choices, required=False, allow_blank=True
    )


class AssistanceFilter(ScopedFilterSet):
    class Meta:
        model = Assistance
        fields = ["household", "person", "category"]


class AssistanceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Assistance.objects.all()
    serializer_class = AssistanceRecordSerializer
    filterset_class = AssistanceFilter
    ordering_fields = ["id", "start_date"]
    ordering = ["region_id", "id"]

    def _step(self, request, serializer_class, service, **extra) -> Response:
        record = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        result = service(actor=request.user, assistance=record, **extra, **data.validated_data)
        return Response(self.get_serializer(result).data)

    @extend_schema(request=AssistanceEndSerializer, responses=AssistanceRecordSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End the category on `end_date`, with the reason (退出, 死亡, 迁出…)."""
        return self._step(request, AssistanceEndSerializer, services.assistance_end)

    @extend_schema(request=AssistanceCorrectSerializer, responses=AssistanceRecordSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct a record entered wrongly: the fields given are changed, the reason kept in the history."""
        return self._step(request, AssistanceCorrectSerializer, services.assistance_correct)

    @extend_schema(request=AssistanceReplaceSerializer, responses=AssistanceRecordSerializer)
    @action(detail=True, methods=["post"])
    def replace(self, request, pk=None):
        """End the record the day before `on` and start the new category on `on` (answers the new one)."""
        return self._step(request, AssistanceReplaceSerializer, services.assistance_replace)
