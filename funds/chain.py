"""一户一条救助链 (issue 18, point 6): every yuan and every item one household received, across
programmes, in one chronological list with its totals.

What goes into the chain, each from its own collector below (one or two queries each, whatever the
number of entries):

- payment lines of disbursement batches (`Payment`): paid, pending (batch not yet paid), failed at
  the bank, re-issued (a failed line that a follow-up batch pays again; the follow-up line is an entry
  of its own) or held. Lines of cancelled or failed batches paid nothing and are left out;
- temporary assistance (`AssistanceApplication`, linked to the household or one of its members): the
  先行救助 (emergency payment) as its own entry, and the application's final payment (the approved
  amount; paid in full with the emergency payment it is the application's `total_amount`). An open
  application shows as pending, with an amount only once approved; a rejected one paid nothing
  beyond its emergency payment;
- material distributions (`StockMovement` of kind distributed to the household);
- recoveries (`Recovery`, not cancelled) of money paid wrongly, as a negative amount to bring back,
  and each sum returned (`RecoveryReturn`).

Apps above funds add their own collectors (`register_collector`, from their AppConfig.ready()):
campaigns (集中慰问) adds each household's deliveries, with no amount (the cash is a payment line
and the goods a material distribution above, so nothing is counted twice); charity (慈善) adds
each allotment of a donation to one of the household's needs, money as an amount and goods as a
quantity (counted in the goods totals once delivered: donated goods do not pass through the stock).

Only what the user may see: payments, applications and recoveries through their managers'
`visible_to(user)`; a distribution is the household's own record (its region is the warehouse's
county, above a township's staff), so it is shown to whoever may see the household
(`Household.objects.visible_to(user)`). Links go to a record's page only where the user may open it.
Callers check that the user may see the household itself (`relief.scoping.access`).

Cash totals follow the allocation ledger (funds.selectors.ledger): received is what was paid
(lines of paid batches neither held nor failed at the bank, paid applications and emergency
payments), pending what an unpaid batch or an approved application still owes, recovered what came
back and to recover what is still owed back. Money is `Decimal` throughout.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import (
    OPEN_STATES,
    ZERO,
    AppStatus,
    AssistanceApplication,
    BankState,
    BatchStatus,
    DisbursementBatch,
    MovementKind,
    Payment,
    Recovery,
    RecoveryReturn,
    RecoveryState,
    Stock,
    StockMovement,
)
from people.models import Household
from relief.templatetags.relief_tags import yuan

# --- what an entry is --------------------------------------------------------------------------------

PAYMENT, EMERGENCY, APPLICATION, MATERIAL, RECOVERY = (
    "payment",
    "emergency",
    "application",
    "material",
    "recovery",
)
PAID, PENDING, FAILED, HELD, REISSUED = "paid", "pending", "failed", "held", "reissued"
DISTRIBUTED, RETURNED = "distributed", "returned"

UNPAID_BATCH_STATUSES = (
    BatchStatus.GENERATING,
    BatchStatus.DRAFT,
    BatchStatus.REVIEWED,
    BatchStatus.APPROVED,
)


#: kinds and states of the collectors other apps register (register_collector)
EXTRA_KINDS: dict[str, object] = {}
EXTRA_STATES: dict[str, object] = {}


def kind_label(kind: str) -> str:
    if kind in EXTRA_KINDS:
        return str(EXTRA_KINDS[kind])
    return {
        PAYMENT: _("救助发放"),
        EMERGENCY: _("先行救助"),
        APPLICATION: _("临时救助"),
        MATERIAL: _("物资发放"),
        RECOVERY: _("资金追回"),
    }[kind]


def state_label(state: str) -> str:
    labels = {
        PAID: _("已发放"),
        PENDING: _("待发放"),
        FAILED: _("银行发放失败"),
        HELD: _("暂停发放"),
        REISSUED: _("失败已补发"),
        DISTRIBUTED: _("已领取"),
        RETURNED: _("已退回"),
    }
    if state in labels:
        return labels[state]
    if state in EXTRA_STATES:
        return str(EXTRA_STATES[state])
    return str(RecoveryState(state).label)


@dataclass(frozen=True)
class Entry:
    """One line of the chain. Money entries have `amount` (negative for money to bring back); a
    material entry has `quantity` and `unit`; an open application not yet approved has neither."""

    date: datetime.date
    kind: str
    label: str
    source: str
    state: str
    amount: Decimal | None = None
    quantity: Decimal | None = None
    unit: str = ""
    note: str = ""
    url: str = ""
    #: a recovery's money still to bring back (none once recovered, written off or cancelled)
    outstanding: Decimal | None = None
    #: tie-break within a day (newest first), not shown
    at: datetime.datetime | None = field(default=None, compare=False, repr=False)

    @property
    def kind_display(self) -> str:
        return kind_label(self.kind)

    @property
    def state_display(self) -> str:
        return state_label(self.state)

    @property
    def quantity_display(self) -> str:
        return f"{self.quantity.normalize():f}" if self.quantity is not None else ""


@dataclass(frozen=True)
class ItemTotal:
    item: str
    unit: str
    quantity: Decimal

    @property
    def quantity_display(self) -> str:
        return f"{self.quantity.normalize():f}"


@dataclass(frozen=True)
class Totals:
    received: Decimal = ZERO
    pending: Decimal = ZERO
    to_recover: Decimal = ZERO
    recovered: Decimal = ZERO
    items: tuple[ItemTotal, ...] = ()

    @property
    def net(self) -> Decimal:
        """What the household kept: received less what it gave back."""
        return self.received - self.recovered


@dataclass(frozen=True)
class Chain:
    household_id: int
    entries: list[Entry]
    totals: Totals


# --- collectors: (household, user) -> entries, a fixed number of queries each ------------------------


def _day(value: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(value) if value is not None else None


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _allocation_source(batch: DisbursementBatch) -> str:
    allocation = batch.allocation
    parts = [batch.title, allocation.get_source_display()]
    if allocation.document_number:
        parts.append(allocation.document_number)
    return " · ".join(parts)


def payment_entries(household: Household, user) -> Iterable[Entry]:
    """The household's payment lines (one query)."""
    lines = (
        Payment.objects.visible_to(user)
        .filter(household=household)
        .exclude(batch__status__in=[BatchStatus.CANCELLED, BatchStatus.FAILED])
        .select_related("batch__allocation", "program", "person")
        .annotate(
            reissued=Exists(Payment.objects.filter(reissue_of=OuterRef("pk"))),
            batch_visible=Exists(DisbursementBatch.objects.visible_to(user).filter(pk=OuterRef("batch_id"))),
        )
    )
    for p in lines:
        batch = p.batch
        note = ""
        if p.held_at is not None:
            state, day = HELD, _day(p.held_at)
            note = p.held_reason
        elif p.bank_state == BankState.FAILED:
            state, day = (REISSUED if p.reissued else FAILED), p.bank_date
            note = p.bank_reason
        elif batch.status == BatchStatus.PAID:
            state = PAID
            day = p.bank_date if p.bank_state == BankState.PAID and p.bank_date else _day(batch.paid_at)
        else:
            state, day = PENDING, _day(p.created_at)
            note = batch.get_status_display()
        day = day or _day(p.created_at)
        label = p.program.name + (f" · {p.person.name}" if p.person_id else "")
        yield Entry(
            date=day,
            kind=PAYMENT,
            label=label,
            source=_allocation_source(batch),
            state=state,
            amount=p.amount,
            note=note,
            url=batch.get_absolute_url() if p.batch_visible else "",
            at=batch.paid_at if state == PAID and batch.paid_at else p.created_at,
        )


