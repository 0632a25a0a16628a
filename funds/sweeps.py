"""Monitoring sweeps of the funds app (see relief/alerts/sweeps.py): program payments due and not paid.

- A disbursement batch approved but not yet registered as paid after its `pay_by` date raises one
  alert for the batch (urgent), which resolves itself once the batch is paid (or its date is moved).
- An urgent (急难型) temporary-assistance application still waiting for its 先行救助 more than
  `ta_emergency_hours` after it was received raises an alert, which resolves itself once the
  emergency payment is made or the application moves on (reviewed, rejected).

- A payment line paid (batch registered as paid, not failed at the bank) after its person's confirmed
  death date raises an alert whose one tap opens the recovery (追回) form pre-filled; it resolves
  itself once a recovery is registered for the line. The same for a line of a program that requires a
  category (低保, 特困, ...) paid after the household's assistance in it ended (退出).
- A 低保 or 特困 household with no line of a winter program (Program.winter) this winter (from
  1 October), in a county that has paid one this winter (a batch approved or paid): 应发未发.
- A 临时救助 paid to the same ID number for the same cause twice in a year (one payment per person
  per cause per year): the later application, answered by its recovery. The database already allows
  one live application per person, cause and year; this finds what it cannot stop: an urgent
  application paid in advance (先行救助) and later rejected, followed by a new one that was paid.
- A recovery still open after its deadline (`recovery_due_working_days`) raises an alert.

The other deadlines of an application (funds.selectors.application_deadlines) count working days on
the Chinese calendar in Python; they are shown on the application's page, not swept here.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funds.models import (
    OPEN_STATES,
    ApplicationKind,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    Cause,
    DisbursementBatch,
    Payment,
    Recovery,
)
from relief.alerts.sweeps import sql_message
from relief.models import Severity
from relief.policy import MissingPolicyParameter, policy_value

BATCH_OVERDUE = "funds.batch_overdue"
PAID_AFTER_DEATH = "funds.paid_after_death"
PAID_AFTER_EXIT = "funds.paid_after_exit"
RECOVERY_OVERDUE = "funds.recovery_overdue"
NO_WINTER_SUBSIDY = "funds.no_winter_subsidy"
SAME_CAUSE_TWICE = "funds.same_cause_twice"
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


def _lines_to_recover(lines: QuerySet, kind: str, message: str, **values: Any) -> QuerySet:
    """Paid lines not yet registered for recovery, as findings of sweep `kind` (`message` names
    the recipient, program, amount and batch title, and `values`)."""
    return lines.exclude(recoveries__state__in=[*OPEN_STATES, "recovered", "waived"]).annotate(
        dedup_key=Concat(Value(f"{kind}:"), Cast("pk", CharField()), output_field=CharField()),
        region_code=F("region_id"),
        message=sql_message(
            message,
            name=F("recipient_name"),
            program=F("program__name"),
            amount=F("amount"),
            title=F("batch__title"),
            **values,
        ),
        subject_id=F("pk"),
        subject_label=Concat(F("recipient_name"), Value(" · "), F("batch__title"), output_field=CharField()),
    )


def payments_after_death(county_code: str, today: datetime.date) -> QuerySet:
    """Lines really paid after the person's confirmed death date, not yet registered for recovery."""
    return _lines_to_recover(
        Payment.objects.in_region(county_code).paid_after_death(),
        PAID_AFTER_DEATH,
        gettext("%(name)s已于%(died)s死亡，其后仍发放%(program)s %(amount)s元（%(title)s），请登记追回"),
        died=F("person__died_on"),
    )


def payments_after_exit(county_code: str, today: datetime.date) -> QuerySet:
    """Lines really paid for a program that requires a category after the household left it (退出),
    not yet registered for recovery."""
    return _lines_to_recover(
        Payment.objects.in_region(county_code).paid_after_exit(),
        PAID_AFTER_EXIT,
        gettext(
            "%(name)s家庭已退出救助类别，%(paid)s仍发放%(program)s %(amount)s元（%(title)s），请核实并登记追回"
        ),
        paid=F("paid_on"),
    )


def winter_start(today: datetime.date) -> datetime.date:
    """1 October of this winter (寒冬送温暖 runs October to mid-March)."""
    return datetime.date(today.year if today.month >= 10 else today.year - 1, 10, 1)


def households_without_winter_subsidy(county_code: str, today: datetime.date) -> QuerySet:
    from django.db.models import Exists, OuterRef

    from people.models import Assistance, Household

    since = winter_start(today)
    batches = DisbursementBatch.objects.in_region(county_code).filter(
        program__winter=True,
        created_at__date__gte=since,
        status__in=[BatchStatus.APPROVED, BatchStatus.PAID],
    )
    categories = Assistance.objects.current(today).filter(
        household=OuterRef("pk"), category__in=["dibao", "tekun"]
    )
    lines = (
        Payment.objects.filter(
            household=OuterRef("pk"), program__winter=True, batch__created_at__date__gte=since
        )
        .exclude(batch__status__in=[BatchStatus.CANCELLED, BatchStatus.FAILED])
        .filter(held_at__isnull=True)
        .exclude(bank_state="failed")
    )
    return (
        Household.objects.in_region(county_code)
        .filter(Exists(batches), Exists(categories))
        .exclude(Exists(lines))
        .annotate(
            dedup_key=Concat(
                Value(f"{NO_WINTER_SUBSIDY}:{since.year}:"), Cast("pk", CharField()), output_field=CharField()
            ),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(address)s的低保/特困家庭本冬尚未发放冬季救助（本县已发放），请核实后补发"),
                address=F("address"),
            ),
            subject_id=F("pk"),
            subject_label=F("address"),
        )
    )


