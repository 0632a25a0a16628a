"""When each person is next due a visit, kept on the person (Person.next_visit_due; the rules:
people/visit_rules.py). Recomputed by every write the schedule depends on; `people.services`
re-exports these (kept apart so people/assistance_services.py can call them without a cycle)."""

from __future__ import annotations

import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from people import visit_rules
from people.models import Person

VISIT_SCHEDULE_FIELDS = ["next_visit_due", "visit_rule_name", "visit_interval_days", "visit_cold_wave"]


@transaction.atomic
def person_refresh_next_visit(
    *,
    persons: QuerySet[Person] | None = None,
    region_code: str | None = None,
    today: datetime.date | None = None,
) -> int:
    """Store when each person is next due a visit (Person.next_visit_due, with the rule and interval
    that set it; the definition: people/visit_rules.py) for `persons`, or everyone in `region_code`,
    or everyone: one UPDATE per county, only changed rows written. Returns the rows changed. Called
    by every write it depends on (for a whole region: people.tasks.refresh_next_visits_later)."""
    from relief.alerts.sweeps import counties_under

    today = today or timezone.localdate()
    if persons is not None:
        scope = persons.order_by()
        if region_code:
            scope = scope.filter(region__code__startswith=region_code)
        counties = sorted(
            scope.annotate(county=Substr("region_id", 1, 6)).values_list("county", flat=True).distinct()
        )
    elif region_code and len(region_code) > 6:
        scope, counties = Person.objects.in_region(region_code), [region_code[:6]]
    else:
        scope, counties = None, counties_under(region_code)
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # many small index look-ups: JIT costs more than it saves
        for county in counties:
            sql, params = visit_rules.refresh_sql(county, today, scope)
            cursor.execute(sql, params)
            changed += cursor.rowcount
    return changed


def person_schedule_staged(*, table: str, counties: list[str], today: datetime.date | None = None) -> None:
    """Store the next visit due (as `person_refresh_next_visit`) on new persons not yet inserted:
    the rows of `table`, a staging table of people_person's columns (the roster import's,
    people/roster/writer.py), for the people of each county in `counties`. Everything else the
    rules read (households, assistance records, visits) must already be written."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        for county in counties:
            sql, params = visit_rules.refresh_sql(county, today, table=table)
            cursor.execute(sql, params)


def _refresh_household(household_id: int) -> None:
    person_refresh_next_visit(persons=Person.objects.filter(household_id=household_id))


def _refresh_person(person: Person) -> None:
    person_refresh_next_visit(persons=Person.objects.filter(pk=person.pk))
    person.refresh_from_db(fields=VISIT_SCHEDULE_FIELDS)
