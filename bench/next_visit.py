"""Time the recompute of Person.next_visit_due over a county, and the visit-overdue sweep before
(the rules evaluated in the sweep's own query, commit c02906b) and after (an index range over the
stored date), on the same data.

    createdb -h 127.0.0.1 -U postgres ww_bench
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python manage.py migrate
    DEBUG=1 DATABASE_URL=... .venv/bin/python manage.py seed_demo --people 600000   # ~100,000 a county
    DEBUG=1 DATABASE_URL=... .venv/bin/python bench/next_visit.py [--county 510121] [--repeat 3]

Per county it prints, best and median of `--repeat` runs:
- recompute, from empty: every stored date cleared first (what a first deployment or a national
  rule change costs); every row is written;
- recompute, nothing changed: the nightly run on a quiet night (rows compared, none written);
- recompute when the cold wave changes: the warning in force for the county lifted (or, if none,
  one issued), rolled back afterwards, so every person under a rule with `cold_wave` changes;
- the sweep's findings (the SELECT the sweep wraps in its INSERT/UPDATE), before and after,
  alternated, and a whole idempotent `sweep_county` run (alerts already raised) before and after.

The "before" sweep is the old `overdue_visits` read from git (`git show c02906b:people/sweeps.py`),
so both run against the very same database.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import subprocess
import sys
import time
import types

from _setup import ROOT, setup

BEFORE = "c02906b"


def old_sweep_module() -> types.ModuleType:
    source = subprocess.run(  # noqa: S603 - a fixed git command
        ["git", "show", f"{BEFORE}:people/sweeps.py"],  # noqa: S607 - git from PATH
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("people_sweeps_before")
    exec(compile(source, "people/sweeps.py@" + BEFORE, "exec"), module.__dict__)  # noqa: S102 - our own file
    return module


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--county", default="510121")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    setup()

    from django.db import connection, transaction
    from django.utils import timezone

    from people import services
    from people.models import Person
    from people.sweeps import VISIT_OVERDUE, overdue_visits
    from relief.alerts import sweeps as relief_sweeps

    county, repeat = args.county, args.repeat
    today = timezone.localdate()
    people = Person.objects.in_region(county).count()
    print(
        f"county {county}: {people:,} people, {Person.objects.in_region(county).filter(active=True).count():,} active"
    )

    def line(label: str, best: float, median: float, extra: str = "") -> None:
        print(f"  {label:<44} best {best:7.2f} s   median {median:7.2f} s   {extra}")

    def from_empty() -> int:
        with transaction.atomic():
            Person.objects.in_region(county).update(
                next_visit_due=None, visit_rule_name="", visit_interval_days=None, visit_cold_wave=False
            )
            started = time.perf_counter()
            n = services.person_refresh_next_visit(region_code=county)
            from_empty.elapsed = time.perf_counter() - started  # type: ignore[attr-defined]
        return n

    times = []
    for _ in range(repeat):
        n = from_empty()
        times.append(from_empty.elapsed)  # type: ignore[attr-defined]
    line("recompute, from empty (rows written)", min(times), statistics.median(times), f"{n:,} rows")
    best, median, n = timed(lambda: services.person_refresh_next_visit(region_code=county), repeat)
    line("recompute, nothing changed", best, median, f"{n:,} rows")

    from patrols.models import ColdWaveWarning

    # the demo leaves a warning in force for some counties: then lift it, else issue one
    from relief.regions import ancestor_codes

    in_force = ColdWaveWarning.objects.active_at(timezone.now()).filter(region_id__in=ancestor_codes(county))
    lifting = in_force.exists()
    times = []
    for _ in range(repeat):
        with transaction.atomic():
            if lifting:
                in_force.update(ends_at=timezone.now())
            else:
                ColdWaveWarning.objects.create(region_id=county, level=3, starts_at=timezone.now())
            started = time.perf_counter()
            n = services.person_refresh_next_visit(region_code=county)
            times.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    label = "recompute, the cold wave lifted" if lifting else "recompute under a new cold wave"
    line(label, min(times), statistics.median(times), f"{n:,} rows")

    old = old_sweep_module()
    due = Person.objects.visit_overdue(today).in_region(county).count()
    print(f"  overdue today: {due:,} people")

    def findings(fn):
        def run():
            qs = fn(county, today).order_by().values("dedup_key", "region_code", "message", "subject_id")
            sql, params = qs.query.sql_with_params()
            with connection.cursor() as cur:
                cur.execute("SET jit = off")
                cur.execute(f"SELECT count(*) FROM ({sql}) f", params)  # noqa: S608 - the ORM's SQL
                return cur.fetchone()[0]

        return run

    for round_ in (1, 2):
        for label, fn in (("before", old.overdue_visits), ("after", overdue_visits)):
            best, median, n = timed(findings(fn), repeat)
            line(f"sweep findings, {label} (round {round_})", best, median, f"{n:,} findings")

    sweep = relief_sweeps.SWEEPS[VISIT_OVERDUE]
    relief_sweeps.sweep_county(VISIT_OVERDUE, county)  # raise the alerts once: the runs below are idempotent
    for round_ in (1, 2):
        for label, fn in (("before", old.overdue_visits), ("after", overdue_visits)):
            relief_sweeps.SWEEPS[VISIT_OVERDUE] = dataclasses.replace(sweep, findings=fn)
            best, median, result = timed(lambda: relief_sweeps.sweep_county(VISIT_OVERDUE, county), repeat)
            line(
                f"sweep_county, idempotent, {label} (round {round_})",
                best,
                median,
                f"raised {result.raised}, resolved {result.resolved}",
            )
    relief_sweeps.SWEEPS[VISIT_OVERDUE] = sweep


if __name__ == "__main__":
    sys.exit(main())
