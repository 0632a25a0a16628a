"""The full sweep (every kind over every county, as the nightly one) on 1 and on 2 Celery workers, each
worker on a host of its own: network namespaces on a private LAN, the broker (a Redis server of the
bench's own) and PostgreSQL (through socat) reached over it, as in tests/relief/test_workers_netns.py.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_workers_bench .venv/bin/python manage.py seed_demo --people 100000
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_workers_bench .venv/bin/python bench/workers.py --any-db [--hosts 1 2]

Root only (`ip netns`). For each number of hosts: a first run (the swept kinds' alerts deleted first,
so every finding is raised) and a second run (nothing new, the nightly case), each one sweep job
(`relief.sweep`, one part per (kind, county) on the `sweeps` queue); wall time from the job's
creation to its last part, the alerts raised, and the parts each host did.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

from _setup import setup


def parts_done(log: Path) -> int:
    return len(re.findall(r"Task relief\.sweep_county\[[^\]]+\] succeeded", log.read_text()))


def one_sweep(broker: str) -> tuple[float, dict]:
    from relief.jobs.services import job_start
    from relief.models import Job, JobState
    from tests.workers import use_broker

    with use_broker(None, broker_url=broker):
        job = job_start(actor=None, kind="relief.sweep", title="bench", params={"kinds": [], "region": None})
    done = (JobState.SUCCEEDED, JobState.FAILED)
    while not Job.objects.filter(pk=job.pk, state__in=done).exists():
        time.sleep(0.2)
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.SUCCEEDED, job.error
    return (job.finished_at - job.created_at).total_seconds(), job.result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    setup()

    from django.db import connection

    from people.models import Person
    from relief import queues
    from relief.alerts.sweeps import SWEEPS, counties_under
    from relief.models import Alert
    from tests.netns import celery_on, lan, unavailable

    reason = unavailable()
    if reason:
        sys.exit(f"cannot make hosts here: {reason}")
    counties = counties_under(None)
    print(f"{Person.objects.count()} people, {len(counties)} counties × {len(SWEEPS)} kinds")
    print("load average before:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    for n in args.hosts:
        with lan(n) as net:
            pool = celery_on(net, queues.SWEEPS, f"bench-{n}", {"DJANGO_SETTINGS_MODULE": "relief.settings"})
            try:
                for worker in pool:
                    worker.wait_ready(120)
                Alert.objects.filter(kind__in=list(SWEEPS)).delete()
                with connection.cursor() as cur:
                    cur.execute("ANALYZE relief_alert")
                for label in ("first run", "second run"):
                    before = [parts_done(w.log) for w in pool]
                    wall, result = one_sweep(net.broker)
                    shares = [parts_done(w.log) - b for w, b in zip(pool, before, strict=True)]
                    print(
                        f"{n} host(s), {label}: {wall:.1f} s wall, raised {result.get('raised')}, "
                        f"resolved {result.get('resolved')}, parts per host {shares}, "
                        f"load {os.getloadavg()[0]:.2f}"
                    )
            finally:
                for worker in pool:
                    worker.stop()


if __name__ == "__main__":
    main()
