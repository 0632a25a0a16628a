"""API of reports: `/api/v1/reports/` (the 日报 and 周报 you may see: your region's and those of the
regions below; filter by region prefix, kind and period), `GET …/{id}/xlsx/` and `GET …/{id}/pdf/`
(the files), `POST …/{id}/submit/` (上报, by the region's own staff; a second call changes
nothing), and `GET …/status/?region=&kind=&date=` (each sub-region: reported, generated but not
submitted, or missing). A report outside your region answers 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.permissions import IsActiveUser
from relief.dashboard.selectors import region_for
from reports import selectors, services
from reports.models import Kind, Report, State
from reports.views import file_response


class ReportSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    figures = serializers.JSONField(
        read_only=True, help_text="The numbers the report shows, frozen when made"
    )
    xlsx_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "region",
            "region_name",
            "kind",
            "kind_display",
            "period",
            "state",
            "state_display",
            "generated_at",
            "submitted_at",
            "figures",
            "xlsx_url",
            "pdf_url",
        ]
        read_only_fields = fields

    def _url(self, obj: Report, fmt: str) -> str:
        request = self.context.get("request")
        path = f"/api/v1/reports/{obj.pk}/{fmt}/"
        return request.build_absolute_uri(path) if request else path

    def get_xlsx_url(self, obj: Report) -> str:
        return self._url(obj, "xlsx")

    def get_pdf_url(self, obj: Report) -> str:
        return self._url(obj, "pdf")


class ReportListSerializer(ReportSerializer):
    class Meta(ReportSerializer.Meta):
        fields = [f for f in ReportSerializer.Meta.fields if f != "figures"]
        read_only_fields = fields


class StatusRowSerializer(serializers.Serializer):
    region = serializers.CharField(source="code")
    name = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["submitted", "generated", "missing"],
        help_text="submitted 已上报 / generated 已生成未上报 / missing 未生成",
    )
    report = serializers.IntegerField(source="report.pk", allow_null=True, default=None)
    submitted_at = serializers.DateTimeField(allow_null=True)


class StatusSerializer(serializers.Serializer):
    region = serializers.CharField()
    kind = serializers.CharField()
    period = serializers.DateField()
    subregions = StatusRowSerializer(many=True)


class StatusQuerySerializer(serializers.Serializer):
    #: ASCII digits only, the whole value (a trailing newline or another script's digits are refused)
    region = serializers.RegexField(r"^[0-9]{2,12}\Z", required=False, trim_whitespace=False)
    kind = serializers.ChoiceField(choices=Kind.choices, default=Kind.DAILY)
    date = serializers.DateField(required=False)


class ReportFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Report
        fields = ["region", "kind", "period", "state"]


class ReportViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """日报 and 周报 of your region and the regions below it."""

    queryset = Report.objects.select_related("region")
    filterset_class = ReportFilter
    permission_classes = [IsActiveUser]

    def get_serializer_class(self):
        return ReportListSerializer if self.action == "list" else ReportSerializer

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY
        }
    )
    @action(detail=True, methods=["get"], url_path="xlsx")
    def xlsx(self, request, pk=None):
        """The report's Excel file."""
        return file_response(self.get_object(), "xlsx")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="pdf")
    def pdf(self, request, pk=None):
        """The report's PDF (A4, in Chinese, with the map and the trend charts)."""
        return file_response(self.get_object(), "pdf")

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"], url_path="submit")
    def submit(self, request, pk=None):
        """上报: send your region's report up to the level above. Only the region's own staff; a
        report already submitted stays as it was."""
        report = services.report_submit(actor=request.user, report=self.get_object())
        report = self.get_queryset().get(pk=report.pk)
        return Response(ReportSerializer(report, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "region",
                str,
                pattern=r"^[0-9]{2,12}$",
                description="The region whose sub-regions are listed (default: yours)",
            ),
            OpenApiParameter("kind", str, enum=Kind.values, description="daily (default) or weekly"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="The day (default: today)"),
        ],
        responses={200: StatusSerializer},
    )
    @action(detail=False, methods=["get"], url_path="status", filterset_class=None, pagination_class=None)
    def status(self, request):
        """Which sub-regions have sent up their report for a day (a weekly report: its week)."""
        # a plain dict: from a QueryDict DRF reads `?region=` as left out; here it is refused (400)
        query = StatusQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        region = region_for(request.user, query.validated_data.get("region"))
        kind = query.validated_data["kind"]
        day = query.validated_data.get("date") or timezone.localdate()
        rows = selectors.subregion_status(region, kind, day) if region is not None else []
        body = {
            "region": region.code if region else "",
            "kind": kind,
            "period": selectors.period_of(kind, day),
            "subregions": rows,
        }
        return Response(StatusSerializer(body).data)


def register(router) -> None:
    router.register("reports", ReportViewSet, basename="report")


__all__ = ["State", "register"]
