"""API of the volunteers: `/api/v1/volunteers/` (register, edit, search by skill and availability,
hours accepted this winter and in all; ID and phone numbers masked for officials like residents'),
`/api/v1/volunteer-assignments/` (assign to a patrol shift, a planned visit or a campaign's
deliveries in a village; the workflow's steps as actions: complete, accept, send-back, cancel) and
`/api/v1/volunteer-records/` (what was recorded in a volunteer's name, with its review state)."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from campaigns.models import Campaign
from patrols.models import PatrolShift
from people.models import Household
from relief.api.fields import RegionCodeField, ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.idempotency import api_once
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text, mask_phone
from volunteers import services
from volunteers.models import (
    AssignmentEvent,
    DayPart,
    Skill,
    Volunteer,
    VolunteerAssignment,
    VolunteerKind,
    VolunteerRecord,
    Weekday,
)
from volunteers.workflows import assignment_workflow

VOLUNTEER_MASKS = {"id_number": mask_id_number, "phone": mask_phone, "note": mask_numbers_in_text}


class VolunteerSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = VOLUNTEER_MASKS
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    skills_display = serializers.CharField(read_only=True)
    availability_display = serializers.CharField(read_only=True)
    hours_winter = serializers.DecimalField(
        max_digits=8, decimal_places=1, read_only=True, help_text="Accepted hours since 1 October"
    )
    hours_total = serializers.DecimalField(max_digits=8, decimal_places=1, read_only=True)

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "region",
            "name",
            "phone",
            "id_number",
            "kind",
            "kind_display",
            "organisation",
            "skills",
            "skills_display",
            "weekdays",
            "day_parts",
            "availability_display",
            "active",
            "note",
            "registered_at",
            "hours_winter",
            "hours_total",
        ]
        read_only_fields = fields


class VolunteerInputSerializer(MaskedFieldsMixin, serializers.Serializer):
    """Registering or editing a volunteer. A masked number sent back (as it was shown) keeps the
    stored one."""

    masked_fields = VOLUNTEER_MASKS
    region = RegionCodeField(label=gettext_lazy("服务区划"))
    name = serializers.CharField(max_length=50)
    phone = serializers.CharField(max_length=20)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=VolunteerKind.choices, default=VolunteerKind.VOLUNTEER)
    organisation = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    skills = serializers.ListField(
        child=serializers.ChoiceField(choices=Skill.choices), required=False, default=list
    )
    weekdays = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices), required=False, default=list
    )
    day_parts = serializers.ListField(
        child=serializers.ChoiceField(choices=DayPart.choices), required=False, default=list
    )
    active = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class VolunteerFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    q = filters.CharFilter(method="filter_search", label=gettext_lazy("姓名或组织"))
    skill = filters.ChoiceFilter(choices=Skill.choices, method="filter_search", label=gettext_lazy("技能"))
    weekday = filters.ChoiceFilter(
        choices=Weekday.choices, method="filter_search", label=gettext_lazy("可服务日")
    )
    day_part = filters.ChoiceFilter(
        choices=DayPart.choices, method="filter_search", label=gettext_lazy("可服务时段")
    )

    class Meta:
        model = Volunteer
        fields = ["region", "kind", "active"]

    def filter_search(self, queryset, name, value):
        return queryset.search(**{name: value}) if value else queryset


class VolunteerViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Volunteers, sanitation workers, couriers and drivers registered to help (志愿者)."""

    queryset = Volunteer.objects.select_related("region")
    serializer_class = VolunteerSerializer
    filterset_class = VolunteerFilter
    ordering_fields = ["name", "registered_at"]

    def get_queryset(self):
        return super().get_queryset().with_hours(timezone.localdate())

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return VolunteerInputSerializer
        return VolunteerSerializer

    def _answer(self, volunteer: Volunteer, code: int = status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=volunteer.pk)
        return Response(VolunteerSerializer(obj, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        def run():
            data = VolunteerInputSerializer(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            values.pop("active", None)
            volunteer = services.volunteer_register(actor=request.user, **values)
            return self._answer(volunteer, status.HTTP_201_CREATED)

        return api_once(request, run)

    def update(self, request, *args, **kwargs):
        volunteer = self.get_object()
        partial = kwargs.get("partial", False)
        data = VolunteerInputSerializer(
            volunteer, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        if data.validated_data:
            services.volunteer_update(actor=request.user, volunteer=volunteer, **data.validated_data)
        return self._answer(volunteer)


class AssignmentEventSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"comment": mask_numbers_in_text}

    class Meta:
        model = AssignmentEvent
        fields = ["action", "from_state", "to_state", "actor", "at", "comment"]


class AssignmentSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"note": mask_numbers_in_text, "review_comment": mask_numbers_in_text}
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    records = serializers.IntegerField(source="records_count", read_only=True)
    available_actions = AvailableActionsField(assignment_workflow)

    class Meta:
        model = VolunteerAssignment
        fields = [
            "id",
            "volunteer",
            "volunteer_name",
            "region",
            "kind",
            "kind_display",
            "shift",
            "household",
            "campaign",
            "date",
            "planned_hours",
            "actual_hours",
            "state",
            "state_display",
            "note",
            "created_at",
            "completed_at",
            "reviewed_at",
            "review_comment",
            "records",
            "available_actions",
        ]
        read_only_fields = fields


class AssignmentDetailSerializer(AssignmentSerializer):
    events = AssignmentEventSerializer(many=True, read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "events"]
        read_only_fields = fields


class AssignmentInputSerializer(serializers.Serializer):
    """One of `shift`, `household` (with `date`) or `campaign` (with `village` and `date`)."""

    volunteer = ScopedRelatedField(queryset=Volunteer.objects.all())
    shift = ScopedRelatedField(
        queryset=PatrolShift.objects.all(), required=False, allow_null=True, default=None
    )
    household = ScopedRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True, default=None
    )
    campaign = ScopedRelatedField(
        queryset=Campaign.objects.all(), required=False, allow_null=True, default=None
    )
    village = RegionCodeField(label=gettext_lazy("配送区域"), required=False, allow_null=True, default=None)
    date = serializers.DateField(required=False, allow_null=True, default=None)
    planned_hours = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0)
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class AssignmentFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", label=gettext_lazy("服务日期起"))
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", label=gettext_lazy("服务日期止"))

    class Meta:
        model = VolunteerAssignment
        fields = ["region", "volunteer", "kind", "state", "shift", "household", "campaign"]


