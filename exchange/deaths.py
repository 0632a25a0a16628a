"""A confirmed death (a 公安/殡葬 record verified by the township): the person is marked deceased,
the payment lines not yet paid are held, and what was paid after the death date is listed for
recovery (追回).

- Held lines (`funds.Payment.held_at`) are lines of the person in batches not paid yet (generating,
  待审核, 已审核, 已审批): they stay in the batch, marked, and leave its total and count, so the
  approval checks the allocation against what will really be paid and the bank list is the total.
  Later batches do not include the person (generation reads active members only).
- Payments to recover: the person's lines (not held) in batches paid after the death date.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from people.models import Person
from relief.models import User

#: batches whose lines can still be held (not paid, not cancelled)
UNPAID = ("generating", "draft", "reviewed", "approved")


@transaction.atomic
def death_confirm(*, actor: User, person: Person, died_on: datetime.date, note: str = "") -> int:
    """Mark the person deceased on `died_on` and hold their unpaid payment lines; the lines held."""
    from funds.models import DisbursementBatch, Payment
    from people.services import person_deactivate

    reason = _("死亡（%(day)s，部门数据比对核实）") % {"day": died_on.isoformat()}
    if note.strip():
        reason = f"{reason} {note.strip()}"
    person_deactivate(actor=actor, person=person, reason=reason)
    Person.objects.filter(pk=person.pk).update(died_on=died_on)
    # batches first, then their lines: the lock order of the batch workflow
    lines = Payment.objects.filter(person=person, held_at__isnull=True, batch__status__in=UNPAID)
    batch_ids = sorted(set(lines.values_list("batch_id", flat=True)))
    list(DisbursementBatch.objects.filter(pk__in=batch_ids).select_for_update().values_list("pk"))
    by_batch = {
        row["batch_id"]: row
        for row in lines.order_by().values("batch_id").annotate(n=Count("pk"), total=Sum("amount"))
    }
    held = lines.update(held_at=timezone.now(), held_reason=reason[:255])
    for batch_id, row in by_batch.items():
        batch = DisbursementBatch.objects.get(pk=batch_id)
        batch.total_amount -= row["total"] or 0
        batch.payment_count -= row["n"]
        batch._change_reason = reason
        batch.save(update_fields=["total_amount", "payment_count"])  # lint: allow-save (a service step)
    return held


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
