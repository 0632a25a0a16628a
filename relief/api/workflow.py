"""The API side of declared workflows: one `@action` per step and an `available_actions` field,
generated from the workflow's declaration (relief/workflow.py)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from relief.api.fields import ScopedRelatedField
from relief.idempotency import api_once
from relief.workflow import Param, Step, Workflow


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


def _api_field(param: Param) -> serializers.Field:
    opts: dict[str, Any] = {"required": param.required, "label": str(param.label or param.name)}
    kind = param.kind
    if kind in ("text", "comment"):
        if not param.required:
            opts.update(allow_blank=True, default="")
        return serializers.CharField(max_length=param.max_length, **opts)
    if kind in ("money", "decimal"):
        return serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0, **opts)
    if kind == "int":
        return serializers.IntegerField(min_value=0, **opts)
    if kind == "bool":
        return serializers.BooleanField(**{**opts, "required": False, "default": False})
    if kind == "date":
        return serializers.DateField(**opts)
    if kind == "datetime":
        return serializers.DateTimeField(**opts)
    if kind == "choice":
        return serializers.ChoiceField(choices=list(param.choices or ()), **opts)
    if kind == "ref":
        model = apps.get_model(param.model)
        return ScopedRelatedField(queryset=model._default_manager.all(), **opts)
    if kind == "file":
        return serializers.FileField(**opts)
    raise ValueError(f"unknown param kind {kind!r}")


def step_serializer(workflow: Workflow, step: Step) -> type[serializers.Serializer]:
    """The input serializer of one step (named after it, for a readable OpenAPI schema)."""
    fields = {p.name: _api_field(p) for p in step.params}
    name = "".join(part.title() for part in f"{workflow.name}_{step.name}".replace(".", "_").split("_"))
    return type(f"{name}Input", (serializers.Serializer,), fields)


@extend_schema_field(ActionSerializer(many=True))
class AvailableActionsField(serializers.Field):
    """`available_actions`: the steps the requesting user may take on the object now."""

    def __init__(self, workflow: Workflow, **kwargs: Any) -> None:
        self.workflow = workflow
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, obj: Any) -> list[dict[str, str]]:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return [{"name": s.name, "label": str(s.label)} for s in self.workflow.available(obj, user)]


def workflow_actions(workflow: Workflow, *, response: Any = None, exclude: tuple[str, ...] = ()):
    """Class decorator for a viewset: adds one POST `@action` per (non-system) step of `workflow`.
    Each action finds the object through the viewset's scoped `get_object()` (404 outside the
    region), validates the step's inputs, runs the step and answers the object as the viewset's
    detail serializer (or `response`) shows it."""

    def decorate(viewset: type) -> type:
        for step in workflow.steps.values():
            if step.system or step.name in exclude:
                continue
            # A step named like a method every view has (`dispatch`) gets another attribute name;
            # its URL and URL name stay the step's.
            attr = f"{step.name}_step" if hasattr(viewsets.GenericViewSet, step.name) else step.name
            setattr(viewset, attr, _make_action(workflow, step, response, attr))
        return viewset

    return decorate


def _make_action(workflow: Workflow, step: Step, response: Any, attr: str = ""):
    input_serializer = step_serializer(workflow, step)

    def take(self, request):
        obj = self.get_object()
        data = input_serializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        obj = workflow.run(step.name, actor=request.user, obj=obj, **data.validated_data)
        obj = self.get_queryset().get(pk=obj.pk)
        serializer_class = response or self.get_serializer_class()
        return Response(serializer_class(obj, context=self.get_serializer_context()).data)

    def handler(self, request, pk=None):
        return api_once(request, lambda: take(self, request))  # a repeated Idempotency-Key: the first answer

    handler.__name__ = attr or step.name
    handler.__doc__ = str(step.label)
    handler = action(detail=True, methods=["post"], url_path=step.api_path, url_name=step.api_path)(handler)
    return extend_schema(request=input_serializer, responses=response, summary=str(step.label))(handler)
