"""Reads that may be stale go to a real streaming replica (tests/replica.py starts one from the test
server); writes, a write's transaction and a user's next page after their own write do not.

A row is proven to come from the replica by pausing its replay (pg_wal_replay_pause()): what the
primary commits afterwards is not on the replica until it resumes."""

from __future__ import annotations

import datetime
import logging
import time

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from people.models import Household
from relief import replica
from relief.exports import EXPORT_KIND
from relief.jobs.runner import run_job
from relief.models import Job, Region
from tests.conftest import login
from tests.factories import region
from tests.people.factories import HouseholdFactory, household_form

pytestmark = [
    pytest.mark.replica,
    pytest.mark.xdist_group("replica"),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]


def _replayed(server) -> None:
    """Wait until the replica has everything committed on the primary so far."""
    server.wait_replayed(replica.primary_lsn())


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(h["id"] for h in response.json()["results"])


def _paused_with_one_more(server, regions) -> tuple[Household, Household]:
    """One household on both servers, then replay paused and a second one on the primary only."""
    first = HouseholdFactory(region=regions["village"])
    _replayed(server)
    server.pause()
    later = HouseholdFactory(region=regions["village"])
    return first, later


def test_a_list_is_read_from_the_replica(on_replica, api, regions, users):
    first, later = _paused_with_one_more(on_replica, regions)
    api.force_authenticate(users["county"])
    assert _ids(api.get("/api/v1/households/")) == [first.pk]  # the replica has not replayed `later`
    # a detail page is opened to act on the record: always the primary
    assert api.get(f"/api/v1/households/{later.pk}/").status_code == 200
    on_replica.resume()
    _replayed(on_replica)
    assert _ids(api.get("/api/v1/households/")) == [first.pk, later.pk]


def test_the_next_page_after_my_own_write_shows_it(on_replica, as_user, users, regions):
    _paused_with_one_more(on_replica, regions)
    me = as_user(users["village"])
    response = me.post(reverse("people:household-create"), household_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    # the write went to the primary (the replica is read-only and paused)
    assert Household.objects.using("default").filter(address="滨河社区2组8号").exists()
    assert me.get(response.url).status_code == 200  # the household's page (and its "saved" message)
    assert "滨河社区2组8号" in me.get(reverse("people:index")).content.decode()
    # someone who wrote nothing is served by the replica, which has not replayed it yet
    other = login(Client(), users["township"])
    assert "滨河社区2组8号" not in other.get(reverse("people:index")).content.decode()


def test_an_api_client_sees_its_own_write_in_the_next_list(on_replica, api, regions, users):
    first, _later = _paused_with_one_more(on_replica, regions)
    auth = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=users['api_write']).key}"}
    reader = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=users['api_read']).key}"}
    created = api.post(
        "/api/v1/households/",
        {"region": "510121001001", "address": "滨河路1号", "heating_type": "coal"},
        **auth,
    )
    assert created.status_code == 201, created.content
    assert created.json()["id"] in _ids(api.get("/api/v1/households/", **auth))
    assert _ids(api.get("/api/v1/households/", **reader)) == [first.pk]  # not its write: the replica


def test_a_write_transaction_never_reads_the_replica(on_replica, regions):
    _paused_with_one_more(on_replica, regions)
    with replica.stale_reads(since_lsn=0):
        stale = Household.objects.count()
        with transaction.atomic():
            current = Household.objects.count()
            locked = len(Household.objects.select_for_update())
    assert (stale, current, locked) == (1, 2, 2)


def test_a_replica_lagging_past_the_limit_is_not_used(on_replica, settings, api, regions, users):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    first, later = _paused_with_one_more(on_replica, regions)
    time.sleep(0.8)
    api.force_authenticate(users["county"])
    assert _ids(api.get("/api/v1/households/")) == [first.pk, later.pk]


def test_a_live_dashboard_says_when_its_figures_are_from(on_replica, api, regions, users):
    HouseholdFactory(region=regions["village"])
    _replayed(on_replica)
    paused_at = timezone.now()
    on_replica.pause()
    time.sleep(1.2)
    HouseholdFactory(region=regions["village"])  # the replica is behind by this one, and 1.2 s
    api.force_authenticate(users["county"])
    body = api.get("/api/v1/dashboard/summary/", {"region": "510121"}).json()
    assert body["source"] == "live"
    computed_at = datetime.datetime.fromisoformat(body["computed_at"])
    assert computed_at <= paused_at  # the replica's last replayed commit, not the clock


def test_an_export_job_is_never_older_than_its_start(on_replica, settings, regions, users):
    """An export reads the replica only once it has replayed what was committed when the job began;
    paused, it waits REPLICA_JOB_WAIT_SECONDS and reads the primary."""
    settings.REPLICA_JOB_WAIT_SECONDS = 0.3
    _replayed(on_replica)
    on_replica.pause()
    region("510121001099", "新建社区")  # committed just before the export, not on the paused replica
    job = Job.objects.create(kind=EXPORT_KIND, started_by=users["province"], params={})
    assert run_job(job.pk) == "succeeded"
    job.refresh_from_db()
    assert job.result["rows"] == Region.objects.visible_to(users["province"]).count()


def test_pages_work_from_the_primary_when_the_replica_is_down(on_replica, as_user, users, regions, caplog):
    household = HouseholdFactory(region=regions["village"], address="东山村3组")
    on_replica.stop()
    page = as_user(users["county"])
    with caplog.at_level(logging.WARNING, logger="relief.replica"):
        for _ in range(2):
            response = page.get(reverse("people:index"))
            assert response.status_code == 200
            assert household.address in response.content.decode()
        api_list = page.get("/api/v1/households/")
    assert _ids(api_list) == [household.pk]
    warnings = [r for r in caplog.records if r.name == "relief.replica" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
