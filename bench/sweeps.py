"""Time a full monitoring sweep (every registered kind over every county) with the demo's people
loaded (1,000,000: `manage.py seed_demo --people 1000000`, about 4 minutes).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_sweepbench .venv/bin/python bench/sweeps.py [--workers 2]

Three passes, each over every (kind, county) pair through relief.alerts.sweeps.sweep_county, the very call a
Celery task makes:

1. first run: the alerts of the swept kinds are deleted first, so every finding is raised;
2. second run: nothing changed, so nothing is raised or resolved (idempotence), the nightly case;
3. resolve run: a tenth of the visit findings are cleared (a visit recorded for them) in a
   transaction that is rolled back afterwards, so that pass measures the self-resolving UPDATE.

Per kind it prints raised/resolved, the total time over the counties and the slowest county, and the
SQL statements per county (constant: the sweeps are set-based). `--workers N` runs the pairs in N
processes, as N Celery workers would share them.
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


def run_pair(pair: tuple[str, str]) -> tuple[str, str, int, int, float, int]:
    """One (kind, county): raised, resolved, seconds, SQL statements."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from relief.alerts.sweeps import sweep_county

    kind, county = pair
    reset_queries()  # DEBUG keeps the last 9000 queries only: start each count from an empty log
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = sweep_county(kind, county)
        elapsed = time.perf_counter() - started
    return kind, county, result.raised, result.resolved, elapsed, len(queries)


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
    print(f"{'kind':36} {'raised':>8} {'resolved':>8} {'total s':>8} {'max county s':>12} {'SQL/county':>10}")
    for kind, kind_rows in by_kind.items():
        raised = sum(r[2] for r in kind_rows)
        resolved = sum(r[3] for r in kind_rows)
        seconds = [r[4] for r in kind_rows]
        statements = sorted({r[5] for r in kind_rows})
        print(
            f"{kind:36} {raised:>8} {resolved:>8} {sum(seconds):>8.2f} {max(seconds):>12.2f} "
            f"{'/'.join(map(str, statements)):>10}"
        )
    print(
        f"{'total':36} {sum(r[2] for r in rows):>8} {sum(r[3] for r in rows):>8} {sum(r[4] for r in rows):>8.2f}"
    )
    print(f"median county×kind {statistics.median(r[4] for r in rows):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=1, help="processes sharing the (kind, county) pairs")
    parser.add_argument("--kind", action="append", dest="kinds", default=[])
    parser.add_argument("--any-db", action="store_true")
    parser.add_argument("--keep", action="store_true", help="do not delete the swept kinds' alerts first")
    args = parser.parse_args()
    setup()

    from django.db import connection, transaction
    from django.utils import timezone

    from people.models import Person, Visit
    from people.sweeps import VISIT_OVERDUE
    from relief.alerts.sweeps import SWEEPS, counties_under
    from relief.models import Alert

    kinds = args.kinds or list(SWEEPS)
    counties = counties_under(None)
    pairs = [(kind, county) for kind in kinds for county in counties]
    print(
        f"{Person.objects.count()} people, {len(counties)} counties, {len(kinds)} kinds, workers={args.workers}"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        print(cur.fetchone()[0].split(",")[0])

    if not args.keep:
        Alert.objects.filter(kind__in=kinds).delete()
        with connection.cursor() as cur:
            cur.execute("ANALYZE relief_alert")
    report("1. first run (every finding raised)", *run_all(pairs, args.workers))
    report("2. second run (nothing new: idempotent)", *run_all(pairs, args.workers))

    if VISIT_OVERDUE in kinds:
        with transaction.atomic():
            open_visits = list(
                Alert.objects.unresolved().filter(kind=VISIT_OVERDUE).values_list("subject_id", flat=True)
            )[::10]
            people = Person.objects.filter(pk__in=[int(pk) for pk in open_visits])
            Visit.objects.bulk_create(
                [
                    Visit(
                        household_id=p.household_id,
                        person=p,
                        region_id=p.region_id,
                        visited_at=timezone.now(),
                    )
                    for p in people
                ],
                batch_size=5000,
            )
            visit_pairs = [(VISIT_OVERDUE, county) for county in counties]
            rows, wall = run_all(visit_pairs, 1)
            report(f"3. resolve run ({len(open_visits)} people visited, rolled back)", rows, wall)
            transaction.set_rollback(True)


if __name__ == "__main__":
    main()
