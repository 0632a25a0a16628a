"""The clocks of enrolment as tasks on the today page (relief/todo/deadlines.py): while an application
waits for a step, the township or the county has a task due at the stage's limit (never after the
total limit); a review appears `enrol_review_lead_days` before it is due; an appeal or complaint is
due by its answer date, with its named handler once someone has taken it."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enrolments import clocks
from enrolments.models import AppealKind, AppealStatus, ReviewStatus, Status
from relief.todo.deadlines import Deadline, end_of_working_day, register

TOWNSHIP, COUNTY = 9, 6

ACTIONS = {
    "submitted": _("受理"),
    "checking": _("录入核对报告"),
    "investigating": _("入户调查"),
    "evaluating": _("民主评议"),
    "township": _("乡镇审核"),
    "notice": _("结束公示"),
    "county": _("审核确认"),
    "refused": _("书面告知"),
}


def _stage_due(enrolment) -> datetime.datetime:
    due = clocks.stage_due(enrolment)
    return end_of_working_day(due.due if due else timezone.localdate())


def _title(state: str):
    label = clocks.STAGES[state][1]

    def title(enrolment) -> str:
        return f"{enrolment.household}：{enrolment.get_kind_display()}申请待{label}"

    return title


def _review_visible(review) -> bool:
    lead = clocks.days("enrol_review_lead_days", review.region_id)
    return review.due_on - datetime.timedelta(days=lead) <= timezone.localdate()


def register_all() -> None:
    for state, (_key, label, level) in clocks.STAGES.items():
        register(
            Deadline(
                key=f"enrolments.enrolment.{state}",
                label=_("救助申请待%(what)s") % {"what": label},
                model="enrolments.Enrolment",
                states=(state,),
                level=level,
                due=_stage_due,
                title=_title(state),
                action="enrolments:detail",
                action_label=ACTIONS[state],
                urgent=state == Status.COUNTY,
            )
        )
    register(
        Deadline(
            key="enrolments.review",
            label=_("低保特困定期复核"),
            model="enrolments.Review",
            states=(ReviewStatus.SCHEDULED,),
            level=TOWNSHIP,
            when=_review_visible,
            due=lambda r: end_of_working_day(r.due_on),
            title=lambda r: (
                f"{r.household}：{r.assistance.get_category_display()}定期复核（{r.due_on:%Y-%m-%d}前）"
            ),
            action="enrolments:review-detail",
            action_label=_("复核"),
        )
    )
    for kind, level, label in (
        (AppealKind.REVIEW, COUNTY, _("复查复核申请待答复")),
        (AppealKind.COMPLAINT, TOWNSHIP, _("投诉举报待答复")),
    ):
        register(
            Deadline(
                key=f"enrolments.appeal.{kind}",
                label=label,
                model="enrolments.Appeal",
                states=(AppealStatus.REGISTERED, AppealStatus.ASSIGNED),
                level=level,
                when=lambda a, kind=kind: a.kind == kind,
                due=lambda a: end_of_working_day(a.due_on),
                title=lambda a, label=label: f"{label}：{a.content[:40]}",
                action="enrolments:appeal-detail",
                action_label=_("答复"),
                assignee=lambda a: a.assignee,
            )
        )
