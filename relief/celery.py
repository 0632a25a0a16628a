"""The Celery app. Without CELERY_BROKER_URL, tasks run in-process (settings: task_always_eager)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")

app = Celery("relief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
