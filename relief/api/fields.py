"""Serializer fields every app's API shares."""

from __future__ import annotations

from rest_framework import serializers


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A foreign key input limited to what the requesting user may see: a record outside their region
    answers "does not exist", the same as a missing one."""

    def get_queryset(self):
        request = self.context.get("request")
        return super().get_queryset().visible_to(getattr(request, "user", None))
