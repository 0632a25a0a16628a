"""Queues per kind of work (relief/queues.py): every job and task goes to the queue of its kind, a
job's parts follow the job, and with a worker per queue a long roster import does not hold up what a
page waits for.

The worker test uses the real queue names, so it has a Redis database of its own
(QUEUES_TEST_REDIS_URL, default db 6), emptied before it starts."""

from __future__ import annotations

import contextlib
import os
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

import tests.workers as workers
from people.models import Person
from people.services import roster_upload_create
from relief import queues
from relief.celery import app
from relief.dashboard.models import RegionFigure
from relief.dashboard.selectors import RUN_KEY
from relief.jobs.registry import HANDLERS
from relief.models import Job, JobState
from relief.schedules import SCHEDULES
from tests.conftest import login
from tests.people.test_imports import GOOD_ROWS, roster
from tests.workers import Worker, redis_or_skip, use_broker, wait_for

QUEUES_REDIS_URL = os.environ.get("QUEUES_TEST_REDIS_URL", "redis://127.0.0.1:6379/6")


def routed(name: str, *args) -> str:
    return app.amqp.router.route({}, name, args, {})["queue"].name


@pytest.mark.django_db
def test_each_job_kind_goes_to_the_queue_of_its_kind(users):
    expected = {
        "relief.sweep": "sweeps",
        "people.roster_import": "imports",
        "exchange.batch_process": "imports",
        "relief.regions_export": "exports",
        "people.roster_export": "exports",
        "people.roster_error_file": "exports",
    }
    for kind, queue in expected.items():
        job = Job.objects.create(kind=kind, title=kind, started_by=users["county"])
        assert routed("relief.run_job", job.pk) == queue, kind
    # a kind of job not listed is small: a page waits for it
    job = Job.objects.create(kind="relief.something_small", title="x", started_by=users["county"])
    assert routed("relief.run_job", job.pk) == "interactive"
    assert set(queues.JOB_QUEUES) <= set(HANDLERS), "a job kind in the map that no handler does"


def test_each_task_goes_to_the_queue_of_its_kind():
    assert routed("relief.sweep_county", 1, "no_carer", "510121") == "sweeps"
    assert routed("relief.sweeps_nightly") == "sweeps"
    assert routed("reports.generate_daily") == "exports"
    assert routed("relief.dashboard_refresh") == "interactive"
    assert routed("relief.jobs_watchdog") == "celery"
    # every routed task exists, and so does every periodic one (beat sends through the same routes)
    assert set(queues.TASK_QUEUES) <= set(app.tasks)
    assert {s.task for s in SCHEDULES.values()} <= set(app.tasks)


@contextlib.contextmanager
def slow_inserts(table: str, seconds: float):
    """Every INSERT or COPY into `table` sleeps `seconds` first (a long import)."""
    with connection.cursor() as cur:
        cur.execute(
            f"""CREATE OR REPLACE FUNCTION ww_test_slow_insert() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NULL; END $$"""
        )
        cur.execute(
            f"""CREATE TRIGGER ww_test_slow_insert BEFORE INSERT ON {table}
               FOR EACH STATEMENT EXECUTE FUNCTION ww_test_slow_insert()"""
        )
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"DROP TRIGGER IF EXISTS ww_test_slow_insert ON {table}")
            cur.execute("DROP FUNCTION IF EXISTS ww_test_slow_insert()")


def state(job_id: int) -> str:
    return Job.objects.values_list("state", flat=True).get(pk=job_id)


@pytest.mark.worker
@pytest.mark.xdist_group("queues-redis")
@pytest.mark.django_db(transaction=True)
def test_a_long_import_does_not_delay_a_pages_job(monkeypatch, users, api, client):
    """A worker per queue (imports; exports; interactive and the default), as docker-compose.yml
    runs them. While a roster import holds the imports worker, an export started from the API and
    the dashboard's refresh started from its page both finish, and the import is still running."""
    import redis

    monkeypatch.setattr(workers, "REDIS_URL", QUEUES_REDIS_URL)
    redis_or_skip()
    redis.Redis.from_url(QUEUES_REDIS_URL).flushdb()  # nothing left on the real queue names
    pool = [
        Worker("imports", "q-imports"),
        Worker("exports", "q-exports"),
        Worker("interactive,celery", "q-interactive"),
    ]
    import_seconds = 12.0
    try:
        for worker in pool:
            worker.wait_ready()
        with slow_inserts(Person._meta.db_table, import_seconds), use_broker(None):
            upload = roster_upload_create(
                actor=users["county"],
                file=SimpleUploadedFile("花名册.xlsx", roster(GOOD_ROWS)),
                commit=True,
            )
            importing = upload.commit_job_id
            wait_for(lambda: state(importing) == JobState.RUNNING, timeout=30, message="the import to start")
            started = time.monotonic()
            api.force_authenticate(users["county"])
            r = api.post("/api/v1/regions/export/")
            assert r.status_code == 202
            export_id = r.json()["id"]
            login(client, users["county"])
            assert client.post(reverse("dashboard:refresh")).status_code == 302

            wait_for(lambda: state(export_id) == JobState.SUCCEEDED, timeout=import_seconds, message="export")
            wait_for(
                lambda: RegionFigure.objects.filter(key=RUN_KEY).exists(),
                timeout=import_seconds,
                message="the dashboard refresh",
            )
            waited = time.monotonic() - started
            assert state(importing) == JobState.RUNNING, "the import ended first: make it slower"
            assert waited < import_seconds
            done = wait_for(
                lambda: Job.objects.filter(
                    pk=importing, state__in=[JobState.SUCCEEDED, JobState.FAILED]
                ).first(),
                timeout=60,
                message="the import to finish",
            )
        assert done.state == JobState.SUCCEEDED, done.error
        assert Person.objects.count() == 6  # the roster's people, once
        assert Job.objects.get(pk=export_id).result == {"rows": 3}
        # each worker ran its own kind: one job each for imports and exports, the refresh on interactive
        ran = {w.name: re.findall(r"Task ([\w.]+)\[[^\]]+\] succeeded", w.log.read_text()) for w in pool}
        assert ran == {
            "q-imports": ["relief.run_job"],
            "q-exports": ["relief.run_job"],
            "q-interactive": ["relief.dashboard_refresh"],
        }
    finally:
        for worker in pool:
            worker.stop()


def test_every_queue_is_declared_with_its_own_routing_key():
    """A worker started without -Q serves them all; a message sent to one queue lands in that one only."""
    declared = app.amqp.queues
    assert set(declared) == set(queues.QUEUES)
    assert {q.routing_key for q in declared.values()} == set(queues.QUEUES)
    assert len({q.exchange.name for q in declared.values()}) == len(queues.QUEUES)


def test_docker_compose_serves_every_queue():
    """A queue no worker listens on would hold its work for ever: the compose file's workers, -Q by
    -Q, cover every queue of relief/queues.py, and there is one beat."""
    import yaml

    from tests.workers import ROOT

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    served: list[str] = []
    for service in services.values():
        command = str(service.get("command", ""))
        if "celery -A relief worker" in command:
            served += re.search(r"-Q (\S+)", command).group(1).split(",")
    assert sorted(served) == sorted(queues.QUEUES)  # each once
    assert sum("celery -A relief beat" in str(s.get("command", "")) for s in services.values()) == 1
