"""The alert's process, declared once (relief/workflow.py): the alert page's buttons, the API's
`available_actions` and actions, and the services come from here.

open → (acknowledge 签收: the one who signs becomes the assignee if there is none) acknowledged;
open or acknowledged → (resolve 解除, with a note) resolved. Taken by the system: auto_resolve (the
sweep no longer finds the condition) and escalate (提级督办: overdue, one level up, a new due time;
the state stays). Every step by a person needs a writer role in the alert's region.

Sweeps raise and auto-resolve many alerts per statement (relief/alerts/sweeps.py) and escalation
runs over every overdue alert at once (services.alerts_escalate_overdue): those statements take
their states, log actions and conditions from the steps below, so they cannot disagree with them.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy

from relief.models import Alert, AlertEvent, AlertStatus
from relief.policy import policy_value
from relief.workflow import Param, Step, StepContext, Workflow

#: the log action of an alert's creation (not a step: alerts are raised by services and sweeps)
RAISED = "raised"
NOTE = Param("note", "comment", gettext_lazy("处理说明"), max_length=2000)
#: the comment of an escalation, in Python and in the set-based statement alike
ESCALATED_COMMENT = "逾期未处理，提级督办（第%(level)s级）"
AUTO_RESOLVED_COMMENT = "情况已消除，系统自动解除"
REOPENED_COMMENT = "情况仍存在，重新打开（原处理时限和督办层级不变）"
#: how many levels an alert of a region may climb: never above the province
ESCALATION_CAP = {2: 0, 4: 1, 6: 2, 9: 3, 12: 4}


def _assign(ctx: StepContext) -> None:
    alert: Alert = ctx.obj
    if alert.assignee_id is None:
        alert.assignee = ctx.actor
        ctx.fields.add("assignee")


def _resolved_now(ctx: StepContext) -> None:
    alert: Alert = ctx.obj
    alert.resolved_at = timezone.now()
    ctx.fields.add("resolved_at")


def _cleared_now(ctx: StepContext) -> None:
    _resolved_now(ctx)
    alert: Alert = ctx.obj
    alert.cause_open = False
    ctx.fields.add("cause_open")


def escalation_due_days() -> int:
    """Days given after each escalation: the national value of alert_due_days (one value for the
    whole set-based statement)."""
    return int(policy_value("alert_due_days", None))


def _overdue_below_province(alert: Alert) -> str | None:
    if not alert.region_id:
        return gettext_lazy("没有区划的预警不提级")
    if alert.escalation_level >= ESCALATION_CAP.get(len(alert.region_id), 4):
        return gettext_lazy("已提级至省级")
    if alert.due_at is None or alert.due_at >= timezone.now():
        return gettext_lazy("尚未超过处理时限")
    return None


def _escalate(ctx: StepContext) -> None:
    alert: Alert = ctx.obj
    alert.escalation_level += 1
    alert.due_at = timezone.now() + datetime.timedelta(days=escalation_due_days())
    ctx.fields |= {"escalation_level", "due_at"}
    ctx.comment = ESCALATED_COMMENT % {"level": alert.escalation_level}


UNRESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

alert_workflow = Workflow(
    name="relief.alert",
    model=Alert,
    log_model=AlertEvent,
    log_fk="alert",
    state_field="status",
    steps=[
        Step(
            "acknowledge",
            gettext_lazy("签收"),
            sources=(AlertStatus.OPEN,),
            target=AlertStatus.ACKNOWLEDGED,
            params=(NOTE,),
            comment_param="note",
            apply=_assign,
            log_action="acknowledged",
            state_message=gettext_lazy("只有待处理的预警可以签收"),
            style="outline-primary",
        ),
        Step(
            "resolve",
            gettext_lazy("解除"),
            sources=UNRESOLVED,
            target=AlertStatus.RESOLVED,
            params=(NOTE,),
            comment_param="note",
            comment_required=gettext_lazy("解除预警需要填写处理说明"),
            apply=_resolved_now,
            log_action="resolved",
            state_message=gettext_lazy("该预警已解除"),
            style="success",
        ),
        Step(
            "auto_resolve",
            gettext_lazy("自动解除"),
            sources=UNRESOLVED,
            target=AlertStatus.RESOLVED,
            comment_param="note",
            apply=_cleared_now,
            log_action="auto_resolved",
            system=True,
        ),
        Step(
            "escalate",
            gettext_lazy("提级督办"),
            sources=UNRESOLVED,
            when=_overdue_below_province,
            apply=_escalate,
            log_action="escalated",
            system=True,
        ),
    ],
)


def log_action(step_name: str) -> str:
    step = alert_workflow.steps[step_name]
    return step.log_action or step.name
