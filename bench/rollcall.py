"""Time the cold-wave roll call (寒潮点名) at province scale, on the demo's people
(`manage.py seed_demo --people N`).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/rollcall.py

A red warning for the whole province is put in force (in a transaction rolled back at the end, so the
bench database is left as it was), then:

1. the first tick: every county's roll call opened with its list (coldwaves.services.rollcalls_sync),
   and the alerts of its unreached people raised (the roll-call and duty sweeps), with the visit
   requests of those past the deadline (none yet);
2. a second tick: nothing to open or raise (idempotence: the 10-minute beat task in steady state);
3. the live dashboard figures for the province (what an official's page computes on each view);
4. a tenth of the people answered by a visit, then a tick (the visits matched in one UPDATE a county).

Prints the time of each step, the people on the lists, SQL statements, and peak RSS.
"""

from __future__ import annotations

import resource
import sys
import time

from _setup import setup


def main() -> None:
    setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from coldwaves.models import RollCallEntry
    from coldwaves.services import rollcall_tick
    from patrols.models import ColdWaveWarning
    from people.models import Person
    from relief.dashboard.selectors import summary
    from relief.models import Region

    first = Person.objects.order_by("id").values_list("region_id", flat=True).first() or ""
    province = Region.objects.get(code=first[:2])
    people = Person.objects.count()
    print(f"register: {people:,} people; province {province.code} {province.name}")

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic():
            ColdWaveWarning.objects.create(region=province, level=4, starts_at=timezone.now())
            for label in ("first tick (open + alerts)", "second tick (nothing new)"):
                with CaptureQueriesContext(connection) as q:
                    t0 = time.perf_counter()
                    counts = rollcall_tick()
                    dt = time.perf_counter() - t0
                print(f"{label}: {dt:.1f} s, {len(q.captured_queries):,} statements, {counts}")
            entries = RollCallEntry.objects.count()
            print(f"people on the roll calls: {entries:,} ({entries / max(people, 1):.1%} of the register)")
            t0 = time.perf_counter()
            result = summary(province)
            dt = time.perf_counter() - t0
            figures = {k: int(v) for (k, _d), v in result.totals.items() if k.startswith("coldwaves.")}
            print(f"dashboard for the province (live figures included): {dt:.2f} s {figures}")
            # visits need the household's region: one INSERT … SELECT
            with connection.cursor() as cur:
                cur.execute(
                    """
                    INSERT INTO people_visit (household_id, person_id, region_code, visited_at, kind, channel,
                                              needs, follow_up, follow_up_note, note, created_at)
                    SELECT e.household_id, e.person_id, e.region_code, clock_timestamp(), 'cold_wave', 'phone', '', '', '', '', now()
                      FROM coldwaves_rollcallentry e WHERE e.id % 10 = 0
                    """
                )
                visits = cur.rowcount
            t0 = time.perf_counter()
            counts = rollcall_tick()
            dt = time.perf_counter() - t0
            print(f"tick after {visits:,} visits: {dt:.1f} s, {counts}")
            raise Rollback
    except Rollback:
        pass
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
