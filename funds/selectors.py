"""Reads of funds: the per-county ledger (aggregate queries), the deadlines of an application and the
history of changes (django-simple-history) shown on the application and batch pages."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F, Q, Sum
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import (
    OPEN_STATES,
    ZERO,
    Allocation,
    ApplicationKind,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    Payment,
    Program,
    ProgramKind,
    Recovery,
)
from relief.models import Region
from relief.policy import MissingPolicyParameter, policy_value
from relief.workdays import add_working_days


@dataclass
class LedgerRow:
    county: str
    county_name: str
    program_id: int
    program_name: str
    allocated: Decimal = ZERO
    advance: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO
    #: money paid wrongly still to bring back (open recoveries), and what came back (funds/recovery_models.py)
    to_recover: Decimal = ZERO
    recovered: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        """What the county can still commit: recovered money is back in its fund account."""
        return self.allocated - self.committed - self.paid + self.recovered

    def as_dict(self) -> dict:
        return {
            "county": self.county,
            "county_name": self.county_name,
            "program": self.program_id,
            "program_name": self.program_name,
            "allocated": self.allocated,
            "advance": self.advance,
            "committed": self.committed,
            "paid": self.paid,
            "to_recover": self.to_recover,
            "recovered": self.recovered,
            "available": self.available,
        }


@dataclass
class Ledger:
    year: int
    rows: list[LedgerRow] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, Decimal]:
        return {
            k: sum((getattr(r, k) for r in self.rows), ZERO)
            for k in ("allocated", "advance", "committed", "paid", "to_recover", "recovered", "available")
        }


def ledger(user, year: int, county: str | None = None) -> Ledger:
    """Allocated, committed (approved batches not yet paid + approved applications) and paid, per
    county and program, for the records `user` may see, with the money to recover and recovered of
    that year's payments. Six queries, whatever the size."""
    allocations = Allocation.objects.visible_to(user).live().filter(year=year)
    batches = DisbursementBatch.objects.visible_to(user).filter(
        allocation__year=year, status__in=[BatchStatus.APPROVED, BatchStatus.PAID]
    )
    apps = AssistanceApplication.objects.visible_to(user).filter(year=year)
    recoveries = Recovery.objects.visible_to(user).live().filter(year=year)
    if county:
        allocations, batches, apps, recoveries = (
            allocations.in_region(county),
            batches.in_region(county),
            apps.in_region(county),
            recoveries.in_region(county),
        )
    rows: dict[tuple[str, int], LedgerRow] = {}

    def row(code: str, program_id: int) -> LedgerRow:
        key = (code, program_id)
        if key not in rows:
            rows[key] = LedgerRow(code, "", program_id, "")
        return rows[key]

    for r in (
        allocations.annotate(county=Substr("region_id", 1, 6))
        .values("county", "program_id")
        .annotate(total=Sum("amount"), advance=Sum("amount", filter=Q(is_advance=True)))
    ):
        x = row(r["county"], r["program_id"])
        x.allocated += r["total"] or ZERO
        x.advance += r["advance"] or ZERO
    for r in (
        batches.annotate(county=Substr("region_id", 1, 6))
        .values("county", "program_id")
        .annotate(
            # what the bank returned as failed is not spent (a follow-up batch draws it again)
            committed=Sum(F("total_amount") - F("failed_amount"), filter=Q(status=BatchStatus.APPROVED)),
            paid=Sum(F("total_amount") - F("failed_amount"), filter=Q(status=BatchStatus.PAID)),
        )
    ):
        x = row(r["county"], r["program_id"])
        x.committed += r["committed"] or ZERO
        x.paid += r["paid"] or ZERO
    app_rows = list(
        apps.annotate(county=Substr("region_id", 1, 6))
        .values("county")
        .annotate(
            committed=Sum("approved_amount", filter=Q(status=AppStatus.APPROVED)),
            paid=Sum("approved_amount", filter=Q(status=AppStatus.PAID)),
            emergency=Sum("emergency_amount", filter=Q(emergency_paid_at__isnull=False)),
        )
    )
    for r in (
        recoveries.annotate(county=Substr("region_id", 1, 6))
        .values("county", "program_id")
        .annotate(
            returned=Sum("returned_amount"),
            outstanding=Sum(F("amount") - F("returned_amount"), filter=Q(state__in=OPEN_STATES)),
        )
    ):
        x = row(r["county"], r["program_id"])
        x.recovered += r["returned"] or ZERO
        x.to_recover += r["outstanding"] or ZERO
    programs = {p.pk: p for p in Program.objects.all()}
    if app_rows:
        temporary = next((p for p in programs.values() if p.kind == ProgramKind.TEMPORARY), None)
        if temporary is not None:
            for r in app_rows:
                x = row(r["county"], temporary.pk)
                x.committed += r["committed"] or ZERO
                x.paid += (r["paid"] or ZERO) + (r["emergency"] or ZERO)
    names = dict(Region.objects.filter(code__in={c for c, _p in rows}).values_list("code", "name"))
    for (code, pid), x in rows.items():
        x.county_name = names.get(code, code)
        x.program_name = programs[pid].name if pid in programs else str(pid)
    return Ledger(year, sorted(rows.values(), key=lambda r: (r.county, r.program_id)))


