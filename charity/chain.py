"""The charity part of the household's 救助链 (funds/chain.py): one entry per allotment to one of
the household's needs, with its donor and project: money as an amount (paid once delivered, pending
while assigned), goods as a quantity (counted in the chain's goods once delivered) with their
estimated value in the note. A charity delivery is no payment line and no stock movement (donated
goods do not pass through the county's warehouse), so nothing is counted twice."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from charity.models import Allotment, NeedState
from funds.chain import PAID, PENDING, Entry
from people.models import Household

KIND = "charity"
STATES: dict[str, object] = {}


def charity_entries(household: Household, user) -> Iterable[Entry]:
    """The household's charity allotments the user may see (one query)."""
    rows = (
        Allotment.objects.visible_to(user)
        .live()
        .filter(need__household=household, need__state__in=[NeedState.ASSIGNED, NeedState.DELIVERED])
        .select_related("need__project", "donation__donor", "line")
        .order_by("id")
    )
    for row in rows:
        need = row.need
        delivered = need.state == NeedState.DELIVERED
        at = need.delivered_at if delivered else need.assigned_at or row.created_at
        day = need.delivered_on if delivered and need.delivered_on else timezone.localdate(at)
        source = f"{row.donation.donor.name} · {need.project.name}"
        note = _("签收：%(n)s") % {"n": need.received_by_name} if delivered else _("已对接，待送达")
        if row.line_id:
            value = _("估值 %(v)s 元") % {"v": row.value} if row.value else ""
            yield Entry(
                date=day,
                kind=KIND,
                label=row.line.name,
                source=source,
                state=PAID if delivered else PENDING,
                quantity=row.quantity,
                unit=row.line.unit,
                note=" · ".join(p for p in (note, value) if p),
                url=need.get_absolute_url(),
                at=at,
            )
        else:
            yield Entry(
                date=day,
                kind=KIND,
                label=_("慈善救助金（%(kind)s）") % {"kind": need.get_kind_display()},
                source=source,
                state=PAID if delivered else PENDING,
                amount=row.amount,
                note=note,
                url=need.get_absolute_url(),
                at=at,
            )
