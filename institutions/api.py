"""REST API: /api/v1/institutions/, /api/v1/inspections/, /api/v1/hazards/.

Region scoping comes from ScopedViewSetMixin (out of region: 404); writes need a writer role (403).
Every write calls one service; each hazard workflow step is its own @action, generated from the
declaration (institutions/workflows.py), and every hazard shows its `available_actions`."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from institutions import services
from institutions.filters import HazardFilter, InspectionFilter, InstitutionFilter
from institutions.models import (
    ChecklistTemplate,
    Hazard,
    HazardSeverity,
    HazardTransition,
    Inspection,
    InspectionResult,
    Institution,
    MajorHazardCriterion,
    ResultChoice,
)
from institutions.workflows import hazard_workflow
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, step_serializer, workflow_actions
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text, mask_phone
from relief.uploads import download_url

# --- Serializers ---------------------------------------------------------------------------------


class InstitutionSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"contact_phone": mask_phone, "emergency_contacts": mask_numbers_in_text}
    type_display = serializers.CharField(source="get_type_display", read_only=True)
    heating_type_display = serializers.CharField(source="get_heating_type_display", read_only=True)
    region_name = serializers.CharField(source="region.full_name", read_only=True)

    class Meta:
        model = Institution
        fields = [
            "id",
            "name",
            "type",
            "type_display",
            "operator",
            "region",
            "region_name",
            "address",
            "capacity",
            "residents",
            "nursing_beds",
            "heating_type",
            "heating_type_display",
            "contact_name",
            "contact_phone",
            "emergency_contacts",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # Validation is the service's (full_clean), so the model's constraints answer in one place.
        validators = []


class InspectionResultSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"note": mask_numbers_in_text}
    item_text = serializers.CharField(source="item.text", read_only=True)
    section = serializers.CharField(source="item.section", read_only=True)
    section_display = serializers.CharField(source="item.get_section_display", read_only=True)
    result_display = serializers.CharField(source="get_result_display", read_only=True)
    hazard = serializers.SerializerMethodField()
    photo = serializers.SerializerMethodField()

    class Meta:
        model = InspectionResult
        fields = [
            "id",
            "item",
            "item_text",
            "section",
            "section_display",
            "result",
            "result_display",
            "note",
            "photo",
            "hazard",
        ]
        read_only_fields = fields

    def get_photo(self, obj: InspectionResult) -> str | None:
        return download_url(obj, "photo")

    def get_hazard(self, obj: InspectionResult) -> int | None:
        hazard = getattr(obj, "hazard", None)
        return hazard.pk if hazard else None


class InspectionSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"note": mask_numbers_in_text}
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    inspector_name = serializers.CharField(source="inspector.__str__", read_only=True)
    results = InspectionResultSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "institution",
            "institution_name",
            "template",
            "inspector",
            "inspector_name",
            "date",
            "note",
            "results",
            "created_at",
        ]
        read_only_fields = fields


class ResultInputSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    result = serializers.ChoiceField(choices=ResultChoice.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")
    severity = serializers.ChoiceField(choices=HazardSeverity.choices, required=False, allow_null=True)


class InspectionCreateSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.none())
    template = serializers.PrimaryKeyRelatedField(queryset=ChecklistTemplate.objects.filter(is_active=True))
    date = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    results = ResultInputSerializer(many=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only institutions the caller can see: another region's id is simply "not found".
            self.fields["institution"].queryset = Institution.objects.visible_to(request.user)


class HazardSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"description": mask_numbers_in_text, "measures": mask_numbers_in_text}
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    region = serializers.CharField(source="institution.region_id", read_only=True)
    region_name = serializers.CharField(source="institution.region.full_name", read_only=True)
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    owner_name = serializers.SerializerMethodField()
    verified_by_name = serializers.SerializerMethodField()
    evidence = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(hazard_workflow)

    class Meta:
        model = Hazard
        fields = [
            "id",
            "institution",
            "institution_name",
            "region",
            "region_name",
            "inspection",
            "title",
            "description",
            "severity",
            "severity_display",
            "criteria",
            "state",
            "state_display",
            "found_on",
            "deadline",
            "is_overdue",
            "owner",
            "owner_name",
            "measures",
            "funds",
            "evidence",
            "extension_deadline",
            "extension_reason",
            "verified_by",
            "verified_by_name",
            "verified_at",
            "closed_by",
            "closed_at",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_evidence(self, obj: Hazard) -> str | None:
        return download_url(obj, "evidence")

    def get_owner_name(self, obj: Hazard) -> str | None:
        return str(obj.owner) if obj.owner_id else None

    def get_verified_by_name(self, obj: Hazard) -> str | None:
        return str(obj.verified_by) if obj.verified_by_id else None


class HazardCreateSerializer(serializers.Serializer):
    institution = serializers.PrimaryKeyRelatedField(queryset=Institution.objects.none())
    title = serializers.CharField(max_length=255)
    severity = serializers.ChoiceField(choices=HazardSeverity.choices)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    criteria = serializers.PrimaryKeyRelatedField(
        queryset=MajorHazardCriterion.objects.filter(is_active=True), many=True, required=False
    )
    found_on = serializers.DateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["institution"].queryset = Institution.objects.visible_to(request.user)


class HazardTransitionSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"comment": mask_numbers_in_text}
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = HazardTransition
        fields = [
            "id",
            "action",
            "action_display",
            "from_state",
            "to_state",
            "actor",
            "actor_name",
            "comment",
            "at",
        ]
        read_only_fields = fields

    def get_actor_name(self, obj: HazardTransition) -> str | None:
        return str(obj.actor) if obj.actor_id else None


# Two actions kept from before the steps were declared: one call that decides an extension either way
# (`approve`), and verification that may fail (`passed`). Each runs the step the flag names.
DecideExtensionInput = type(
    "HazardDecideExtensionInput",
    (step_serializer(hazard_workflow, hazard_workflow.step("approve_extension")),),
    {"approve": serializers.BooleanField()},
)
VerifyInput = type(
    "HazardVerifyInput",
    (step_serializer(hazard_workflow, hazard_workflow.step("verify")),),
    {"passed": serializers.BooleanField(default=True)},
)


# --- Viewsets ------------------------------------------------------------------------------------


class InstitutionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Institutions in your region. Create and update go through the registry services."""

    queryset = Institution.objects.select_related("region")
    serializer_class = InstitutionSerializer
    filterset_class = InstitutionFilter
    ordering_fields = ["name", "region", "capacity", "residents"]
    ordering = ["region", "name", "id"]

    def perform_create(self, serializer):
        self._check_region(serializer)
        serializer.instance = services.institution_create(
            actor=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer):
        self._check_region(serializer)
        serializer.instance = services.institution_update(
            actor=self.request.user, institution=serializer.instance, **serializer.validated_data
        )


class InspectionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Inspections with their result per checklist item. Creating one raises a hazard for every
    failed item in the same transaction (photos: upload through the page)."""

    queryset = Inspection.objects.select_related("institution", "inspector").prefetch_related(
        Prefetch("results", queryset=InspectionResult.objects.select_related("item", "hazard"))
    )
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    ordering_fields = ["date", "id"]
    ordering = ["-date", "-id"]

    def get_serializer_class(self):
        return InspectionCreateSerializer if self.action == "create" else InspectionSerializer

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer})
    def create(self, request, *args, **kwargs):
        serializer = InspectionCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        inspection = services.inspection_record(
            actor=request.user,
            institution=data["institution"],
            template=data["template"],
            date=data.get("date"),
            note=data["note"],
            results=[
                services.ResultInput(
                    item_id=r["item"], result=r["result"], note=r["note"], severity=r.get("severity")
                )
                for r in data["results"]
            ],
        )
        inspection = self.get_queryset().get(pk=inspection.pk)
        return Response(
            InspectionSerializer(inspection, context=self.get_serializer_context()).data, status=201
        )


@workflow_actions(hazard_workflow, response=HazardSerializer, exclude=("verify",))
class HazardViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The hazard ledger. Each step of the workflow (institutions/workflows.py) is an action: start,
    request-extension, approve-extension, refuse-extension (or decide-extension), rectify, verify
    (or reject), close."""

    queryset = Hazard.objects.for_ledger()
    serializer_class = HazardSerializer
    filterset_class = HazardFilter
    ordering_fields = ["deadline", "found_on", "severity", "state", "id"]
    ordering = ["deadline", "id"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self):
        return {
            "create": HazardCreateSerializer,
            "decide_extension": DecideExtensionInput,
            "verify": VerifyInput,
            "transitions": HazardTransitionSerializer,
        }.get(self.action, HazardSerializer)

    def _input(self, request) -> dict:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _done(self, hazard: Hazard, code: int = status.HTTP_200_OK) -> Response:
        hazard = self.get_queryset().get(pk=hazard.pk)
        return Response(HazardSerializer(hazard, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=HazardCreateSerializer, responses={201: HazardSerializer})
    def create(self, request, *args, **kwargs):
        d = self._input(request)
        hazard = services.hazard_raise(
            actor=request.user,
            institution=d["institution"],
            title=d["title"],
            severity=d["severity"],
            description=d["description"],
            criteria=d.get("criteria", []),
            found_on=d.get("found_on"),
        )
        return self._done(hazard, status.HTTP_201_CREATED)

    def _run_flagged(self, request, flag: str, if_true: str, if_false: str) -> Response:
        hazard = self.get_object()  # 404 before any input error
        data = self._input(request)
        step = if_true if data.pop(flag) else if_false
        return self._done(hazard_workflow.run(step, actor=request.user, obj=hazard, **data))

    @extend_schema(request=DecideExtensionInput, responses=HazardSerializer)
    @action(detail=True, methods=["post"], url_path="decide-extension")
    def decide_extension(self, request, pk=None):
        """Approve (`approve: true`) or refuse the requested extension."""
        return self._run_flagged(request, "approve", "approve_extension", "refuse_extension")

    @extend_schema(request=VerifyInput, responses=HazardSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        """Verification passed (`passed`, default true) or not (back to rectifying)."""
        return self._run_flagged(request, "passed", "verify", "reject")

    @extend_schema(request=None, responses=HazardTransitionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        hazard = self.get_object()
        rows = hazard.transitions.select_related("actor")
        return Response(HazardTransitionSerializer(rows, many=True).data)


def register(router) -> None:
    router.register("institutions", InstitutionViewSet, basename="institution")
    router.register("inspections", InspectionViewSet, basename="inspection")
    router.register("hazards", HazardViewSet, basename="hazard")
