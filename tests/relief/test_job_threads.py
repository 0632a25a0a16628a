"""Without a broker, a web process runs jobs in threads of its own (relief/jobs/pool.py): the upload
answers at once, the page shows the job's progress while it runs, and a job its process left
behind is taken up again or shown as lost (relief/jobs/watch.py).

The rest of the suite runs jobs inline after commit (tests/settings.py); these tests turn threads on,
with real commits (the job's thread has its own connection)."""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.urls import reverse
from django.utils import timezone

from people.models import RosterUpload
from people.roster import job as roster_job
from relief.jobs import pool, watch
from relief.jobs.registry import HANDLERS, job_handler
from relief.jobs.runner import enqueue
from relief.models import Job, JobState
from tests.conftest import login
from tests.people.test_imports import GOOD_ROWS, roster

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def threads(settings):
    """This process serves jobs in threads, as a web process without a broker does."""
    settings.JOBS_RUN_IN_THREAD = True
    pool.set_serving(True)
    yield
    pool.stop()
    pool.set_serving(False)


def _wait(job_id: int, until, seconds: float = 30) -> Job:
    deadline = time.monotonic() + seconds
    while True:
        job = Job.objects.get(pk=job_id)
        if until(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job still {job.state}: {job.message}")
        time.sleep(0.05)


@pytest.fixture
def held_after_reading(monkeypatch):
    """The roster job stops after reading the sheet until the test lets it go on."""
    go_on = threading.Event()
    resolve = roster_job.resolve_villages

    def paused(actor, rows):
        assert go_on.wait(30), "the test never let the job go on"
        return resolve(actor, rows)

    monkeypatch.setattr(roster_job, "resolve_villages", paused)
    yield go_on
    go_on.set()


def test_an_upload_answers_at_once_and_its_progress_shows_while_the_job_runs(
    client, users, threads, held_after_reading
):
    login(client, users["county"])
    started = time.monotonic()
    response = client.post(
        reverse("people:roster-upload"),
        {
            "file": SimpleUploadedFile(
                "花名册.xlsx", roster(GOOD_ROWS), content_type="application/octet-stream"
            )
        },
    )
    assert response.status_code == 302
    assert time.monotonic() - started < 10  # the request did not wait for the job (held for 30 s)
    upload = RosterUpload.objects.get()

    # the job runs in its thread, stopped after reading; its progress is in the database
    job = _wait(upload.dry_run_job_id, lambda j: j.state == JobState.RUNNING and j.progress_done > 0)
    assert 0 < job.progress_done < job.progress_total
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in partial  # the page keeps polling
    assert f'data-progress="{job.percent}"' in partial
    assert "正在核对已登记的家庭和人员" in partial
    status = client.get(reverse("job-detail", args=[job.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert f"已处理 {job.progress_done} / {job.progress_total}" in status
    api = client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert (api["state"], api["progress_done"]) == ("running", job.progress_done)

    held_after_reading.set()
    job = _wait(job.pk, lambda j: j.is_finished)
    assert job.state == JobState.SUCCEEDED
    assert job.progress_done == job.progress_total
    page = client.get(response.url).content.decode()
    assert 'data-testid="commit-form"' in page
    assert 'hx-trigger="every 2s"' not in page


def test_other_jobs_run_in_threads_too(client, users, regions, threads):
    """An export (a result file) and a monitoring sweep (split into parts) finish in their thread."""
    login(client, users["county"])
    export = client.post("/regions/export/")
    sweep = client.post(reverse("sweep-run"))
    roster_export = client.post(reverse("people:roster-export"))
    for response in (export, sweep, roster_export):
        assert response.status_code == 302
    for job in Job.objects.all():
        job = _wait(job.pk, lambda j: j.is_finished)
        assert job.state == JobState.SUCCEEDED, (job.kind, job.error)
    export_job = Job.objects.get(kind="relief.regions_export")
    assert client.get(reverse("job-download", args=[export_job.pk])).status_code == 200


def test_a_process_that_is_not_a_web_server_runs_jobs_inline(users, regions, settings):
    """A management command (or a test) never exits with a job left in a thread."""
    settings.JOBS_RUN_IN_THREAD = True
    assert not pool.serving()
    job = Job.objects.create(kind="relief.regions_export", title="导出", started_by=users["county"])
    enqueue(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert pool.held() == (set(), set())


@pytest.fixture
def blocking_handler():
    go_on = threading.Event()

    @job_handler("test.blocks")
    def blocks(ctx):
        assert go_on.wait(30)
        return {"ok": 1}

    yield go_on
    go_on.set()
    HANDLERS.pop("test.blocks")


def test_the_watch_keeps_held_jobs_alive_and_takes_up_what_an_ended_process_left(
    users, regions, settings, threads, blocking_handler
):
    settings.JOBS_THREADS = 1
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.JOB_STALL_SECONDS + 60)

    def job(**fields) -> Job:
        return Job.objects.create(title="x", started_by=users["county"], **fields)

    # held by this process: one running (blocked), one waiting behind it in the only thread
    running = job(kind="test.blocks")
    enqueue(running.pk)
    _wait(running.pk, lambda j: j.state == JobState.RUNNING)
    waiting = job(kind="relief.regions_export")
    enqueue(waiting.pk)
    # left by a process that ended: one waiting, one running
    orphan = job(kind="relief.regions_export", heartbeat_at=long_ago)
    dead = job(
        kind="relief.regions_export", state=JobState.RUNNING, started_at=long_ago, heartbeat_at=long_ago
    )
    Job.objects.filter(pk__in=[running.pk, waiting.pk]).update(heartbeat_at=long_ago)

    done = watch.tick()

    assert done == {"beating": 2, "taken": 1, "lost": 1}
    for held in (running, waiting):
        held.refresh_from_db()
        assert held.heartbeat_at > long_ago  # alive: neither taken nor marked lost
    assert (running.state, waiting.state) == (JobState.RUNNING, JobState.PENDING)
    dead.refresh_from_db()
    assert dead.state == JobState.LOST and dead.can_retry
    assert Job.objects.get(pk=orphan.pk).state == JobState.PENDING  # taken, queued behind the others

    blocking_handler.set()
    for pk in (running.pk, waiting.pk, orphan.pk):
        assert _wait(pk, lambda j: j.is_finished).state == JobState.SUCCEEDED
    assert watch.tick() == {"beating": 0, "taken": 0, "lost": 0}
    connections.close_all()
