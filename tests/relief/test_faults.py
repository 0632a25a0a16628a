"""With Redis unreachable, pages and the API still work, a clear message says background work is
delayed, and nothing started in the meantime is lost."""

from __future__ import annotations

import contextlib
import time

import pytest

from relief.models import Job, JobState

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:6399/0"  # nothing listens here: Redis "stopped"


@contextlib.contextmanager
def broker(url: str):
    from django.test import override_settings

    from relief.celery import app

    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=url)
    app._pool = None
    app.__dict__.pop("amqp", None)
    try:
        with override_settings(CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        app.conf.update(saved)
        app._pool = None
        app.__dict__.pop("amqp", None)


def test_redis_down_pages_and_api_work_and_say_background_work_is_delayed(
    as_user, users, api, django_capture_on_commit_callbacks
):
    with broker(DEAD_BROKER):
        c = as_user(users["county"])
        home = c.get("/")
        assert home.status_code == 200
        assert "后台服务暂时不可用" in home.content.decode()
        assert c.get("/regions/510121/").status_code == 200
        api.force_authenticate(users["county"])
        assert api.get("/api/v1/regions/").status_code == 200

        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            r = c.post("/regions/export/")
        assert time.monotonic() - started < 10  # the page does not hang on the dead broker
        assert r.status_code == 302
        job = Job.objects.get()
        assert job.state == JobState.PENDING
        assert job.enqueue_failed
        assert "将在服务恢复后自动开始" in c.get(r.url).content.decode()

    # Redis is back (in-process here): the watchdog queues the stranded job and it runs.
    from relief.jobs.services import jobs_requeue_stranded

    Job.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=job.created_at.year - 1))
    assert jobs_requeue_stranded() == 1
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert not job.enqueue_failed
    assert "后台服务暂时不可用" not in c.get("/").content.decode()
