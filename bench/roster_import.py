"""Time the roster import against a loaded register: generate an N-row roster (default 100,000) of
the county user's county, and time in the same run, each phase in a fresh child process:

- `floor`: the file read alone (the reader the import uses, every row, nothing parsed), the
  lower bound of any import of this file;
- `dry-sent`: the dry run of the file as sent (a few bad rows: reported, nothing written);
- `dry`: the dry run of the corrected file (the same writes as the commit, rolled back);
- `commit`: the commit of the corrected file (with `person_refresh_next_visit` timed apart);
- `again` (with `--again`): the same file committed again, which must change nothing.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench \
      .venv/bin/python bench/roster_import.py [--people 1000000] [--rows 100000] [--repeat 3]

The register: with `--people N` the script first makes sure the database holds the demo with at
least N people (`migrate` and `seed_demo --people N`, COPY: about 5 minutes for a million); a
database already holding them is kept as it is, so later runs start at once (`--reseed` drops the
demo's people first). The roster's rows, in file order: new households (household numbers
BENCH-..., Beijing ID numbers that cannot collide with the demo's), persons of the county already
registered with a new phone number (updates), and persons already registered as they are
(unchanged), interleaved; the file as sent has `--bad` bad rows among the new ones (check digit,
name, date, relation, ID stored as a number). Every run first deletes what an earlier run
imported (BENCH- households, Beijing ID numbers) and restores the phones it changed.

Each phase's peak RSS is its own process's (`resource.getrusage`, Django included: the baseline
of a process before importing is printed); `--tracemalloc` adds the Python heap peak (slower).
Rows per second count data rows. `--steps` prints where each phase's time went (read, villages,
loader, planner, writer and the new persons' next visits within it, next-visit refresh);
`--profile DIR` writes a cProfile of each phase.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

from _setup import ROOT, setup

setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from people.choices import Relation  # noqa: E402
from people.demo import check_digit  # noqa: E402
from people.roster import job, roster_import  # noqa: E402
from relief.models import Region, User  # noqa: E402
from relief.regions import Level  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华琴"
HEADER = [
    "户编号",
    "村（社区）",
    "户主姓名",
    "姓名",
    "身份证号码",
    "与户主关系",
    "联系电话",
    "保障类别",
    "认定日期",
    "月收入（元）",
]
NEW_PHONE = "13700000000"  # updated persons get 137 + their row; the originals are kept to restore


def rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts again at exec (`ru_maxrss` does not on Linux:
    a child would report its parent's peak)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- The register --------------------------------------------------------------------------------


def people_count() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('people_person') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT count(*) FROM people_person WHERE id_number NOT LIKE '110101%%'")
        return cur.fetchone()[0]


def ensure_register(people: int, reseed: bool) -> None:
    """The demo with at least `people` people; an existing one is kept (seeding takes minutes)."""
    call_command("migrate", verbosity=0)
    have = people_count()
    if have >= people and not reseed:
        print(f"register: {have:,} people already loaded (kept)", flush=True)
        return
    t0 = time.perf_counter()
    if have:
        call_command("flush", interactive=False, verbosity=0)
    call_command("seed_demo", people=people, verbosity=0)
    print(f"register: seeded {people_count():,} people in {time.perf_counter() - t0:.0f} s", flush=True)


def existing_persons(county: str, n: int) -> list[tuple]:
    """`n` active persons of the county with their household's number, village and head's name,
    whole households in id order."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT p.id_number, p.name, p.phone, p.relation, h.household_number, h.region_code,
                   head.name, h.id, h.contact_phone
            FROM people_person p
            JOIN people_household h ON h.id = p.household_id
            LEFT JOIN people_person head ON head.id = h.head_id
            WHERE p.active AND h.region_code LIKE %s AND h.household_number <> ''
              AND p.id_number NOT LIKE '110101%%'
            ORDER BY h.id, p.id
            LIMIT %s
            """,
            [county + "%", n],
        )
        return cur.fetchall()


# --- The roster ----------------------------------------------------------------------------------


def new_household_rows(rows: int, villages: list[str], bad: int):
    """Rows of new households (members grouped by 户编号), `bad` of them spoiled, spread out."""
    i, hh = 0, 0
    start = datetime.date(1950, 1, 1)
    spoil = set(range(rows // (bad + 1), rows, rows // (bad + 1))) if bad else set()
    while i < rows:
        hh += 1
        size = 1 + hh % 4
        village = villages[hh % len(villages)]
        head_name = SURNAMES[hh % 20] + GIVEN[(hh * 7) % 25] + GIVEN[(hh * 13) % 25]
        for m in range(size):
            if i >= rows:
                break
            birth = start + datetime.timedelta(days=i // 800)
            body = f"110101{birth:%Y%m%d}{i % 800 + 100:03d}"
            name = head_name if m == 0 else head_name[0] + GIVEN[(hh + m) % 25] + GIVEN[(hh * 3 + m) % 25]
            row = [
                f"BENCH-{hh:07d}",
                village,
                head_name,
                name,
                body + check_digit(body),
                "户主" if m == 0 else ("配偶" if m == 1 else "子女"),
                f"139{i:08d}" if m == 0 else "",
                "低保" if hh % 3 == 0 else ("低保边缘" if hh % 3 == 1 else ""),
                "2024年1月5日" if hh % 2 else "2024-01-05",
                f"{1000 + hh % 900:,}元" if m == 0 else "",
            ]
            if i in spoil:
                kind = len([s for s in spoil if s < i]) % 5
                if kind == 0:
                    row[4] = body + ("0" if check_digit(body) != "0" else "1")  # wrong check digit
                elif kind == 1:
                    row[3] = ""  # no name
                elif kind == 2:
                    row[8] = "2024年13月5日"
                elif kind == 3:
                    row[5] = "邻居"
                else:
                    row[4] = int(body + "0")  # an ID number stored as a number
            yield row
            i += 1


def existing_rows(persons: list[tuple], update: bool, first: int):
    """Rows of registered persons: a new phone number (`update`), or as registered: a head's phone
    is also the household's contact phone, so it is left blank where the two differ."""
    labels = dict(Relation.choices)
    for k, (id_number, name, phone, relation, number, village, head_name, _hid, contact) in enumerate(
        persons
    ):
        if update:
            phone = f"137{first + k:08d}"
        elif relation == Relation.HEAD and phone != contact:
            phone = ""
        yield [number, village, head_name or "", name, id_number, str(labels[relation]), phone]


def generate(path: Path, new: list, updated: list, unchanged: list, blocks: int = 50) -> None:
    """The roster counties send: title row, header, the three kinds of rows interleaved in blocks
    (whole households stay together), a 合计 row and a signature line."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(["某县2025年冬季困难群众花名册"])
    ws.append(HEADER)
    parts = [new, updated, unchanged]
    sizes = [max(1, len(p) // blocks) for p in parts]
    pos = [0, 0, 0]
    total = 0
    while any(pos[k] < len(parts[k]) for k in range(3)):
        for k in range(3):
            end = min(len(parts[k]), pos[k] + sizes[k])
            # don't split a household across blocks
            while 0 < end < len(parts[k]) and parts[k][end][0] == parts[k][end - 1][0]:
                end += 1
            for row in parts[k][pos[k] : end]:
                ws.append(row)
                total += 1
            pos[k] = end
    ws.append(["合计", "", "", f"{total}人"])
    ws.append(["制表人：", "", "审核人：", "", "负责人签字（盖章）："])
    wb.save(path)


def make_rosters(args) -> tuple[Path, Path, dict]:
    user = User.objects.get(username="county")
    county = user.region_id
    villages = list(
        Region.objects.filter(code__startswith=county, level=Level.VILLAGE)
        .order_by("code")
        .values_list("code", flat=True)
    )
    n_upd = int(args.rows * args.updated)
    n_same = int(args.rows * args.unchanged)
    n_new = args.rows - n_upd - n_same
    persons = existing_persons(county, n_upd + n_same)
    if len(persons) < n_upd + n_same:
        sys.exit(f"the county holds only {len(persons)} persons with a household number")
    # cut between households so that a household is not half updated, half not
    cut = n_upd
    while cut < len(persons) and persons[cut][4] == persons[cut - 1][4]:
        cut += 1
    upd, same = persons[:cut], persons[cut:]
    updated = list(existing_rows(upd, True, 0))
    unchanged = list(existing_rows(same, False, 0))
    mix = {"new": n_new, "updated": len(updated), "unchanged": len(unchanged), "bad": args.bad}
    tmp = Path(tempfile.gettempdir())
    sent, fixed = tmp / f"bench-roster-{args.rows}-sent.xlsx", tmp / f"bench-roster-{args.rows}.xlsx"
    t0 = time.perf_counter()
    generate(sent, list(new_household_rows(n_new, villages, args.bad)), updated, unchanged)
    generate(fixed, list(new_household_rows(n_new, villages, 0)), updated, unchanged)
    print(
        f"generated {fixed.name} ({fixed.stat().st_size / 2**20:.1f} MB) and {sent.name} in "
        f"{time.perf_counter() - t0:.1f} s: {json.dumps(mix)}",
        flush=True,
    )
    restore = {"persons": [(p[0], p[2]) for p in upd], "households": sorted({(p[7], p[8]) for p in upd})}
    (tmp / "bench-roster-restore.json").write_text(json.dumps(restore))
    return sent, fixed, mix


def cleanup() -> None:
    """Undo an earlier run: the BENCH- households and Beijing ID numbers, and the phones changed."""
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM people_household WHERE household_number LIKE 'BENCH-%%'")
        ids = [r[0] for r in cur.fetchall()]
        if ids:
            cur.execute("UPDATE people_household SET head_id = NULL WHERE id = ANY(%s)", [ids])
            cur.execute("DELETE FROM people_assistance WHERE household_id = ANY(%s)", [ids])
            cur.execute("DELETE FROM people_person WHERE household_id = ANY(%s)", [ids])
            cur.execute("DELETE FROM people_household WHERE id = ANY(%s)", [ids])
            cur.execute("DELETE FROM people_historicalperson WHERE id_number LIKE '110101%%'")
            cur.execute("DELETE FROM people_historicalhousehold WHERE household_number LIKE 'BENCH-%%'")
        saved = Path(tempfile.gettempdir()) / "bench-roster-restore.json"
        if saved.exists():
            restore = json.loads(saved.read_text())
            pairs = restore["persons"]
            cur.execute(
                """UPDATE people_person p SET phone = v.phone
                   FROM unnest(%s::text[], %s::text[]) AS v(id_number, phone)
                   WHERE p.id_number = v.id_number AND p.active AND p.phone <> v.phone""",
                [[a for a, _b in pairs], [b for _a, b in pairs]],
            )
            cur.execute(
                "DELETE FROM people_historicalperson WHERE history_change_reason = '花名册导入' "
                "AND id_number = ANY(%s)",
                [[a for a, _b in pairs]],
            )
            households = restore["households"]
            cur.execute(
                """UPDATE people_household h SET contact_phone = v.phone
                   FROM unnest(%s::bigint[], %s::text[]) AS v(id, phone)
                   WHERE h.id = v.id AND h.contact_phone <> v.phone""",
                [[a for a, _b in households], [b for _a, b in households]],
            )
            cur.execute(
                "DELETE FROM people_historicalhousehold WHERE history_change_reason = '花名册导入' "
                "AND id = ANY(%s)",
                [[a for a, _b in households]],
            )


def vacuum() -> None:
    """VACUUM ANALYZE the tables an import writes: this server runs without autovacuum, and the
    dead rows of earlier runs (and the missing statistics after seeding) change the plans."""
    tables = ["people_person", "people_household", "people_assistance"]
    tables += ["people_historicalperson", "people_historicalhousehold"]
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(f"VACUUM ANALYZE {table}")
    print(f"VACUUM ANALYZE in {time.perf_counter() - t0:.1f} s", flush=True)


# --- One phase -----------------------------------------------------------------------------------

PHASES = {
    "floor": "floor: read the file alone",
    "dry-sent": "dry run, file as sent",
    "dry": "dry run, corrected file",
    "commit": "commit, corrected file",
    "again": "re-import (no changes)",
}


def read_floor(path: Path) -> dict:
    """Every row of the file through the import's own reader (relief/sheet_reader.py, after the
    limits of relief/uploads.py: `read_all_rows`), nothing parsed."""
    from relief.sheet_reader import read_all_rows

    return {"read": read_all_rows(str(path))}


STEPS: dict[str, float] = defaultdict(float)


def _timed_step(name: str, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            STEPS[name] += time.perf_counter() - t0

    return wrapper


SQL: dict[str, list] = defaultdict(lambda: [0.0, 0])


def _timed_sql(execute, sql, params, many, context):
    """Time each statement the import sends through Django (`--sql`), by its first 90 characters."""
    t0 = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        entry = SQL[" ".join(sql.split())[:90]]
        entry[0] += time.perf_counter() - t0
        entry[1] += 1


def instrument_steps() -> None:
    """Time the import's steps by wrapping the functions job.py calls (no code of the import
    changes): reading and checking the rows, villages, loader, planner, writer, next-visit refresh."""
    job.read_roster = _timed_step("read+check", job.read_roster)
    job.resolve_villages = _timed_step("villages", job.resolve_villages)
    job.loader.load_register = _timed_step("loader", job.loader.load_register)
    job.planner.plan = _timed_step("planner", job.planner.plan)
    job.writer.write = _timed_step("writer", job.writer.write)
    job.services.person_refresh_next_visit = _timed_step(
        "next-visit refresh", job.services.person_refresh_next_visit
    )
    # inside the writer (commit): the new persons' next visit due, stored before they are inserted
    job.services.person_schedule_staged = _timed_step(
        "of which next visits (new persons)", job.services.person_schedule_staged
    )
    job.writer._copy = _timed_step("of which COPY (rows built as sent)", job.writer._copy)


def run_phase(phase: str, path: Path, rows: int, args) -> None:
    """One phase in this process; prints its figures and the report's counts (as JSON)."""
    user = User.objects.get(username="county")
    base = rss_mb()
    if phase == "floor":
        fn = lambda: read_floor(path)  # noqa: E731
    else:
        fn = lambda: roster_import(actor=user, source=str(path), commit=phase in ("commit", "again"))  # noqa: E731
    if args.steps:
        instrument_steps()
    if args.sql:
        connection.execute_wrappers.append(_timed_sql)
    profile = cProfile.Profile() if args.profile else None
    if args.tracemalloc:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    result = fn()
    if profile:
        profile.disable()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    heap = tracemalloc.get_traced_memory()[1] / 2**20 if args.tracemalloc else None
    if profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
        profile.dump_stats(str(Path(args.profile) / f"{phase}.prof"))
    line = (
        f"{PHASES[phase]}: {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
        f"(CPU {cpu:.1f} s); peak RSS {rss_mb():.0f} MB (before: {base:.0f} MB)"
    )
    if heap is not None:
        line += f"; Python heap peak {heap:.0f} MB"
    print(line, flush=True)
    if args.steps and STEPS:
        print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in STEPS.items()), flush=True)
    if args.sql:
        slow = sorted(SQL.items(), key=lambda kv: -kv[1][0])[: args.sql]
        print(f"  SQL: {sum(t for t, _n in SQL.values()):.1f} s in statements (COPY not counted)", flush=True)
        for sql, (t, n) in slow:
            print(f"    {t:5.2f} s  {n:>3}×  {sql}", flush=True)
    counts = {k: v for k, v in result.items() if k not in ("errors", "columns", "warnings", "conflicts")}
    counts["skipped_rows"] = len(counts.get("skipped_rows", []))
    print("  " + json.dumps(counts, ensure_ascii=False), flush=True)
    out = {"elapsed": elapsed, "cpu": cpu, "rss": rss_mb(), "heap": heap, "steps": dict(STEPS)}
    print("RESULT " + json.dumps(out), flush=True)


