"""Monitoring sweeps of the funds app (see relief/alerts/sweeps.py): program payments due and not paid.

- A disbursement batch approved but not yet registered as paid after its `pay_by` date raises one
  alert for the batch (urgent), which resolves itself once the batch is paid (or its date is moved).
- An urgent (急难型) temporary-assistance application still waiting for its 先行救助 more than
  `ta_emergency_hours` after it was received raises an alert, which resolves itself once the
  emergency payment is made or the application moves on (reviewed, rejected).

The other deadlines of an application (funds.selectors.application_deadlines) count working days on
the Chinese calendar in Python; they are shown on the application's page, not swept here.
"""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds.models import (
    ApplicationKind,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    Cause,
    DisbursementBatch,
)
from relief.alerts.sweeps import sql_message
from relief.models import Severity
from relief.policy import MissingPolicyParameter, policy_value

BATCH_OVERDUE = "funds.batch_overdue"
EMERGENCY_LATE = "funds.emergency_late"


def overdue_batches(county_code: str, today: datetime.date) -> QuerySet:
    """Approved batches not registered as paid whose pay-by date has passed: every payment in them is
    still unpaid (a batch is paid as a whole)."""
    return (
        DisbursementBatch.objects.in_region(county_code)
        .filter(status=BatchStatus.APPROVED, pay_by__lt=today)
        .annotate(
            dedup_key=Concat(Value(f"{BATCH_OVERDUE}:"), Cast("pk", CharField()), output_field=CharField()),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(county)s%(program)s发放批次“%(title)s”已审批，发放截止日期%(pay_by)s已过，"
                    "仍有%(count)s笔未发放"
                ),
                county=F("region__name"),
                program=F("program__name"),
                title=F("title"),
                pay_by=F("pay_by"),
                count=F("payment_count"),
            ),
            subject_id=F("pk"),
            subject_label=F("title"),
        )
    )


def late_emergency_payments(county_code: str, today: datetime.date) -> QuerySet:
    """Urgent applications received more than `ta_emergency_hours` ago and still waiting for 先行救助."""
    try:
        hours = int(policy_value("ta_emergency_hours", county_code, today))
    except MissingPolicyParameter:
        return AssistanceApplication.objects.none()
    cause = Case(
        *[When(cause=value, then=Value(str(label))) for value, label in Cause.choices],
        default=F("cause"),
        output_field=CharField(),
    )
    return (
        AssistanceApplication.objects.in_region(county_code)
        .filter(
            kind=ApplicationKind.URGENT,
            status=AppStatus.SUBMITTED,
            emergency_paid_at__isnull=True,
            submitted_at__lt=timezone.now() - datetime.timedelta(hours=hours),
        )
        .annotate(
            dedup_key=Concat(Value(f"{EMERGENCY_LATE}:"), Cast("pk", CharField()), output_field=CharField()),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(name)s的急难型临时救助申请（%(cause)s）受理已超过%(hours)s小时，尚未先行救助"),
                name=F("applicant_name"),
                cause=cause,
                hours=Value(hours),
            ),
            subject_id=F("pk"),
            subject_label=Concat(F("applicant_name"), Value(" · "), cause, output_field=CharField()),
        )
    )


def register() -> None:
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=BATCH_OVERDUE,
            label=_("发放批次逾期未发放"),
            findings=overdue_batches,
            severity=Severity.URGENT,
            subject_model="funds.DisbursementBatch",
            action="funds:batch-detail",
            action_label=_("办理发放"),
        )
    )
    register_sweep(
        Sweep(
            kind=EMERGENCY_LATE,
            label=_("先行救助超时"),
            findings=late_emergency_payments,
            severity=Severity.URGENT,
            subject_model="funds.AssistanceApplication",
            action="funds:application-detail",
            action_label=_("先行救助"),
        )
    )
