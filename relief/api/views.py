from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from relief.alerts.workflows import alert_workflow
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.permissions import IsActiveUser
from relief.api.serializers import (
    AlertSerializer,
    EffectiveParameterSerializer,
    JobSerializer,
    MeSerializer,
    PolicyParameterSerializer,
    RegionSerializer,
    RevealRequestSerializer,
    RevealResponseSerializer,
)
from relief.api.workflow import workflow_actions
from relief.exports import EXPORT_KIND
from relief.jobs.services import job_start
from relief.jobs.workflows import job_workflow
from relief.models import Alert, Job, PolicyParameter, Region
from relief.policy import effective_parameters
from relief.scoping import get_visible_or_404


class MeView(GenericAPIView):
    serializer_class = MeSerializer

    def get(self, request):
        return Response(self.get_serializer(request.user).data)


class RevealView(GenericAPIView):
    """Reveal a masked ID or phone number of a record you can see. Every call is logged."""

    serializer_class = RevealRequestSerializer
    permission_classes = [IsActiveUser]

    @extend_schema(request=RevealRequestSerializer, responses=RevealResponseSerializer)
    def post(self, request):
        from relief.privacy import personal_data_reveal

        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        value = personal_data_reveal(
            actor=request.user,
            model_label=data.validated_data["model"],
            pk=data.validated_data["id"],
            field=data.validated_data["field"],
        )
        return Response({"value": value})


class RegionFilter(ScopedFilterSet):
    code = filters.CharFilter(field_name="code", lookup_expr="startswith", label=_("区划代码前缀"))
    name = filters.CharFilter(field_name="name", lookup_expr="contains", label=_("名称包含"))

    class Meta:
        model = Region
        fields = ["code", "level", "parent", "name"]


class RegionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    ordering_fields = ["code", "name"]

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], url_path="export", permission_classes=[IsActiveUser])
    def export(self, request):
        """Start an Excel export of the regions you can see; poll the returned job. Exports are
        reads: every role may export what it may see (as on the page, relief.views.region_export)."""
        job = job_start(actor=request.user, kind=EXPORT_KIND, title=_("导出行政区划"))
        return Response(
            JobSerializer(job, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


@workflow_actions(job_workflow)
class JobViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Background jobs you started (administrators: all). Their steps (retry) are the owner's,
    whatever the role, as on the job's page: the workflow decides, not the read-only rule of POST."""

    queryset = Job.objects.select_related("started_by")
    serializer_class = JobSerializer
    filterset_fields = ["state", "kind"]

    def get_permissions(self):
        if self.action in job_workflow.steps:
            return [IsActiveUser()]
        return super().get_permissions()


class PolicyParameterViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Policy parameter values that bear on your region (edited by administrators in the admin)."""

    queryset = PolicyParameter.objects.all()
    serializer_class = PolicyParameterSerializer
    filterset_fields = ["key", "region"]

    @extend_schema(
        parameters=[
            OpenApiParameter("region", str, description=_("区划代码（默认：本人管辖区划）")),
            OpenApiParameter("on", OpenApiTypes.DATE, description=_("日期 YYYY-MM-DD（默认：今天）")),
        ],
        responses=EffectiveParameterSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def effective(self, request):
        """The value of every parameter in force for a region on a date."""
        from rest_framework.exceptions import ValidationError

        code = request.query_params.get("region") or request.user.scope_code
        if code:
            region = get_visible_or_404(Region.objects.all(), request.user, code=code)
            code = region.code
        on = request.query_params.get("on")
        if on is not None:  # sent empty: refused like any date that is not one
            import datetime

            try:
                on = datetime.date.fromisoformat(on)
            except ValueError:
                raise ValidationError({"on": [_("日期格式应为 YYYY-MM-DD")]}) from None
        rows = effective_parameters(code, on)
        return Response(EffectiveParameterSerializer(rows, many=True).data)


class AlertFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Alert
        fields = ["kind", "status", "severity", "region"]


@workflow_actions(alert_workflow)
class AlertViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Alerts in your region; their steps (acknowledge, resolve) come from the alert workflow."""

    queryset = Alert.objects.all()
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "due_at", "severity"]
