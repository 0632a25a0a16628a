"""What a roster refers to, read from the database before planning, in a few queries whatever the
length of the file: the active persons with its ID numbers, the households with its household
numbers, the households of those persons, the names of their regions, and their assistance records
in the categories the file names. Each query takes its values as one array (`= ANY(%s)`): a
100,000-row file is five queries, each one pass over its table or index (the `IN (...)` look-ups of
10,000 values they replace made PostgreSQL scan the person table once per 10,000). The query count
does not grow with the rows (`test_query_count_does_not_grow_with_the_rows`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection

from people.models import Assistance, Household, Person
from people.roster.planner import HOUSEHOLD_VALUES, HouseholdState, MemberState, Register
from people.roster.rows import RosterRow
from relief.models import Region

_FEW_VALUES = frozenset({"heating_type", "housing_condition"})  # household columns of a few words


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _columns(model, *names: str) -> str:
    return ", ".join(connection.ops.quote_name(model._meta.get_field(n).column) for n in names)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_register(rows: list[RosterRow]) -> Register:
    """The register as the planner needs it for these rows (villages already resolved)."""
    register = Register()
    # the file's own strings for the ID numbers, one string per word for the columns of few values
    # (a re-import of 100,000 rows loads 100,000 persons: their copies cost ~15 MB)
    same: dict[str, str] = {r.id_number: r.id_number for r in rows if not r.errors and r.id_number}
    ids = sorted(same)
    by_pk: dict[int, MemberState] = {}
    person_columns = _columns(Person, "id", "id_number", "household", "name", "phone", "relation")
    if ids:
        found = _fetch(
            f"SELECT {person_columns} FROM {Person._meta.db_table} "  # noqa: S608 - names, no values
            "WHERE active AND id_number = ANY(%s) ORDER BY household_id, id",
            [ids],
        )
        for pk, id_number, household_id, name, phone, relation in found:
            id_number = same.get(id_number, id_number)
            register.members[id_number] = by_pk[pk] = MemberState(
                household=household_id,
                name=name,
                id_number=id_number,
                relation=same.setdefault(relation, relation),
                phone=phone,
                pk=pk,
            )

    numbers = sorted({r.household_number for r in rows if not r.errors and r.household_number})
    regions = sorted({r.village.code for r in rows if r.village is not None})
    select = (
        f"SELECT {_columns(Household, 'id', 'region', 'household_number', 'head', *HOUSEHOLD_VALUES)} "  # noqa: S608
        f"FROM {Household._meta.db_table} "
    )
    if numbers and regions:
        for values in _fetch(
            select + "WHERE region_code = ANY(%s) AND household_number = ANY(%s) ORDER BY region_code, id",
            [regions, numbers],
        ):
            _add_household(register, values, by_pk, same)
    wanted = sorted({m.household for m in register.members.values()} - register.households.keys())
    if wanted:
        for values in _fetch(select + "WHERE id = ANY(%s) ORDER BY region_code, id", [wanted]):
            _add_household(register, values, by_pk, same)
    places = sorted({h.region_id for h in register.households.values()})
    names = dict(Region.objects.filter(code__in=places).values_list("code", "name")) if places else {}
    for member in register.members.values():
        household = register.households.get(member.household)
        if household is not None:
            member.household = household
            member.household_region = household.region_id
            member.other_region = names.get(household.region_id, "")

    categories = sorted({c.category for r in rows for c in r.categories})
    if categories and register.households:
        found = _fetch(
            f"SELECT {_columns(Assistance, 'household', 'person', 'category', 'start_date', 'end_date')} "  # noqa: S608
            f"FROM {Assistance._meta.db_table} WHERE household_id = ANY(%s) "  # every category: tiers clash
            "ORDER BY start_date DESC, id DESC",
            [sorted(register.households)],
        )
        for household_id, person_id, category, start, end in found:
            register.households[household_id].assistances.append((category, person_id, start, end))
    return register


def _add_household(
    register: Register, values: tuple, by_pk: dict[int, MemberState], same: dict[str, str]
) -> None:
    pk, region_id, number, head_id, *rest = values
    if pk in register.households:
        return
    head = by_pk.get(head_id, head_id) if head_id else None
    register.households[pk] = HouseholdState(
        region_id=same.setdefault(region_id, region_id),
        values={
            k: same.setdefault(v, v) if k in _FEW_VALUES else v
            for k, v in zip(HOUSEHOLD_VALUES, rest, strict=True)
        },
        head=head,
        pk=pk,
        household_number=number,
    )
    if number:
        register.by_number[(region_id, number)] = pk
