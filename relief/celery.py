"""The Celery app. Without CELERY_BROKER_URL, tasks run in-process (settings: task_always_eager)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

from relief.queues import QUEUES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")

app = Celery("relief")
app.config_from_object("django.conf:settings", namespace="CELERY")
# every queue declared: a worker started without -Q serves them all (one machine, the development
# setup); production runs a pool per queue with -Q (docker-compose.yml, relief/queues.py)
app.conf.task_queues = [Queue(name, Exchange(name), routing_key=name) for name in QUEUES]
app.autodiscover_tasks()
