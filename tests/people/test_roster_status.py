"""A dry run that found bad rows is finished but not fine: every page that shows its state shows it
as needing attention (yellow, with the number of bad rows), never the green 已完成, and offers no
commit."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import RosterUpload
from relief.models import JobState
from tests.conftest import login
from tests.people.test_imports import BAD_ROWS, GOOD_ROWS, roster

pytestmark = pytest.mark.django_db

GREEN_DONE = '<span class="badge text-bg-success">已完成</span>'


def _upload(client, data: bytes):
    return client.post(
        reverse("people:roster-upload"),
        {"file": SimpleUploadedFile("花名册.xlsx", data, content_type="application/octet-stream")},
    )


def test_a_dry_run_with_errors_needs_attention_on_every_page(
    client, users, django_capture_on_commit_callbacks
):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster({**GOOD_ROWS, **BAD_ROWS}))
    upload = RosterUpload.objects.get()
    job = upload.dry_run_job
    assert job.state == JobState.SUCCEEDED  # the dry run itself ran to the end
    bad_rows = len(BAD_ROWS)
    assert job.problems == bad_rows

    attention = (
        f'<span class="badge text-bg-warning" data-testid="job-problems">发现问题（{bad_rows} 行）</span>'
    )
    pages = {
        "upload page": client.get(response.url).content.decode(),
        "its htmx partial": client.get(response.url, HTTP_HX_REQUEST="true").content.decode(),
        "upload list": client.get(reverse("people:roster-upload")).content.decode(),
        "job list": client.get(reverse("job-list")).content.decode(),
        "job page": client.get(reverse("job-detail", args=[job.pk])).content.decode(),
        "today": client.get("/").content.decode(),
    }
    for name, page in pages.items():
        assert attention in page, name
        assert GREEN_DONE not in page, name
    assert 'data-testid="dry-run-attention"' in pages["upload page"]
    assert 'data-testid="commit-form"' not in pages["upload page"]
    assert 'data-testid="job-attention"' in pages["job page"]


def test_a_clean_dry_run_is_done_and_offers_the_commit(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster(GOOD_ROWS))
    job = RosterUpload.objects.get().dry_run_job
    assert job.problems == 0
    for url in (response.url, reverse("people:roster-upload"), reverse("job-detail", args=[job.pk])):
        page = client.get(url).content.decode()
        assert GREEN_DONE in page
        assert 'data-testid="job-problems"' not in page
    page = client.get(response.url).content.decode()
    assert 'data-testid="commit-form"' in page
    assert 'data-testid="dry-run-attention"' not in page


def test_a_failed_commit_is_shown_failed_not_as_problems(users):
    from relief.models import Job

    job = Job(state=JobState.FAILED, result={"error_count": 3, "error_rows": 2})
    assert job.problems == 0
    job.state = JobState.SUCCEEDED
    assert job.problems == 2
