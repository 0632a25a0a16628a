"""The PostgreSQL floor of a roster commit: the bare statements any import of `bench/roster_import.py`'s
100,000-row roster must make the database run, without the import's Python, timed one by one in a
transaction that is rolled back (nothing stays written):

- COPY of 60,000 new persons straight into people_person (its 12 indexes), and the same COPY into
  a temporary table of its columns without indexes, for the indexes' share;
- their deferred foreign keys checked (`SET CONSTRAINTS ALL IMMEDIATE`: household and region);
- COPY of their 60,000 history rows into people_historicalperson (user foreign key);
- UPDATE of 20,000 existing persons' phones (one statement, joined by primary key).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench \\
      .venv/bin/python bench/roster_pg_floor.py [--any-db] [--repeat 3]

Needs the register `roster_import.py` seeds (1,000,000 demo people).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

from _setup import setup

setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from people.demo import check_digit  # noqa: E402
from people.models import Person  # noqa: E402

NEW, UPDATED = 60_000, 20_000
# every column, as the import's COPY sends them (a field it leaves out takes the field's default)
FIELDS = Person._meta.concrete_fields
PERSON_COLUMNS = ", ".join(f.column for f in FIELDS)
DEFAULTS = {f.attname: f.get_default() for f in FIELDS}
HISTORY_COLUMNS = ", ".join(f.column for f in Person.history.model.tracked_fields)


def _person_rows(households: list[tuple[int, str]], first_id: int, now: datetime.datetime):
    start = datetime.date(1950, 1, 1)
    for i in range(NEW):
        birth = start + datetime.timedelta(days=i // 800)
        body = f"110101{birth:%Y%m%d}{i % 800 + 100:03d}"
        household, region = households[i % len(households)]
        row = {
            **DEFAULTS,
            "id": first_id + i,
            "household_id": household,
            "region_id": region,
            "name": "王伟",
            "id_number": body + check_digit(body),
            "sex": "M" if int(body[16]) % 2 else "F",
            "birth_date": birth,
            "relation": "other",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        yield tuple(row[f.attname] for f in FIELDS)


def _timed(results: dict[str, list[float]], name: str, fn) -> None:
    t0 = time.perf_counter()
    fn()
    results.setdefault(name, []).append(time.perf_counter() - t0)


def one_run(results: dict[str, list[float]]) -> None:
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT id, region_code FROM people_household WHERE region_code LIKE '510121%%' ORDER BY id LIMIT 24000"
        )
        households = cur.fetchall()
        cur.execute("SELECT max(id) + 1000 FROM people_person")
        first_id = cur.fetchone()[0]
        rows = list(_person_rows(households, first_id, now))
        cur.execute(
            "CREATE TEMPORARY TABLE floor_person (LIKE people_person INCLUDING CONSTRAINTS) ON COMMIT DROP"
        )

        def copy(table: str) -> None:
            with cur.cursor.copy(f"COPY {table} ({PERSON_COLUMNS}) FROM STDIN") as c:
                for row in rows:
                    c.write_row(row)

        _timed(
            results, "COPY 60,000 persons into a temporary table (no indexes)", lambda: copy("floor_person")
        )
        _timed(results, "COPY 60,000 persons into people_person (12 indexes)", lambda: copy("people_person"))
        _timed(
            results,
            "their foreign keys (SET CONSTRAINTS ALL IMMEDIATE)",
            lambda: cur.execute("SET CONSTRAINTS ALL IMMEDIATE"),
        )
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
        cur.execute("SELECT id FROM relief_user ORDER BY id LIMIT 1")
        (user,) = cur.fetchone()
        _timed(
            results,
            "their history rows (INSERT ... SELECT, user foreign key checked)",
            lambda: (
                cur.execute(
                    f"INSERT INTO people_historicalperson ({HISTORY_COLUMNS}, history_date, "  # noqa: S608
                    "history_change_reason, history_type, history_user_id) "
                    f"SELECT {HISTORY_COLUMNS}, %s, '花名册导入', '+', %s FROM floor_person",
                    [now, user],
                ),
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE"),
                cur.execute("SET CONSTRAINTS ALL DEFERRED"),
            ),
        )
        cur.execute(
            "SELECT id FROM people_person WHERE active AND region_code LIKE '510121%%' AND id < %s "
            "ORDER BY id LIMIT %s",
            [first_id, UPDATED],
        )
        ids = [r[0] for r in cur.fetchall()]
        phones = [f"137{k:08d}" for k in range(len(ids))]
        cur.execute("SET LOCAL enable_hashjoin = off")
        cur.execute("SET LOCAL enable_mergejoin = off")
        _timed(
            results,
            "UPDATE 20,000 persons' phones (12 indexes, not HOT)",
            lambda: cur.execute(
                "UPDATE people_person AS p SET phone = v.phone, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, phone) WHERE p.id = v.id",
                [now, ids, phones],
            ),
        )
        transaction.set_rollback(True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM people_person")
        if cur.fetchone()[0] < 900_000:
            sys.exit("seed the register first (bench/roster_import.py)")
    results: dict[str, list[float]] = {}
    for _n in range(args.repeat):
        one_run(results)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    for name, times in results.items():
        print(f"{name:<68} best {min(times):5.2f} s  ({', '.join(f'{t:.2f}' for t in times)})")
    print(f"load {load}; {datetime.datetime.now():%Y-%m-%d %H:%M}")


if __name__ == "__main__":
    main()
