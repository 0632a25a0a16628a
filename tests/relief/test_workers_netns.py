"""Two Celery workers on two hosts share one sweep; one host is lost mid-run (its worker SIGKILLed and
its cable pulled) and the other completes the job with nothing doubled or lost. On the imports queue,
the host of a roster import is lost in the middle of the import's transaction: the other host runs a
department batch and the import again, and the people are imported once.

The hosts are network namespaces of the test's own (tests/netns.py): each reaches the broker and the
database over a private LAN (a veth pair into a bridge of the root namespace), never over this
machine's loopback, which is not theirs. The broker is a Redis server of the test's own bound to the
bridge address; PostgreSQL (listening on 127.0.0.1 only) is reached through socat on the bridge
address, which forwards to it and drops a connection whose host has vanished within seconds (TCP
keepalives and TCP_USER_TIMEOUT, as PostgreSQL's tcp_keepalives_* and tcp_user_timeout settings do
for a remote worker), so the lost host's open transaction is rolled back and its locks freed.

The lost host's task in flight was taken but never acknowledged (acks_late): the broker gives it
again after the visibility timeout (4 s here, CELERY_VISIBILITY_TIMEOUT; an hour in production) to
the surviving worker, which looks for such tasks every second here (CELERY_RESTORE_SECONDS; 10 s in
production). The parts are counted once (relief/jobs/parts.py), so a part done twice counts once."""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Count

from exchange.models import ExchangeBatch, ExchangeRecord
from people.models import Person
from people.services import roster_upload_create
from relief import queues
from relief.alerts.services import sweep_start
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, Job, JobPart, JobState
from tests.exchange import data
from tests.exchange.conftest import register, source
from tests.exchange.test_api_batches import send_file
from tests.netns import PG_HOST, PG_PORT, celery_on, lan, lan_or_skip, reachable_from
from tests.people.test_imports import GOOD_ROWS, roster
from tests.relief.test_queues import slow_inserts
from tests.relief.test_sweep_workers import KINDS, assert_alerts_exactly, counties, finished, slow_sweeps
from tests.workers import Worker, use_broker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.netns, pytest.mark.django_db(transaction=True)]

# the fixtures: six counties with their expected findings; a department's source and the people of its file
__all__ = ["counties", "register", "source"]


def in_process_counts() -> dict[tuple[str, str], int]:
    """The alerts one in-process run raises, per (kind, county); rolled back after counting."""
    with transaction.atomic():
        for kind, county in {(kind, county) for kind in KINDS for county in counties_of()}:
            sweep_county(kind, county)
        found = {
            (row["kind"], row["region_id"][:6]): row["n"]
            for row in Alert.objects.values("kind", "region_id").annotate(n=Count("id"))
        }
        transaction.set_rollback(True)
    return found


def counties_of() -> list[str]:
    from relief.alerts.sweeps import counties_under

    return counties_under(None)


def parts_done(worker: Worker) -> int:
    return len(re.findall(r"Task relief\.sweep_county\[[^\]]+\] succeeded", worker.log.read_text()))


def test_a_host_lost_mid_sweep_the_other_completes_it_nothing_doubled_or_lost(users, counties):
    lan_or_skip()
    reference = in_process_counts()
    assert reference == counties  # one run in this process finds what the data holds
    with lan(2) as net:
        env = {"CELERY_VISIBILITY_TIMEOUT": "4", "CELERY_RESTORE_SECONDS": "1"}
        pair = celery_on(net, queues.SWEEPS, "host", env)
        lost = net.hosts[0]
        try:
            # separate hosts: this machine's PostgreSQL is not on their loopback, only on the LAN
            assert not reachable_from(lost, PG_HOST, PG_PORT)
            assert reachable_from(lost, *net.database)
            for worker in pair:
                worker.wait_ready(60)
            with slow_sweeps(1.0):
                with use_broker(None, broker_url=net.broker):
                    job = sweep_start(actor=users["admin"], kinds=KINDS)
                wait_for(
                    lambda: parts_done(pair[0]) >= 1 and parts_done(pair[1]) >= 1,
                    timeout=60,
                    message="both hosts at work",
                )
                lost.cut()  # the machine is lost: its cable, then its processes
                pair[0].kill()
                lost_at = time.monotonic()
                done_at_loss = Job.objects.get(pk=job.pk).progress_done
                in_flight = JobPart.objects.filter(
                    job=job, started_at__isnull=False, done_at__isnull=True
                ).count()
                assert done_at_loss < len(counties), "the sweep finished before the loss: make it slower"

                job = wait_for(
                    lambda: finished(job.pk), timeout=60, message="the survivor to complete the job"
                )
                recovered_in = time.monotonic() - lost_at
        finally:
            for worker in pair:
                worker.stop()
    assert job.state == JobState.SUCCEEDED, job.error
    # parts counted once: each part done, the job's count and its sums neither short nor doubled
    parts = JobPart.objects.filter(job=job)
    assert parts.count() == parts.filter(done_at__isnull=False).count() == len(counties) == 12
    assert job.progress_total == job.progress_done == 12
    assert job.result == {"raised": sum(reference.values()), "resolved": 0}
    assert_alerts_exactly(reference)  # alerts as one in-process run, each raised once
    # the lost host had a part in hand (taken, never finished), and the survivor did it and the rest
    in_hand = taken_not_finished(pair[0])
    assert in_hand, "the host was lost between two parts: nothing to redo"
    assert parts_done(pair[1]) >= 12 - parts_done(pair[0])
    print(
        f"{done_at_loss} of 12 parts done at the loss, {in_flight} in flight ({len(in_hand)} on the lost host); "
        f"job complete {recovered_in:.1f} s after the loss"
    )


