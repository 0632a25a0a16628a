"""Time the roster import: generate an N-row roster (default 100,000) and run the dry run, the
commit and a re-import of the same file as the demo county user, reporting rows per second and
peak memory.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/roster_import.py [--rows 100000] [--repeat 3] [--cleanup]

Each phase runs in a fresh child process (`--phase`), so its peak RSS is its own and not the
maximum of the phases before it. With `--repeat N` each phase runs N times (the commit's data
deleted between its runs) and a summary gives the best and the median of each phase: on a shared
machine the best run is the one least disturbed by others. Needs the demo regions and users
(`manage.py seed_demo`). Imported households carry household numbers BENCH-...; `--cleanup`
deletes them afterwards so the next run starts from the same state.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _setup import setup

setup()

from django.db import connection  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from people.demo import check_digit  # noqa: E402
from people.roster import roster_import  # noqa: E402
from relief.models import Region, User  # noqa: E402
from relief.regions import Level  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华琴"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int, villages: list[str]) -> None:
    """A roster in the shape counties send: title row, header, members grouped by household number;
    text dates, amounts with 元, a 合计 row and a signature line."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(["某县2025年冬季困难群众花名册"])
    ws.append(
        [
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
    )
    i, hh = 0, 0
    start = datetime.date(1950, 1, 1)
    while i < rows:
        hh += 1
        size = 1 + hh % 4
        village = villages[hh % len(villages)]
        head_name = SURNAMES[hh % 20] + GIVEN[(hh * 7) % 25] + GIVEN[(hh * 13) % 25]
        for m in range(size):
            if i >= rows:
                break
            # Beijing 东城区 address codes: never collide with the demo's Sichuan ID numbers
            birth = start + datetime.timedelta(days=i // 800)
            body = f"110101{birth:%Y%m%d}{i % 800 + 100:03d}"
            name = head_name if m == 0 else head_name[0] + GIVEN[(hh + m) % 25] + GIVEN[(hh * 3 + m) % 25]
            ws.append(
                [
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
            )
            i += 1
    ws.append(["合计", "", "", f"{rows}人"])
    ws.append(["制表人：", "", "审核人：", "", "负责人签字（盖章）："])
    wb.save(path)


def cleanup() -> None:
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM people_household WHERE household_number LIKE 'BENCH-%%'")
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            return
        cur.execute("UPDATE people_household SET head_id = NULL WHERE id = ANY(%s)", [ids])
        cur.execute("DELETE FROM people_assistance WHERE household_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM people_person WHERE household_id = ANY(%s)", [ids])
        cur.execute("DELETE FROM people_household WHERE id = ANY(%s)", [ids])
        cur.execute("DELETE FROM people_historicalperson WHERE id_number LIKE '110101%%'")
        cur.execute("DELETE FROM people_historicalhousehold WHERE household_number LIKE 'BENCH-%%'")


def timed(label: str, fn, rows: int, trace: bool) -> dict:
    if trace:
        tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = fn()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    line = (
        f"{label}: {rows} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s "
        f"(Python process CPU {cpu:.1f} s); process peak RSS {rss_mb():.0f} MB"
    )
    if peak is not None:
        line += f"; Python heap peak (tracemalloc) {peak:.0f} MB"
    print(line, flush=True)
    print("RESULT " + json.dumps({"elapsed": elapsed, "cpu": cpu, "rss": rss_mb()}), flush=True)
    return result


PHASES = {
    "dry": ("dry run", False),
    "commit": ("commit", True),
    "again": ("re-import (no changes)", True),
}


def run_phase(phase: str, path: Path, rows: int, trace: bool) -> None:
    """One phase in this process; prints its figures and the report's counts (as JSON)."""
    user = User.objects.get(username="county")
    label, commit = PHASES[phase]
    result = timed(label, lambda: roster_import(actor=user, source=str(path), commit=commit), rows, trace)
    counts = {k: v for k, v in result.items() if k not in ("errors", "columns")}
    print("  " + json.dumps(counts, ensure_ascii=False), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--cleanup", action="store_true", help="delete the imported BENCH- households afterwards"
    )
    parser.add_argument("--no-commit", action="store_true", help="dry run only")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each phase N times; report best and median"
    )
    parser.add_argument("--tracemalloc", action="store_true", help="also measure the Python heap (slower)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()

    if args.phase:
        run_phase(args.phase, Path(args.file), args.rows, args.tracemalloc)
        return

    user = User.objects.get(username="county")
    villages = list(
        Region.objects.filter(code__startswith=user.region_id, level=Level.VILLAGE).values_list(
            "code", flat=True
        )
    )
    path = Path(tempfile.gettempdir()) / f"bench-roster-{args.rows}.xlsx"
    t0 = time.perf_counter()
    generate(path, args.rows, villages)
    print(
        f"generated {path} ({path.stat().st_size / 2**20:.1f} MB) in {time.perf_counter() - t0:.1f} s; "
        f"RSS of a process before importing {rss_mb():.0f} MB",
        flush=True,
    )
    phases = ["dry"] if args.no_commit else ["dry", "commit", "again"]
    extra = ["--tracemalloc"] if args.tracemalloc else []
    extra += ["--any-db"] if args.any_db else []
    results: dict[str, list[dict]] = {}
    try:
        for phase in phases:
            for n in range(args.repeat):
                if phase == "commit" and n:
                    cleanup()  # each commit starts from the same state; the last one stays
                command = [sys.executable, __file__, "--phase", phase, "--file", str(path)]
                command += ["--rows", str(args.rows), *extra]
                run = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
                for line in run.stdout.splitlines():
                    if line.startswith("RESULT "):
                        results.setdefault(phase, []).append(json.loads(line.removeprefix("RESULT ")))
                    else:
                        print(line, flush=True)
    finally:
        if args.cleanup:
            cleanup()
            print("cleaned up")
    if args.repeat > 1:
        summary(results, args.rows)


def summary(results: dict[str, list[dict]], rows: int) -> None:
    print(
        f"\n{'phase':<24} {'runs':>4} {'best s':>7} {'median s':>8} {'best rows/s':>11} {'median CPU s':>12} {'RSS MB':>6}"
    )
    for phase, runs in results.items():
        elapsed = [r["elapsed"] for r in runs]
        print(
            f"{PHASES[phase][0]:<24} {len(runs):>4} {min(elapsed):>7.1f} {statistics.median(elapsed):>8.1f} "
            f"{rows / min(elapsed):>11,.0f} {statistics.median(r['cpu'] for r in runs):>12.1f} "
            f"{max(r['rss'] for r in runs):>6.0f}"
        )


if __name__ == "__main__":
    main()
