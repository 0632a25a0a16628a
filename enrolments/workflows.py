"""The processes of enrolment, each declared once (relief/workflow.py): pages' buttons, the API's
actions and `available_actions` come from here.

Enrolment (审核确认):
  submitted →(accept 受理: the signed authorisation on file; the check is requested) checking
  →(check_report 核对报告) investigating →(investigate 入户调查) evaluating where the county holds a
  民主评议 (policy `enrol_democratic_review`), else township →(evaluate) township
  →(township_opinion 乡镇审核意见) notice when the township recommends (谁救助谁公示), else county
  notice →(objection 公示异议) investigating again, and a new 公示 after it; →(notice_close) county
  county →(approve 审核确认: category, class, amount, start month) approved | (refuse) refused
  refused →(notify_refusal 书面告知) refusal_sent
  any open state →(withdraw 撤回) withdrawn; extend (延期, once) and county_visit (近亲属: the
  county's own home visit, needed before a decision) record without moving.
  refused/refusal_sent →(reopen, by the system when an appeal is upheld) investigating.

The review of a category (定期复核) is declared in enrolments/reviews.py, appeals and complaints in
enrolments/appeals.py.

Lock order: the workflow object's row first, then the household, the assistance record, the
enrolment of an appeal.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrolments import clocks, rules
from enrolments.models import (
    OPEN_STATES,
    Enrolment,
    EnrolmentEvent,
    IncomeType,
    Kind,
    Status,
)
from people.choices import DibaoClass, TekunMode
from relief.uploads import attachment_name, check_attachment
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

COMMENT = Param("comment", "comment", gettext_lazy("意见"))


def _file(ctx: StepContext, param: str, field_name: str) -> bool:
    """Store an uploaded file of a step (checked: image or PDF) on the object; True if one came."""
    upload = ctx.data.get(param)
    if not upload:
        return False
    try:
        kind = check_attachment(upload)
    except ValidationError as exc:
        raise ValidationError({param: exc.messages}) from None
    getattr(ctx.obj, field_name).save(attachment_name(kind), upload, save=False)
    ctx.fields.add(field_name)
    return True


def _enter(ctx: StepContext, state: str) -> None:
    """Move to `state` from inside a step whose target depends on the case (the step's target is
    None); the new stage's clock starts today."""
    ctx.obj.status = state
    ctx.obj.stage_since = today()
    ctx.fields |= {"status", "stage_since"}


# --- enrolment steps -------------------------------------------------------------------------------


def _accept(ctx: StepContext) -> None:
    e: Enrolment = ctx.obj
    _file(ctx, "authorisation", "authorisation")
    if not e.authorisation:
        raise ValidationError({"authorisation": _("受理前须上传申请人签字的家庭经济状况核对授权书")})
    on = ctx.data.get("on") or today()
    deadline = clocks.total_deadline(on, e.region_id)
    e.accepted_on = on
    e.check_requested_on = on
    e.stage_since = on
    e.deadline, e.deadline_exact = deadline.date, deadline.exact
    ctx.fields |= {"accepted_on", "check_requested_on", "stage_since", "deadline", "deadline_exact"}
    ctx.comment = ctx.comment or _("已受理，已提请家庭经济状况核对")


def _check_report(ctx: StepContext) -> None:
    e: Enrolment = ctx.obj
    has_file = _file(ctx, "report", "check_report")
    summary = (ctx.data.get("summary") or "").strip()
    if not summary and not has_file:
        raise ValidationError({"summary": _("请上传核对报告或填写核对结果")})
    e.check_summary = summary
    e.check_reference = (ctx.data.get("reference") or "").strip()[:64]
    e.check_reported_on = today()
    e.stage_since = today()
    ctx.fields |= {"check_summary", "check_reference", "check_reported_on", "stage_since"}
    ctx.comment = ctx.comment or summary


