"""Time the monitoring sweeps (every registered kind over every county) with the demo's people
loaded (1,000,000: `manage.py seed_demo --people 1000000`, about 4 minutes), full and incremental.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_sweepbench .venv/bin/python bench/sweeps.py [--workers 2]

Passes, each over every (kind, county) pair through relief.alerts.sweeps.sweep_county, the very call a
Celery task makes:

1. first run, full: the alerts of the swept kinds are deleted first, so every finding is raised;
2. second run the same day, incremental (`full=False`, the nightly task's): nothing changed;
3. the next day, incremental, nothing written: only the date moved (visits falling due...);
4. a day of changes (`--edit-share` of the households' incomes edited, `--visits` visits recorded
   for people with an open overdue-visit alert, their next visit due moved as the service does),
   incremental;
5. the same day, full: after pass 4 it must raise and resolve nothing (the incremental run missed
   nothing); its time is the cost of a full run that finds nothing new.

Per kind it prints raised/resolved, counties skipped, the total time over the counties and the
slowest county, and the SQL statements per county. `--workers N` runs the pairs in N processes, as N
Celery workers would share them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
    os.environ.setdefault("DEBUG", "1")
    if "bench" not in os.environ.get("DATABASE_URL", "") and "--any-db" not in sys.argv:
        sys.exit(
            "refusing to run: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_sweepbench (or --any-db)"
        )
    import django

    django.setup()


def run_pair(pair: tuple) -> tuple[str, str, int, int, float, int, int]:
    """One (kind, county, day, full): raised, resolved, seconds, SQL statements, skipped."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from relief.alerts.sweeps import sweep_county

    kind, county, day, full = pair
    reset_queries()  # DEBUG keeps the last 9000 queries only: start each count from an empty log
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = sweep_county(kind, county, day, full=full)
        elapsed = time.perf_counter() - started
    return kind, county, result.raised, result.resolved, elapsed, len(queries), result.skipped


def _worker_init() -> None:
    setup()


def run_all(pairs: list[tuple[str, str]], workers: int) -> tuple[list, float]:
    started = time.perf_counter()
    if workers <= 1:
        rows = [run_pair(p) for p in pairs]
    else:
        from django.db import connections

        connections.close_all()
        with ProcessPoolExecutor(workers, initializer=_worker_init) as pool:
            rows = list(pool.map(run_pair, pairs))
    return rows, time.perf_counter() - started


def report(title: str, rows: list, wall: float) -> None:
    by_kind: dict[str, list] = defaultdict(list)
    for row in rows:
        by_kind[row[0]].append(row)
    print(f"\n## {title}: wall {wall:.1f} s\n")
    print(
        f"{'kind':36} {'raised':>8} {'resolved':>8} {'skipped':>7} {'total s':>8} {'max county s':>12}"
        f" {'SQL/county':>10}"
    )
    for kind, kind_rows in by_kind.items():
        raised = sum(r[2] for r in kind_rows)
        resolved = sum(r[3] for r in kind_rows)
        seconds = [r[4] for r in kind_rows]
        statements = sorted({r[5] for r in kind_rows})
        print(
            f"{kind:36} {raised:>8} {resolved:>8} {sum(r[6] for r in kind_rows):>7} {sum(seconds):>8.2f}"
            f" {max(seconds):>12.2f} "
            f"{'/'.join(map(str, statements)):>10}"
        )
    print(
        f"{'total':36} {sum(r[2] for r in rows):>8} {sum(r[3] for r in rows):>8} {sum(r[6] for r in rows):>7}"
        f" {sum(r[4] for r in rows):>8.2f}"
    )
    print(f"median county×kind {statistics.median(r[4] for r in rows):.2f} s")


def day_of_changes(edit_share: float, visits: int, seed: int = 22) -> str:
    """A realistic day's writes, each kind through the statements its service would run (so the
    change triggers see them): household incomes edited, visits recorded with the person's next
    visit due moved on."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from people.models import Person, Visit
    from people.sweeps import VISIT_OVERDUE
    from relief.models import Alert

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT setseed(%s)", [seed / 100])
        cur.execute(
            "UPDATE people_household SET monthly_income = (random() * 3000)::int, updated_at = now()"
            " WHERE id IN (SELECT id FROM people_household TABLESAMPLE BERNOULLI (%s))",
            [edit_share * 100],
        )
        edited = cur.rowcount
        subjects = list(
            Alert.objects.unresolved()
            .filter(kind=VISIT_OVERDUE)
            .values_list("subject_id", flat=True)[:visits]
        )
        people = list(Person.objects.filter(pk__in=[int(pk) for pk in subjects]))
        now = timezone.now()
        Visit.objects.bulk_create(
            [
                Visit(household_id=p.household_id, person=p, region_id=p.region_id, visited_at=now)
                for p in people
            ],
            batch_size=5000,
        )
        Person.objects.filter(pk__in=[p.pk for p in people]).update(
            next_visit_due=timezone.localdate() + datetime.timedelta(days=30)
        )
    return f"{edited} households edited, {len(people)} visits recorded, {time.perf_counter() - started:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the (kind, county) pairs")
    parser.add_argument("--kind", action="append", dest="kinds", default=[])
    parser.add_argument("--any-db", action="store_true")
    parser.add_argument("--keep", action="store_true", help="do not delete the swept kinds' alerts first")
    parser.add_argument("--edit-share", type=float, default=0.01, help="households edited in pass 4")
    parser.add_argument("--visits", type=int, default=2000, help="visits recorded in pass 4")
    parser.add_argument(
        "--skip-pass",
        action="store_true",
        help="only an incremental pass over tomorrow, after a full bench (every pair unchanged: skipped)",
    )
    parser.add_argument(
        "--full-pass",
        action="store_true",
        help="only a full pass over tomorrow, after a full bench (finds nothing)",
    )
    args = parser.parse_args()
    setup()

    import datetime

    from django.db import connection
    from django.utils import timezone

    from people.models import Person
    from relief.alerts.sweeps import SWEEPS, counties_under
    from relief.models import Alert

    kinds = args.kinds or list(SWEEPS)
    counties = counties_under(None)
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)

    def pairs(day, full):
        return [(kind, county, day, full) for kind in kinds for county in counties]

    print(
        f"{Person.objects.count()} people, {len(counties)} counties, {len(kinds)} kinds, workers={args.workers}"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        print(cur.fetchone()[0].split(",")[0])

    if args.skip_pass or args.full_pass:
        title = "full, nothing new" if args.full_pass else "incremental, nothing changed since the last pass"
        report(title, *run_all(pairs(tomorrow, args.full_pass), args.workers))
        return
    if not args.keep:
        Alert.objects.filter(kind__in=kinds).delete()
        with connection.cursor() as cur:
            cur.execute("ANALYZE relief_alert")
    report("1. first run, full (every finding raised)", *run_all(pairs(today, True), args.workers))
    report("2. second run, incremental, nothing changed", *run_all(pairs(today, False), args.workers))
    report("3. next day, incremental, nothing written", *run_all(pairs(tomorrow, False), args.workers))
    print("\n" + day_of_changes(args.edit_share, args.visits))
    report("4. a day of changes, incremental", *run_all(pairs(tomorrow, False), args.workers))
    report("5. same day, full (must raise and resolve 0)", *run_all(pairs(tomorrow, True), args.workers))


if __name__ == "__main__":
    main()
