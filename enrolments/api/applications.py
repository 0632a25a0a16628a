"""/api/v1/enrolments/: applications for 低保, 特困, 低保边缘 and 刚性支出困难.

- list (`?kind=`, `?status=`, `?origin=`, `?household=`, `?region=`, `?external_id=`, `?open=`,
  `?deadline_before=`; the nearest total deadline first, `?ordering=` for others);
- retrieve: with the declared members, the log, the current stage's due date
  (enrolments/clocks.py) and, while the county decides, the rules' suggested amount;
- create: an application filed by another system (`origin` "online" unless said otherwise), the
  household by id, the members inline. Its `external_id` (the other system's number) is taken once:
  the same application sent again answers the one registered (200, nothing created), another
  application under a taken number answers 409. `Idempotency-Key` works as on every create;
- one POST action per step of enrolments/workflows.py (`accept` takes the `authorisation` file,
  `check-report` a multipart `report` file or a JSON `summary` and `reference`, ...).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from enrolments import clocks, rules, services
from enrolments.api.shared import ConflictSerializer, RegionFilterSet, event_serializer, household_label
from enrolments.models import (
    OPEN_STATES,
    CareLevel,
    Enrolment,
    EnrolmentEvent,
    EnrolmentMember,
    Kind,
    Origin,
    Status,
)
from enrolments.workflows import enrolment_workflow
from people.choices import TekunMode
from people.id_numbers import validate_id_number
from people.models import Household, Person
from relief.api.fields import ScopedRelatedField
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.idempotency import api_once
from relief.models import Alert
from relief.policy import MissingPolicyParameter
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text
from relief.uploads import download_url

#: free text of an application, with numbers typed into it masked for roles that do not see them
TEXT_FIELDS = (
    "reason",
    "origin_note",
    "staff_relative_note",
    "extension_reason",
    "check_summary",
    "investigation_findings",
    "evaluation_result",
    "township_opinion",
    "county_visit_findings",
    "amount_reason",
    "refusal_reason",
    "notice_method",
)


# --- output --------------------------------------------------------------------------------------


class EnrolmentMemberSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "id_number": mask_id_number,
        "income_note": mask_numbers_in_text,
        "property_note": mask_numbers_in_text,
    }

    class Meta:
        model = EnrolmentMember
        fields = [
            "id",
            "person",
            "name",
            "id_number",
            "relation",
            "monthly_income",
            "income_note",
            "property_note",
            "deposits",
        ]
        read_only_fields = fields


EventSerializer = event_serializer(
    enrolment_workflow, EnrolmentEvent, {"submit": gettext_lazy("提交申请")}, extra=("amount",)
)


class StageSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=gettext_lazy("本环节等待的事项"))
    due = serializers.DateField(help_text=gettext_lazy("本环节办理时限（不晚于总时限）"))
    exact = serializers.BooleanField(help_text=gettext_lazy("false：该年节假日安排未知，按工作日估算"))
    level = serializers.ChoiceField(
        choices=[(9, gettext_lazy("乡镇")), (6, gettext_lazy("县级"))],
        help_text=gettext_lazy("办理层级：9 乡镇（街道），6 县级"),
    )


class SuggestionSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    explanation = serializers.CharField()


class EnrolmentSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = dict.fromkeys(TEXT_FIELDS, mask_numbers_in_text)
    household_label = serializers.SerializerMethodField()
    applicant_name = serializers.SerializerMethodField()
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    origin_display = serializers.CharField(source="get_origin_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    authorisation = serializers.SerializerMethodField()
    check_report = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(enrolment_workflow)

    class Meta:
        model = Enrolment
        fields = [
            "id",
            "household",
            "household_label",
            "applicant",
            "applicant_name",
            "region",
            "kind",
            "kind_display",
            "tekun_mode",
            "care_level",
            "origin",
            "origin_display",
            "origin_alert",
            "origin_note",
            "external_id",
            "reason",
            "authorisation",
            "staff_relative",
            "staff_relative_note",
            "status",
            "status_display",
            "submitted_at",
            "accepted_on",
            "deadline",
            "deadline_exact",
            "extended",
            "extension_reason",
            "stage_since",
            "check_requested_on",
            "check_report",
            "check_summary",
            "check_reference",
            "check_reported_on",
            "investigation_visit",
            "investigation_findings",
            "evaluation_result",
            "township_opinion",
            "township_recommends",
            "notice_round",
            "notice_start",
            "notice_end",
            "county_visit_on",
            "county_visit_findings",
            "suggested_amount",
            "amount",
            "amount_reason",
            "dibao_class",
            "income_type",
            "start_month",
            "decided_on",
            "decided_by",
            "refusal_reason",
            "notified_on",
            "notice_method",
            "assistance",
            "available_actions",
        ]
        read_only_fields = fields

    def get_household_label(self, obj: Enrolment) -> str | None:
        return household_label(obj)

    def get_applicant_name(self, obj: Enrolment) -> str | None:
        return obj.applicant.name if obj.applicant_id else None

    def get_authorisation(self, obj: Enrolment) -> str | None:
        """The signed authorisation's scoped download address (each download is logged)."""
        return download_url(obj, "authorisation")

    def get_check_report(self, obj: Enrolment) -> str | None:
        return download_url(obj, "check_report")


