"""Matching a batch, set-based: its lines are streamed (COPY) into a temporary table, then one
INSERT … SELECT joins them to the active register on the normalised ID number and writes every
record with its result. Never a Python loop over people.

A matched record takes the person, the household and the person's region (the village: it decides
who gets the warning) and whether the household is monitored (`Household.objects.monitored()`: a
category in force, or the cohort still watched after leaving or being refused). An unmatched record
keeps the batch's region, so the county that sent it can search it; an invalid one keeps its reason.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from exchange.models import ExchangeBatch, RecordStatus
from people.models import Assistance, Household

INCOMING = "exchange_incoming"
COLUMNS = "line, id_number, name, amount, occurred_on, event_type, error_code, error"


def create_incoming(cursor) -> None:
    """The temporary table of the lines as read (dropped by `match`, or at the end of the transaction;
    a batch processed inside a caller's transaction after another finds none left)."""
    cursor.execute(f"DROP TABLE IF EXISTS {INCOMING}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {INCOMING} ("
        "line integer NOT NULL, id_number varchar(18) NOT NULL, name varchar(50) NOT NULL, "
        "amount numeric(14, 2), occurred_on date, event_type varchar(64) NOT NULL, "
        "error_code varchar(32) NOT NULL, error varchar(255) NOT NULL) ON COMMIT DROP"
    )


def load(cursor, chunks: Iterable[str]) -> None:
    """COPY the lines (exchange.ingest.copy_text) into the temporary table."""
    with cursor.copy(f"COPY {INCOMING} ({COLUMNS}) FROM STDIN") as copy:
        for chunk in chunks:
            copy.write(chunk)


def monitored_ids(on: datetime.date | None = None) -> tuple[str, tuple]:
    """The ids of `Household.objects.monitored(on)` as SQL the planner can hash: the union of its two
    conditions (an assistance record in force, the cohort) instead of its `EXISTS … OR …`, which
    PostgreSQL runs once per household (20 s for a million lines). tests/exchange/test_matching.py
    holds the two to the same households."""
    on = on or timezone.localdate()
    # lint: allow-unscoped (matching reads the whole register: the region of the match decides who sees it)
    current = Assistance.objects.current(on).order_by().values("household_id")
    # lint: allow-unscoped (as above)
    cohort = Household.objects.filter(cohort_until__gte=on).order_by().values("id")
    return current.union(cohort).query.sql_with_params()


def match(cursor, batch: ExchangeBatch) -> dict[tuple[str, str], int]:
    """Write the batch's records from the temporary table: {(status, error code): count}. The lines
    are written in household order (then line; unmatched and invalid ones last, in line order):
    the household index of the rules and the region index then grow at their ends instead of at
    random places (a million-line insert ~20 % faster), and a household's lines sit together."""
    monitored_sql, monitored_params = monitored_ids()
    cursor.execute("SET LOCAL work_mem = '128MB'")  # the joins of a million lines stay in memory
    cursor.execute("SET LOCAL jit = off")  # compiling the plan costs more than it saves here
    cursor.execute(f"ANALYZE {INCOMING}")
    cursor.execute(
        f"""
        WITH written AS (
            INSERT INTO exchange_exchangerecord (
                batch_id, source_id, line, id_number, name, amount, occurred_on, event_type,
                status, error_code, error, region_code, person_id, household_id, monitored
            )
            SELECT %s, %s, i.line, i.id_number, i.name, i.amount, i.occurred_on, i.event_type,
                   CASE WHEN i.error_code <> '' THEN %s WHEN p.id IS NULL THEN %s ELSE %s END,
                   i.error_code, i.error, COALESCE(p.region_code, %s), p.id, p.household_id,
                   m.household_id IS NOT NULL
            FROM {INCOMING} i
            LEFT JOIN people_person p
                   ON p.id_number = i.id_number AND p.active AND i.error_code = ''
            LEFT JOIN ({monitored_sql}) m (household_id) ON m.household_id = p.household_id
            ORDER BY p.household_id, i.line
            RETURNING status, error_code
        )
        SELECT status, error_code, count(*) FROM written GROUP BY status, error_code
        """,  # noqa: S608 - table and subquery are ours, values are parameters
        [
            batch.pk,
            batch.source_id,
            RecordStatus.INVALID,
            RecordStatus.UNMATCHED,
            RecordStatus.MATCHED,
            batch.region_id,
            *monitored_params,
        ],
    )
    found = {(status, code): n for status, code, n in cursor.fetchall()}
    cursor.execute(f"DROP TABLE {INCOMING}")
    return found
