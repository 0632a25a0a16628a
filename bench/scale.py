"""Issue 22 point 1: the same figures at two register sizes, each beside its floor measured in the
same run. Run once per database, then compare:

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_scale \\
        .venv/bin/python bench/scale.py run --label 1m [--repeat 7] [--skip sweeps,roster,exchange]
    .venv/bin/python bench/scale.py compare 1m 5m       # the side-by-side table with growth ratios

`run` writes bench/results/scale-<label>.json. Every web figure goes through Django's test client
as a demo user of the right region (province 51, city 5101, county 510121, seeded by
`manage.py seed_demo`): one warm-up, then `--repeat` requests, p50 and max. Its floor is the same
answer's SQL without Django: the SELECT statements the request sent (captured), replayed with a
bare psycopg connection in a read-only transaction, `--repeat` times, p50 and max. The gap between
the two is Python (views, scoping, templates, serialisers); the floor's growth is PostgreSQL's.

Batch figures:
- roll-up refresh (`relief.dashboard.services.figures_refresh`), floor: its SELECTs replayed (the
  COPY of the roll-ups is not in the floor);
- the province summary computed directly (`live=True`, no roll-ups), floor: its SELECTs replayed;
- the nightly sweep over every (kind, county) pair (bench/sweeps.py's pass: the swept kinds'
  alerts deleted first, then a second run that finds nothing new), floor: the time PostgreSQL took
  for the sweep's statements within the run (Django's debug cursor around psycopg), since replaying
  the first run's writes would be the second run;
- a roster import (bench/roster_import.py, `--roster-rows`, county user), floor: the file read;
- a department 医保 batch (bench/exchange.py, `--exchange-records`), floor: the file read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def setup(any_db: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
    os.environ.setdefault("DEBUG", "1")
    name = os.environ.get("DATABASE_URL", "").rstrip("/").rsplit("/", 1)[-1]
    if "scale" not in name and not any_db:
        sys.exit("refusing to run: DATABASE_URL must name a scale database (…/ww_scale…) or pass --any-db")
    import django

    django.setup()


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def stats(samples: list[float]) -> dict:
    return {"p50": round(statistics.median(samples), 2), "max": round(max(samples), 2), "n": len(samples)}


# --- Floors --------------------------------------------------------------------------------------


class Floor:
    """A bare psycopg connection (no Django) that replays captured SELECTs read-only."""

    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=False)
        self.conn.read_only = True

    def replay(self, statements: list[str], repeat: int) -> dict:
        times = []
        for _ in range(repeat):
            with self.conn.cursor() as cur:
                started = time.perf_counter()
                for sql in statements:
                    cur.execute(sql.encode())
                    cur.fetchall()
                times.append((time.perf_counter() - started) * 1000)
            self.conn.rollback()
        return stats(times)


def selects(captured: list[dict]) -> list[str]:
    """The reads among captured statements (no BEGIN, SAVEPOINT, writes, locks)."""
    return [
        q["sql"]
        for q in captured
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
        and "pg_try_advisory" not in q["sql"]
        and "FOR UPDATE" not in q["sql"].upper()
    ]


# --- Web figures ---------------------------------------------------------------------------------


def web_cases() -> list[tuple[str, str, str]]:
    """(key, user, url). Search values come from the data so that they hit; the county user's are
    in their county, the province user's in another city (a far county) as well."""
    from people.models import Household, Person
    from relief.models import Region

    # lint: allow-unscoped (a benchmark picks its search values from the whole register)
    near = Person.objects.filter(region__code__startswith="510121", active=True).order_by("id")[100]
    far = Person.objects.filter(region__code__startswith="513334", active=True).order_by("id")[
        500
    ]  # lint: allow-unscoped
    county = Region.objects.get(code="510121")
    township = Region.objects.filter(parent=county).order_by("code").first()
    # lint: allow-unscoped (a benchmark picks its household from the whole register)
    household = Household.objects.filter(region__code__startswith="510121").order_by("id")[200]
    cases = [
        ("dashboard summary: province", "province", "/api/v1/dashboard/summary/?region=51"),
        ("dashboard summary: city", "city", "/api/v1/dashboard/summary/?region=5101"),
        ("dashboard summary: county", "county", "/api/v1/dashboard/summary/?region=510121"),
        ("dashboard drill-down: township", "county", f"/api/v1/dashboard/summary/?region={township.code}"),
        ("dashboard ranking: province", "province", "/api/v1/dashboard/ranking/?region=51"),
        ("dashboard page: province", "province", "/dashboard/?region=51"),
    ]
    for user in ("province", "county"):
        cases += [
            (f"search name: {user}", user, f"/people/?q={near.name}"),
            (f"search ID number: {user}", user, f"/people/?q={near.id_number}"),
            (f"search category 低保: {user}", user, "/people/?category=dibao"),
            (f"search flag 80+: {user}", user, "/people/?flag=aged_80"),
        ]
    cases.append(("search name (far county): province", "province", f"/people/?q={far.name}"))
    for user in ("province", "county"):
        cases.append((f"household page: {user}", user, f"/people/households/{household.pk}/"))
    for user in ("province", "county"):
        for api in ("households", "persons", "alerts"):
            cases.append((f"list API {api}: {user}", user, f"/api/v1/{api}/"))
    return cases


