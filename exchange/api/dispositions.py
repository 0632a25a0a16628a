"""The API of warnings' dispositions: list and detail (scoped, with `available_actions` and one POST
action per step, from exchange/dispositions.py), and a source's feedback
(`GET /api/v1/exchange/feedback/<source_code>/`: what became of each warning its records raised)."""

from __future__ import annotations

from django.urls import path
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from exchange.dispositions import disposition_workflow
from exchange.feedback import feedback_rows, feedback_source
from exchange.models import Disposition
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions


class DispositionSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.name", read_only=True)
    rule_kind = serializers.CharField(source="rule.kind", read_only=True)
    source = serializers.CharField(source="rule.source.code", read_only=True)
    region = serializers.CharField(source="region_id", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True, default="")
    due_at = serializers.DateTimeField(source="alert.due_at", read_only=True)
    escalation_level = serializers.IntegerField(source="alert.escalation_level", read_only=True)
    available_actions = AvailableActionsField(disposition_workflow)

    class Meta:
        model = Disposition
        fields = [
            "id",
            "alert",
            "rule",
            "rule_kind",
            "source",
            "region",
            "household",
            "person",
            "person_name",
            "status",
            "verified_how",
            "verified_on",
            "findings",
            "visit",
            "outcome",
            "reason",
            "referred_to",
            "enrolment",
            "application",
            "disposed_on",
            "due_at",
            "escalation_level",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields


@workflow_actions(disposition_workflow)
class DispositionViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """预警核实处置: the township's verification and answer to each warning."""

    queryset = Disposition.objects.select_related("rule__source", "person", "alert").order_by(
        "-created_at", "-id"
    )
    serializer_class = DispositionSerializer
    filterset_fields = ["status", "outcome"]


class FeedbackRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    line = serializers.IntegerField(allow_null=True)
    batch = serializers.IntegerField(allow_null=True)
    id_number = serializers.CharField()
    name = serializers.CharField()
    warning = serializers.CharField()
    region = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    reason = serializers.CharField()
    verified_on = serializers.DateField(allow_null=True)
    disposed_on = serializers.DateField(allow_null=True)


class FeedbackView(APIView):
    """反馈: the dispositions of a source's warnings in the caller's region (ID numbers masked for the
    roles that do not need them). 404 for a source the caller may not see."""

    serializer_class = FeedbackRowSerializer

    def get(self, request, source_code: str):
        source = feedback_source(request.user, source_code)
        rows = list(feedback_rows(source, request.user))
        return Response(
            {
                "source": source.code,
                "count": len(rows),
                "results": FeedbackRowSerializer(rows, many=True).data,
            }
        )


def register(router) -> None:
    router.register("exchange/dispositions", DispositionViewSet, basename="exchange-disposition")


urlpatterns = [
    path("exchange/feedback/<slug:source_code>/", FeedbackView.as_view(), name="exchange-feedback"),
]
