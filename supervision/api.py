"""API of 督查: `/api/v1/supervision-trips/` (the trips, with the regions they visit and the state
of their findings; created by the supervising side; `start`, `issue`, `close`) and
`/api/v1/supervision-findings/` (what the trips found, filterable by trip, region, area and state;
recorded by the supervising side; `answer` by the region visited, `accept` and `return` by the
supervisor). Both are seen by the supervising body's region and by the region visited, never by a
neighbour. City and province officials write here (supervision is their work): who may take each
step is the workflows' rule (supervision/workflows.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from institutions.models import Hazard, Institution
from people.models import Household
from relief.api.fields import RegionCodeField, ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.permissions import IsActiveUser
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text
from supervision import services
from supervision.models import Area, Finding, Severity, SupervisionTrip, TripState
from supervision.workflows import finding_workflow, trip_workflow

TEXT_MASKS = {
    "text": mask_numbers_in_text,
    "requirement": mask_numbers_in_text,
    "answer": mask_numbers_in_text,
}


class FindingCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    open = serializers.IntegerField(help_text="待整改: waiting for the region's answer")
    answered = serializers.IntegerField(help_text="待验收: answered, waiting for the supervisor")
    closed = serializers.IntegerField(help_text="已销号 or closed with the trip")


EMPTY_COUNTS = {"total": 0, "open": 0, "answered": 0, "closed": 0}


def _counts(user, trip_ids: list[int]) -> dict:
    return Finding.objects.visible_to(user).filter(trip__in=trip_ids).counts_by_trip()


class TripSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    regions = serializers.SerializerMethodField()
    findings = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(trip_workflow)

    class Meta:
        model = SupervisionTrip
        fields = [
            "id",
            "region",
            "title",
            "leader",
            "members",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "regions",
            "state",
            "state_display",
            "closing_note",
            "created_at",
            "closed_at",
            "findings",
            "available_actions",
        ]
        read_only_fields = fields

    def get_regions(self, obj: SupervisionTrip) -> list[str]:
        """The codes of the regions visited."""
        return [v.region_id for v in obj.visits.all()]

    @extend_schema_field(FindingCountsSerializer)
    def get_findings(self, obj: SupervisionTrip) -> dict:
        counts = self.context.get("counts")
        if counts is None:  # one trip answered by a step: counted alone
            request = self.context.get("request")
            counts = _counts(getattr(request, "user", None), [obj.pk])
        return counts.get(obj.pk) or EMPTY_COUNTS


class TripCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    leader = serializers.CharField(max_length=60)
    members = serializers.CharField(required=False, allow_blank=True, default="")
    planned_start = serializers.DateField()
    planned_end = serializers.DateField()
    regions = serializers.ListField(
        child=RegionCodeField(), min_length=1, help_text="Codes of the regions visited"
    )
    region = RegionCodeField(required=False, allow_null=True, default=None, help_text="Administrators only")


class TripFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = SupervisionTrip
        fields = ["state", "region"]


@workflow_actions(trip_workflow)
class TripViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """督查 trips you may see (your body's, or visiting your region)."""

    queryset = SupervisionTrip.objects.prefetch_related("visits")
    serializer_class = TripSerializer
    filterset_class = TripFilter
    permission_classes = [IsActiveUser]

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["counts"] = getattr(self, "_counts", None)
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._counts = _counts(self.request.user, [t.pk for t in rows])
        return page

    def retrieve(self, request, *args, **kwargs):
        trip = self.get_object()
        self._counts = _counts(request.user, [trip.pk])
        return Response(self.get_serializer(trip).data)

    @extend_schema(request=TripCreateSerializer, responses={201: TripSerializer})
    def create(self, request, *args, **kwargs):
        """A trip of your body (county, city or province; administrators name `region`) to regions
        below it."""
        data = TripCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trip = services.trip_create(actor=request.user, **data.validated_data)
        trip = self.get_queryset().get(pk=trip.pk)
        self._counts = {}
        return Response(self.get_serializer(trip).data, status=status.HTTP_201_CREATED)


class FindingSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = TEXT_MASKS

    area_display = serializers.CharField(source="get_area_display", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    photo_url = serializers.SerializerMethodField()
    evidence_url = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(finding_workflow)

    class Meta:
        model = Finding
        fields = [
            "id",
            "trip",
            "region",
            "area",
            "area_display",
            "severity",
            "severity_display",
            "text",
            "requirement",
            "household",
            "institution",
            "hazard",
            "figure_name",
            "figure_value",
            "photo_url",
            "working_days",
            "due_at",
            "overdue",
            "state",
            "state_display",
            "answer",
            "evidence_url",
            "answered_at",
            "returned_count",
            "issued_at",
            "closed_at",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_photo_url(self, obj: Finding) -> str | None:
        from relief.uploads import download_url

        return download_url(obj, "photo")

    def get_evidence_url(self, obj: Finding) -> str | None:
        from relief.uploads import download_url

        return download_url(obj, "evidence")


class FindingCreateSerializer(serializers.Serializer):
    trip = ScopedRelatedField(queryset=SupervisionTrip.objects.all())
    region = RegionCodeField(help_text="A region the trip visits (or inside one)")
    area = serializers.ChoiceField(choices=Area.choices)
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.GENERAL)
    text = serializers.CharField(max_length=4000)
    requirement = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    working_days = serializers.IntegerField(
        min_value=1, max_value=60, required=False, allow_null=True, default=None
    )
    household = ScopedRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True, default=None
    )
    institution = ScopedRelatedField(
        queryset=Institution.objects.all(), required=False, allow_null=True, default=None
    )
    hazard = ScopedRelatedField(queryset=Hazard.objects.all(), required=False, allow_null=True, default=None)
    figure_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    figure_value = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class FindingFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Finding
        fields = ["trip", "state", "area", "severity", "region"]


@workflow_actions(finding_workflow)
class FindingViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """What the trips found, in your region or given by your body; `answer` (the region visited),
    `accept` and `return` (the supervisor)."""

    queryset = Finding.objects.all()
    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    permission_classes = [IsActiveUser]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=FindingCreateSerializer, responses={201: FindingSerializer})
    def create(self, request, *args, **kwargs):
        """Record a finding of a trip that has started (the supervising side). Once the trip has
        issued its findings, it goes to its region at once."""
        data = FindingCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        finding = services.finding_add(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(finding).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("supervision-trips", TripViewSet, basename="supervisiontrip")
    router.register("supervision-findings", FindingViewSet, basename="supervisionfinding")


__all__ = ["TripState", "register"]
