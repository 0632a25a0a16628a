"""Labels of the needs found on visits (the kinds people/needs.py opens tasks for), registered by
the app that finds them so relief can name them without importing it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

NEED_LABELS: dict[str, object] = {}


def register_need(kind: str, label: object) -> None:
    NEED_LABELS[kind] = label


def need_label(kind: str) -> str:
    label = NEED_LABELS.get(kind)
    if not label:
        return str(gettext_lazy("探访发现的需求"))
    return str(gettext_lazy("探访发现：%(need)s") % {"need": label})
