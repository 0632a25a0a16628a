"""Cold-wave warning levels (寒潮预警) and whether a region patrolled as often as the level in force
requires."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from patrols import selectors, services
from patrols.api.common import RegionPrefixFilterSet, ServiceCreateMixin
from patrols.models import ColdWaveLevel, ColdWaveWarning
from relief.api.fields import RegionCodeField
from relief.api.mixins import ScopedViewSetMixin
from relief.models import Region
from relief.scoping import get_visible_or_404


class ColdWavePermission(BasePermission):
    """Reading: any logged-in user. Setting or lifting a level: county, city and province officials
    and administrators (see patrols.services.COLD_WAVE_ROLES)."""

    message = gettext_lazy("只有县级及以上民政官员可以发布寒潮预警")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return request.method in SAFE_METHODS or services.can_issue_cold_warning(user)


class ColdWaveWarningSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ColdWaveWarning
        fields = [
            "id",
            "region",
            "level",
            "level_display",
            "starts_at",
            "ends_at",
            "is_active",
            "note",
            "issued_by",
            "issued_at",
            "lifted_by",
        ]
        read_only_fields = fields


class ColdWaveWarningInputSerializer(serializers.Serializer):
    region = RegionCodeField()
    level = serializers.ChoiceField(choices=ColdWaveLevel.choices)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)


class FrequencySerializer(serializers.Serializer):
    region = serializers.CharField(source="region_code")
    day = serializers.DateField()
    level = serializers.IntegerField(allow_null=True)
    level_label = serializers.CharField()
    warning = serializers.IntegerField(source="warning.pk", allow_null=True, default=None)
    required_shifts = serializers.IntegerField()
    night_required = serializers.BooleanField()
    shifts = serializers.IntegerField()
    night_shifts = serializers.IntegerField()
    met = serializers.BooleanField()


class ColdWaveWarningFilter(RegionPrefixFilterSet):
    active = filters.BooleanFilter(method="filter_active", label=gettext_lazy("当前有效"))

    class Meta:
        model = ColdWaveWarning
        fields = ["region", "level"]

    def filter_active(self, queryset, name, value):
        active = queryset.active_at(timezone.now())
        return active if value else queryset.exclude(pk__in=active.values("pk"))


class ColdWaveWarningViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Cold-wave warning levels (寒潮预警). Warnings of enclosing regions are listed too: they apply."""

    queryset = ColdWaveWarning.objects.all()
    serializer_class = output_serializer_class = ColdWaveWarningSerializer
    input_serializer_class = ColdWaveWarningInputSerializer
    permission_classes = [ColdWavePermission]
    filterset_class = ColdWaveWarningFilter
    ordering_fields = ["starts_at", "level"]

    def create_with_service(self, data):
        return services.cold_warning_issue(actor=self.request.user, **data)

    @extend_schema(request=None, responses=ColdWaveWarningSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None):
        return self._respond(services.cold_warning_lift(actor=request.user, warning=self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description=gettext_lazy("区划代码（默认：本人管辖区划）")),
            OpenApiParameter(
                "date", OpenApiTypes.DATE, description=gettext_lazy("日期 YYYY-MM-DD（默认：今天）")
            ),
        ],
        responses=FrequencySerializer,
    )
    @action(detail=False, methods=["get"], url_path="in-force")
    def in_force(self, request):
        """The level in force for a region on a date and whether the region patrolled as often as
        it requires."""
        code = request.query_params.get("region") or request.user.scope_code
        if not code:
            raise ValidationError({"region": [_("请指定区划")]})
        region = get_visible_or_404(Region.objects.all(), request.user, code=code)
        day = request.query_params.get("date")
        try:
            day = datetime.date.fromisoformat(day) if day is not None else timezone.localdate()
        except ValueError:
            raise ValidationError({"date": [_("日期格式应为 YYYY-MM-DD")]}) from None
        return Response(FrequencySerializer(selectors.patrol_frequency(region.code, day)).data)
