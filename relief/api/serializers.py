from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from relief.alerts.workflows import alert_workflow
from relief.api.workflow import AvailableActionsField
from relief.jobs.workflows import job_workflow
from relief.models import Alert, Job, PolicyParameter, Region, User
from relief.policy import PARAMETERS


class RegionSerializer(serializers.ModelSerializer):
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    gb_code = serializers.CharField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "gb_code", "name", "full_name", "level", "level_display", "parent"]


class MeSerializer(serializers.ModelSerializer):
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    region = RegionSerializer(read_only=True)
    can_write = serializers.BooleanField(read_only=True)
    sees_personal_data = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "role",
            "role_display",
            "region",
            "can_write",
            "sees_personal_data",
        ]


class JobSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    is_stalled = serializers.BooleanField(read_only=True)
    can_retry = serializers.BooleanField(read_only=True)
    result_file = serializers.SerializerMethodField()
    available_actions = AvailableActionsField(job_workflow)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "title",
            "state",
            "state_display",
            "progress_done",
            "progress_total",
            "percent",
            "message",
            "result",
            "result_file",
            "error",
            "attempts",
            "is_stalled",
            "can_retry",
            "available_actions",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]

    def get_result_file(self, job: Job) -> str | None:
        if not job.result_file:
            return None
        from django.urls import reverse

        request = self.context.get("request")
        url = reverse("job-download", args=[job.pk])
        return request.build_absolute_uri(url) if request else url


class PolicyParameterSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()

    class Meta:
        model = PolicyParameter
        fields = ["id", "key", "label", "unit", "region", "value", "valid_from", "note", "updated_at"]

    def get_label(self, obj: PolicyParameter) -> str:
        definition = PARAMETERS.get(obj.key)
        return str(definition.label) if definition else obj.key

    def get_unit(self, obj: PolicyParameter) -> str:
        definition = PARAMETERS.get(obj.key)
        return str(definition.unit) if definition else ""


class EffectiveParameterSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True)
    source_region = serializers.CharField(allow_null=True, help_text=_("取值所属区划；空表示全国默认"))
    valid_from = serializers.DateField(allow_null=True)


class AlertSerializer(serializers.ModelSerializer):
    severity_display = serializers.CharField(source="get_severity_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    available_actions = AvailableActionsField(alert_workflow)

    class Meta:
        model = Alert
        fields = [
            "id",
            "kind",
            "severity",
            "severity_display",
            "region",
            "subject_label",
            "message",
            "due_at",
            "status",
            "status_display",
            "assignee",
            "escalation_level",
            "created_at",
            "resolved_at",
            "available_actions",
        ]
        read_only_fields = fields


class RevealRequestSerializer(serializers.Serializer):
    model = serializers.CharField(help_text=_("记录类型，例如 people.person"))
    id = serializers.CharField()
    field = serializers.CharField(help_text=_("例如 id_number、phone"))


class RevealResponseSerializer(serializers.Serializer):
    value = serializers.CharField()
