"""The periodic review of a category (定期复核, 动态管理), declared once (relief/workflow.py):
scheduled →(continue 继续享受 | change 调整金额或类别 | end 退出) done. Continuing or changing schedules
the next review; ending closes the category on the register and keeps a household that left
低保/特困 in the monitored cohort. Lock order: the review, then its assistance record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrolments.models import Review, ReviewEvent, ReviewOutcome, ReviewStatus
from people.choices import DibaoClass
from relief.workflow import (
    Param,
    Step,
    StepContext,
    Workflow,
    county_or_above,
    money,
    today,
    township_or_above,
)


def _review_done(ctx: StepContext, outcome: str) -> None:
    r: Review = ctx.obj
    findings = (ctx.data.get("findings") or ctx.comment or "").strip()
    if not findings:
        raise ValidationError({"findings": _("请填写复核情况")})
    r.findings, r.outcome, r.done_on, r.done_by = findings, outcome, today(), ctx.actor
    ctx.fields |= {"findings", "outcome", "done_on", "done_by"}
    # done now, in the row too: the next review of the category may be scheduled in this step
    # (one scheduled review per category, a unique index)
    Review.objects.filter(pk=r.pk).update(status=ReviewStatus.DONE)


def _review_continue(ctx: StepContext) -> None:
    from enrolments.register import review_schedule

    _review_done(ctx, ReviewOutcome.CONTINUE)
    review_schedule(ctx.obj.assistance, after=today())


def _review_change(ctx: StepContext) -> None:
    from enrolments.register import assistance_change, review_schedule

    r: Review = ctx.obj
    _review_done(ctx, ReviewOutcome.CHANGE)
    raw = ctx.data.get("new_amount")
    amount = None if raw in (None, "") else money(raw, "new_amount", positive=False)
    new_class = ctx.data.get("new_class") or ""
    if amount is None and not new_class:
        raise ValidationError({"new_amount": _("请填写调整后的金额或低保类别")})
    r.new_amount, r.new_class = amount, new_class
    ctx.fields |= {"new_amount", "new_class"}
    assistance = assistance_change(r.assistance_id, amount=amount, dibao_class=new_class)
    review_schedule(assistance, after=today())


def _review_end(ctx: StepContext) -> None:
    from enrolments.register import assistance_end

    r: Review = ctx.obj
    reason = (ctx.data.get("end_reason") or "").strip()
    notice = (ctx.data.get("end_notice") or "").strip()
    if not reason:
        raise ValidationError({"end_reason": _("退出须写明理由")})
    if not notice:
        raise ValidationError({"end_notice": _("请填写退出告知情况（告知日期、方式）")})
    ctx.data.setdefault("findings", reason)
    _review_done(ctx, ReviewOutcome.END)
    r.end_reason, r.end_notice = reason, notice[:255]
    ctx.fields |= {"end_reason", "end_notice"}
    assistance_end(r.assistance_id, on=today(), reason=reason)


FINDINGS = Param("findings", "comment", gettext_lazy("复核情况（人口、收入、财产变化）"))

review_workflow = Workflow(
    name="enrolments.review",
    model=Review,
    log_model=ReviewEvent,
    log_fk="review",
    lock_related=("assistance",),
    history=True,
    steps=[
        Step(
            "continue",
            gettext_lazy("继续享受"),
            sources=(ReviewStatus.SCHEDULED,),
            target=ReviewStatus.DONE,
            params=(FINDINGS,),
            comment_param="findings",
            who=township_or_above,
            apply=_review_continue,
            style="success",
            url_path="continue",
        ),
        Step(
            "change",
            gettext_lazy("调整金额或类别"),
            sources=(ReviewStatus.SCHEDULED,),
            target=ReviewStatus.DONE,
            params=(
                FINDINGS,
                Param("new_amount", "money", gettext_lazy("调整后金额（元/月）")),
                Param(
                    "new_class",
                    "choice",
                    gettext_lazy("调整后低保类别"),
                    choices=[("", "—"), *DibaoClass.choices],
                ),
            ),
            comment_param="findings",
            who=county_or_above,
            apply=_review_change,
        ),
        Step(
            "end",
            gettext_lazy("退出"),
            sources=(ReviewStatus.SCHEDULED,),
            target=ReviewStatus.DONE,
            params=(
                Param("end_reason", "comment", gettext_lazy("退出理由"), required=True),
                Param(
                    "end_notice",
                    "text",
                    gettext_lazy("告知情况（日期、方式）"),
                    required=True,
                    max_length=255,
                ),
            ),
            comment_param="end_reason",
            who=county_or_above,
            apply=_review_end,
            style="outline-danger",
            confirm=gettext_lazy("退出后该类别终止，次月起停发。确定？"),
        ),
    ],
)