@workflow_actions(assignment_workflow, response=AssignmentSerializer)
class VolunteerAssignmentViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Volunteers' assignments: assigned → done (waits for review) → accepted (the hours count);
    or sent back with a comment, or cancelled."""

    # an aggregate drops Meta.ordering: the list's order is given again
    queryset = (
        VolunteerAssignment.objects.select_related("volunteer")
        .annotate(records_count=Count("records"))
        .order_by(*VolunteerAssignment._meta.ordering)
    )
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    ordering_fields = ["date", "created_at"]

    def get_queryset(self):
        qs = super().get_queryset()
        return qs.prefetch_related("events") if self.action == "retrieve" else qs

    def get_serializer_class(self):
        if self.action == "create":
            return AssignmentInputSerializer
        if self.action == "retrieve":
            return AssignmentDetailSerializer
        return AssignmentSerializer

    def create(self, request, *args, **kwargs):
        def run():
            data = AssignmentInputSerializer(data=request.data, context=self.get_serializer_context())
            data.is_valid(raise_exception=True)
            assignment = services.assignment_create(actor=request.user, **data.validated_data)
            obj = self.get_queryset().get(pk=assignment.pk)
            return Response(
                AssignmentSerializer(obj, context=self.get_serializer_context()).data,
                status=status.HTTP_201_CREATED,
            )

        return api_once(request, run)


class VolunteerRecordSerializer(serializers.ModelSerializer):
    volunteer_name = serializers.CharField(source="volunteer.name", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    review_state_display = serializers.CharField(source="get_review_state_display", read_only=True)

    class Meta:
        model = VolunteerRecord
        fields = [
            "id",
            "volunteer",
            "volunteer_name",
            "assignment",
            "region",
            "kind",
            "kind_display",
            "visit",
            "encounter",
            "delivery",
            "clue",
            "review_state",
            "review_state_display",
            "recorded_at",
        ]
        read_only_fields = fields


class VolunteerRecordFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = VolunteerRecord
        fields = ["region", "volunteer", "assignment", "kind", "review_state"]


class VolunteerRecordViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """What was recorded in a volunteer's name (由志愿者记录) and its review state."""

    queryset = VolunteerRecord.objects.select_related("volunteer")
    serializer_class = VolunteerRecordSerializer
    filterset_class = VolunteerRecordFilter


def register(router) -> None:
    router.register("volunteers", VolunteerViewSet, basename="volunteer")
    router.register("volunteer-assignments", VolunteerAssignmentViewSet, basename="volunteerassignment")
    router.register("volunteer-records", VolunteerRecordViewSet, basename="volunteerrecord")