def application_entries(household: Household, user) -> Iterable[Entry]:
    """The temporary assistance of the household or its members the user may see (one query)."""
    apps = (
        AssistanceApplication.objects.visible_to(user)
        .filter(Q(household=household) | Q(person__household=household))
        .select_related("person")
    )
    for a in apps:
        cause = f"{a.get_cause_display()}（{a.get_kind_display()}）"
        source = _("申请人：%(name)s") % {"name": a.applicant_name}
        url = a.get_absolute_url()
        if a.emergency_paid_at is not None and a.emergency_amount:
            yield Entry(
                date=_day(a.emergency_paid_at),
                kind=EMERGENCY,
                label=cause,
                source=source,
                state=PAID,
                amount=a.emergency_amount,
                url=url,
                at=a.emergency_paid_at,
            )
        if a.status == AppStatus.REJECTED:
            continue  # paid nothing beyond its emergency payment
        note = [_("申请 %(amount)s 元") % {"amount": yuan(a.amount_requested)}]
        if a.approved_amount is not None:
            note.append(_("审批 %(amount)s 元") % {"amount": yuan(a.approved_amount)})
        if a.status == AppStatus.PAID:
            if a.emergency_paid_at is not None and a.emergency_amount:
                note.append(
                    _("合计 %(total)s 元（含先行救助 %(emergency)s 元）")
                    % {"total": yuan(a.total_amount), "emergency": yuan(a.emergency_amount)}
                )
            yield Entry(
                date=_day(a.paid_at or a.decided_at or a.submitted_at),
                kind=APPLICATION,
                label=cause,
                source=source,
                state=PAID,
                amount=a.approved_amount or ZERO,
                note=" · ".join(note),
                url=url,
                at=a.paid_at or a.submitted_at,
            )
        else:
            note.append(a.get_status_display())
            yield Entry(
                date=_day(a.submitted_at),
                kind=APPLICATION,
                label=cause,
                source=source,
                state=PENDING,
                amount=a.approved_amount if a.status == AppStatus.APPROVED else None,
                note=" · ".join(note),
                url=url,
                at=a.submitted_at,
            )