def _investigate(ctx: StepContext) -> None:
    """入户调查: a visit on the register (kind 入户调查), its findings on the application."""
    from people.choices import VisitKind
    from people.services import visit_record

    e: Enrolment = ctx.obj
    findings = (ctx.data.get("findings") or "").strip()
    if not findings:
        raise ValidationError({"findings": _("请填写入户调查情况")})
    visited_on = ctx.data.get("visited_on") or today()
    if visited_on > today():
        raise ValidationError({"visited_on": _("调查日期不能晚于今天")})
    # an earlier day: its noon; today: now (noon may not have come yet)
    moment = (
        timezone.now()
        if visited_on == today()
        else timezone.make_aware(datetime.datetime.combine(visited_on, datetime.time(12)))
    )
    visit = visit_record(
        actor=ctx.actor,
        household=e.household,
        person=e.applicant,
        visited_at=moment,
        kind=VisitKind.INVESTIGATION,
        note=_("救助申请入户调查：%(f)s") % {"f": findings},
    )
    e.investigation_visit = visit
    e.investigation_findings = findings
    ctx.fields |= {"investigation_visit", "investigation_findings"}
    ctx.comment = ctx.comment or findings
    democratic = int(clocks.days("enrol_democratic_review", e.region_id)) == 1
    _enter(ctx, Status.EVALUATING if democratic else Status.TOWNSHIP)


def _evaluate(ctx: StepContext) -> None:
    ctx.obj.evaluation_result = ctx.comment
    ctx.obj.stage_since = today()
    ctx.fields |= {"evaluation_result", "stage_since"}


def _township_opinion(ctx: StepContext) -> None:
    """The township's opinion; recommended cases are published (公示) in the village, the others go
    to the county without a 公示 (谁救助谁公示: only those who will receive aid are published)."""
    e: Enrolment = ctx.obj
    e.township_opinion = ctx.comment
    e.township_recommends = bool(ctx.data.get("recommend"))
    ctx.fields |= {"township_opinion", "township_recommends"}
    if e.township_recommends:
        start = ctx.data.get("on") or today()
        end = clocks.notice_end(start, e.region_id)
        e.notice_round += 1
        e.notice_start, e.notice_end = start, end.date
        ctx.fields |= {"notice_round", "notice_start", "notice_end"}
        _enter(ctx, Status.NOTICE)
    else:
        _enter(ctx, Status.COUNTY)


def _objection(ctx: StepContext) -> None:
    """An objection during 公示 sends the case back to investigation; a new 公示 follows it."""
    ctx.obj.stage_since = today()
    ctx.fields.add("stage_since")


def _notice_running(e: Enrolment, on: datetime.date | None = None) -> str | None:
    on = on or today()
    if e.notice_end and on <= e.notice_end:
        return _("公示期至 %(end)s 止，尚未届满") % {"end": e.notice_end.isoformat()}
    return None


def _notice_close(ctx: StepContext) -> None:
    if message := _notice_running(ctx.obj, ctx.data.get("on")):
        raise ValidationError(message)
    ctx.obj.stage_since = today()
    ctx.fields.add("stage_since")
    ctx.comment = ctx.comment or _("公示期满无异议")


def _relatives_only(e: Enrolment) -> str | None:
    if not e.staff_relative:
        return _("只有近亲属备案的申请需要县级入户核查")
    return None


def _county_visit(ctx: StepContext) -> None:
    e: Enrolment = ctx.obj
    visited_on = ctx.data.get("visited_on") or today()
    if visited_on > today():
        raise ValidationError({"visited_on": _("核查日期不能晚于今天")})
    e.county_visit_on = visited_on
    e.county_visit_findings = ctx.comment
    ctx.fields |= {"county_visit_on", "county_visit_findings"}


def _decision_allowed(e: Enrolment) -> str | None:
    if e.staff_relative and not e.county_visit_on:
        return _("近亲属备案的申请须经县级民政部门入户核查后才能作出决定")
    return None