class EnrolmentDetailSerializer(EnrolmentSerializer):
    members = EnrolmentMemberSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    stage = serializers.SerializerMethodField()
    suggestion = serializers.SerializerMethodField()

    class Meta(EnrolmentSerializer.Meta):
        fields = [*EnrolmentSerializer.Meta.fields, "members", "events", "stage", "suggestion"]
        read_only_fields = fields

    @extend_schema_field(StageSerializer(allow_null=True))
    def get_stage(self, obj: Enrolment) -> dict | None:
        """The step the application waits for and when it is due; null when it waits for none."""
        try:
            due = clocks.stage_due(obj)
        except MissingPolicyParameter:
            return None
        if due is None:
            return None
        return {"label": due.label, "due": due.due.isoformat(), "exact": due.exact, "level": due.level}

    @extend_schema_field(SuggestionSerializer(allow_null=True))
    def get_suggestion(self, obj: Enrolment) -> dict | None:
        """The amount the rules suggest, while the county decides (status "county")."""
        if obj.status != Status.COUNTY:
            return None
        try:
            suggestion = rules.suggest(obj)
        except MissingPolicyParameter as exc:  # said where the decision is made, as on the page
            return {"amount": None, "explanation": str(exc)}
        amount = None if suggestion.amount is None else f"{suggestion.amount:.2f}"
        return {"amount": amount, "explanation": suggestion.explanation}


# --- input ---------------------------------------------------------------------------------------


class EnrolmentMemberInputSerializer(serializers.Serializer):
    person = ScopedRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("在册成员的编号（可不填）"),
    )
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    relation = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    monthly_income = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)
    income_note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    property_note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    deposits = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, default=0)

    def validate_id_number(self, value: str) -> str:
        if not value.strip():
            return ""
        try:
            return validate_id_number(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class EnrolmentCreateSerializer(serializers.Serializer):
    household = ScopedRelatedField(queryset=Household.objects.all())
    kind = serializers.ChoiceField(choices=Kind.choices)
    origin = serializers.ChoiceField(choices=Origin.choices, default=Origin.ONLINE)
    applicant = ScopedRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("申请人（特困按人认定，必填）"),
    )
    tekun_mode = serializers.ChoiceField(
        choices=[("", "—"), *TekunMode.choices], required=False, allow_blank=True, default=""
    )
    care_level = serializers.ChoiceField(
        choices=[("", "—"), *CareLevel.choices], required=False, allow_blank=True, default=""
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("对方系统的申请编号：同一编号只登记一次"),
    )
    origin_alert = ScopedRelatedField(
        queryset=Alert.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("主动发现：来源预警的编号（该预警由此申请答复）"),
    )
    origin_note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    staff_relative = serializers.BooleanField(required=False, default=False)
    staff_relative_note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    members = EnrolmentMemberInputSerializer(
        many=True,
        default=list,
        help_text=gettext_lazy("申请家庭成员及其收入、财产（不填：按户籍在册成员）"),
    )

    def validate_external_id(self, value: str) -> str:
        return value.strip()


