"""Rescue station cases (救助管理站个案). The steps are actions generated from the case workflow
(patrols/workflows.py); the detail shows each milestone's due date and state."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action

from patrols import selectors, services
from patrols.api.common import RegionPrefixFilterSet, ServiceCreateMixin
from patrols.models import Encounter, Sex, StationCase, StationCaseEvent
from patrols.workflows import MILESTONE_FIELDS, case_workflow
from relief.api.fields import RegionCodeField, ScopedRelatedField
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text


class MilestoneSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    due = serializers.DateTimeField()
    done_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()
    exact = serializers.BooleanField()


class StationCaseEventSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"comment": mask_numbers_in_text}

    class Meta:
        model = StationCaseEvent
        fields = ["action", "from_state", "to_state", "actor", "at", "comment"]


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
    "hospital_referred_at",
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
    "available_actions",
]


class StationCaseSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "id_number": mask_id_number,
        "description": mask_numbers_in_text,
        "health_screening": mask_numbers_in_text,
        "mental_screening": mask_numbers_in_text,
        "exit_note": mask_numbers_in_text,
    }
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    identity_status_display = serializers.CharField(source="get_identity_status_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    exit_type_display = serializers.CharField(source="get_exit_type_display", read_only=True)
    needs_hospital_first = serializers.BooleanField(read_only=True)
    available_actions = AvailableActionsField(case_workflow)

    class Meta:
        model = StationCase
        fields = STATION_CASE_FIELDS
        read_only_fields = fields


class StationCaseDetailSerializer(StationCaseSerializer):
    milestones = serializers.SerializerMethodField()
    events = StationCaseEventSerializer(many=True, read_only=True)
    encounters = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text=gettext_lazy("护送来站的街面救助记录")
    )

    class Meta(StationCaseSerializer.Meta):
        fields = [*STATION_CASE_FIELDS, "milestones", "events", "encounters"]
        read_only_fields = fields

    @extend_schema_field(MilestoneSerializer(many=True))
    def get_milestones(self, case: StationCase) -> list[dict]:
        return MilestoneSerializer(selectors.case_milestones(case), many=True).data


class StationCaseInputSerializer(serializers.Serializer):
    region = RegionCodeField()
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


class MilestoneInputSerializer(serializers.Serializer):
    """The one milestone action kept from before each milestone was its own step."""

    milestone = serializers.ChoiceField(choices=[(str(m), m.label) for m in MILESTONE_FIELDS])
    at = serializers.DateTimeField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class StationCaseFilter(RegionPrefixFilterSet):
    class Meta:
        model = StationCase
        fields = ["region", "status", "identity_status", "exit_type"]


@workflow_actions(case_workflow, response=StationCaseDetailSerializer)
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
        return qs if self.action == "list" else qs.prefetch_related("events", "encounters")

    def create_with_service(self, data):
        return services.station_case_intake(actor=self.request.user, **data)

    @extend_schema(request=MilestoneInputSerializer, responses=StationCaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def milestone(self, request, pk=None):
        """Record a milestone named by `milestone` (the same as its own action, e.g. search-notice/)."""
        obj = self.get_object()  # 404 before any input error
        data = self._input(MilestoneInputSerializer, request)
        step = data.pop("milestone")
        return self._respond(case_workflow.run(step, actor=request.user, obj=obj, **data))
