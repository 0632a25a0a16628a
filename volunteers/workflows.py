"""The assignment workflow, declared once (relief/workflow.py):

    assigned ──complete──▶ done ──accept──▶ accepted        (the hours count from here)
       │  ▲                  │
       │  └──── returned ◀─send_back── (with the reviewer's comment; complete again when corrected)
       └──cancel──▶ cancelled   (also from returned; never once something is recorded on it)

`done` waits for a review by the township (or the county for county-level work): a task on the
reviewer's today page (volunteers/apps.py registers the deadline). The records made on the
assignment follow its review (accepted / returned) in the same step."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.workflow import Param, Step, StepContext, Workflow, township_or_above
from volunteers.models import AssignmentEvent, AssignmentState, ReviewState, VolunteerAssignment

COMMENT = Param("comment", "text", label=gettext_lazy("说明"), max_length=255)
MAX_HOURS = Decimal("24")


def hours_value(value, field: str = "actual_hours") -> Decimal:
    """Hours from an input: Decimal to one place, more than 0 and at most 24, never float."""
    if isinstance(value, float):
        raise TypeError("hours must be Decimal, not float")
    if value in (None, ""):
        raise ValidationError({field: _("请填写服务时长")})
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("服务时长格式不正确")}) from None
    if hours <= 0 or hours > MAX_HOURS:
        raise ValidationError({field: _("服务时长须大于0且不超过24小时")})
    return hours


def _complete(ctx: StepContext) -> None:
    ctx.obj.actual_hours = hours_value(ctx.data.get("actual_hours"))
    ctx.fields.add("actual_hours")
    ctx.obj.records.update(review_state=ReviewState.PENDING)  # corrected after a send-back: reviewed again
    ctx.comment = ctx.comment or _("服务时长 %(h)s 小时") % {"h": ctx.obj.actual_hours}


def _review(state: str):
    def apply(ctx: StepContext) -> None:
        ctx.obj.review_comment = ctx.comment[:255]
        ctx.fields.add("review_comment")
        ctx.obj.records.update(review_state=state)

    return apply


def _cancel(ctx: StepContext) -> None:
    if ctx.obj.records.exists():
        raise ValidationError(_("该安排下已有志愿者记录，不能取消；请登记完成后由审核人退回或审核"))


assignment_workflow = Workflow(
    name="volunteers.assignment",
    model=VolunteerAssignment,
    log_model=AssignmentEvent,
    log_fk="assignment",
    state_field="state",
    lock_related=("volunteer",),
    steps=[
        Step(
            "complete",
            gettext_lazy("登记完成"),
            sources=(AssignmentState.ASSIGNED, AssignmentState.RETURNED),
            target=AssignmentState.DONE,
            params=(
                Param("actual_hours", "decimal", label=gettext_lazy("实际时长（小时）"), required=True),
                COMMENT,
            ),
            apply=_complete,
            stamp="completed",
            style="success",
        ),
        Step(
            "accept",
            gettext_lazy("审核通过"),
            sources=(AssignmentState.DONE,),
            target=AssignmentState.ACCEPTED,
            params=(COMMENT,),
            who=township_or_above,
            apply=_review(ReviewState.ACCEPTED),
            stamp="reviewed",
            style="success",
        ),
        Step(
            "send_back",
            gettext_lazy("退回"),
            sources=(AssignmentState.DONE,),
            target=AssignmentState.RETURNED,
            params=(Param("comment", "text", label=gettext_lazy("退回原因"), required=True, max_length=255),),
            comment_required=gettext_lazy("请填写退回原因"),
            who=township_or_above,
            apply=_review(ReviewState.RETURNED),
            stamp="reviewed",
            style="outline-warning",
        ),
        Step(
            "cancel",
            gettext_lazy("取消安排"),
            sources=(AssignmentState.ASSIGNED, AssignmentState.RETURNED),
            target=AssignmentState.CANCELLED,
            params=(Param("comment", "text", label=gettext_lazy("取消原因"), required=True, max_length=255),),
            comment_required=gettext_lazy("请填写取消原因"),
            apply=_cancel,
            style="outline-danger",
        ),
    ],
)