def run_web(repeat: int, floor: Floor, only: str | None) -> dict:
    import logging

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from relief.models import User

    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("axes").setLevel(logging.WARNING)
    clients: dict[str, Client] = {}
    out = {}
    for key, username, url in web_cases():
        if only and only not in key:
            continue
        if username not in clients:
            clients[username] = Client()
            clients[username].force_login(
                User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
            )
        client = clients[username]
        accept = "application/json" if url.startswith("/api/") else "text/html"
        follow = not url.startswith("/api/")  # a search with digits is moved to ?s= (303): follow it
        response = client.get(url, HTTP_ACCEPT=accept, follow=follow)  # warm-up
        assert response.status_code == 200, (key, url, response.status_code)
        times, sql, queries = [], [], 0
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url, HTTP_ACCEPT=accept, follow=follow)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (key, url, response.status_code)
            sql.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
            queries = len(ctx.captured_queries)
        statements = selects(ctx.captured_queries)
        out[key] = {
            "url": url.split("?q=")[0] + ("?q=…" if "?q=" in url else ""),  # no names or IDs in results
            "ms": stats(times),
            "sql_ms": round(statistics.median(sql), 2),
            "queries": queries,
            "redirects": len(response.redirect_chain) if follow else 0,
            "floor_ms": floor.replay(statements, repeat),
            "floor_statements": len(statements),
        }
        row = out[key]
        print(
            f"{key:40} p50 {row['ms']['p50']:8.1f} max {row['ms']['max']:8.1f} | floor p50 "
            f"{row['floor_ms']['p50']:8.1f} max {row['floor_ms']['max']:8.1f} ({len(statements)} SELECTs, "
            f"{queries} queries)",
            flush=True,
        )
    return out


# --- Batch figures -------------------------------------------------------------------------------


def timed_capture(fn, repeat: int, floor: Floor, floor_repeat: int) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(repeat):
        reset_queries()
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    statements = selects(ctx.captured_queries)
    return {
        "s": stats(times),
        "floor_s": {
            k: round(v / 1000, 3) if k != "n" else v
            for k, v in floor.replay(statements, floor_repeat).items()
        },
        "floor_statements": len(statements),
    }


def run_rollups(repeat: int, floor: Floor) -> dict:
    from relief.dashboard import selectors, services
    from relief.models import Region

    out = {}
    out["roll-up refresh"] = timed_capture(services.figures_refresh, repeat, floor, repeat)
    province = Region.objects.get(code="51")
    out["province summary, live (no roll-ups)"] = timed_capture(
        lambda: selectors.summary(province, live=True), repeat, floor, repeat
    )
    for key, row in out.items():
        print(
            f"{key:40} p50 {row['s']['p50']:8.2f} s max {row['s']['max']:8.2f} | floor p50 {row['floor_s']['p50']:8.2f} s",
            flush=True,
        )
    return out


def run_sweeps(only_populated: bool, county: str | None = None) -> dict:
    """The nightly pass over every (kind, county) pair, then again (nothing new). Also summed over
    the counties with people alone (the others cost the same at any size), which is what
    `only_populated` sweeps when a full pass would not fit in the time there is."""
    from collections import defaultdict

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from people.models import Household
    from relief.alerts.sweeps import SWEEPS, counties_under, sweep_county
    from relief.models import Alert

    kinds = list(SWEEPS)
    # lint: allow-unscoped (a benchmark over the whole register)
    populated = {r[:6] for r in Household.objects.values_list("region_id", flat=True).distinct()}
    counties = [c for c in counties_under(None) if c in populated or not only_populated]
    if county:  # one county's pairs: the unit of work, to extrapolate from when a pass is too long
        counties = [county]
    pairs = [(kind, c) for kind in kinds for c in counties]
    Alert.objects.filter(kind__in=kinds, region__code__startswith=county or "").delete()
    with connection.cursor() as cur:
        cur.execute("ANALYZE relief_alert")
    out = {}
    for title in ("nightly sweep: full run", "nightly sweep: nothing new"):
        raised = resolved = 0
        wall: dict[bool, float] = defaultdict(float)
        sql: dict[bool, float] = defaultdict(float)
        for kind, code in pairs:
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                result = sweep_county(kind, code)
                wall[code in populated] += time.perf_counter() - started
            sql[code in populated] += sum(float(q["time"]) for q in ctx.captured_queries)
            raised += result.raised
            resolved += result.resolved
        rows = [(title + " (counties with people)", wall[True], sql[True])]
        if county:
            rows = [(f"{title} (county {county} alone)", wall[True], sql[True])]
        elif not only_populated:
            rows.insert(0, (title, wall[True] + wall[False], sql[True] + sql[False]))
        for key, seconds, in_sql in rows:
            out[key] = {
                "s": {"p50": round(seconds, 2), "max": round(seconds, 2), "n": 1},
                "floor_s": {"p50": round(in_sql, 2), "max": round(in_sql, 2), "n": 1},
                "raised": raised,
                "resolved": resolved,
                "pairs": len(pairs),
                "populated_counties": len(populated),
            }
            print(
                f"{key:40} {seconds:8.1f} s (SQL {in_sql:.1f} s), raised {raised}, resolved {resolved}",
                flush=True,
            )
    return out


def run_child(command: list[str]) -> str:
    RESULTS.mkdir(exist_ok=True)
    run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
    if run.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return run.stdout


def run_roster(rows: int) -> dict:
    path = RESULTS / f".roster-{os.getpid()}.json"  # two databases may be benched at once
    run_child(
        [
            sys.executable,
            "bench/roster_import.py",
            "--any-db",
            "--people",
            "0",
            "--rows",
            str(rows),
            "--phases",
            "floor,commit",
            "--json",
            str(path),
        ]
    )
    results = json.loads(path.read_text())
    path.unlink()
    commit, read = results["commit"][0]["elapsed"], results["floor"][0]["elapsed"]
    print(f"{'roster import':40} {commit:8.1f} s (file read {read:.1f} s), {rows} rows", flush=True)
    return {
        f"roster import: {rows:,} rows (commit)": {
            "s": {"p50": round(commit, 2), "max": round(commit, 2), "n": 1},
            "floor_s": {"p50": round(read, 2), "max": round(read, 2), "n": 1},
            "floor": "the file read alone",
        }
    }


def run_exchange(records: int) -> dict:
    path = RESULTS / f".exchange-{os.getpid()}.json"
    run_child(
        [sys.executable, "bench/exchange.py", "--any-db", "--records", str(records), "--json", str(path)]
    )
    figures = json.loads(path.read_text())
    path.unlink()
    total, read, match = figures["total"], figures["floor"], figures["match"]
    print(f"{'department batch':40} {total:8.1f} s (file read {read:.1f} s, match {match:.1f} s)", flush=True)
    return {
        f"department batch: {records:,} 医保 lines": {
            "s": {"p50": round(total, 2), "max": round(total, 2), "n": 1},
            "floor_s": {"p50": round(read, 2), "max": round(read, 2), "n": 1},
            "floor": "the file read alone",
            "match_s": round(match, 2),
        }
    }


def data_summary() -> dict:
    from django.db import connection

    out = {}
    with connection.cursor() as cur:
        for table in ("people_person", "people_household", "people_visit", "relief_alert"):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            out[table] = cur.fetchone()[0]
        cur.execute(
            "SELECT count(DISTINCT substr(region_code, 1, 6)), count(DISTINCT region_code) FROM people_household"
        )
        out["counties_with_people"], out["villages_with_people"] = cur.fetchone()
        cur.execute(
            "SELECT pg_database_size(current_database()), current_setting('shared_buffers'), version()"
        )
        size, buffers, version = cur.fetchone()
        out["db_bytes"], out["shared_buffers"], out["postgres"] = size, buffers, version.split(",")[0]
        for name in (
            "work_mem",
            "effective_cache_size",
            "max_parallel_workers_per_gather",
            "random_page_cost",
        ):
            cur.execute("SELECT current_setting(%s)", [name])
            out[name] = cur.fetchone()[0]
    return out


