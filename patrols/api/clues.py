"""Clues from the public (救助线索): report → dispatch → respond → close. The steps are actions
generated from the clue workflow (patrols/workflows.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets

from patrols import services
from patrols.api.common import RegionPrefixFilterSet, ServiceCreateMixin
from patrols.models import Clue, ClueEvent
from patrols.workflows import clue_workflow
from relief.api.fields import RegionCodeField
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text, mask_phone


class ClueEventSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"comment": mask_numbers_in_text}

    class Meta:
        model = ClueEvent
        fields = ["action", "from_state", "to_state", "actor", "at", "comment"]


class ClueSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "reporter_phone": mask_phone,
        "description": mask_numbers_in_text,
        "outcome_note": mask_numbers_in_text,
    }
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    team_name = serializers.CharField(source="team.name", read_only=True, default=None)
    response_met = serializers.BooleanField(read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    available_actions = AvailableActionsField(clue_workflow)

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
            "available_actions",
        ]
        read_only_fields = fields


class ClueDetailSerializer(ClueSerializer):
    events = ClueEventSerializer(many=True, read_only=True)

    class Meta(ClueSerializer.Meta):
        fields = [*ClueSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ClueInputSerializer(serializers.Serializer):
    region = RegionCodeField(label=gettext_lazy("区划"))
    channel = serializers.ChoiceField(choices=Clue._meta.get_field("channel").choices)
    place = serializers.CharField(max_length=255)
    reported_at = serializers.DateTimeField(required=False)
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    description = serializers.CharField(required=False, allow_blank=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)


class ClueFilter(RegionPrefixFilterSet):
    overdue = filters.BooleanFilter(method="filter_overdue", label=gettext_lazy("超时未响应"))

    class Meta:
        model = Clue
        fields = ["region", "status", "channel", "team", "outcome"]

    def filter_overdue(self, queryset, name, value):
        lookup = {"responded_at__isnull": True, "due_at__lt": timezone.now()}
        return queryset.filter(**lookup).exclude(status="closed") if value else queryset.exclude(**lookup)


@workflow_actions(clue_workflow, response=ClueSerializer)
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
