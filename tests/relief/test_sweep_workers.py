"""Real Celery workers on Redis share one monitoring sweep over several counties, and a worker killed
mid-sweep leaves nothing half-done: a rerun completes it with nothing duplicated and nothing missed.

The sweeps are made slow (a statement trigger on relief_alert that sleeps) so that the work is
really spread over the workers and a kill lands while tasks are in flight. These tests use a Redis
database of their own (SWEEP_TEST_REDIS_URL, default db 12) because the killed-worker test lowers
the visibility timeout: a worker restores every unacknowledged message older than that, and on a
shared database it would also restore other tests' messages."""

from __future__ import annotations

import contextlib
import datetime
import os
import re
import time

import pytest
from django.db import connection
from django.db.models import Count

import tests.workers as workers
from people.sweeps import NO_CARER, NO_GUARDIAN
from relief.alerts.services import sweep_start
from relief.models import Alert, AlertEvent, AlertStatus, Job, JobState
from tests.factories import region
from tests.people.factories import HouseholdFactory, PersonFactory
from tests.workers import Worker, new_queue, redis_or_skip, wait_for

# one after the other in one process of a parallel run (`dev.py test` runs pytest-xdist with
# --dist loadgroup): they share the Redis database above
pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("sweep-redis"),
]

KINDS = [NO_CARER, NO_GUARDIAN]
EXTRA_COUNTIES = ["510122", "510124", "510131", "510132"]
SWEEP_REDIS_URL = os.environ.get("SWEEP_TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


@pytest.fixture
def broker(monkeypatch):
    """A Redis database for these tests alone (see the module docstring)."""
    monkeypatch.setattr(workers, "REDIS_URL", SWEEP_REDIS_URL)
    redis_or_skip()
    return SWEEP_REDIS_URL


@pytest.fixture
def counties(regions) -> dict[tuple[str, str], int]:
    """Six counties, each with its own number of findings per kind: {(kind, county): expected}."""
    expected = {}
    codes = ["510121", "510129", *EXTRA_COUNTIES]
    for i, county in enumerate(codes):
        region(county)
        village = region(f"{county}001001")
        for j in range(i + 1):
            PersonFactory(
                household=HouseholdFactory(region=village), unable_self_care=True, name=f"失能{i}-{j}"
            )
        for j in range(2):
            PersonFactory(
                household=HouseholdFactory(region=village),
                birth=datetime.date(2018, 5, 1),
                is_orphan=True,
                name=f"孤儿{i}-{j}",
            )
        expected[(NO_CARER, county)] = i + 1
        expected[(NO_GUARDIAN, county)] = 2
    return expected


@contextlib.contextmanager
def slow_sweeps(seconds: float):
    """Every INSERT into relief_alert (one per sweep_county) sleeps `seconds` first."""
    with connection.cursor() as cur:
        cur.execute(
            f"""CREATE OR REPLACE FUNCTION ww_test_slow_sweep() RETURNS trigger LANGUAGE plpgsql AS
                $$ BEGIN PERFORM pg_sleep({float(seconds)}); RETURN NULL; END $$"""
        )
        cur.execute(
            """CREATE TRIGGER ww_test_slow_sweep BEFORE INSERT ON relief_alert
               FOR EACH STATEMENT EXECUTE FUNCTION ww_test_slow_sweep()"""
        )
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS ww_test_slow_sweep ON relief_alert")
            cur.execute("DROP FUNCTION IF EXISTS ww_test_slow_sweep()")


def broker_queue(queue: str):
    return workers.use_broker(queue)


def finished(job_id: int) -> Job | None:
    return Job.objects.filter(pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first()


def tasks_done(worker: Worker) -> int:
    return len(re.findall(r"Task relief\.sweep_county\[[^\]]+\] succeeded", worker.log.read_text()))


def assert_alerts_exactly(expected: dict[tuple[str, str], int]) -> None:
    found = {
        (row["kind"], row["region_id"][:6]): row["n"]
        for row in Alert.objects.values("kind", "region_id").annotate(n=Count("id"))
    }
    by_county: dict[tuple[str, str], int] = {}
    for (kind, county), n in found.items():
        by_county[(kind, county)] = by_county.get((kind, county), 0) + n
    assert by_county == expected
    assert not Alert.objects.exclude(status=AlertStatus.OPEN).exists()
    # one alert per finding, raised once, never resolved and raised again
    assert Alert.objects.values("dedup_key").distinct().count() == Alert.objects.count()
    assert AlertEvent.objects.filter(action="raised").count() == Alert.objects.count()
    assert not AlertEvent.objects.exclude(action="raised").exists()


def test_two_workers_share_one_sweep_over_several_counties(broker, users, counties):
    queue = new_queue()
    pair = [Worker(queue, "sweep-a"), Worker(queue, "sweep-b")]
    try:
        for worker in pair:
            worker.wait_ready()
        with slow_sweeps(0.5):
            with broker_queue(queue):
                job = sweep_start(actor=users["admin"], kinds=KINDS)
            job = wait_for(lambda: finished(job.pk), timeout=120, message="the sweep job to finish")
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.progress_total == job.progress_done == len(counties) == 12
        assert job.result == {"raised": sum(counties.values()), "resolved": 0}
        assert_alerts_exactly(counties)
        shares = [tasks_done(w) for w in pair]
        assert sum(shares) == 12 and all(shares), shares  # both workers took part
    finally:
        for worker in pair:
            worker.stop()


def test_a_worker_killed_mid_sweep_then_a_rerun_leaves_nothing_duplicated_or_missed(
    broker, users, counties, monkeypatch
):
    # unacknowledged tasks of a dead worker come back after 3 s (not the production hour)
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "3")
    queue = new_queue()
    doomed = [Worker(queue, "doomed-a"), Worker(queue, "doomed-b")]
    rescuer = None
    try:
        for worker in doomed:
            worker.wait_ready()
        with slow_sweeps(1.0):
            with broker_queue(queue):
                job = sweep_start(actor=users["admin"], kinds=KINDS)
            wait_for(
                lambda: Job.objects.filter(pk=job.pk, progress_done__gte=3).exists(),
                timeout=60,
                message="a few counties done",
            )
            for worker in doomed:  # SIGKILL while each holds a task in the middle of its statement
                worker.kill()
            done_at_kill = Job.objects.get(pk=job.pk).progress_done
            assert done_at_kill < len(counties), "the sweep finished before the kill: make it slower"
            assert Alert.objects.count() < sum(counties.values())

            time.sleep(4)  # past the visibility timeout: the killed tasks are due again
            rescuer = Worker(queue, "rescuer")  # restores the unacknowledged tasks when it starts
            rescuer.wait_ready()
            with broker_queue(queue):
                rerun = sweep_start(actor=users["admin"], kinds=KINDS)
            rerun = wait_for(lambda: finished(rerun.pk), timeout=180, message="the rerun to finish")
            assert rerun.state == JobState.SUCCEEDED, rerun.error
            # the first job's own remaining parts were delivered again and completed it too
            first = wait_for(lambda: finished(job.pk), timeout=120, message="the first job to complete")
            assert first.state == JobState.SUCCEEDED, first.error
        assert_alerts_exactly(counties)
        assert tasks_done(rescuer) >= len(counties) + (len(counties) - done_at_kill)
    finally:
        for worker in [*doomed, *([rescuer] if rescuer else [])]:
            worker.stop()
