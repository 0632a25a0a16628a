"""API of the roll call (寒潮点名), for the systems of other departments and for field apps:
`/api/v1/rollcalls/` (each county's roll call with its progress, counted over the entries the caller
may see) and `/api/v1/rollcall-entries/` (the people to reach, filterable by roll call, outcome and
region), with `POST …/{id}/answer/` recording a contact as the page's tap does (a visit by phone or
at home; needs help with the need and its follow-up; or not reached)."""

from __future__ import annotations

from django.db.models import Prefetch
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coldwaves import services
from coldwaves.models import Drill, EmergencyPlan, Outcome, PlanReserve, RollCall, RollCallEntry
from coldwaves.selectors import EMPTY, progress_by_roll_call
from people.choices import FollowUp, VisitChannel
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin


class ProgressSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="People to contact")
    reached = serializers.IntegerField()
    safe = serializers.IntegerField()
    needs_help = serializers.IntegerField()
    not_reached = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Not tried yet")
    overdue = serializers.IntegerField(help_text="Not reached and past the deadline")


class RollCallSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = RollCall
        fields = [
            "id",
            "warning",
            "region",
            "level",
            "level_display",
            "opened_at",
            "due_at",
            "closed_at",
            "people",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj: RollCall) -> dict:
        counts = self.context.get("progress", {}).get(obj.pk)
        return {k: v for k, v in {**EMPTY, "reached": 0, **(counts or {})}.items() if k != "percent"}


class RollCallFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = RollCall
        fields = ["warning", "level", "region"]


class RollCallViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RollCall.objects.all()
    serializer_class = RollCallSerializer
    filterset_class = RollCallFilter

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["progress"] = getattr(self, "_progress", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._progress = progress_by_roll_call(
            RollCallEntry.objects.visible_to(self.request.user).filter(roll_call__in=[r.pk for r in rows])
        )
        return page

    def retrieve(self, request, *args, **kwargs):
        roll_call = self.get_object()
        self._progress = progress_by_roll_call(
            RollCallEntry.objects.visible_to(request.user).filter(roll_call=roll_call)
        )
        return Response(self.get_serializer(roll_call).data)


class RollCallEntrySerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    address = serializers.CharField(source="household.address", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = RollCallEntry
        fields = [
            "id",
            "roll_call",
            "region",
            "household",
            "person",
            "person_name",
            "address",
            "reasons",
            "due_at",
            "outcome",
            "outcome_display",
            "attempts",
            "answered_at",
            "visit",
            "note",
        ]
        read_only_fields = fields


class RollCallEntryFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = RollCallEntry
        fields = ["roll_call", "outcome", "household", "person", "region"]


class AnswerSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in Outcome.choices if c[0] != Outcome.PENDING])
    channel = serializers.ChoiceField(choices=VisitChannel.choices, default=VisitChannel.PHONE)
    needs = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    follow_up = serializers.ChoiceField(choices=FollowUp.choices, required=False, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class RollCallEntryViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = RollCallEntry.objects.select_related("person", "household")
    serializer_class = RollCallEntrySerializer
    filterset_class = RollCallEntryFilter

    @extend_schema(request=AnswerSerializer, responses=RollCallEntrySerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Record a contact: safe or needs help (a visit by phone or at home; a need with its
        follow-up becomes a task), or not reached. A second answer to a reached person changes
        nothing and returns the first."""
        entry = self.get_object()
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.rollcall_answer(actor=request.user, entry=entry, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)


# --- Emergency plans (应急预案) --------------------------------------------------------------------


class PlanReserveSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)
    held = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Stock in the county's warehouses"
    )
    shortfall = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True, help_text="Required minus held, never below 0"
    )

    class Meta:
        model = PlanReserve
        fields = ["item", "item_code", "item_name", "unit", "required", "held", "shortfall"]
        read_only_fields = fields


class DrillSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Drill
        fields = [
            "id",
            "region",
            "held_on",
            "kind",
            "kind_display",
            "participants",
            "participant_note",
            "findings",
            "follow_up",
            "created_at",
        ]
        read_only_fields = fields


class EmergencyPlanSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()
    document_url = serializers.SerializerMethodField()
    reserves = PlanReserveSerializer(many=True, read_only=True)
    shortfall_items = serializers.SerializerMethodField()
    drills = DrillSerializer(many=True, read_only=True)

    class Meta:
        model = EmergencyPlan
        fields = [
            "id",
            "region",
            "title",
            "approved_on",
            "valid_until",
            "current",
            "in_force",
            "superseded_at",
            "superseded_by",
            "document_url",
            "note",
            "created_at",
            "reserves",
            "shortfall_items",
            "drills",
        ]
        read_only_fields = fields

    def get_current(self, obj: EmergencyPlan) -> bool:
        return obj.superseded_at is None

    def get_in_force(self, obj: EmergencyPlan) -> bool:
        return obj.in_force_on()

    def get_document_url(self, obj: EmergencyPlan) -> str | None:
        """The scoped, logged download of the plan's document."""
        from relief.uploads import download_url

        return download_url(obj, "document")

    def get_shortfall_items(self, obj: EmergencyPlan) -> int:
        """How many reserve lines are not fully held in the county."""
        return sum(1 for r in obj.reserves.all() if r.shortfall > 0)


class EmergencyPlanFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    current = filters.BooleanFilter(field_name="superseded_at", lookup_expr="isnull", label="Not superseded")

    class Meta:
        model = EmergencyPlan
        fields = ["region", "current"]


class EmergencyPlanViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A county's emergency plans (one current, the superseded ones kept), each with its reserve
    list checked against the stock of the county's warehouses and the drills held on it (those the
    caller may see)."""

    queryset = EmergencyPlan.objects.order_by("region_id", "-approved_on", "-id")
    serializer_class = EmergencyPlanSerializer
    filterset_class = EmergencyPlanFilter

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .prefetch_related(
                Prefetch(
                    "reserves",
                    queryset=PlanReserve.objects.with_stock().select_related("item").order_by("item_id"),
                ),
                Prefetch("drills", queryset=Drill.objects.visible_to(self.request.user)),
            )
        )


def register(router) -> None:
    router.register("rollcalls", RollCallViewSet, basename="rollcall")
    router.register("rollcall-entries", RollCallEntryViewSet, basename="rollcallentry")
    router.register("emergency-plans", EmergencyPlanViewSet, basename="emergencyplan")