def material_entries(household: Household, user) -> Iterable[Entry]:
    """Goods given to the household (one query)."""
    movements = (
        StockMovement.objects.filter(
            household__in=Household.objects.visible_to(user).filter(pk=household.pk),
            kind=MovementKind.DISTRIBUTED,
        )
        .select_related("stock__item", "stock__warehouse")
        .annotate(stock_visible=Exists(Stock.objects.visible_to(user).filter(pk=OuterRef("stock_id"))))
    )
    for m in movements:
        item = m.stock.item
        yield Entry(
            date=_day(m.at),
            kind=MATERIAL,
            label=item.name,
            source=m.stock.warehouse.name,
            state=DISTRIBUTED,
            quantity=m.quantity,
            unit=item.unit,
            note=m.note,
            url=reverse("funds:material-detail", args=[m.stock_id]) if m.stock_visible else "",
            at=m.at,
        )


def recovery_entries(household: Household, user) -> Iterable[Entry]:
    """Money paid wrongly and brought back (two queries: the recoveries, then their returns)."""
    recoveries = (
        Recovery.objects.visible_to(user)
        .live()
        .filter(Q(household=household) | Q(person__household=household))
        .select_related("program", "payment__batch", "application")
        .prefetch_related(Prefetch("returns", queryset=RecoveryReturn.objects.order_by("returned_on", "id")))
    )
    for r in recoveries:
        what = r.payment.batch.title if r.payment_id else r.application.get_cause_display()
        url = r.get_absolute_url()
        label = _("追回：%(program)s") % {"program": r.program.name}
        note = _("应追回 %(amount)s 元，已追回 %(returned)s 元") % {
            "amount": yuan(r.amount),
            "returned": yuan(r.returned_amount),
        }
        if r.state == RecoveryState.WAIVED and r.close_reason:
            note = f"{note} · {r.close_reason}"
        yield Entry(
            date=_day(r.created_at),
            kind=RECOVERY,
            label=label,
            source=f"{r.get_reason_display()} · {what}",
            state=r.state,
            amount=-r.amount,
            outstanding=r.amount - r.returned_amount if r.state in OPEN_STATES else ZERO,
            note=note,
            url=url,
            at=r.created_at,
        )
        for back in r.returns.all():
            yield Entry(
                date=back.returned_on,
                kind=RECOVERY,
                label=_("退回：%(program)s") % {"program": r.program.name},
                source=_("票据/凭证号：%(receipt)s") % {"receipt": back.receipt} if back.receipt else "",
                state=RETURNED,
                amount=back.amount,
                note=back.note,
                url=url,
                at=back.created_at,
            )


#: every source of the chain; apps above funds append theirs with register_collector
COLLECTORS: list[Callable[[Household, object], Iterable[Entry]]] = [
    payment_entries,
    application_entries,
    material_entries,
    recovery_entries,
]


def register_collector(
    collect: Callable[[Household, object], Iterable[Entry]],
    *,
    kinds: dict[str, object] | None = None,
    states: dict[str, object] | None = None,
) -> None:
    """Add an app's collector to the chain (once), with the labels of its entries' kinds and states
    (states the chain already names keep their label)."""
    if collect not in COLLECTORS:
        COLLECTORS.append(collect)
    EXTRA_KINDS.update(kinds or {})
    EXTRA_STATES.update({k: v for k, v in (states or {}).items() if k not in EXTRA_STATES})


# --- the chain -----------------------------------------------------------------------------------------


def _totals(entries: list[Entry]) -> Totals:
    received = pending = to_recover = recovered = ZERO
    items: dict[tuple[str, str], Decimal] = {}
    for e in entries:
        if e.quantity is not None and (e.kind == MATERIAL or e.state == PAID):
            key = (e.label, e.unit)
            items[key] = items.get(key, Decimal("0")) + e.quantity
        elif e.kind == RECOVERY:
            if e.state == RETURNED:
                recovered += e.amount
            to_recover += e.outstanding or ZERO
        elif e.amount is not None:
            if e.state == PAID:
                received += e.amount
            elif e.state == PENDING:
                pending += e.amount
    return Totals(
        received=received,
        pending=pending,
        to_recover=to_recover,
        recovered=recovered,
        items=tuple(ItemTotal(name, unit, q) for (name, unit), q in sorted(items.items())),
    )


def assistance_chain(household: Household, user) -> Chain:
    """Everything the household received that `user` may see, newest first, with its totals. Five
    queries, and one per registered collector (campaigns: one), whatever the number of entries."""
    entries = [e for collect in COLLECTORS for e in collect(household, user)]
    entries.sort(key=lambda e: (e.date, e.at or _midnight(e.date)), reverse=True)
    return Chain(household_id=household.pk, entries=entries, totals=_totals(entries))
