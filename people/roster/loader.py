"""What a roster refers to, read from the database before planning, in a few queries whatever the
length of the file: the active persons with its ID numbers and the households with its household
numbers (one query per `LOOKUP_CHUNK` values), the households of those persons, and their assistance
records in the categories the file names. The query count does not grow with the rows
(`test_query_count_does_not_grow_with_the_rows`).
"""

from __future__ import annotations

from collections.abc import Iterator

from people.models import Assistance, Household, Person
from people.roster.planner import HOUSEHOLD_VALUES, HouseholdState, MemberState, Register
from people.roster.rows import RosterRow

LOOKUP_CHUNK = 10_000  # values per `IN (...)` look-up


def chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def load_register(rows: list[RosterRow]) -> Register:
    """The register as the planner needs it for these rows (villages already resolved)."""
    register = Register()
    ids = sorted({r.id_number for r in rows if not r.errors and r.id_number})
    by_pk: dict[int, MemberState] = {}
    for chunk in chunks(ids, LOOKUP_CHUNK):
        found = Person.objects.filter(active=True, id_number__in=chunk).values_list(
            "pk",
            "id_number",
            "household_id",
            "name",
            "phone",
            "relation",
            "household__region_id",
            "household__region__name",
        )
        for pk, id_number, household_id, name, phone, relation, region_id, region_name in found:
            register.members[id_number] = by_pk[pk] = MemberState(
                household=household_id,
                name=name,
                id_number=id_number,
                relation=relation,
                phone=phone,
                pk=pk,
                household_region=region_id,
                other_region=region_name,
            )

    numbers = sorted({r.household_number for r in rows if not r.errors and r.household_number})
    regions = sorted({r.village.code for r in rows if r.village is not None})
    columns = ("pk", "region_id", "household_number", "head_id", *HOUSEHOLD_VALUES)
    for chunk in chunks(numbers, LOOKUP_CHUNK):
        found = Household.objects.filter(region_id__in=regions, household_number__in=chunk)
        for values in found.values_list(*columns):
            _add_household(register, values, by_pk)
    wanted = sorted({m.household for m in register.members.values()} - register.households.keys())
    for chunk in chunks(wanted, LOOKUP_CHUNK):
        for values in Household.objects.filter(pk__in=chunk).values_list(*columns):
            _add_household(register, values, by_pk)
    for member in register.members.values():
        member.household = register.households.get(member.household, member.household)

    categories = sorted({c.category for r in rows for c in r.categories})
    if categories:
        for chunk in chunks(sorted(register.households), LOOKUP_CHUNK):
            found = Assistance.objects.filter(household_id__in=chunk, category__in=categories)
            for household_id, person_id, category, start, end in found.values_list(
                "household_id", "person_id", "category", "start_date", "end_date"
            ):
                register.households[household_id].assistances.append((category, person_id, start, end))
    return register


def _add_household(register: Register, values: tuple, by_pk: dict[int, MemberState]) -> None:
    pk, region_id, number, head_id, *rest = values
    if pk in register.households:
        return
    head = by_pk.get(head_id, head_id) if head_id else None
    register.households[pk] = HouseholdState(
        region_id=region_id,
        values=dict(zip(HOUSEHOLD_VALUES, rest, strict=True)),
        head=head,
        pk=pk,
        household_number=number,
    )
    if number:
        register.by_number[(region_id, number)] = pk