def taken_not_finished(worker: Worker) -> set[str]:
    log = worker.log.read_text()
    received = set(re.findall(r"Task relief\.sweep_county\[([^\]]+)\] received", log))
    return received - set(re.findall(r"Task relief\.sweep_county\[([^\]]+)\] succeeded", log))


def jobs_taken(worker: Worker) -> int:
    return len(re.findall(r"Task relief\.run_job\[[^\]]+\] received", worker.log.read_text()))


def test_a_host_lost_mid_import_the_other_redoes_it_and_runs_the_department_batch(
    users, api, source, register, settings
):
    """Two hosts on the imports queue: a roster import on one, a department batch on the other. The
    import's host is lost in the middle of its transaction: nothing of it is written; the other host
    runs the batch, then the import again (its second attempt), and the people are imported once.
    JOB_STALL_SECONDS is 3 s on the hosts, so the redelivered import is seen as abandoned (in
    production the watchdog marks it lost after 5 minutes; it is delivered again after the hour)."""
    lan_or_skip()
    settings.EXCHANGE_INLINE_BYTES = 0  # the batch is a job, as a large file is
    people_before = Person.objects.count()
    with lan(2) as net:
        env = {"CELERY_VISIBILITY_TIMEOUT": "4", "CELERY_RESTORE_SECONDS": "1", "JOB_STALL_SECONDS": "3"}
        pair = celery_on(net, queues.IMPORTS, "imp", env)
        try:
            for worker in pair:
                worker.wait_ready(60)
            with slow_inserts(Person._meta.db_table, 6.0), use_broker(None, broker_url=net.broker):
                upload = roster_upload_create(
                    actor=users["county"],
                    file=SimpleUploadedFile("花名册.xlsx", roster(GOOD_ROWS)),
                    commit=True,
                )
                importing = upload.commit_job_id
                lost_index = _taker(pair)
                api.force_authenticate(users["api_write"])
                r = send_file(api, key="MI-2026-11-510121")
                assert r.status_code == 202, r.json()  # accepted: its job runs on a host
                batch = ExchangeBatch.objects.get(pk=r.json()["id"])
                assert batch.job_id
                wait_for(import_writing, timeout=30, message="the import in the middle of writing")
                net.hosts[lost_index].cut()
                pair[lost_index].kill()
                assert Person.objects.count() == people_before  # nothing of it committed

                def both_done():
                    done = Job.objects.filter(pk__in=[importing, batch.job_id], state__in=FINISHED)
                    return done.count() == 2 and list(done)

                jobs = {
                    j.pk: j for j in wait_for(both_done, timeout=90, message="both jobs done on the survivor")
                }
        finally:
            for worker in pair:
                worker.stop()
    imported, batch_job = jobs[importing], jobs[batch.job_id]
    assert imported.state == JobState.SUCCEEDED, imported.error
    assert imported.attempts == 2  # taken on the lost host, done on the other
    assert Person.objects.count() == people_before + 6  # the roster's people, once
    assert batch_job.state == JobState.SUCCEEDED, batch_job.error
    batch.refresh_from_db()
    assert {k: getattr(batch, k) for k in data.EXPECTED} == data.EXPECTED  # as one in-process run
    assert ExchangeRecord.objects.filter(batch=batch).count() == data.EXPECTED["received"]
    assert jobs_taken(pair[1 - lost_index]) >= 2  # the batch and the import's second attempt


FINISHED = [JobState.SUCCEEDED, JobState.FAILED]


def _taker(pair: list[Worker]) -> int:
    """The index of the host that took the first job."""

    def taker():
        for i, worker in enumerate(pair):
            if jobs_taken(worker):
                return str(i)
        return None

    return int(wait_for(taker, timeout=30, message="a host to take the import"))


def import_writing() -> bool:
    """A backend sleeps in the trigger: the import is inside its transaction, writing its people
    (its households written, uncommitted)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"
        )
        return cur.fetchone()[0] > 0
