"""Time reading a roster in each format: relief/sheet_reader.py (python-calamine, the csv module)
against openpyxl (`read_only`, `values_only`), which read .xlsx rosters before. No database.

    DEBUG=1 .venv/bin/python bench/roster_read.py [--rows 100000] [--repeat 3] [--limits]

Generates a roster of N rows (the columns counties send: 户编号, 村, names, an ID as text, phone,
category, a date as text or as a date cell, an amount) as .xlsx with openpyxl, converts it with
LibreOffice (`soffice --headless`) to .ods and, at most 65,000 rows (the format holds 65,536), to
.xls, and writes it as CSV in UTF-8 with BOM and in GB18030. Each reading runs in a child process,
so its peak RSS is its own. "check" is the limit check alone (relief/uploads.py, streamed with
expat); "floor" is `read_all_rows`: the check plus reading every row as Python values, which is
what an import cannot go below. `--limits` also measures the largest sheets the limits admit.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
os.environ.setdefault("DEBUG", "1")

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


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def roster_rows(rows: int):
    yield ["某县2025年冬季困难群众花名册"]
    yield HEADER
    for i in range(rows):
        hh = i // 3 + 1
        head = SURNAMES[hh % 20] + GIVEN[(hh * 7) % 25] + GIVEN[(hh * 13) % 25]
        name = head if i % 3 == 0 else head[0] + GIVEN[i % 25] + GIVEN[(i * 3) % 25]
        yield [
            f"BENCH-{hh:07d}",
            "滨河社区",
            head,
            name,
            f"11010119{50 + i % 50}0101{i % 1000:03d}X",
            "户主" if i % 3 == 0 else "子女",
            f"139{i:08d}",
            "低保" if hh % 2 else "低保边缘",
            datetime.date(2024, 1, 5) if i % 2 else "2024年1月5日",
            1000 + hh % 900 if i % 3 == 0 else None,
        ]
    yield ["合计", "", "", f"{rows}人"]


def write_xlsx(path: Path, rows) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    for row in rows:
        ws.append(row)
    wb.save(path)


def write_csv(path: Path, rows: int, encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        for row in roster_rows(rows):
            w.writerow(
                ["" if v is None else (f"{v:%Y/%m/%d}" if isinstance(v, datetime.date) else v) for v in row]
            )


def soffice(src: Path, fmt: str, out: Path) -> Path:
    subprocess.run(  # noqa: S603
        ["soffice", "--headless", "--convert-to", fmt, "--outdir", str(out.parent), str(src)],  # noqa: S607
        check=True,
        capture_output=True,
    )
    made = out.parent / (src.stem + "." + fmt.split(":")[0])
    made.rename(out)
    return out


def make_files(rows: int, folder: Path) -> dict[str, Path]:
    files = {}
    xlsx = folder / f"roster-{rows}.xlsx"
    write_xlsx(xlsx, roster_rows(rows))
    files["xlsx"] = xlsx
    print(f"made {xlsx.name}", flush=True)
    files["ods"] = soffice(xlsx, "ods", folder / f"roster-{rows}.ods")
    print("made .ods (LibreOffice)", flush=True)
    xls_rows = min(rows, 65_000)
    src = folder / f"roster-{xls_rows}-for-xls.xlsx"
    write_xlsx(src, roster_rows(xls_rows))
    files["xls"] = soffice(src, "xls:MS Excel 97", folder / f"roster-{xls_rows}.xls")
    print("made .xls (LibreOffice)", flush=True)
    files["csv-utf8-bom"] = folder / f"roster-{rows}-utf8-bom.csv"
    write_csv(files["csv-utf8-bom"], rows, "utf-8-sig")
    files["csv-gb18030"] = folder / f"roster-{rows}-gb18030.csv"
    write_csv(files["csv-gb18030"], rows, "gb18030")
    return files


def limit_files(folder: Path) -> dict[str, Path]:
    """The largest sheets the default limits admit: 4,000,000 cells (200,000 rows x 20 columns)
    for .xlsx and .ods; for .xls, which only its size bounds, a value in A1 and one in IV65536
    (65,536 x 256 = 16.8 million cells, a file of a few kilobytes)."""
    from openpyxl import Workbook

    files = {}
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "姓名"
    ws["T200000"] = 1
    files["xlsx A1+T200000"] = folder / "limit.xlsx"
    wb.save(files["xlsx A1+T200000"])
    files["ods A1+T200000"] = soffice(files["xlsx A1+T200000"], "ods", folder / "limit.ods")
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "姓名"
    ws["IV65536"] = 1
    wb.save(folder / "limit-xls-src.xlsx")
    files["xls A1+IV65536"] = soffice(folder / "limit-xls-src.xlsx", "xls:MS Excel 97", folder / "limit.xls")
    return files


def child(kind: str, path: str) -> None:
    import django

    django.setup()
    from relief.sheet_reader import check_table, read_all_rows

    t0 = time.perf_counter()
    if kind == "openpyxl":
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        n = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
    elif kind == "check":
        check_table(path)
        n = 0
    else:
        try:
            n = read_all_rows(path)
        except Exception as exc:  # a limit: say so
            n = -1
            print(f"refused: {exc}", file=sys.stderr)
    print(json.dumps({"elapsed": time.perf_counter() - t0, "rows": n, "rss": rss_mb()}))


def run(kind: str, path: Path) -> dict:
    out = subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--child", kind, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--limits", action="store_true")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-read-"))
    try:
        files = make_files(args.rows, folder)
        cases = [
            ("openpyxl", "xlsx"),
            ("check", "xlsx"),
            ("floor", "xlsx"),
            ("check", "ods"),
            ("floor", "ods"),
        ]
        cases += [("floor", "xls"), ("floor", "csv-utf8-bom"), ("floor", "csv-gb18030")]
        print(f"| reader | file | size | rows | time (best of {args.repeat}) | rows/s | peak RSS |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for kind, fmt in cases:
            results = [run(kind, files[fmt]) for _ in range(args.repeat)]
            best = min(results, key=lambda r: r["elapsed"])
            rows = best["rows"] or run("floor", files[fmt])["rows"]
            size = files[fmt].stat().st_size / 2**20
            label = {
                "openpyxl": "openpyxl read_only",
                "check": "limit check only",
                "floor": "sheet_reader (floor)",
            }[kind]
            print(
                f"| {label} | .{fmt} | {size:.1f} MB | {rows:,} | {best['elapsed']:.2f} s "
                f"(median {statistics.median(r['elapsed'] for r in results):.2f}) | "
                f"{rows / best['elapsed']:,.0f} | {best['rss']:.0f} MB |",
                flush=True,
            )
        if args.limits:
            print("\n| largest sheet the limits admit | size | time | peak RSS |")
            print("|---|---:|---:|---:|")
            for label, path in limit_files(folder).items():
                r = run("floor", path)
                print(
                    f"| {label} | {path.stat().st_size / 1024:.0f} kB | {r['elapsed']:.2f} s | {r['rss']:.0f} MB |"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
