"""REST API of the patrols app: /api/v1/patrols/, /encounters/, /clues/, /station-cases/,
/cold-alerts/ (and /patrol-teams/, read only). Creates and workflow actions call one service each;
records outside the caller's region answer 404."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from funds.models import Stock
from patrols import selectors, services
from patrols.models import (
    Clue,
    ClueEvent,
    ClueOutcome,
    ColdWaveLevel,
    ColdWaveWarning,
    Encounter,
    ExitType,
    JointPartner,
    PatrolShift,
    PatrolTeam,
    Sex,
    StationCase,
    StationCaseEvent,
)
from relief.api.filters import RegionPrefixFilter
from relief.api.mixins import ScopedViewSetMixin
from relief.models import Region, User
from relief.scoping import get_visible_or_404


def mask_id(value: str) -> str:
    return f"{value[:6]}********{value[-4:]}" if len(value) == 18 else ("*" * len(value))


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 11 else ("*" * len(value))


class MaskPersonalDataMixin:
    """City and province officials read figures, not ID and phone numbers."""

    masked_fields: dict = {}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not request.user.sees_personal_data:
            for name, masker in self.masked_fields.items():
                if data.get(name):
                    data[name] = masker(data[name])
        return data


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference to a region-scoped record: one outside the caller's region does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        qs = super().get_queryset()
        return qs.visible_to(request.user) if request is not None else qs.none()


class TeamMemberField(serializers.PrimaryKeyRelatedField):
    """A member of a patrol team the caller can see; anyone else does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return User.objects.none()
        teams = PatrolTeam.objects.visible_to(request.user)
        return User.objects.filter(patrol_teams__in=teams).distinct()


class RegionPrefixFilterSet(filters.FilterSet):
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


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


# --- Teams --------------------------------------------------------------------------------------


class PatrolTeamSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = PatrolTeam
        fields = ["id", "name", "region", "phone", "active", "members"]


class PatrolTeamFilter(RegionPrefixFilterSet):
    class Meta:
        model = PatrolTeam
        fields = ["region", "active"]


class PatrolTeamViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PatrolTeam.objects.prefetch_related(Prefetch("members", queryset=User.objects.only("id")))
    serializer_class = PatrolTeamSerializer
    filterset_class = PatrolTeamFilter


# --- Shifts -------------------------------------------------------------------------------------


class PatrolShiftSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    weather_display = serializers.CharField(source="get_weather_display", read_only=True)
    joint_partners_display = serializers.CharField(source="get_joint_partners_display", read_only=True)
    members_present = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    encounter_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PatrolShift
        fields = [
            "id",
            "team",
            "team_name",
            "region",
            "area",
            "started_at",
            "ended_at",
            "is_night",
            "joint_partners",
            "joint_partners_display",
            "temperature_c",
            "weather",
            "weather_display",
            "members_present",
            "note",
            "encounter_count",
            "created_at",
        ]
        read_only_fields = fields


