"""Held payment lines (暂停发放): a line stays in its batch, marked with when and why, and leaves the
batch's total and count, so the approval checks the allocation against what will really be paid and
the bank file is the total. A line can be held while its batch is not paid yet (generating, 待审核,
已审核, 已审批) and released again before the batch is approved.

Who holds lines: a confirmed death (exchange/deaths.py), a campaign household that declined or was not
found (campaigns/services.py). Apps that must hold lines as a batch is generated register a rule
(`register_hold_rule`): after the lines are written, each rule names the households of the batch to
hold, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from funds.models import BatchStatus, DisbursementBatch

#: batches whose lines can still be held (not paid, not cancelled)
HOLDABLE = (BatchStatus.GENERATING, BatchStatus.DRAFT, BatchStatus.REVIEWED, BatchStatus.APPROVED)
#: batches whose held lines can be released: the approval has not checked the total yet
RELEASABLE = (BatchStatus.GENERATING, BatchStatus.DRAFT, BatchStatus.REVIEWED)

HoldRule = Callable[[DisbursementBatch], dict[int, str]]
HOLD_RULES: list[HoldRule] = []


def register_hold_rule(rule: HoldRule) -> None:
    """`rule(batch)` returns {household_id: reason} for the households whose lines in the batch
    must be held as soon as it is generated."""
    if rule not in HOLD_RULES:
        HOLD_RULES.append(rule)


def _per_batch(lines: QuerySet) -> dict[int, dict]:
    """Lock the lines' batches (the batch workflow's lock order: batches first, then lines) and
    return the count and sum per batch of the lines about to change."""
    batch_ids = sorted(set(lines.values_list("batch_id", flat=True)))
    list(DisbursementBatch.objects.filter(pk__in=batch_ids).select_for_update().values_list("pk"))
    return {
        row["batch_id"]: row
        for row in lines.order_by().values("batch_id").annotate(n=Count("pk"), total=Sum("amount"))
    }


def _retotal(by_batch: dict[int, dict], sign: int, reason: str) -> None:
    for batch_id, row in by_batch.items():
        batch = DisbursementBatch.objects.get(pk=batch_id)
        batch.total_amount += sign * (row["total"] or 0)
        batch.payment_count += sign * row["n"]
        batch._change_reason = reason
        batch.save(update_fields=["total_amount", "payment_count"])


def payments_hold(lines: QuerySet, reason: str) -> int:
    """Hold the given lines that are not held and whose batch is not paid; the number held. Call in
    the transaction of the write that decides it."""
    lines = lines.filter(held_at__isnull=True, batch__status__in=HOLDABLE)
    by_batch = _per_batch(lines)
    held = lines.update(held_at=timezone.now(), held_reason=reason[:255])
    _retotal(by_batch, -1, reason)
    return held


def payments_release(lines: QuerySet, reason: str) -> int:
    """Release held lines of batches not yet approved (they count again in the batch's total); the
    number released. Lines of an approved batch stay held: the approval checked a smaller total."""
    lines = lines.filter(held_at__isnull=False, batch__status__in=RELEASABLE)
    by_batch = _per_batch(lines)
    released = lines.update(held_at=None, held_reason="")
    _retotal(by_batch, 1, reason)
    return released


def hold_reasons(batch: DisbursementBatch) -> dict[int, str]:
    """For a batch being filled: the households every registered rule says to hold, with the
    reason (the fill step writes their lines held and leaves them out of the total)."""
    reasons: dict[int, str] = {}
    for rule in HOLD_RULES:
        for household_id, reason in rule(batch).items():
            reasons.setdefault(household_id, reason[:255])
    return reasons
