"""What the enrolment endpoints share: the log rows of a workflow, the household a record is about,
the error body of a conflict, and the FilterSet base with `?region=`."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text
from relief.workflow import Workflow


class RegionFilterSet(ScopedFilterSet):
    """`?region=510121001`: records whose region code starts with it."""

    region = RegionPrefixFilter()


def event_serializer(workflow: Workflow, log_model: Any, extra_labels: dict[str, Any], extra: tuple = ()):
    """The serializer of a workflow's log rows: each step with its Chinese label, who, when, why
    (numbers in the comment masked for roles that do not see them)."""

    class EventSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
        masked_fields = {"comment": mask_numbers_in_text}
        action_label = serializers.SerializerMethodField()
        actor = serializers.SerializerMethodField()

        class Meta:
            model = log_model
            fields = ["action", "action_label", "from_state", "to_state", "actor", "at", "comment", *extra]
            read_only_fields = fields

        def get_action_label(self, obj) -> str:
            step = workflow.steps.get(obj.action)
            return str(step.label if step else extra_labels.get(obj.action, obj.action))

        def get_actor(self, obj) -> str | None:
            return str(obj.actor) if obj.actor_id else None

    EventSerializer.__name__ = f"{log_model.__name__}Serializer"
    EventSerializer.__qualname__ = EventSerializer.__name__
    return EventSerializer


def household_label(obj: Any) -> str | None:
    """The household as pages name it ("张三户 · 滨河路1号"); needs `household__head` joined."""
    household = getattr(obj, "household", None)
    return str(household) if household is not None else None


class ConflictBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()


class ConflictSerializer(serializers.Serializer):
    """The error body of a 409 (relief/api/errors.py's shape)."""

    error = ConflictBodySerializer()