class PatrolShiftInputSerializer(serializers.Serializer):
    team = ScopedRelatedField(queryset=PatrolTeam.objects.all(), label=gettext_lazy("巡查队"))
    area = serializers.CharField(max_length=255, label=gettext_lazy("巡查区域/路线"))
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    night = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("留空则按开始时间判断（20:00–6:00）"),
    )
    members_present = TeamMemberField(queryset=User.objects.none(), many=True, required=False)
    joint_partners = serializers.MultipleChoiceField(choices=JointPartner.choices, required=False)
    temperature_c = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)
    weather = serializers.ChoiceField(choices=PatrolShift._meta.get_field("weather").choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class EndShiftSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField(required=False)


class PatrolShiftFilter(RegionPrefixFilterSet):
    started_after = filters.DateFilter(field_name="started_at", lookup_expr="date__gte")
    started_before = filters.DateFilter(field_name="started_at", lookup_expr="date__lte")

    class Meta:
        model = PatrolShift
        fields = ["region", "team", "is_night"]


class PatrolShiftViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Patrol shifts (巡查班次)."""

    queryset = (
        PatrolShift.objects.select_related("team")
        .prefetch_related(Prefetch("members_present", queryset=User.objects.only("id")))
        .annotate(encounter_count=Count("encounters"))
        .order_by("-started_at", "-pk")
    )
    serializer_class = output_serializer_class = PatrolShiftSerializer
    input_serializer_class = PatrolShiftInputSerializer
    filterset_class = PatrolShiftFilter
    ordering_fields = ["started_at"]

    def create_with_service(self, data):
        return services.shift_start(actor=self.request.user, **data)

    @extend_schema(request=EndShiftSerializer, responses=PatrolShiftSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(EndShiftSerializer, request)
        shift = services.shift_end(actor=request.user, shift=obj, **data)
        return self._respond(shift)


# --- Encounters ---------------------------------------------------------------------------------


class StockMaterialSerializer(serializers.Serializer):
    """One distribution from stock to an encounter (from the `stock_materials` annotation)."""

    movement = serializers.IntegerField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    item = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    warehouse = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)


class EncounterSerializer(MaskPersonalDataMixin, serializers.ModelSerializer):
    masked_fields = {"id_number": mask_id}
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    conditions = serializers.ListField(source="condition_labels", read_only=True)
    actions = serializers.ListField(source="action_labels", read_only=True)
    needs_hospital_first = serializers.BooleanField(read_only=True)
    materials = StockMaterialSerializer(source="stock_materials", many=True, read_only=True)

    class Meta:
        model = Encounter
        fields = [
            "id",
            "shift",
            "region",
            "occurred_at",
            "place",
            "latitude",
            "longitude",
            "person_name",
            "id_number",
            "description",
            "sex",
            "sex_display",
            "approx_age",
            *Encounter.CONDITION_FIELDS,
            "conditions",
            "needs_hospital_first",
            *Encounter.ACTION_FIELDS,
            "actions",
            "refusal_reason",
            "refusal_signed",
            "materials_given",
            "materials",
            "follow_up",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields


class MaterialInputSerializer(serializers.Serializer):
    stock = ScopedRelatedField(queryset=Stock.objects.all(), label=gettext_lazy("库存"))
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=gettext_lazy("数量")
    )


class EncounterInputSerializer(serializers.Serializer):
    shift = ScopedRelatedField(queryset=PatrolShift.objects.all(), label=gettext_lazy("巡查班次"))
    place = serializers.CharField(max_length=255)
    occurred_at = serializers.DateTimeField(required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    person_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=24)
    description = serializers.CharField(required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    approx_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    conditions = serializers.MultipleChoiceField(
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.CONDITION_FIELDS],
        required=False,
    )
    actions = serializers.MultipleChoiceField(
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.ACTION_FIELDS],
        required=False,
    )
    refusal_reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    refusal_signed = serializers.BooleanField(required=False)
    materials_given = serializers.CharField(required=False, allow_blank=True, max_length=255)
    materials = MaterialInputSerializer(
        many=True,
        required=False,
        max_length=services.MAX_ENCOUNTER_MATERIALS,
        help_text=gettext_lazy("从本县（区）仓库库存发放的物资"),
    )
    follow_up = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        shift = attrs["shift"]
        for row in attrs.get("materials", []):
            if not row["stock"].region_id.startswith(shift.region_id[:6]):
                raise ValidationError({"materials": [_("只能发放本县（区）仓库的库存物资")]})
        return attrs


class EncounterFilter(RegionPrefixFilterSet):
    class Meta:
        model = Encounter
        fields = ["region", "shift", "refused_help", "escorted_to_station", "minor"]


class EncounterViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People met on the street during patrols (街面救助记录)."""

    queryset = selectors.with_stock_materials(Encounter.objects.all())
    serializer_class = output_serializer_class = EncounterSerializer
    input_serializer_class = EncounterInputSerializer
    filterset_class = EncounterFilter
    ordering_fields = ["occurred_at"]

    def create_with_service(self, data):
        return services.encounter_record(actor=self.request.user, **data)


# --- Clues --------------------------------------------------------------------------------------


class ClueEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClueEvent
        fields = ["from_status", "to_status", "actor", "at", "comment"]


class ClueSerializer(MaskPersonalDataMixin, serializers.ModelSerializer):
    masked_fields = {"reporter_phone": mask_phone}
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    response_met = serializers.BooleanField(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Clue
        fields = [
            "id",
            "region",
            "channel",
            "channel_display",
            "reporter_name",
            "reporter_phone",
            "place",
            "latitude",
            "longitude",
            "description",
            "reported_at",
            "due_at",
            "status",
            "status_display",
            "team",
            "team_name",
            "dispatched_at",
            "responded_at",
            "response_minutes",
            "response_met",
            "is_overdue",
            "encounter",
            "outcome",
            "outcome_display",
            "outcome_note",
            "closed_at",
            "created_at",
        ]
        read_only_fields = fields


class ClueDetailSerializer(ClueSerializer):
    events = ClueEventSerializer(many=True, read_only=True)

    class Meta(ClueSerializer.Meta):
        fields = [*ClueSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ClueInputSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all(), label=gettext_lazy("区划"))
    channel = serializers.ChoiceField(choices=Clue._meta.get_field("channel").choices)
    place = serializers.CharField(max_length=255)
    reported_at = serializers.DateTimeField(required=False)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    description = serializers.CharField(required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)


class ClueDispatchSerializer(CommentSerializer):
    team = ScopedRelatedField(queryset=PatrolTeam.objects.all(), label=gettext_lazy("巡查队"))


class ClueRespondSerializer(CommentSerializer):
    responded_at = serializers.DateTimeField(required=False)


class ClueCloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ClueOutcome.choices)
    outcome_note = serializers.CharField(required=False, allow_blank=True, default="")
    encounter = ScopedRelatedField(queryset=Encounter.objects.all(), required=False, allow_null=True)


class ClueFilter(RegionPrefixFilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("超时未响应"))

    class Meta:
        model = Clue
        fields = ["region", "status", "channel", "team", "outcome"]

    def filter_overdue(self, queryset, name, value):
        lookup = {"responded_at__isnull": True, "due_at__lt": timezone.now()}
        return queryset.filter(**lookup).exclude(status="closed") if value else queryset.exclude(**lookup)


class ClueViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Clues from the public (救助线索): report → dispatch → respond → close."""

    queryset = Clue.objects.select_related("team")
    serializer_class = output_serializer_class = ClueSerializer
    input_serializer_class = ClueInputSerializer
    filterset_class = ClueFilter
    ordering_fields = ["reported_at", "due_at", "response_minutes"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ClueDetailSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.prefetch_related("events") if self.action == "retrieve" else qs

    def create_with_service(self, data):
        return services.clue_report(actor=self.request.user, **data)

    # `dispatch` is a method of every Django view, hence the method's name; served at .../dispatch/.
    @extend_schema(request=ClueDispatchSerializer, responses=ClueSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch", url_name="dispatch")
    def dispatch_to_team(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(ClueDispatchSerializer, request)
        return self._respond(services.clue_dispatch(actor=request.user, clue=obj, **data))

    @extend_schema(request=ClueRespondSerializer, responses=ClueSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(ClueRespondSerializer, request)
        return self._respond(services.clue_respond(actor=request.user, clue=obj, **data))

    @extend_schema(request=ClueCloseSerializer, responses=ClueSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(ClueCloseSerializer, request)
        return self._respond(services.clue_close(actor=request.user, clue=obj, **data))


# --- Station cases ------------------------------------------------------------------------------


class MilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    due = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()
    exact = serializers.BooleanField()


class StationCaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = StationCaseEvent
        fields = ["action", "from_status", "to_status", "actor", "at", "comment"]


STATION_CASE_FIELDS = [
    "id",
    "region",
    "station_name",
    "encounter",
    "intake_at",
    "person_name",
    "id_number",
    "description",
    "sex",
    "sex_display",
    "approx_age",
    "identity_status",
    "identity_status_display",
    "health_screening",
    "mental_screening",
    "injured",
    "critically_ill",
    "suspected_mental_disorder",
    "intellectual_disability",
    "needs_hospital_first",
    "status",
    "status_display",
    "search_notice_at",
    "dna_sampled_at",
    "records_updated_at",
    "settlement_started_at",
    "exit_type",
    "exit_type_display",
    "exited_at",
    "signed_statement",
    "exit_note",
    "settled_at",
    "settlement_institution",
    "created_at",
]


class StationCaseSerializer(MaskPersonalDataMixin, serializers.ModelSerializer):
    masked_fields = {"id_number": mask_id}
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    identity_status_display = serializers.CharField(source="get_identity_status_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    exit_type_display = serializers.CharField(source="get_exit_type_display", read_only=True)
    needs_hospital_first = serializers.BooleanField(read_only=True)

    class Meta:
        model = StationCase
        fields = STATION_CASE_FIELDS
        read_only_fields = fields


class StationCaseDetailSerializer(StationCaseSerializer):
    milestones = serializers.SerializerMethodField()
    events = StationCaseEventSerializer(many=True, read_only=True)

    class Meta(StationCaseSerializer.Meta):
        fields = [*STATION_CASE_FIELDS, "milestones", "events"]
        read_only_fields = fields

    @extend_schema_field(MilestoneSerializer(many=True))
    def get_milestones(self, case: StationCase) -> list[dict]:
        return MilestoneSerializer(selectors.case_milestones(case), many=True).data


class StationCaseInputSerializer(serializers.Serializer):
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
    station_name = serializers.CharField(max_length=100)
    intake_at = serializers.DateTimeField(required=False)
    person_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=24)
    description = serializers.CharField(required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    approx_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    health_screening = serializers.CharField(required=False, allow_blank=True)
    mental_screening = serializers.CharField(required=False, allow_blank=True)
    injured = serializers.BooleanField(required=False)
    critically_ill = serializers.BooleanField(required=False)
    suspected_mental_disorder = serializers.BooleanField(required=False)
    intellectual_disability = serializers.BooleanField(required=False)
    encounter = ScopedRelatedField(queryset=Encounter.objects.all(), required=False, allow_null=True)


class IdentifySerializer(CommentSerializer):
    person_name = serializers.CharField(max_length=64)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=24, default="")


class MilestoneInputSerializer(CommentSerializer):
    milestone = serializers.ChoiceField(choices=list(services.MILESTONE_FIELDS))
    at = serializers.DateTimeField(required=False)


class ExitSerializer(CommentSerializer):
    exit_type = serializers.ChoiceField(choices=ExitType.choices)
    signed_statement = serializers.BooleanField(required=False, default=False)
    exited_at = serializers.DateTimeField(required=False)


class SettleSerializer(CommentSerializer):
    institution = serializers.CharField(max_length=200)


class StationCaseFilter(RegionPrefixFilterSet):
    class Meta:
        model = StationCase
        fields = ["region", "status", "identity_status", "exit_type"]


class StationCaseViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Rescue station cases (救助管理站个案). The detail shows each milestone's due date and state."""

    queryset = StationCase.objects.all()
    serializer_class = StationCaseSerializer
    output_serializer_class = StationCaseDetailSerializer
    input_serializer_class = StationCaseInputSerializer
    filterset_class = StationCaseFilter
    ordering_fields = ["intake_at"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return StationCaseDetailSerializer
        return super().get_serializer_class()

    def get_queryset(self):
        qs = super().get_queryset()
        return qs if self.action == "list" else qs.prefetch_related("events")

    def create_with_service(self, data):
        return services.station_case_intake(actor=self.request.user, **data)

    def _simple(self, request, service):
        obj = self.get_object()  # 404 before any input error
        data = self._input(CommentSerializer, request)
        return self._respond(service(actor=request.user, case=obj, **data))

    @extend_schema(request=CommentSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def hospitalize(self, request, pk=None):
        return self._simple(request, services.station_case_hospitalize)

    @extend_schema(request=CommentSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def admit(self, request, pk=None):
        return self._simple(request, services.station_case_admit)

    @extend_schema(request=CommentSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="long-term")
    def long_term(self, request, pk=None):
        return self._simple(request, services.station_case_long_term)

    @extend_schema(request=IdentifySerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def identify(self, request, pk=None):
        data = self._input(IdentifySerializer, request)
        return self._respond(
            services.station_case_identify(actor=request.user, case=self.get_object(), **data)
        )

    @extend_schema(request=MilestoneInputSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def milestone(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(MilestoneInputSerializer, request)
        case = services.station_case_record_milestone(actor=request.user, case=obj, **data)
        return self._respond(case)

    @extend_schema(request=ExitSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"], url_path="exit")
    def exit_station(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(ExitSerializer, request)
        return self._respond(services.station_case_exit(actor=request.user, case=obj, **data))

    @extend_schema(request=SettleSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def settle(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(SettleSerializer, request)
        return self._respond(services.station_case_settle(actor=request.user, case=obj, **data))


# --- Cold-wave warnings -------------------------------------------------------------------------


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
    region = serializers.PrimaryKeyRelatedField(queryset=Region.objects.all())
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
            OpenApiParameter("date", str, description=gettext_lazy("日期 YYYY-MM-DD（默认：今天）")),
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
            day = datetime.date.fromisoformat(day) if day else timezone.localdate()
        except ValueError:
            raise ValidationError({"date": [_("日期格式应为 YYYY-MM-DD")]}) from None
        return Response(FrequencySerializer(selectors.patrol_frequency(region.code, day)).data)


def register(router) -> None:
    router.register("patrol-teams", PatrolTeamViewSet, basename="patrolteam")
    router.register("patrols", PatrolShiftViewSet, basename="patrolshift")
    router.register("encounters", EncounterViewSet, basename="encounter")
    router.register("clues", ClueViewSet, basename="clue")
    router.register("station-cases", StationCaseViewSet, basename="stationcase")
    router.register("cold-alerts", ColdWaveWarningViewSet, basename="coldwarning")
