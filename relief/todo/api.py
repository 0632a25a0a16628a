"""/api/v1/tasks/: the tasks in your region. List with `view=mine|region|escalated|due_today|
overdue|done` (mine: named to you or to your role in your region; escalated: 督办 that has climbed
to your level), retrieve, and the steps of the task workflow (take, complete with a note, cancel
with a reason), plus `supervise` (督办: an instruction with a deadline for the level below)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.permissions import IsActiveUser
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.models import Task, TaskState
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text
from relief.todo import services
from relief.todo.selectors import TABS, source_label, tab_queryset
from relief.todo.workflows import task_workflow


class TaskSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    # free text copied from visits and typed as answers: its numbers masked for masked roles
    masked_fields = {
        "detail": mask_numbers_in_text,
        "answer": mask_numbers_in_text,
        "title": mask_numbers_in_text,
    }

    state_display = serializers.CharField(source="get_state_display", read_only=True)
    why = serializers.SerializerMethodField(help_text=_("事项来源的说明：预警类型、探访需求、办理时限或督办"))
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    subject_model = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(task_workflow)

    class Meta:
        model = Task
        fields = [
            "id",
            "source",
            "kind",
            "why",
            "title",
            "detail",
            "region",
            "subject_model",
            "subject_id",
            "subject_label",
            "alert",
            "parent",
            "assignee",
            "assignee_region",
            "urgent",
            "due_at",
            "overdue",
            "state",
            "state_display",
            "escalation_level",
            "supervisor_region",
            "action_url",
            "action_label",
            "answer",
            "created_by",
            "created_at",
            "closed_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_why(self, task: Task) -> str:
        return source_label(task)

    def get_subject_model(self, task: Task) -> str:
        if task.subject_type_id is None:
            return ""
        ct = task.subject_type
        return f"{ct.app_label}.{ct.model}"


class TaskFilter(ScopedFilterSet):
    view = filters.ChoiceFilter(
        choices=[(k, str(v)) for k, v in TABS.items()],
        method="filter_view",
        label=_(
            "视图：mine 我的、region 本辖区、escalated 督办给我、due_today 今日到期、overdue 已逾期、done 已办结"
        ),
    )
    region = RegionPrefixFilter()
    state = filters.ChoiceFilter(choices=TaskState.choices)

    class Meta:
        model = Task
        fields = ["view", "state", "source", "kind", "region", "urgent"]

    def filter_view(self, queryset, name, value):
        ids = tab_queryset(self.request.user, value).values("pk")
        return queryset.filter(pk__in=ids)


class SuperviseSerializer(serializers.Serializer):
    instruction = serializers.CharField(max_length=2000, help_text=_("督办要求"))
    working_days = serializers.IntegerField(
        min_value=1, max_value=30, default=3, help_text=_("办理时限（工作日）")
    )


@workflow_actions(task_workflow)
class TaskViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Tasks (待办) in your region; their steps come from the task workflow."""

    queryset = Task.objects.select_related("subject_type")
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["due_at", "created_at", "id"]
    ordering = ["due_at", "id"]

    @extend_schema(request=SuperviseSerializer, responses={201: TaskSerializer})
    # 督办 is the officials' own work: city and province officials read elsewhere but write here
    # (services.supervise_refusal decides who may, as on the task's page)
    @action(detail=True, methods=["post"], permission_classes=[IsActiveUser])
    def supervise(self, request, pk=None):
        """督办: an instruction with a deadline (working days) for the task's assignee below."""
        task = self.get_object()
        data = SuperviseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        child = services.supervise(actor=request.user, task=task, **data.validated_data)
        return Response(
            TaskSerializer(child, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )
