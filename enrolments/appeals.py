"""Appeals (复查/复核 of a decision) and complaints (投诉/举报), declared once (relief/workflow.py):
registered →(take 承办) assigned →(answer 答复, with an outcome) answered →(close 办结) closed. A request
for review of a refusal found right in whole or part reopens the application for a new
investigation. Lock order: the appeal, then its application."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrolments.models import Appeal, AppealEvent, AppealKind, AppealOutcome, AppealStatus, Enrolment, Status
from enrolments.workflows import COMMENT, enrolment_workflow
from relief.workflow import Param, Step, StepContext, Workflow, county_or_above, today, township_or_above


def _answerer(user, appeal: Appeal) -> str | None:
    """A request for review of a decision is answered by the county that decided; a complaint by the
    township or above."""
    if appeal.kind == AppealKind.REVIEW:
        return county_or_above(user)
    return township_or_above(user)


def _take(ctx: StepContext) -> None:
    ctx.obj.assignee = ctx.actor
    ctx.fields.add("assignee")


def _answer(ctx: StepContext) -> None:
    a: Appeal = ctx.obj
    outcome = ctx.data.get("outcome") or ""
    if outcome not in AppealOutcome.values:
        raise ValidationError({"outcome": _("请选择办理结果")})
    a.answer, a.outcome, a.answered_on = ctx.comment, outcome, today()
    if a.assignee_id is None:
        a.assignee = ctx.actor
    ctx.fields |= {"answer", "outcome", "answered_on", "assignee"}
    if a.kind == AppealKind.REVIEW and outcome != AppealOutcome.REJECTED and a.enrolment_id:
        # a refusal found wrong (in whole or part): the application is investigated again
        enrolment = Enrolment.objects.get(pk=a.enrolment_id)
        if enrolment.status in (Status.REFUSED, Status.REFUSAL_SENT):
            enrolment_workflow.run(
                "reopen", actor=None, obj=enrolment, comment=_("复查理由成立：%(a)s") % {"a": ctx.comment}
            )


def _close(ctx: StepContext) -> None:
    ctx.obj.closed_on = today()
    ctx.fields.add("closed_on")


appeal_workflow = Workflow(
    name="enrolments.appeal",
    model=Appeal,
    log_model=AppealEvent,
    log_fk="appeal",
    history=True,
    steps=[
        Step(
            "take",
            gettext_lazy("承办"),
            sources=(AppealStatus.REGISTERED,),
            target=AppealStatus.ASSIGNED,
            params=(COMMENT,),
            who=_answerer,
            apply=_take,
            style="outline-primary",
        ),
        Step(
            "answer",
            gettext_lazy("答复"),
            sources=(AppealStatus.REGISTERED, AppealStatus.ASSIGNED),
            target=AppealStatus.ANSWERED,
            params=(
                Param(
                    "outcome",
                    "choice",
                    gettext_lazy("办理结果"),
                    required=True,
                    choices=AppealOutcome.choices,
                ),
                Param("comment", "comment", gettext_lazy("答复意见"), required=True),
            ),
            comment_required=gettext_lazy("请填写答复意见"),
            who=_answerer,
            apply=_answer,
        ),
        Step(
            "close",
            gettext_lazy("办结"),
            sources=(AppealStatus.ANSWERED,),
            target=AppealStatus.CLOSED,
            params=(COMMENT,),
            who=_answerer,
            apply=_close,
            style="success",
        ),
    ],
)
