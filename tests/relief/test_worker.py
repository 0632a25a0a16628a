"""A real Celery worker on Redis runs a job started through the API."""

from __future__ import annotations

import pytest

from relief.models import Job, JobState
from tests.workers import Worker, new_queue, redis_or_skip, use_broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_real_worker_runs_a_job_and_reports_progress(api, users):
    redis_or_skip()
    queue = new_queue()
    worker = Worker(queue, "w1")
    try:
        worker.wait_ready()
        with use_broker(queue):
            api.force_authenticate(users["county"])
            r = api.post("/api/v1/regions/export/")
        assert r.status_code == 202
        job_id = r.json()["id"]
        assert r.json()["state"] == "pending"
        job = wait_for(
            lambda: Job.objects.filter(pk=job_id, state__in=[JobState.SUCCEEDED, JobState.FAILED]).first(),
            message=f"the worker to finish the job ({Job.objects.get(pk=job_id).message})",
        )
        assert job.state == JobState.SUCCEEDED, job.error
        assert job.result == {"rows": 3}  # the county, its township and its village: the owner's scope
        assert job.attempts == 1
        r = api.get(f"/api/v1/jobs/{job_id}/")
        assert r.json()["percent"] == 100
        assert r.json()["result_file"].endswith(f"/jobs/{job_id}/download/")
    finally:
        worker.stop()
