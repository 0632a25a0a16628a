"""Time a province's 医保 batch (medical_cost) of N lines matched against the register, then sent
again. Needs a database seeded with `manage.py seed_demo --people 1000000` (bench/README.md):

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_exbench \
        .venv/bin/python bench/exchange.py [--records 1000000] [--keep]

The file is a CSV as a 医保 system exports it (UTF-8 with BOM; 序号, 姓名, 身份证号, 结算日期,
个人自付金额, 就诊类型): 90% of its lines name active people of the register (many twice: a person
settles more than once), 8% valid ID numbers of no one on it, 2% invalid (a wrong check digit, no
ID, an amount or a date that cannot be read). Phases, in one process:

- floor: the reader alone (relief.sheet_reader.read_all_rows), what no import can go below;
- read+normalise: every line through exchange.ingest (ID checks memoised), nothing written;
- receive: the checksum and the file stored (exchange.services.batch_receive up to processing);
- load: read+normalise+COPY into the temporary table (streamed: the reading is inside it);
- match: the one INSERT … SELECT against the register and the monitored households;
- after_match: exchange.hooks.after_match (the warning rules registered, if any);
- total: receive + load + match + after_match; then the re-send of the same file.

Peak RSS is the process's (it only grows, so each figure is the peak up to that phase).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
os.environ.setdefault("DEBUG", "1")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_digit(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def write_csv(path: str, records: int, ids: list[str], seed: int = 7) -> dict[str, int]:
    rng = random.Random(seed)  # noqa: S311 - made-up data
    kinds = {"matched": 0, "unknown": 0, "invalid": 0}
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["序号", "姓名", "身份证号", "结算日期", "个人自付金额", "就诊类型"])
        for i in range(records):
            r = rng.random()
            amount = f"{rng.randint(10, 300000) / 10:.2f}"
            day = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"  # within the rule's 12 months
            if r < 0.90:
                number = ids[rng.randrange(len(ids))]
                kinds["matched"] += 1
            elif r < 0.98:
                body = f"510121{rng.randint(1940, 2010)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}9{rng.randint(0, 99):02d}"
                number = body + check_digit(body)
                kinds["unknown"] += 1
            else:
                kinds["invalid"] += 1
                choice = rng.randrange(4)
                body = f"510121{rng.randint(1940, 2010)}0101{rng.randint(100, 999)}"
                number = body + ("0" if check_digit(body) != "0" else "1") if choice == 0 else ""
                if choice == 1:
                    number = ""
                if choice >= 2:
                    number = ids[rng.randrange(len(ids))]
                    amount = "约三百元" if choice == 2 else amount
                    day = "2025-13-45" if choice == 3 else day
            w.writerow(
                [i + 1, "王" + "伟芳娜敏静丽强"[i % 7], number, day, amount, "住院" if i % 3 else "门诊"]
            )
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the batch (default: delete it afterwards)")
    parser.add_argument("--no-rules", action="store_true", help="no warning rule: match only")
    parser.add_argument("--write", help=argparse.SUPPRESS)  # the child that writes the file
    parser.add_argument("--json", help="also write the phases' seconds to this file (bench/scale.py)")
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    if "bench" not in os.environ.get("DATABASE_URL", "") and not args.any_db:
        sys.exit("refusing to run: set DATABASE_URL to a bench database (ww_exbench)")
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.db import connection

    from exchange import hooks, ingest, services
    from exchange.models import DataSource, ExchangeBatch, RecordKind, RuleKind, Suggestion, Via, WarningRule
    from people.models import Person
    from relief.models import Region, Role, User
    from relief.sheet_reader import read_all_rows

    settings.EXCHANGE_INLINE_BYTES = 10**12  # processed in this process, phase by phase
    province = Region.objects.get(code="51")
    actor, _c = User.objects.get_or_create(
        username="bench-exchange", defaults={"role": Role.PROVINCE, "region": province}
    )
    actor.role, actor.region = Role.ADMIN, None  # an administrator sends for the whole province
    actor.save()
    source, _c = DataSource.objects.get_or_create(
        code="bench-medical",
        defaults={
            "name": "省医保结算（基准）",
            "department": "medical_insurance",
            "record_kind": RecordKind.MEDICAL_COST,
            "region": province,
            "columns": {
                "id_number": "身份证号",
                "name": "姓名",
                "amount": "个人自付金额",
                "date": "结算日期",
                "type": "就诊类型",
            },
        },
    )

    # the rule a 医保 feed exists for: out-of-pocket costs over half the household's income in 12
    # months -> a 临时救助 check (exchange/rules.py, the medical_share sweep of every county touched)
    def drop_rules() -> None:
        """The bench's rules, with the warnings they raised and their tasks (dispositions go with
        their warning)."""
        # in SQL: through the ORM, deleting 300,000 warnings with their tasks, events and
        # dispositions took about four minutes of every run
        for rule in WarningRule.objects.filter(source=source):
            keys = f"{rule.alert_kind}:{rule.pk}:%"
            with connection.cursor() as c:
                c.execute(
                    "CREATE TEMPORARY TABLE bench_gone AS SELECT id FROM relief_alert WHERE dedup_key LIKE %s",
                    [keys],
                )
                c.execute(
                    "CREATE TEMPORARY TABLE bench_gone_tasks AS SELECT t.id FROM relief_task t JOIN bench_gone g ON g.id = t.alert_id"
                )
                for sql in (
                    "DELETE FROM relief_taskevent e USING bench_gone_tasks g WHERE e.task_id = g.id",
                    "DELETE FROM relief_task t USING bench_gone_tasks g WHERE t.id = g.id",
                    "DELETE FROM exchange_dispositiontransition x USING exchange_disposition d, bench_gone g"
                    " WHERE x.disposition_id = d.id AND d.alert_id = g.id",
                    "DELETE FROM exchange_disposition d USING bench_gone g WHERE d.alert_id = g.id",
                    "DELETE FROM relief_alertevent e USING bench_gone g WHERE e.alert_id = g.id",
                    "DELETE FROM relief_alert a USING bench_gone g WHERE a.id = g.id",
                    "DROP TABLE bench_gone, bench_gone_tasks",
                ):
                    c.execute(sql)
        WarningRule.objects.filter(source=source).delete()

    if not args.write:
        drop_rules()
    if not args.no_rules and not args.write:
        WarningRule.objects.create(
            source=source,
            region=province,
            code="bench-medical-share",
            name="自付医疗费用超过家庭收入一半（基准）",
            kind=RuleKind.MEDICAL_SHARE,
            share="0.5",
            months=12,
            suggestion=Suggestion.TEMPORARY,
        )
    if args.write:  # in a child process, so the register's numbers are not in the bench's peak RSS
        # lint: allow-unscoped (a benchmark over the whole register)
        ids = list(Person.objects.filter(active=True).values_list("id_number", flat=True))
        kinds = write_csv(args.write, args.records, ids)
        print(f"register: {len(ids):,} active people; file: {args.records:,} lines, {kinds}")
        return
    ExchangeBatch.objects.filter(source=source).delete()
    # a deleted run's lines and warnings out of the tables and indexes (left in, the next run's
    # warnings, with the same keys, visit every dead one: each run slower than the one before)
    vacuum = (
        "VACUUM (ANALYZE) exchange_exchangerecord, relief_alert, relief_alertevent, relief_task,"
        " relief_taskevent, exchange_disposition"
    )
    with connection.cursor() as c:
        c.execute(vacuum)
    print(f"runners after match: {len(hooks.AFTER_MATCH)}; peak RSS before reading {rss_mb():.0f} MB")
    tmp = tempfile.mkdtemp(prefix="exbench-")
    path = os.path.join(tmp, "medical.csv")
    t = time.perf_counter()
    child = [sys.executable, __file__, "--write", path, "--records", str(args.records), "--any-db"]
    subprocess.run(child, check=True)  # noqa: S603 - this script, its own arguments
    print(f"file: {os.path.getsize(path) / 1e6:.1f} MB ({time.perf_counter() - t:.1f}s to write)")

    figures: list[tuple[str, float, float]] = []

    def phase(name: str, started: float) -> float:
        took = time.perf_counter() - started
        figures.append((name, took, rss_mb()))
        print(f"  {name:<16} {took:7.2f} s   peak RSS {rss_mb():7.0f} MB", flush=True)
        return took

    big = {"limits": ingest.limits(), "max_bytes": settings.EXCHANGE_MAX_BYTES}
    t = time.perf_counter()
    rows = read_all_rows(path, **big)
    phase("floor", t)
    t = time.perf_counter()
    with open(path, "rb") as f:
        n = sum(1 for _line in ingest.read_lines(source, f, path))
    phase("read+normalise", t)
    assert rows == n + 1, (rows, n)

    timings: dict[str, float] = {}
    original = services.batch_process

    def timed_process(**kwargs):
        return original(**kwargs, timings=timings)

    services.batch_process = timed_process
    t = time.perf_counter()
    with open(path, "rb") as f:
        batch, created = services.batch_receive(
            actor=actor, source=source, region=province, file=File(f, name="医保结算.csv"), via=Via.API
        )
    total = time.perf_counter() - t
    assert created
    receive = total - sum(timings.values())
    figures.append(("receive", receive, rss_mb()))
    print(f"  {'receive':<16} {receive:7.2f} s")
    for name in ("load", "match", "after_match"):
        figures.append((name, timings.get(name, 0.0), rss_mb()))
        print(f"  {name:<16} {timings.get(name, 0.0):7.2f} s")
    figures.append(("total", total, rss_mb()))
    print(f"  {'total':<16} {total:7.2f} s   peak RSS {rss_mb():7.0f} MB")
    print(
        f"batch: received {batch.received:,}, matched {batch.matched:,}, unmatched {batch.unmatched:,}, "
        f"invalid {batch.invalid:,} {batch.invalid_reasons}, warnings {batch.warnings_raised:,}"
    )
    with connection.cursor() as c:
        c.execute(
            "SELECT count(*) FILTER (WHERE monitored) FROM exchange_exchangerecord WHERE batch_id = %s",
            [batch.pk],
        )
        print(f"monitored among matched: {c.fetchone()[0]:,}")

    t = time.perf_counter()
    with open(path, "rb") as f:
        again, created = services.batch_receive(
            actor=actor, source=source, region=province, file=File(f, name="医保结算.csv"), via=Via.API
        )
    phase("re-send", t)
    assert not created and again.pk == batch.pk
    if args.json:
        with open(args.json, "w") as out:
            json.dump({name: took for name, took, _rss in figures}, out)
    if not args.keep:
        # the warnings raised and their tasks go with the batch (no disposition was made)
        drop_rules()
        ExchangeBatch.objects.filter(pk=batch.pk).delete()
        with connection.cursor() as c:
            c.execute(vacuum)
    os.remove(path)
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