def _not_extended(e: Enrolment) -> str | None:
    if e.extended:
        return _("办理时限只能延长一次")
    if not e.accepted_on:
        return _("受理后才有办理时限")
    return None


def _extend(ctx: StepContext) -> None:
    e: Enrolment = ctx.obj
    deadline = clocks.total_deadline(e.accepted_on, e.region_id, extended=True)
    e.extended = True
    e.extension_reason = ctx.comment[:255]
    e.deadline, e.deadline_exact = deadline.date, deadline.exact
    ctx.fields |= {"extended", "extension_reason", "deadline", "deadline_exact"}


def _approve(ctx: StepContext) -> None:
    """审核确认: the category starts on the register today, payments the month after (or the start
    month given); the amount is the rules' unless the decider gives a reason; the first review is
    scheduled."""
    from enrolments.register import decision_apply

    e: Enrolment = ctx.obj
    data = ctx.data
    suggestion = rules.suggest(e, today())
    amount: Decimal | None = None
    if e.kind in (Kind.DIBAO, Kind.TEKUN):
        raw = data.get("amount")
        amount = suggestion.amount if raw in (None, "") else money(raw, "amount", positive=False)
        if amount is None:
            raise ValidationError({"amount": _("请填写确认金额")})
        reason = (data.get("amount_reason") or "").strip()
        if amount != suggestion.amount and not reason:
            raise ValidationError(
                {
                    "amount_reason": _("确认金额与测算金额 %(s)s 元不同，请填写调整理由")
                    % {"s": suggestion.amount}
                }
            )
        e.amount_reason = reason[:255]
    dibao_class = data.get("dibao_class") or ""
    if dibao_class and e.kind != Kind.DIBAO:
        raise ValidationError({"dibao_class": _("只有低保可以确定低保类别")})
    if e.kind == Kind.TEKUN:
        e.tekun_mode = data.get("tekun_mode") or e.tekun_mode
        if e.tekun_mode not in (TekunMode.CENTRALIZED, TekunMode.DISPERSED):
            raise ValidationError({"tekun_mode": _("特困人员须确定供养方式（集中供养或分散供养）")})
    start_month = data.get("start_month") or clocks.first_of_next_month(today())
    if start_month.day != 1:
        start_month = start_month.replace(day=1)
    if start_month <= today().replace(day=1):
        raise ValidationError({"start_month": _("救助金从确认的次月起发放，起始月不能早于下个月")})
    e.suggested_amount = suggestion.amount
    e.amount = amount
    e.dibao_class = dibao_class
    e.income_type = data.get("income_type") or IncomeType.STABLE
    e.start_month = start_month
    e.decided_on = today()
    e.decided_by = ctx.actor
    ctx.fields |= {
        "suggested_amount",
        "amount",
        "amount_reason",
        "dibao_class",
        "income_type",
        "start_month",
        "decided_on",
        "decided_by",
        "tekun_mode",
    }
    e.assistance = decision_apply(e, actor=ctx.actor)
    ctx.fields.add("assistance")
    ctx.log_extra["amount"] = amount


def _refuse(ctx: StepContext) -> None:
    from enrolments.register import cohort_keep

    e: Enrolment = ctx.obj
    e.refusal_reason = ctx.comment
    e.decided_on = today()
    e.decided_by = ctx.actor
    e.stage_since = today()
    ctx.fields |= {"refusal_reason", "decided_on", "decided_by", "stage_since"}
    cohort_keep(
        e.household_id, since=e.decided_on, reason=_("申请%(k)s未获确认") % {"k": e.get_kind_display()}
    )


def _notify_refusal(ctx: StepContext) -> None:
    e: Enrolment = ctx.obj
    on = ctx.data.get("notified_on") or today()
    if on > today() or (e.decided_on and on < e.decided_on):
        raise ValidationError({"notified_on": _("告知日期须在决定日期与今天之间")})
    method = (ctx.data.get("method") or "").strip()
    if not method:
        raise ValidationError({"method": _("请填写告知方式（如当面送达、邮寄）")})
    e.notified_on, e.notice_method = on, method[:64]
    ctx.fields |= {"notified_on", "notice_method"}


