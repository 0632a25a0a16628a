"""Time a roster report with many bad rows as the page reads it: the summary, the first and the last
page of errors, all errors (the API's report, the download), and the file of bad rows.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/roster_errors.py [--rows 100000]

Generates an N-row roster in which every row is bad (a wrong check character and a date that
does not exist: two problems a row), runs its dry run as the demo county user, stores the
report on a job as the job runner does, then times each read. Needs the demo regions and users
(`manage.py seed_demo`); the job is deleted afterwards.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from _setup import setup

setup()

from openpyxl import Workbook, load_workbook  # noqa: E402

from people.demo import check_digit  # noqa: E402
from people.roster import error_report, roster_import  # noqa: E402
from relief.models import Job, JobState, Region, User  # noqa: E402
from relief.regions import Level  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int, village: str) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    ws.append(["某县2025年冬季困难群众花名册"])
    ws.append(["户编号", "村（社区）", "户主姓名", "姓名", "身份证号", "与户主关系", "认定日期", "备注"])
    start = datetime.date(1940, 1, 1)
    for i in range(rows):
        born = start + datetime.timedelta(days=i % 20000)
        body = f"510121{born:%Y%m%d}{i % 500:03d}"
        good = check_digit(body)
        bad = "0" if good != "0" else "1"
        ws.append([f"ERR-{i}", village, f"人{i}", f"人{i}", body + bad, "户主", "2024-13-45", f"备注{i}"])
    wb.save(path)


def timed(label: str, fn):
    t = time.perf_counter()
    value = fn()
    print(f"{label:<48} {time.perf_counter() - t:8.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    user = User.objects.filter(username="county").first()
    if user is None:
        sys.exit("run manage.py seed_demo first (needs the demo county user)")
    village = Region.objects.filter(code__startswith=user.scope_code, level=Level.VILLAGE).first()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.xlsx"
        timed(f"generate {args.rows:,} bad rows", lambda: generate(path, args.rows, village.name))
        report = timed(
            "dry run (roster_import)", lambda: roster_import(actor=user, source=path, commit=False)
        )
        size = len(json.dumps(report, ensure_ascii=False).encode())
        print(
            f"report: {report['error_count']:,} errors, {size / 1e6:.1f} MB of JSON; peak RSS {rss_mb():.0f} MB"
        )
        job = Job.objects.create(
            kind="bench.roster_errors",
            title="bench",
            state=JobState.SUCCEEDED,
            started_by=user,
            result=report,
        )
        try:
            pages = (
                report["error_count"] + error_report.ERRORS_PAGE_SIZE - 1
            ) // error_report.ERRORS_PAGE_SIZE
            timed("page view before: the whole result into Python", lambda: Job.objects.get(pk=job.pk).result)
            timed("summary without errors (result - 'errors')", lambda: error_report.report_of(job))
            timed("first page of 100 errors", lambda: error_report.errors_slice(job, 0, 100))
            last = timed(
                f"last page ({pages:,}) of errors",
                lambda: error_report.errors_slice(job, (pages - 1) * 100, pages * 100),
            )
            assert last[-1]["row"] == args.rows + 2, last[-1]
            errors = timed("all errors (download, API report)", lambda: error_report.all_errors(job))
            timed("API errors list (one item a problem)", lambda: error_report.api_errors(errors, user))
            content = timed(
                "file of bad rows (read upload, write .xlsx)",
                lambda: error_report.error_workbook(path, errors, user),
            )
            ws = load_workbook(io.BytesIO(content), read_only=True).active
            print(
                f"file of bad rows: {len(content) / 1e6:.1f} MB, {ws.max_row:,} rows; peak RSS {rss_mb():.0f} MB"
            )
        finally:
            job.delete()


if __name__ == "__main__":
    main()
