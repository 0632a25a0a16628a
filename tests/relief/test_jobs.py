"""Background jobs: state, progress, result and error shown to their owner; lost workers noticed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from relief.jobs.registry import HANDLERS, JobError, job_handler
from relief.jobs.services import job_retry, job_start, jobs_mark_lost
from relief.models import Job, JobState, Region

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def failing_handler():
    @job_handler("test.fails")
    def fails(ctx):
        raise JobError("第 3 行身份证号码校验位错误")

    @job_handler("test.crashes")
    def crashes(ctx):
        raise KeyError("secret-personal-data-should-not-show")

    yield
    HANDLERS.pop("test.fails")
    HANDLERS.pop("test.crashes")


def test_export_job_runs_and_produces_a_scoped_workbook(django_capture_on_commit_callbacks, users):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=users["township"], kind="relief.regions_export", title="导出")
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"rows": 2}
    assert job.percent == 100
    wb = load_workbook(job.result_file.path, read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "区划代码"
    assert [r[0] for r in rows[1:]] == ["510121001", "510121001001"]  # nothing outside the township


def test_failure_is_recorded_in_the_owners_words(django_capture_on_commit_callbacks, users, failing_handler):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=users["county"], kind="test.fails", title="导入")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.error == "第 3 行身份证号码校验位错误"
    assert job.can_retry


def test_unexpected_error_shows_type_not_data(django_capture_on_commit_callbacks, users, failing_handler):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=users["county"], kind="test.crashes", title="导入")
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "KeyError" in job.error
    assert "secret" not in job.error


def test_a_job_whose_worker_died_is_noticed_and_can_be_retried(
    django_capture_on_commit_callbacks, users, as_user, settings
):
    started = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALL_SECONDS + 60)
    job = Job.objects.create(
        kind="relief.regions_export",
        title="导出",
        started_by=users["county"],
        state=JobState.RUNNING,
        started_at=started,
        heartbeat_at=started,
        progress_done=10,
        progress_total=37,
        attempts=1,
    )
    page = as_user(users["county"]).get(f"/jobs/{job.pk}/").content.decode()
    assert "可能已停止" in page
    assert "重试" in page
    assert jobs_mark_lost() == 1
    job.refresh_from_db()
    assert job.state == JobState.LOST
    assert "停止响应" in job.error
    with django_capture_on_commit_callbacks(execute=True):
        job_retry(actor=users["county"], job=job)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.attempts == 2


def test_a_running_job_with_a_live_worker_is_not_taken_over(users):
    from relief.jobs.runner import run_job

    job = Job.objects.create(
        kind="relief.regions_export",
        title="导出",
        started_by=users["county"],
        state=JobState.RUNNING,
        heartbeat_at=timezone.now(),
        attempts=1,
    )
    assert run_job(job.pk) == "skipped"
    assert run_job(999_999) == "missing"
    job.refresh_from_db()
    assert job.attempts == 1


def test_finished_job_cannot_be_retried(users):
    from django.core.exceptions import ValidationError

    job = Job.objects.create(
        kind="relief.regions_export", title="导出", started_by=users["county"], state=JobState.SUCCEEDED
    )
    with pytest.raises(ValidationError):
        job_retry(actor=users["county"], job=job)


def test_job_page_polls_while_running_and_offers_download(django_capture_on_commit_callbacks, users, as_user):
    c = as_user(users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/regions/export/")
    assert r.status_code == 302
    page = c.get(r.url).content.decode()
    assert "下载结果" in page
    job = Job.objects.get()
    download = c.get(f"/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    running = Job.objects.create(kind="relief.regions_export", title="x", started_by=users["county"])
    partial = c.get(f"/jobs/{running.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in partial
    assert "<html" not in partial


def test_schedules_are_written_to_celery_beat(db):
    from django_celery_beat.models import PeriodicTask

    from relief.schedules import SCHEDULES, schedules_sync

    PeriodicTask.objects.filter(name="jobs-watchdog").delete()
    assert schedules_sync() == len(SCHEDULES)
    task = PeriodicTask.objects.get(name="jobs-watchdog")
    assert task.task == "relief.jobs_watchdog"
    task.enabled = False
    task.save()
    schedules_sync()
    assert not PeriodicTask.objects.get(name="jobs-watchdog").enabled  # the administrator's choice stays


def test_every_schedule_names_a_real_task_and_the_nightly_work_is_scheduled():
    """Beat runs what is scheduled and nothing else: the nightly sweeps and the escalation of
    overdue alerts (督办) were once written as tasks but never scheduled, so they never ran."""
    from relief.celery import app
    from relief.schedules import SCHEDULES

    tasks = {s.task for s in SCHEDULES.values()}
    assert {"relief.sweeps_nightly", "relief.alerts_escalate", "relief.jobs_watchdog"} <= tasks
    assert tasks <= set(app.tasks)


@pytest.mark.parametrize("who", ["province", "city", "api_read", "county"])
def test_exports_are_reads_on_the_page_and_in_the_api_alike(
    who, users, as_user, api, django_capture_on_commit_callbacks
):
    """Read-only officials could export regions from the page but the API refused them: exports are
    reads, so every role may export what it sees, through either door, and gets only that."""
    user = users[who]
    with django_capture_on_commit_callbacks(execute=True):
        page = as_user(user).post("/regions/export/")
    assert page.status_code == 302
    api.force_authenticate(user)
    with django_capture_on_commit_callbacks(execute=True):
        r = api.post("/api/v1/regions/export/")
    assert r.status_code == 202, r.content
    jobs = Job.objects.filter(started_by=user, kind="relief.regions_export")
    assert jobs.count() == 2
    assert page.url == f"/jobs/{jobs.order_by('pk').first().pk}/"
    visible = Region.objects.visible_to(user).count()
    for job in jobs:
        job.refresh_from_db()
        assert job.state == JobState.SUCCEEDED
        assert job.result == {"rows": visible}


def test_exports_refuse_anonymous_callers_at_both_doors(client, api, db):
    assert client.post("/regions/export/").status_code == 302  # to the login page
    assert api.post("/api/v1/regions/export/").status_code == 401
    assert not Job.objects.exists()


def test_a_read_only_official_retries_the_export_they_started_at_both_doors(users, as_user, api):
    """A job is its owner's: the page and the API let its owner retry it, whatever the role, and
    nobody else but an administrator."""
    official = users["province"]
    job = Job.objects.create(
        kind="relief.regions_export", title="导出", started_by=official, state=JobState.FAILED
    )
    api.force_authenticate(users["city"])  # someone else: not even found
    assert api.post(f"/api/v1/jobs/{job.pk}/retry/").status_code == 404
    api.force_authenticate(official)
    detail = api.get(f"/api/v1/jobs/{job.pk}/").json()
    assert [a["name"] for a in detail["available_actions"]] == ["retry"]
    r = api.post(f"/api/v1/jobs/{job.pk}/retry/")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == JobState.PENDING
    assert r.json()["available_actions"] == []
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED)
    page = as_user(official).post(f"/jobs/{job.pk}/retry/")
    assert page.status_code == 302
    job.refresh_from_db()
    assert job.state == JobState.PENDING