# --- the viewset ---------------------------------------------------------------------------------


class EnrolmentFilter(RegionFilterSet):
    open = filters.BooleanFilter(method="filter_open", label=gettext_lazy("办理中"))
    deadline_before = filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label=gettext_lazy("办结时限不晚于")
    )

    class Meta:
        model = Enrolment
        fields = ["kind", "status", "origin", "household", "applicant", "external_id", "region"]

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        return qs.filter(status__in=OPEN_STATES) if value else qs.exclude(status__in=OPEN_STATES)


@workflow_actions(enrolment_workflow, response=EnrolmentDetailSerializer)
class EnrolmentViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Applications for 低保, 特困, 低保边缘 and 刚性支出困难 (the county's queue: nearest deadline
    first); each step of enrolments/workflows.py is an action."""

    queryset = Enrolment.objects.select_related("household__head", "applicant")
    serializer_class = EnrolmentSerializer
    filterset_class = EnrolmentFilter
    ordering_fields = ["deadline", "submitted_at", "decided_on", "id"]

    def get_queryset(self):
        qs = super().get_queryset().by_deadline()
        if self.action != "list":
            qs = qs.prefetch_related(
                "members", Prefetch("events", queryset=EnrolmentEvent.objects.select_related("actor"))
            )
        return qs

    def get_serializer_class(self):
        return EnrolmentSerializer if self.action == "list" else EnrolmentDetailSerializer

    def _answer(self, enrolment: Enrolment, code: int) -> Response:
        enrolment = self.get_queryset().get(pk=enrolment.pk)
        data = EnrolmentDetailSerializer(enrolment, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _registered(self, external_id: str, data: dict[str, Any], *, taken: bool = False) -> Response | None:
        """The answer to an application whose `external_id` is taken: the one registered when it is
        the same application sent again (household and kind), else 409. None when the number is free
        (`taken`: the service found it taken, by an application the caller cannot see)."""
        mine = self.get_queryset().filter(external_id=external_id).first()
        if mine is None and not taken:
            return None
        if mine is not None and mine.household_id == data["household"].pk and mine.kind == data["kind"]:
            return self._answer(mine, status.HTTP_200_OK)
        message = (
            _("该外部系统申请编号已用于另一份申请（申请编号 %(pk)s）") % {"pk": mine.pk}
            if mine is not None
            else _("该外部系统申请编号已登记")
        )
        return Response(
            {"error": {"status": 409, "code": "external_id_taken", "message": message}},
            status=status.HTTP_409_CONFLICT,
        )

    @extend_schema(
        request=EnrolmentCreateSerializer,
        responses={
            201: EnrolmentDetailSerializer,
            200: OpenApiResponse(
                EnrolmentDetailSerializer,
                description="The same application (household, kind) was registered before under this "
                "`external_id`: the one registered, nothing created.",
            ),
            409: OpenApiResponse(
                ConflictSerializer,
                description="`external_id_taken`: another application is registered under this "
                "`external_id`.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        """File an application (by default an online one, from another system). It waits for 受理
        at the township (`accept`, with the signed authorisation)."""

        def run() -> Response:
            serializer = EnrolmentCreateSerializer(data=request.data, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            data = dict(serializer.validated_data)
            external_id = data["external_id"]
            if external_id and (answer := self._registered(external_id, data)) is not None:
                return answer
            try:
                enrolment = services.enrolment_create(actor=request.user, **data)
            except ValidationError as exc:
                if external_id and "external_id" in getattr(exc, "error_dict", {}):
                    # sent twice at the same moment (the other one won), or taken in another region
                    return self._registered(external_id, data, taken=True)
                raise
            return self._answer(enrolment, status.HTTP_201_CREATED)

        return api_once(request, run)
