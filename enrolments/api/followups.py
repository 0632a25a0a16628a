"""/api/v1/enrolment-reviews/ and /api/v1/appeals/: what follows a decision.

- reviews (定期复核) of a category in force: list (`?status=`, `?outcome=`, `?household=`,
  `?assistance=`, `?region=`, `?due_before=`; soonest due first), retrieve with the log, and the steps
  of enrolments/reviews.py as actions (`continue`, `change`, `end`);
- appeals (复查/复核 of a decision, within `appeal_window_days` of it) and complaints (投诉/举报):
  list, retrieve with the log, create (enrolments/services.py `appeal_create` checks the window and
  sets the answer's due date), and the steps of enrolments/appeals.py (`take`, `answer`, `close`).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy, pgettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from enrolments import services
from enrolments.api.shared import RegionFilterSet, event_serializer, household_label
from enrolments.appeals import appeal_workflow
from enrolments.models import (
    Appeal,
    AppealEvent,
    AppealKind,
    Enrolment,
    Review,
    ReviewEvent,
)
from enrolments.reviews import review_workflow
from people.models import Household
from relief.api.fields import ScopedRelatedField
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.idempotency import api_once
from relief.models import Region
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text, mask_phone

# --- reviews -------------------------------------------------------------------------------------

ReviewEventSerializer = event_serializer(review_workflow, ReviewEvent, {})


class ReviewSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = dict.fromkeys(("findings", "end_reason", "end_notice"), mask_numbers_in_text)
    household_label = serializers.SerializerMethodField()
    category = serializers.CharField(source="assistance.category", read_only=True)
    category_display = serializers.CharField(source="assistance.get_category_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    available_actions = AvailableActionsField(review_workflow)

    class Meta:
        model = Review
        fields = [
            "id",
            "assistance",
            "category",
            "category_display",
            "household",
            "household_label",
            "region",
            "due_on",
            "status",
            "status_display",
            "outcome",
            "outcome_display",
            "findings",
            "new_amount",
            "new_class",
            "end_reason",
            "end_notice",
            "done_on",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_household_label(self, obj: Review) -> str | None:
        return household_label(obj)


class ReviewDetailSerializer(ReviewSerializer):
    events = ReviewEventSerializer(many=True, read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "events"]
        read_only_fields = fields


class ReviewFilter(RegionFilterSet):
    due_before = filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label=gettext_lazy("应复核日期不晚于")
    )

    class Meta:
        model = Review
        fields = ["status", "outcome", "household", "assistance", "region"]


@workflow_actions(review_workflow, response=ReviewDetailSerializer)
class ReviewViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Periodic reviews of 低保, 特困, 低保边缘 and 刚性支出 (soonest due first): continue, change the
    amount or class, or end the category (退出)."""

    queryset = Review.objects.select_related("assistance", "household__head")
    serializer_class = ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["due_on", "done_on", "id"]
    ordering = ["due_on", "id"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related(Prefetch("events", queryset=ReviewEvent.objects.select_related("actor")))
        return qs

    def get_serializer_class(self):
        return ReviewSerializer if self.action == "list" else ReviewDetailSerializer


# --- appeals and complaints ----------------------------------------------------------------------

AppealEventSerializer = event_serializer(
    appeal_workflow, AppealEvent, {"register": pgettext_lazy("appeal", "登记")}
)


class AppealSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"phone": mask_phone, "content": mask_numbers_in_text, "answer": mask_numbers_in_text}
    household_label = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    available_actions = AvailableActionsField(appeal_workflow)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "kind",
            "kind_display",
            "enrolment",
            "household",
            "household_label",
            "region",
            "person_name",
            "phone",
            "content",
            "status",
            "status_display",
            "received_on",
            "due_on",
            "due_exact",
            "assignee",
            "assignee_name",
            "answer",
            "answered_on",
            "outcome",
            "outcome_display",
            "closed_on",
            "available_actions",
        ]
        read_only_fields = fields

    def get_household_label(self, obj: Appeal) -> str | None:
        return household_label(obj)

    def get_assignee_name(self, obj: Appeal) -> str | None:
        return str(obj.assignee) if obj.assignee_id else None


class AppealDetailSerializer(AppealSerializer):
    events = AppealEventSerializer(many=True, read_only=True)

    class Meta(AppealSerializer.Meta):
        fields = [*AppealSerializer.Meta.fields, "events"]
        read_only_fields = fields


class AppealCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AppealKind.choices)
    enrolment = ScopedRelatedField(
        queryset=Enrolment.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("复查复核：针对的申请（须已作出决定，决定之日起30日内）"),
    )
    household = ScopedRelatedField(
        queryset=Household.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("投诉举报：涉及的家庭"),
    )
    region = ScopedRelatedField(
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("投诉举报：涉及的区划（未指明家庭时）"),
    )
    person_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    content = serializers.CharField(max_length=5000)
    received_on = serializers.DateField(required=False, allow_null=True, default=None)


class AppealFilter(RegionFilterSet):
    open = filters.BooleanFilter(method="filter_open", label=gettext_lazy("办理中"))

    class Meta:
        model = Appeal
        fields = ["kind", "status", "outcome", "enrolment", "household", "region"]

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.open() if value else qs.filter(status="closed")


@workflow_actions(appeal_workflow, response=AppealDetailSerializer)
class AppealViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Requests for review of a decision (复查/复核) and complaints (投诉/举报), newest first: take,
    answer (with an outcome; a request found right in whole or part reopens a refused application),
    close."""

    queryset = Appeal.objects.select_related("household__head", "assignee")
    serializer_class = AppealSerializer
    filterset_class = AppealFilter
    ordering_fields = ["received_on", "due_on", "id"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related(Prefetch("events", queryset=AppealEvent.objects.select_related("actor")))
        return qs

    def get_serializer_class(self):
        return AppealSerializer if self.action == "list" else AppealDetailSerializer

    @extend_schema(request=AppealCreateSerializer, responses={201: AppealDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Register a request for review of a decision or a complaint; its answer is due by the
        policy's working days."""

        def run() -> Response:
            serializer = AppealCreateSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            appeal = services.appeal_create(actor=request.user, **serializer.validated_data)
            appeal = self.get_queryset().get(pk=appeal.pk)
            data = AppealDetailSerializer(appeal, context=self.get_serializer_context()).data
            return Response(data, status=status.HTTP_201_CREATED)

        return api_once(request, run)
