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
    common = {"model": "funds.AssistanceApplication", "action": "funds:application-detail", "level": TOWNSHIP}
    # (key, label, the state waited in, due, the task's title, its button): the township's steps
    for key, label, state, due, title, action_label in (
        (
            "review",
            _("临时救助待乡镇审核"),
            AppStatus.SUBMITTED,
            decision_due,
            _("临时救助待乡镇审核"),
            _("审核"),
        ),
        (
            "paperwork",
            _("先行救助后补办手续"),
            AppStatus.EMERGENCY_PAID,
            paperwork_due,
            _("先行救助后补办手续"),
            _("补办审核"),
        ),
        (
            "notice",
            _("临时救助公示期满待结束公示"),
            AppStatus.NOTICE,
            notice_due,
            _("公示期满后结束公示"),
            _("结束公示"),
        ),
    ):
        register(
            Deadline(
                key=f"funds.application.{key}",
                label=label,
                states=(state,),
                due=due,
                title=_title(title),
                action_label=action_label,
                **common,
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
                model=common["model"],
                states=(AppStatus.REVIEWED, AppStatus.NOTICE_DONE),
                level=code_length,
                when=lambda app, level=level: approver(app) == level,
                due=decision_due,
                title=_title(label),
                action=common["action"],
                action_label=_("审批"),
            )
        )