def run(args) -> None:
    setup(args.any_db)
    skip = set(filter(None, args.skip.split(",")))
    result = {
        "label": args.label,
        "started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "load_before": load(),
        "data": data_summary(),
        "figures": {},
    }
    print(json.dumps(result["data"], ensure_ascii=False), flush=True)
    floor = Floor()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scale-{args.label}.json"
    if path.exists() and args.merge:
        old = json.loads(path.read_text())
        old.setdefault("runs", []).append({k: result[k] for k in ("started", "load_before")})
        result = {**old, "figures": old["figures"]}
    sections = [
        ("rollups", lambda: run_rollups(args.batch_repeat, floor)),
        ("web", lambda: run_web(args.repeat, floor, args.only)),
        ("sweeps", lambda: run_sweeps(args.sweep_populated, args.sweep_county)),
        ("roster", lambda: run_roster(args.roster_rows)),
        ("exchange", lambda: run_exchange(args.exchange_records)),
    ]
    for name, section in sections:
        if name in skip:
            continue
        result["figures"].update(section())
        # written after every section: a run stopped part-way keeps what it measured
        result["load_after"] = load()
        result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
        path.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")


# --- Compare -------------------------------------------------------------------------------------


def _value(row: dict, key: str) -> tuple[float, float, str]:
    if "ms" in row:
        return row["ms"]["p50"], row["floor_ms"]["p50"], "ms"
    return row["s"]["p50"], row["floor_s"]["p50"], "s"


def compare(args) -> None:
    small, large = (
        json.loads((RESULTS / f"scale-{label}.json").read_text()) for label in (args.small, args.large)
    )
    a, b = small["data"]["people_person"], large["data"]["people_person"]
    print(
        f"people: {a:,} → {b:,} (× {b / a:.1f}); DB {small['data']['db_bytes'] / 2**30:.1f} GiB → "
        f"{large['data']['db_bytes'] / 2**30:.1f} GiB"
    )
    print()
    print(
        f"| figure | unit | {args.small} p50 (max) | {args.small} floor | {args.large} p50 (max) | "
        f"{args.large} floor | growth | floor growth |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for key, row in small["figures"].items():
        other = large["figures"].get(key)
        if not other:
            v1, f1, unit = _value(row, key)
            m1 = (row.get("ms") or row["s"])["max"]
            print(f"| {key} | {unit} | {v1:g} ({m1:g}) | {f1:g} | not measured | | | |")
            continue
        v1, f1, unit = _value(row, key)
        v2, f2, _unit = _value(other, key)
        m1 = (row.get("ms") or row["s"])["max"]
        m2 = (other.get("ms") or other["s"])["max"]
        g = f"× {v2 / v1:.2f}" if v1 else "–"
        fg = f"× {f2 / f1:.2f}" if f1 else "–"
        print(f"| {key} | {unit} | {v1:g} ({m1:g}) | {f1:g} | {v2:g} ({m2:g}) | {f2:g} | {g} | {fg} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--label", required=True, help="e.g. 1m: writes bench/results/scale-<label>.json")
    r.add_argument("--repeat", type=int, default=7, help="requests per web figure (after a warm-up)")
    r.add_argument("--batch-repeat", type=int, default=2, help="runs of the roll-up refresh and live summary")
    r.add_argument("--skip", default="", help="comma list of rollups,web,sweeps,roster,exchange")
    r.add_argument("--only", help="web figures whose name contains this")
    r.add_argument("--merge", action="store_true", help="add to the existing JSON instead of replacing it")
    r.add_argument("--sweep-populated", action="store_true", help="sweep the counties with people only")
    r.add_argument("--sweep-county", help="sweep this county's (kind, county) pairs alone")
    r.add_argument("--roster-rows", type=int, default=20_000)
    r.add_argument("--exchange-records", type=int, default=100_000)
    r.add_argument("--any-db", action="store_true")
    c = sub.add_parser("compare")
    c.add_argument("small")
    c.add_argument("large")
    args = parser.parse_args()
    run(args) if args.command == "run" else compare(args)


if __name__ == "__main__":
    main()
