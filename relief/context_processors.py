from __future__ import annotations

from django.conf import settings

from relief.health import broker_available
from relief.navigation import items_for, split_for
from relief.offline import field_pages_for


def shell(request) -> dict:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    nav_main, nav_more = split_for(user) if signed_in else ([], [])
    return {
        "nav_items": items_for(user) if signed_in else [],
        "nav_main": nav_main,
        "nav_more": nav_more,
        "offline_pages": field_pages_for(user) if user else [],
        "tasks_in_process": settings.CELERY_TASK_ALWAYS_EAGER,
        "background_delayed": bool(user and user.is_authenticated) and not broker_available(),
    }
