"""Reads the pages, the API and the roster export share: the household search and what a list of
households shows. Every query starts from `visible_to(user)`."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from people import services
from people.models import Assistance, Household, Person
from relief.privacy import sees_personal_data


def search_households(user, data: dict[str, Any]) -> QuerySet[Household]:
    """The households `user` may see that match the search form's cleaned data.

    The text search is one `pk IN (…)` over a UNION ALL of index-backed look-ups (members by ID
    number, phone or name prefix; households by contact phone or household number). Written as one
    OR across a member sub-select and the household's own columns, PostgreSQL could use no index
    and filtered every household in scope (a province: 415,000 rows, twice per page with the count).

    For roles that see masked numbers, ID and phone numbers match whole numbers only: a prefix
    search would give a masked number away digit by digit (the view counts and logs those searches:
    `relief.privacy.number_search`).
    """
    qs = Household.objects.visible_to(user)
    if data.get("region"):
        qs = qs.in_region(data["region"].code)
    q = (data.get("q") or "").strip()
    if q:
        people = Person.objects.visible_to(user).order_by().values("household_id")
        households = Household.objects.visible_to(user).order_by().values("pk")
        if q[:1].isdigit() and not sees_personal_data(user):
            number = services.normalize_id_number(q)
            matches = people.filter(id_number=number).union(
                people.filter(phone=q),
                households.filter(contact_phone=q),
                households.filter(household_number=q),
                all=True,
            )
        elif q[:1].isdigit():
            number = services.normalize_id_number(q)
            matches = people.filter(id_number__startswith=number).union(
                people.filter(phone__startswith=q),
                households.filter(contact_phone__startswith=q),
                households.filter(household_number=q),
                all=True,
            )
        else:
            matches = people.filter(name__startswith=q).union(households.filter(household_number=q), all=True)
        qs = qs.filter(pk__in=matches)
    if data.get("category"):
        qs = qs.with_category(data["category"])
    if data.get("flag"):
        qs = qs.with_member_flag(data["flag"])
    if data.get("monitored"):
        qs = qs.monitored()
    if data.get("visited_since"):
        qs = qs.visited_since(data["visited_since"])
    if data.get("visit_overdue"):
        qs = qs.filter(Exists(Person.objects.visit_overdue().filter(household=OuterRef("pk"))))
    return qs


def overdue_people_count(user, households: QuerySet[Household]) -> int:
    """How many people of these households are overdue a visit (Person.visit_overdue): the number
    the dashboard's 探访逾期 figure and the visit-overdue alerts count."""
    return (
        Person.objects.visible_to(user)
        .visit_overdue()
        .filter(household__in=households.order_by().values("pk"))
        .count()
    )


def is_household_number(user, value: str) -> bool:
    """Whether `value` is the household number of a household `user` may see (a search for it is
    no search by phone, whatever it looks like)."""
    return Household.objects.visible_to(user).filter(household_number=value.strip()).exists()


def with_list_data(qs: QuerySet[Household]) -> QuerySet[Household]:
    """What a list of households shows (region, head, member count, current categories), in a
    fixed number of queries."""
    member_count = (
        Person.objects.filter(household=OuterRef("pk"), active=True)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        qs.select_related("region", "head")
        .annotate(member_count=Coalesce(Subquery(member_count, output_field=IntegerField()), 0))
        .prefetch_related(
            Prefetch(
                "assistances",
                queryset=Assistance.objects.current().order_by("category"),
                to_attr="current_assistances",
            )
        )
    )
