"""The deadlines of a temporary-assistance application as tasks (relief/todo/deadlines.py): who
must take the next step, by when (policy values of the application's region)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from funds.models import ApprovalLevel, AppStatus, AssistanceApplication
from relief.policy import policy_value
from relief.todo.deadlines import Deadline, end_of_working_day, register, working_days_after

TOWNSHIP, COUNTY = 9, 6


def decision_due(app: AssistanceApplication) -> datetime.datetime:
    """The whole application is decided within ta_decision_working_days of its filing."""
    days = int(policy_value("ta_decision_working_days", app.region_id))
    return working_days_after(app.submitted_at, days)


def paperwork_due(app: AssistanceApplication) -> datetime.datetime:
    days = int(policy_value("ta_paperwork_working_days", app.region_id))
    return working_days_after(app.emergency_paid_at or app.submitted_at, days)


def notice_due(app: AssistanceApplication) -> datetime.datetime:
    return end_of_working_day(app.notice_end) if app.notice_end else decision_due(app)


def approver(app: AssistanceApplication) -> str:
    """Who approves it (分级审批): the township within its limit, else the county; the amount is
    the township's proposal plus any 先行救助, as the approve step counts it."""
    from django.core.exceptions import ValidationError

    from funds.services.eligibility import required_level

    total = (app.proposed_amount or app.amount_requested or 0) + (app.emergency_amount or 0)
    try:
        return required_level(app, total)[0]
    except ValidationError:
        return ApprovalLevel.COUNTY


def _title(what):
    return lambda app: f"{app.applicant_name}：{what}"


def register_all() -> None:
    model = "funds.AssistanceApplication"
    action = "funds:application-detail"
    register(
        Deadline(
            key="funds.application.review",
            label=_("临时救助待乡镇审核"),
            model=model,
            states=(AppStatus.SUBMITTED,),
            level=TOWNSHIP,
            due=decision_due,
            title=_title(_("临时救助待乡镇审核")),
            action=action,
            action_label=_("审核"),
        )
    )
    register(
        Deadline(
            key="funds.application.paperwork",
            label=_("先行救助后补办手续"),
            model=model,
            states=(AppStatus.EMERGENCY_PAID,),
            level=TOWNSHIP,
            due=paperwork_due,
            title=_title(_("先行救助后补办手续")),
            action=action,
            action_label=_("补办审核"),
        )
    )
    register(
        Deadline(
            key="funds.application.notice",
            label=_("临时救助公示期满待结束公示"),
            model=model,
            states=(AppStatus.NOTICE,),
            level=TOWNSHIP,
            due=notice_due,
            title=_title(_("公示期满后结束公示")),
            action=action,
            action_label=_("结束公示"),
        )
    )
    for level, code_length, label in (
        (ApprovalLevel.TOWNSHIP, TOWNSHIP, _("临时救助待乡镇审批")),
        (ApprovalLevel.COUNTY, COUNTY, _("临时救助待县级审批")),
    ):
        register(
            Deadline(
                key=f"funds.application.approve.{level}",
                label=label,
                model=model,
                states=(AppStatus.REVIEWED, AppStatus.NOTICE_DONE),
                level=code_length,
                when=lambda app, level=level: approver(app) == level,
                due=decision_due,
                title=_title(label),
                action=action,
                action_label=_("审批"),
            )
        )
