"""A sweep on demand is one job split into county tasks (parts): the watchdog does not take it for
lost while its tasks wait in the queue, and a task delivered twice counts once."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from relief.alerts import tasks as alert_tasks
from relief.alerts.services import sweep_start
from relief.alerts.sweeps import SWEEPS, Sweep, register
from relief.jobs.services import jobs_mark_lost
from relief.models import Alert, Job, JobState, Region

pytestmark = pytest.mark.django_db

KIND = "test.parts"


def villages(county_code: str, today: datetime.date):
    return Region.objects.filter(level=5, code__startswith=county_code).annotate(
        dedup_key=Concat(Value(f"{KIND}:"), F("code"), output_field=CharField()),
        region_code=F("code"),
        message=Concat(Value("村 "), F("name"), Value(" 需要关注"), output_field=CharField()),
        subject_id=F("code"),
        subject_label=F("name"),
    )


@pytest.fixture
def queued(monkeypatch, regions):
    """A sweep whose county tasks are held in a list (the queue) instead of running at once."""
    register(Sweep(kind=KIND, label="测试监测", findings=villages))
    held: list[tuple] = []
    monkeypatch.setattr(alert_tasks.sweep_county_task, "apply_async", lambda args, **kw: held.append(args))
    yield held
    SWEEPS.pop(KIND)


def start(users, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        job = sweep_start(actor=users["admin"], kinds=[KIND])
    job.refresh_from_db()
    return job


def deliver(args: tuple) -> dict:
    return alert_tasks.sweep_county_task(*args)


def later(seconds: float):
    """The clock `seconds` from now (for the watchdog's view of how long nothing happened)."""
    return mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(seconds=seconds)
    )


def test_the_watchdog_leaves_a_job_alone_while_its_county_tasks_wait_in_the_queue(
    users, queued, settings, django_capture_on_commit_callbacks
):
    job = start(users, django_capture_on_commit_callbacks)
    assert job.state == JobState.RUNNING
    assert job.progress_total == len(queued) == 2  # the two counties of the tree
    # the queue is busy with other work: nothing of this job reported for longer than the stall limit
    with later(settings.JOB_STALL_SECONDS + 60):
        assert not Job.objects.filter(pk=job.pk).stalled().exists()
        assert jobs_mark_lost() == 0
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and not job.error
    for args in queued:  # the workers get to them
        deliver(args)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert (job.progress_done, job.result) == (2, {"raised": 2, "resolved": 0})


def test_a_job_whose_parts_are_stuck_is_still_noticed_and_completes_if_they_come_back(
    users, queued, settings, django_capture_on_commit_callbacks
):
    job = start(users, django_capture_on_commit_callbacks)
    deliver(queued[0])
    # a worker took the second part and died: no heartbeat since, and nothing else on its way
    with later(0):
        alert_tasks.part_start(job.pk, alert_tasks.part_key(*queued[1][1:3]))
    with later(settings.JOB_STALL_SECONDS + 60):
        assert jobs_mark_lost() == 1
    job.refresh_from_db()
    assert job.state == JobState.LOST and "停止响应" in job.error
    deliver(queued[1])  # the broker delivers the task again (late acknowledgement)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and not job.error
    assert job.progress_done == job.progress_total == 2


def test_parts_never_taken_from_the_queue_for_too_long_mean_the_job_is_lost(
    users, queued, settings, django_capture_on_commit_callbacks
):
    job = start(users, django_capture_on_commit_callbacks)
    with later(settings.JOB_PART_QUEUE_SECONDS + 60):
        assert jobs_mark_lost() == 1
    job.refresh_from_db()
    assert job.state == JobState.LOST


def test_a_county_task_delivered_twice_counts_once(users, queued, django_capture_on_commit_callbacks):
    job = start(users, django_capture_on_commit_callbacks)
    first, second = queued
    assert deliver(first) == {"raised": 1, "resolved": 0}
    assert deliver(first) == {"duplicate": True}  # redelivered after it was done
    job.refresh_from_db()
    assert job.state == JobState.RUNNING, "one county is still to do"
    assert (job.progress_done, job.result) == (1, {"raised": 1, "resolved": 0})
    deliver(second)
    deliver(second)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert (job.progress_done, job.progress_total, job.result) == (2, 2, {"raised": 2, "resolved": 0})
    assert Alert.objects.filter(kind=KIND).count() == 2


def test_a_retried_sweep_counts_its_parts_afresh(users, queued, django_capture_on_commit_callbacks):
    from relief.jobs.services import job_retry

    job = start(users, django_capture_on_commit_callbacks)
    deliver(queued[0])
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, error="监测在 510129 出错")
    with django_capture_on_commit_callbacks(execute=True):
        job_retry(actor=users["admin"], job=job)
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (JobState.RUNNING, 0, 2)
    old_second, *again = queued[1:]
    assert len(again) == 2  # the retry queued both counties again
    deliver(old_second)  # a task of the first attempt still in the queue counts for the retry
    for args in again:
        deliver(args)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.progress_done == 2
    assert job.result == {"raised": 1, "resolved": 0}  # the first county's alert was raised before
