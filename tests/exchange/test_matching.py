"""Matching is set-based and agrees with the register's own definitions: the monitored households
of matching.monitored_ids are Household.objects.monitored(); a large batch is matched as a job."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from exchange import matching, services
from exchange.models import BatchStatus, ExchangeRecord
from people.models import Household
from relief.models import Job, JobState
from tests.exchange import data
from tests.exchange.conftest import fixture_file
from tests.people.factories import AssistanceFactory, household_with_head

pytestmark = pytest.mark.django_db


def test_monitored_ids_are_the_monitored_households(regions):
    today = timezone.localdate()
    households = [household_with_head() for _ in range(6)]
    AssistanceFactory(household=households[0], category="dibao")  # in force
    AssistanceFactory(
        household=households[1], category="dibao_edge", end_date=today - datetime.timedelta(days=3)
    )
    AssistanceFactory(
        household=households[2], category="dibao", start_date=today + datetime.timedelta(days=5)
    )
    households[3].cohort_until = today + datetime.timedelta(days=1)
    households[4].cohort_until = today - datetime.timedelta(days=1)
    for h in households[3:5]:
        h.save(update_fields=["cohort_until"])
    sql, params = matching.monitored_ids()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {row[0] for row in cursor.fetchall()}
    assert found == set(Household.objects.monitored().values_list("pk", flat=True))
    assert found == {households[0].pk, households[3].pk}


def test_a_large_batch_is_matched_as_a_job_with_progress(
    users, regions, source, register, settings, django_capture_on_commit_callbacks
):
    settings.EXCHANGE_INLINE_BYTES = 100  # every file is "large"
    with django_capture_on_commit_callbacks(execute=True):
        batch, created = services.batch_receive(
            actor=users["county"],
            source=source,
            region=regions["county"],
            file=fixture_file("medical-gbk.csv"),
        )
    assert created and batch.job_id
    batch.refresh_from_db()
    job = Job.objects.get(pk=batch.job_id)
    assert (batch.status, job.state) == (BatchStatus.DONE, JobState.SUCCEEDED)
    assert job.result["matched"] == data.EXPECTED["matched"] == batch.matched
    assert ExchangeRecord.objects.filter(batch=batch).count() == data.EXPECTED["received"]
    # the job is safe to run twice: a batch already done is left as it is
    assert services.batch_process(batch_id=batch.pk).pk == batch.pk
    assert ExchangeRecord.objects.filter(batch=batch).count() == data.EXPECTED["received"]


def test_the_same_person_twice_in_a_file_is_matched_on_both_lines(users, regions, source, register):
    records = [
        {"id_number": data.MONITORED, "amount": 10},
        {"id_number": data.MONITORED.lower(), "amount": 20},
    ]
    batch, _created = services.batch_receive(
        actor=users["county"], source=source, region=regions["county"], records=records
    )
    assert batch.matched == 2
    assert set(ExchangeRecord.objects.filter(batch=batch).values_list("person_id", flat=True)) == {
        register[data.MONITORED].pk
    }