def applications_paid_twice(county_code: str, today: datetime.date) -> QuerySet:
    """The later of two paid 临时救助 applications of one ID number for one cause in one year."""
    from django.db.models import Exists, OuterRef

    paid = Q(status=AppStatus.PAID) | Q(emergency_paid_at__isnull=False)
    earlier = AssistanceApplication.objects.filter(
        paid,
        id_number=OuterRef("id_number"),
        cause=OuterRef("cause"),
        year=OuterRef("year"),
        pk__lt=OuterRef("pk"),
    )
    cause = Case(
        *[When(cause=value, then=Value(str(label))) for value, label in Cause.choices],
        default=F("cause"),
        output_field=CharField(),
    )
    return (
        AssistanceApplication.objects.in_region(county_code)
        .filter(paid, Exists(earlier))
        .exclude(recoveries__state__in=[*OPEN_STATES, "recovered", "waived"])
        .annotate(
            dedup_key=Concat(
                Value(f"{SAME_CAUSE_TWICE}:"), Cast("pk", CharField()), output_field=CharField()
            ),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(name)s同一事由（%(cause)s）%(year)s年已获临时救助，本次再次发放，请核实并登记追回"
                ),
                name=F("applicant_name"),
                cause=cause,
                year=F("year"),
            ),
            subject_id=F("pk"),
            subject_label=Concat(F("applicant_name"), Value(" · "), cause, output_field=CharField()),
        )
    )


def overdue_recoveries(county_code: str, today: datetime.date) -> QuerySet:
    """Recoveries still open after their deadline."""
    return (
        Recovery.objects.in_region(county_code)
        .filter(state__in=OPEN_STATES, due_on__lt=today)
        .annotate(
            dedup_key=Concat(
                Value(f"{RECOVERY_OVERDUE}:"), Cast("pk", CharField()), output_field=CharField()
            ),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(name)s的错发资金（%(program)s）应于%(due)s前追回%(amount)s元，已追回%(returned)s元"
                ),
                name=F("recipient_name"),
                program=F("program__name"),
                due=F("due_on"),
                amount=F("amount"),
                returned=F("returned_amount"),
            ),
            subject_id=F("pk"),
            subject_label=Concat(
                F("recipient_name"), Value(" · "), F("program__name"), output_field=CharField()
            ),
        )
    )


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=BATCH_OVERDUE,
            label=_("发放批次逾期未发放"),
            findings=overdue_batches,
            severity=Severity.URGENT,
            subject_model="funds.DisbursementBatch",
            inputs=Inputs(subject="funds.DisbursementBatch"),
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
            inputs=Inputs(subject="funds.AssistanceApplication"),
            action="funds:application-detail",
            action_label=_("先行救助"),
        )
    )
    register_sweep(
        Sweep(
            kind=PAID_AFTER_DEATH,
            label=_("死亡后仍发放"),
            findings=payments_after_death,
            severity=Severity.URGENT,
            subject_model="funds.Payment",
            inputs=Inputs(subject="funds.Payment"),
            action="funds:recovery-new",
            action_query="payment={id}&reason=after_death&alert={alert}",
            action_label=_("登记追回"),
        )
    )
    register_sweep(
        Sweep(
            kind=PAID_AFTER_EXIT,
            label=_("退出后仍发放"),
            findings=payments_after_exit,
            severity=Severity.URGENT,
            subject_model="funds.Payment",
            inputs=Inputs(subject="funds.Payment"),
            action="funds:recovery-new",
            action_query="payment={id}&reason=after_exit&alert={alert}",
            action_label=_("登记追回"),
        )
    )
    register_sweep(
        Sweep(
            kind=RECOVERY_OVERDUE,
            label=_("错发资金逾期未追回"),
            findings=overdue_recoveries,
            subject_model="funds.Recovery",
            inputs=Inputs(subject="funds.Recovery"),
            action="funds:recovery-detail",
            action_label=_("登记退回"),
        )
    )
    register_sweep(
        Sweep(
            kind=NO_WINTER_SUBSIDY,
            label=_("低保特困家庭本冬未发放冬季救助"),
            findings=households_without_winter_subsidy,
            subject_model="people.Household",
            inputs=Inputs(subject="people.Household"),
            action="people:household-detail",
            action_label=_("查看家庭"),
        )
    )
    register_sweep(
        Sweep(
            kind=SAME_CAUSE_TWICE,
            label=_("同一事由一年内重复救助"),
            findings=applications_paid_twice,
            severity=Severity.URGENT,
            subject_model="funds.AssistanceApplication",
            inputs=Inputs(subject="funds.AssistanceApplication"),
            action="funds:recovery-new",
            action_query="application={id}&reason=duplicate&alert={alert}",
            action_label=_("登记追回"),
        )
    )