# --- Deadlines of a temporary-assistance application ---------------------------------------------


@dataclass
class Step:
    label: str
    due: datetime.date | datetime.datetime
    exact: bool = True
    done: bool = False

    @property
    def overdue(self) -> bool:
        if self.done:
            return False
        now = timezone.now() if isinstance(self.due, datetime.datetime) else timezone.localdate()
        return now > self.due


def _param(key: str, region_code: str) -> int | None:
    try:
        return int(policy_value(key, region_code))
    except MissingPolicyParameter:
        return None


def application_deadlines(app: AssistanceApplication) -> list[Step]:
    """The deadline of each step, in working days on the Chinese calendar (`exact` False when the
    year's holiday arrangement is not yet published)."""
    steps: list[Step] = []
    submitted = timezone.localtime(app.submitted_at)
    code = app.region_id
    if app.kind == ApplicationKind.URGENT:
        hours = _param("ta_emergency_hours", code)
        if hours is not None:
            steps.append(
                Step(
                    _("先行救助时限"),
                    submitted + datetime.timedelta(hours=hours),
                    done=app.emergency_paid_at is not None or app.status != AppStatus.SUBMITTED,
                )
            )
        days = _param("ta_paperwork_working_days", code)
        if app.emergency_paid_at and days is not None:
            d = add_working_days(timezone.localtime(app.emergency_paid_at).date(), days)
            steps.append(Step(_("补办审核手续时限"), d.date, d.exact, done=app.reviewed_at is not None))
    else:
        days = _param("ta_decision_working_days", code)
        if days is not None:
            d = add_working_days(submitted.date(), days)
            steps.append(
                Step(_("办结时限"), d.date, d.exact, done=app.decided_at is not None or not app.is_open)
            )
    if app.notice_end:
        steps.append(Step(_("公示截止"), app.notice_end, True, done=app.status not in (AppStatus.NOTICE,)))
    if app.status == AppStatus.REJECTED and app.decided_at:
        days = _param("ta_reject_notice_working_days", code)
        if days is not None:
            d = add_working_days(timezone.localtime(app.decided_at).date(), days)
            steps.append(Step(_("告知申请人不予救助时限"), d.date, d.exact, done=False))
    return steps


# --- History of changes --------------------------------------------------------------------------

HISTORY_LIMIT = 50


def _with_changes(rows: list, *, limit: int) -> list:
    """Mark each history row (newest first) with the verbose names of the fields it changed, found
    against the previous version of the same record among `rows` (no query per row). A row whose
    previous version was not fetched shows no field list."""
    by_record: dict[int, list] = {}
    for h in reversed(rows):  # oldest first
        by_record.setdefault(h.id, []).append(h)
    for versions in by_record.values():
        for prev, h in zip([None, *versions], versions, strict=False):
            meta = h.instance_type._meta
            h.changed = (
                [str(meta.get_field(c.field).verbose_name) for c in h.diff_against(prev).changes]
                if prev is not None and h.history_type == "~"
                else []
            )
    return rows[:limit]


def application_history(app: AssistanceApplication, *, limit: int = HISTORY_LIMIT) -> list:
    """Who changed the application, when and which fields, newest first. One query."""
    rows = list(
        app.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    return _with_changes(rows, limit=limit)


def batch_payment_history(batch: DisbursementBatch, user, *, limit: int = HISTORY_LIMIT) -> list:
    """The latest changes to the payments of a batch that `user` may see, newest first. One query."""
    qs = Payment.history.filter(batch_id=batch.pk)
    if not user.is_region_admin:  # the same door as Payment.objects.visible_to(user)
        code = user.scope_code
        qs = qs.filter(region__code__startswith=code) if code else qs.none()
    rows = list(qs.select_related("history_user").order_by("-history_date", "-history_id")[:limit])
    return _with_changes(rows, limit=limit)


def bank_totals(batch: DisbursementBatch) -> dict[str, dict]:
    """Lines and money of a batch by what the bank said: {"paid": {"count", "amount"}, "failed": …,
    "pending": …, "reissued": count of failed lines re-issued}. One query."""
    from django.db.models import Count

    from funds.models import BankState

    row = Payment.objects.filter(batch=batch).aggregate(
        **{f"{s}_count": Count("id", filter=Q(bank_state=s)) for s in BankState.values},
        **{f"{s}_amount": Sum("amount", filter=Q(bank_state=s)) for s in BankState.values},
        reissued=Count("id", filter=Q(reissue__isnull=False)),
    )
    result: dict[str, Any] = {
        s: {
            "count": row[f"{s}_count"],
            "amount": row[f"{s}_amount"] or ZERO,
            "label": str(BankState(s).label),
        }
        for s in BankState.values
    }
    result["reissued"] = row["reissued"]
    return result
