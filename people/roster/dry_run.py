"""What a dry run checks instead of writing into the register's tables (people/roster/writer.py).

A dry run is rolled back, so writing 100,000 rows through the person table's dozen indexes only to
learn whether the database would refuse one cost most of its time (bench/README.md). It writes into
temporary tables of the same columns and checks instead, and asks the database about the rest:

- new households, persons and assistance records are COPYed into tables made `LIKE` theirs
  `INCLUDING CONSTRAINTS` (NOT NULL, CHECK, column sizes): a value the commit's COPY would refuse is
  refused on the same line, with the same message;
- changed existing records are copied into such a table and updated there (`copy_for_update`);
- the unique constraints the import can break (one active ID number, a household number once in
  its region) are looked up in the real tables (`household_numbers_free`, `id_numbers_free`), in
  the order the commit's INSERT meets them, so the same row is reported;
- the foreign keys of every staged and copied row are checked by joins (`foreign_keys`).

New rows take negative ids (no sequence value spent): a negative key points at a staged row, a
positive one at the real table. `test_roster_dry_run.py` holds the dry run to the commit's errors.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import connection, models

from people.models import Household, Person

logger = logging.getLogger("people.roster.writer")

# copies of the changed existing records, updated in place of the real rows
COPIES = {Household: "roster_dry_household", Person: "roster_dry_person"}


class Refused(Exception):
    """The commit would be refused here: `args` = (constraint, table, column, value)."""

    def __init__(self, constraint: str, table: str, column: str, value: Any = None) -> None:
        super().__init__(constraint, table, column, value)
        self.constraint, self.table, self.column, self.value = constraint, table, column, value
        logger.warning(
            "roster import refused (dry run check): SQLSTATE=%s constraint=%s table=%s column=%s",
            "23503" if column else "23505",
            constraint,
            table,
            column or None,
        )


def negative_ids(n: int) -> list[int]:
    return list(range(-1, -n - 1, -1))


def _fetch(sql: str, params: Iterable[Any] = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def copy_for_update(model: type[models.Model], pks: list[int]) -> str:
    """A temporary copy (columns and checks) of the model's rows `pks`, to update instead of them."""
    qn = connection.ops.quote_name
    table = COPIES[model]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {qn(table)}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {qn(table)} (LIKE {qn(model._meta.db_table)} INCLUDING CONSTRAINTS) "
            "ON COMMIT DROP"
        )
        cursor.execute(
            f"INSERT INTO {qn(table)} SELECT * FROM {qn(model._meta.db_table)} WHERE id = ANY(%s)",  # noqa: S608 - names
            [sorted(pks)],
        )
    return table


def _first_taken(keys: list[Any], taken: set[Any]) -> Any:
    """The key the commit's INSERT (in staged order) stops at: the first one already in the table,
    or the second occurrence of one the file gives twice; None if none."""
    seen: set[Any] = set()
    for key in keys:
        if key in taken or key in seen:
            return key
        seen.add(key)
    return None


def household_numbers_free(staged: str, keys: list[tuple[str, str]], constraint: str) -> None:
    """The new households' (region, household number), in staged order, against the table's unique
    constraint (numbers given, once in a region)."""
    qn = connection.ops.quote_name
    taken = {
        (region, number)
        for region, number in _fetch(
            f"SELECT s.region_code, s.household_number FROM {qn(staged)} AS s "  # noqa: S608 - names
            f"WHERE s.household_number <> '' AND EXISTS (SELECT 1 FROM {Household._meta.db_table} AS h "
            "WHERE h.region_code = s.region_code AND h.household_number = s.household_number "
            "AND h.household_number <> '')"
        )
    }
    key = _first_taken([k for k in keys if k[1]], taken)
    if key is not None:
        raise Refused(constraint, Household._meta.db_table, "", key)


def id_numbers_free(staged: str, numbers: list[str], constraint: str) -> None:
    """The new persons' ID numbers (all active), in staged order, against the one-active-ID
    constraint."""
    qn = connection.ops.quote_name
    taken = {
        number
        for (number,) in _fetch(
            f"SELECT s.id_number FROM {qn(staged)} AS s WHERE s.active AND EXISTS "  # noqa: S608 - names
            f"(SELECT 1 FROM {Person._meta.db_table} AS p WHERE p.active AND p.id_number = s.id_number)"
        )
    }
    number = _first_taken(numbers, taken)
    if number is not None:
        raise Refused(constraint, Person._meta.db_table, "", number)


def foreign_keys(
    tables: dict[type[models.Model], list[str]], staged: dict[type[models.Model], tuple[str, int]]
) -> None:
    """Every foreign key of the rows in `tables` (model -> its staged and copied tables) points at a
    row: a negative key at one of the `staged` rows (model -> its staged table and row count: the
    staged rows of a model are ids -1 to -count, as `negative_ids` gave them), a positive one (or
    any key of a model not staged) at the real table."""
    qn = connection.ops.quote_name
    for model, names in tables.items():
        for field in model._meta.concrete_fields:
            if not field.is_relation or not field.db_constraint:
                continue
            target = field.related_model
            column, key = qn(field.column), qn(field.target_field.column)
            ids = target in staged and field.target_field.primary_key
            for table in names:
                real = (
                    f"SELECT 1 FROM (SELECT DISTINCT s.{column} AS k FROM {qn(table)} AS s "  # noqa: S608 - names
                    f"WHERE s.{column} IS NOT NULL{' AND s.' + column + ' >= 0' if ids else ''}) AS v "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {qn(target._meta.db_table)} AS t WHERE t.{key} = v.k) "
                    "LIMIT 1"
                )
                queries: list[tuple[str, list[Any]]] = [(real, [])]
                if ids:  # a staged row's key: -1 to -count
                    sql = f"SELECT 1 FROM {qn(table)} AS s WHERE s.{column} < %s LIMIT 1"  # noqa: S608 - names
                    queries.append((sql, [-staged[target][1]]))
                for sql, params in queries:
                    if _fetch(sql, params):
                        raise Refused(f"{model._meta.db_table}.{field.column}", table, field.column)
