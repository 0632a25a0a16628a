"""People's part of the today page (relief/todo/today.py): who is due a visit today or overdue, in
the user's region, the shortest interval (the highest risk tier) and the longest overdue first,
each with its one tap: record the visit. The same definition as the visit-overdue sweep and the
dashboard (Person.next_visit_due, kept by people/visit_rules.py, shortened during a cold wave)."""

from __future__ import annotations

import datetime

from django.db.models import F
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.models import Person
from relief.models import Role
from relief.todo.today import Line, Section, register


def visits_due(user, today: datetime.date, *, limit: int = 20) -> tuple[list[Line], int]:
    qs = (
        Person.objects.visible_to(user)
        .filter(active=True, next_visit_due__lte=today)
        .select_related("household", "region")
        .order_by(F("visit_interval_days").asc(nulls_last=True), "next_visit_due", "id")
    )
    total = qs.count()
    lines = []
    for person in qs[:limit]:
        overdue = person.next_visit_due < today
        age = person.age
        who = (
            _("%(name)s（%(age)s岁）") % {"name": person.name, "age": age} if age is not None else person.name
        )
        lines.append(
            Line(
                title=who,
                url=reverse("people:household-detail", args=[person.household_id]),
                detail=" · ".join(p for p in (person.region.name, person.visit_reason) if p),
                due=person.next_visit_due,
                overdue=overdue,
                urgent=bool(person.visit_cold_wave),
                action_url=reverse("people:person-visit", args=[person.pk]),
                action_label=_("记录探访"),
                keep=(
                    reverse("people:visit-create", args=[person.household_id]),
                    reverse("people:household-edit", args=[person.household_id]),
                ),
            )
        )
    return lines, total


def register_sections() -> None:
    register(
        Section(
            key="visits_due",
            label=gettext_lazy("今日应探访（含逾期）"),
            lines=visits_due,
            roles=frozenset({Role.VILLAGE, Role.TOWNSHIP}),
            order=10,
            more_url="people:index",
            # the visit-overdue alerts' tasks are these same people: listed here, not twice
            replaces_kinds=frozenset({"people.visit_overdue"}),
        )
    )