def _reopen(ctx: StepContext) -> None:
    """An appeal against a refusal was upheld: the case is investigated again, with a new total
    limit from today."""
    e: Enrolment = ctx.obj
    deadline = clocks.total_deadline(today(), e.region_id)
    e.deadline, e.deadline_exact = deadline.date, deadline.exact
    e.extended = False
    e.refusal_reason = ""
    e.decided_on = None
    e.decided_by = None
    e.stage_since = today()
    ctx.fields |= {"deadline", "deadline_exact", "extended", "refusal_reason", "decided_on", "decided_by"}
    ctx.fields.add("stage_since")


DATE_ON = Param("visited_on", "date", gettext_lazy("日期"))

enrolment_workflow = Workflow(
    name="enrolments.enrolment",
    model=Enrolment,
    log_model=EnrolmentEvent,
    log_fk="enrolment",
    lock_related=("household",),
    history=True,
    steps=[
        Step(
            "accept",
            gettext_lazy("受理"),
            sources=(Status.SUBMITTED,),
            target=Status.CHECKING,
            params=(Param("authorisation", "file", gettext_lazy("核对授权书（签字页照片或PDF）")), COMMENT),
            who=township_or_above,
            apply=_accept,
        ),
        Step(
            "check_report",
            gettext_lazy("录入核对报告"),
            sources=(Status.CHECKING,),
            target=Status.INVESTIGATING,
            params=(
                Param("report", "file", gettext_lazy("核对报告（PDF或照片）")),
                Param("summary", "comment", gettext_lazy("核对结果")),
                Param("reference", "text", gettext_lazy("报告编号"), max_length=64),
            ),
            comment_param="summary",
            who=township_or_above,
            apply=_check_report,
            url_path="check-report",
        ),
        Step(
            "investigate",
            gettext_lazy("入户调查"),
            sources=(Status.INVESTIGATING,),
            target=None,  # to 民主评议 or the township's opinion, by the county's policy
            params=(
                Param("visited_on", "date", gettext_lazy("调查日期")),
                Param(
                    "findings",
                    "comment",
                    gettext_lazy("调查情况（家庭人口、收入、财产、生活状况）"),
                    required=True,
                ),
            ),
            comment_param="findings",
            who=township_or_above,
            apply=_investigate,
        ),
        Step(
            "evaluate",
            gettext_lazy("民主评议"),
            sources=(Status.EVALUATING,),
            target=Status.TOWNSHIP,
            params=(Param("comment", "comment", gettext_lazy("评议结果"), required=True),),
            comment_required=gettext_lazy("请填写民主评议结果"),
            who=township_or_above,
            apply=_evaluate,
        ),
        Step(
            "township_opinion",
            gettext_lazy("乡镇审核"),
            sources=(Status.TOWNSHIP,),
            target=None,  # to 公示 when recommended, else straight to the county
            params=(
                Param("recommend", "bool", gettext_lazy("建议纳入（勾选后进入公示）")),
                Param("comment", "comment", gettext_lazy("审核意见"), required=True),
            ),
            comment_required=gettext_lazy("请填写乡镇审核意见"),
            who=township_or_above,
            apply=_township_opinion,
            url_path="township-opinion",
        ),
        Step(
            "objection",
            gettext_lazy("登记公示异议"),
            sources=(Status.NOTICE,),
            target=Status.INVESTIGATING,
            params=(Param("comment", "comment", gettext_lazy("异议内容"), required=True),),
            comment_required=gettext_lazy("请填写异议内容"),
            who=township_or_above,
            apply=_objection,
            style="outline-danger",
            confirm=gettext_lazy("登记异议后将退回重新入户调查，并重新公示。确定？"),
        ),
        Step(
            "notice_close",
            gettext_lazy("公示期满"),
            sources=(Status.NOTICE,),
            target=Status.COUNTY,
            params=(COMMENT,),
            when=_notice_running,
            who=township_or_above,
            apply=_notice_close,
            url_path="notice-close",
        ),
        Step(
            "county_visit",
            gettext_lazy("县级入户核查"),
            sources=(Status.INVESTIGATING, Status.EVALUATING, Status.TOWNSHIP, Status.NOTICE, Status.COUNTY),
            params=(DATE_ON, Param("comment", "comment", gettext_lazy("核查情况"), required=True)),
            comment_required=gettext_lazy("请填写核查情况"),
            when=_relatives_only,
            who=county_or_above,
            apply=_county_visit,
            url_path="county-visit",
            style="outline-primary",
        ),
        Step(
            "approve",
            gettext_lazy("确认纳入"),
            sources=(Status.COUNTY,),
            target=Status.APPROVED,
            params=(
                Param("amount", "money", gettext_lazy("确认金额（元/月）")),
                Param("amount_reason", "text", gettext_lazy("调整金额理由"), max_length=255),
                Param(
                    "dibao_class",
                    "choice",
                    gettext_lazy("低保类别"),
                    choices=[("", "—"), *DibaoClass.choices],
                ),
                Param("income_type", "choice", gettext_lazy("收入类型"), choices=IncomeType.choices),
                Param(
                    "tekun_mode",
                    "choice",
                    gettext_lazy("特困供养方式"),
                    choices=[("", "—"), *TekunMode.choices],
                ),
                Param("start_month", "date", gettext_lazy("救助起始月（默认下月）")),
                COMMENT,
            ),
            when=_decision_allowed,
            who=county_or_above,
            apply=_approve,
            style="success",
        ),
        Step(
            "refuse",
            gettext_lazy("不予确认"),
            sources=(Status.COUNTY,),
            target=Status.REFUSED,
            params=(
                Param("comment", "comment", gettext_lazy("不予确认理由（将书面告知申请人）"), required=True),
            ),
            comment_required=gettext_lazy("不予确认须写明理由"),
            when=_decision_allowed,
            who=county_or_above,
            apply=_refuse,
            style="outline-danger",
        ),
        Step(
            "notify_refusal",
            gettext_lazy("书面告知"),
            sources=(Status.REFUSED,),
            target=Status.REFUSAL_SENT,
            params=(
                Param("notified_on", "date", gettext_lazy("告知日期")),
                Param("method", "text", gettext_lazy("告知方式"), required=True, max_length=64),
                COMMENT,
            ),
            who=township_or_above,
            apply=_notify_refusal,
            url_path="notify-refusal",
        ),
        Step(
            "extend",
            gettext_lazy("延长办理时限"),
            sources=OPEN_STATES,
            params=(Param("comment", "comment", gettext_lazy("延期理由"), required=True),),
            comment_required=gettext_lazy("延期须写明理由"),
            when=_not_extended,
            who=county_or_above,
            apply=_extend,
            style="outline-secondary",
        ),
        Step(
            "withdraw",
            gettext_lazy("撤回申请"),
            sources=OPEN_STATES,
            target=Status.WITHDRAWN,
            params=(Param("comment", "comment", gettext_lazy("撤回原因"), required=True),),
            comment_required=gettext_lazy("请填写撤回原因"),
            who=township_or_above,
            style="outline-secondary",
            confirm=gettext_lazy("确定撤回该申请？"),
        ),
        Step(
            "reopen",
            gettext_lazy("复查后重新审核"),
            sources=(Status.REFUSED, Status.REFUSAL_SENT),
            target=Status.INVESTIGATING,
            apply=_reopen,
            system=True,
        ),
    ],
)

__all__ = ["enrolment_workflow"]