# --- The run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--people", type=int, default=1_000_000, help="demo people to load first")
    parser.add_argument("--reseed", action="store_true", help="seed the demo again even if loaded")
    parser.add_argument("--updated", type=float, default=0.2, help="share of rows updating persons")
    parser.add_argument("--unchanged", type=float, default=0.2, help="share of rows unchanged")
    parser.add_argument("--bad", type=int, default=20, help="bad rows in the file as sent")
    parser.add_argument("--phases", default="floor,dry-sent,dry,commit", help=f"of {','.join(PHASES)}")
    parser.add_argument("--again", action="store_true", help="also re-import the committed file")
    parser.add_argument("--repeat", type=int, default=1, help="run each phase N times")
    parser.add_argument("--steps", action="store_true", help="time each step of the import")
    parser.add_argument("--sql", type=int, default=0, help="print the N slowest SQL statements")
    parser.add_argument("--profile", help="write a cProfile of each phase into this folder")
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap")
    parser.add_argument("--keep", action="store_true", help="leave the last commit's data in place")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the phases' figures to this file (bench/scale.py)")
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()

    if args.phase:
        run_phase(args.phase, Path(args.file), args.rows, args)
        return

    ensure_register(args.people, args.reseed)
    cleanup()
    vacuum()
    sent, fixed, _mix = make_rosters(args)
    print(f"RSS of a process before importing: {rss_mb():.0f} MB; load {_load()}", flush=True)
    phases = [p for p in args.phases.split(",") if p] + (["again"] if args.again else [])
    extra = [f"--{flag}" for flag in ("steps", "tracemalloc", "any_db") if getattr(args, flag)]
    extra = [e.replace("_", "-") for e in extra]
    if args.profile:
        extra += ["--profile", args.profile]
    if args.sql:
        extra += ["--sql", str(args.sql)]
    results: dict[str, list[dict]] = {}
    try:
        for phase in phases:
            for n in range(args.repeat):
                if phase == "commit" and n:
                    cleanup()  # each commit starts from the same state
                    vacuum()
                path = sent if phase in ("floor", "dry-sent") else fixed
                command = [sys.executable, __file__, "--phase", phase, "--file", str(path)]
                command += ["--rows", str(args.rows), *extra]
                run = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)  # noqa: S603
                for line in run.stdout.splitlines():
                    if line.startswith("RESULT "):
                        results.setdefault(phase, []).append(json.loads(line.removeprefix("RESULT ")))
                    else:
                        print(line, flush=True)
    finally:
        if not args.keep:
            cleanup()
    summary(results, args.rows)
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    print(f"load {_load()}; {datetime.datetime.now():%Y-%m-%d %H:%M}")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summary(results: dict[str, list[dict]], rows: int) -> None:
    floor = min((r["elapsed"] for r in results.get("floor", [])), default=None)
    print(
        f"\n{'phase':<30} {'runs':>4} {'best s':>7} {'median s':>8} {'rows/s':>8} "
        f"{'× floor':>7} {'CPU s':>6} {'RSS MB':>6} {'heap MB':>7}"
    )
    for phase, runs in results.items():
        elapsed = [r["elapsed"] for r in runs]
        best = min(elapsed)
        heaps = [r["heap"] for r in runs if r["heap"] is not None]
        print(
            f"{PHASES[phase]:<30} {len(runs):>4} {best:>7.1f} {statistics.median(elapsed):>8.1f} "
            f"{rows / best:>8,.0f} {best / floor if floor else 0:>7.1f} "
            f"{statistics.median(r['cpu'] for r in runs):>6.1f} {max(r['rss'] for r in runs):>6.0f} "
            f"{max(heaps) if heaps else 0:>7.0f}"
        )


if __name__ == "__main__":
    main()
