"""A confirmed death (a 公安/殡葬 record verified by the township): the person is marked deceased,
the payment lines not yet paid are held, and what was paid after the death date is listed for
recovery (追回).

- Held lines (`funds.Payment.held_at`, funds/services/holds.py) are lines of the person in batches
  not paid yet (generating, 待审核, 已审核, 已审批): they stay in the batch, marked, and leave its total
  and count, so the approval checks the allocation against what will really be paid.
  Later batches do not include the person (generation reads active members only).
  A per-household line (person empty) is held too when the death leaves no active member.
- Payments to recover: the person's lines (not held) in batches paid after the death date.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from people.models import Person
from relief.models import User


@transaction.atomic
def death_confirm(*, actor: User, person: Person, died_on: datetime.date, note: str = "") -> int:
    """Mark the person deceased on `died_on` and hold their unpaid payment lines; the lines held."""
    from funds.models import Payment
    from funds.services.holds import payments_hold
    from people.services import person_deactivate

    reason = _("死亡（%(day)s，部门数据比对核实）") % {"day": died_on.isoformat()}
    if note.strip():
        reason = f"{reason} {note.strip()}"
    person_deactivate(actor=actor, person=person, reason=reason)
    Person.objects.filter(pk=person.pk).update(died_on=died_on)
    lines = Q(person=person)
    if not Person.objects.filter(household_id=person.household_id, active=True).exists():
        # nobody left in the household: its per-household lines (a campaign's cash, a household
        # subsidy) have no one to receive them either
        lines |= Q(household_id=person.household_id, person__isnull=True)
    return payments_hold(Payment.objects.filter(lines), reason)


def payments_after_death(user) -> QuerySet:
    """Payments made to people after their confirmed death date, in the user's region: to recover."""
    from funds.models import Payment

    return (
        Payment.objects.visible_to(user)
        .paid_after_death()
        .select_related("batch", "person", "region")
        .order_by("region_id", "person_id", "batch__paid_at")
    )


def held_payments(user) -> QuerySet:
    from funds.models import Payment

    return (
        Payment.objects.visible_to(user)
        .filter(held_at__isnull=False)
        .select_related("batch", "person", "region")
        .order_by("-held_at", "id")
    )
