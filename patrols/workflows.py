"""The clue and station-case workflows, declared once (relief/workflow.py).

Clue (救助线索):   new ──dispatch──▶ dispatched ──respond──▶ responded ──close──▶ closed
                  (dispatch again while nobody is there; a duplicate or false report closes at once)

Station case (救助站个案):
    intake ──admit──▶ in_station ──long_term──▶ long_term ──settle──▶ settled
       │                 ▲  │                     │
       └─hospitalize─▶ in_hospital ◀──────────────┘   any open case ──exit──▶ exited
    identify and the milestones (search notice, DNA sample, records update, settlement started)
    record without moving (`target=None`). A person recorded as 危重 neither exits nor is settled
    before a hospital referral (`hospital_referred_at`, set by the first hospitalize).

The services (patrols/services.py), the page buttons, the API's actions and `available_actions`
all come from these declarations.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patrols.models import (
    CaseAction,
    CaseStatus,
    Clue,
    ClueAction,
    ClueEvent,
    ClueOutcome,
    ClueStatus,
    ExitType,
    IdentityStatus,
    StationCase,
    StationCaseEvent,
    normalize_id_number,
)
from relief.scoping import require_in_scope
from relief.workflow import Param, Step, StepContext, Workflow

COMMENT = Param("comment", "text", label=gettext_lazy("说明"))
NOW_IF_EMPTY = gettext_lazy("留空为当前时间")

# --- Clues --------------------------------------------------------------------------------------


def _dispatch(ctx: StepContext) -> None:
    clue, team = ctx.obj, ctx.data.get("team")
    if team is None:
        raise ValidationError({"team": _("请选择巡查队")})
    require_in_scope(ctx.actor, team.region_id)
    if not team.active:
        raise ValidationError({"team": _("该巡查队已停用")})
    clue.team, clue.dispatched_at = team, timezone.now()
    ctx.comment = ctx.comment or _("派发至 %(team)s") % {"team": team}


def _respond(ctx: StepContext) -> None:
    """The team has reached the place: the response time is measured from the report."""
    clue = ctx.obj
    responded_at = ctx.data.get("responded_at") or timezone.now()
    if responded_at < clue.reported_at:
        raise ValidationError({"responded_at": _("到场时间不能早于报告时间")})
    clue.responded_at = responded_at
    clue.response_minutes = int((responded_at - clue.reported_at).total_seconds() // 60)


# Outcomes that need no one on the spot: a duplicate or a false report may be closed straight away.
CLOSE_WITHOUT_RESPONSE = {ClueOutcome.DUPLICATE, ClueOutcome.FALSE_REPORT}


def _close(ctx: StepContext) -> None:
    clue, data = ctx.obj, ctx.data
    outcome = data.get("outcome")
    if outcome not in ClueOutcome.values:
        raise ValidationError({"outcome": _("请选择办理结果")})
    if clue.status != ClueStatus.RESPONDED and outcome not in CLOSE_WITHOUT_RESPONSE:
        raise ValidationError({"outcome": _("未到场的线索只能以“重复线索”或“不属实”办结")})
    if outcome == ClueOutcome.REFUSED and not ctx.comment:
        raise ValidationError({"outcome_note": _("本人拒绝救助时必须填写拒绝原因")})
    encounter = data.get("encounter")
    if encounter is not None:
        require_in_scope(ctx.actor, encounter.region_id)
    clue.outcome, clue.outcome_note, clue.encounter = outcome, ctx.comment, encounter
    clue.closed_at = timezone.now()


clue_workflow = Workflow(
    name="patrols.clue",
    model=Clue,
    log_model=ClueEvent,
    log_fk="clue",
    steps=[
        Step(
            "dispatch",
            ClueAction.DISPATCH.label,
            sources=(ClueStatus.NEW, ClueStatus.DISPATCHED),
            target=ClueStatus.DISPATCHED,
            params=(
                Param("team", "ref", label=gettext_lazy("巡查队"), required=True, model="patrols.PatrolTeam"),
                COMMENT,
            ),
            apply=_dispatch,
            fields=("team", "dispatched_at"),
            state_message=gettext_lazy("只有待派发或已派发（未到场）的线索可以派发"),
        ),
        Step(
            "respond",
            ClueAction.RESPOND.label,
            sources=(ClueStatus.DISPATCHED,),
            target=ClueStatus.RESPONDED,
            params=(
                Param("responded_at", "datetime", label=gettext_lazy("到场时间"), help_text=NOW_IF_EMPTY),
                COMMENT,
            ),
            apply=_respond,
            fields=("responded_at", "response_minutes"),
            state_message=gettext_lazy("只有已派发的线索可以登记到场"),
        ),
        Step(
            "close",
            ClueAction.CLOSE.label,
            sources=(ClueStatus.NEW, ClueStatus.DISPATCHED, ClueStatus.RESPONDED),
            target=ClueStatus.CLOSED,
            params=(
                Param(
                    "outcome",
                    "choice",
                    label=gettext_lazy("办理结果"),
                    required=True,
                    choices=ClueOutcome.choices,
                ),
                Param("outcome_note", "comment", label=gettext_lazy("结果说明")),
                Param("encounter", "ref", label=gettext_lazy("救助记录"), model="patrols.Encounter"),
            ),
            comment_param="outcome_note",
            apply=_close,
            fields=("outcome", "outcome_note", "encounter", "closed_at"),
            state_message=gettext_lazy("该线索已办结"),
            style="success",
        ),
    ],
)

# --- Station cases ------------------------------------------------------------------------------

OPEN_CASE = (CaseStatus.INTAKE, CaseStatus.IN_HOSPITAL, CaseStatus.IN_STATION, CaseStatus.LONG_TERM)
CASE_ENDED = gettext_lazy("个案已结束")


def _hospital_first(case: StationCase) -> str | None:
    if case.status == CaseStatus.INTAKE and case.needs_hospital_first:
        return gettext_lazy("疑似精神障碍、受伤或危重人员须先送医救治，再入站")
    return None


def _hospitalize(ctx: StepContext) -> None:
    """送医: the first referral is kept (a critically ill person is not closed without one)."""
    case = ctx.obj
    if case.hospital_referred_at is None:
        case.hospital_referred_at = timezone.now()
        ctx.fields.add("hospital_referred_at")


def _referred_if_critical(case: StationCase) -> str | None:
    """A person recorded as 危重 leaves (or is settled) only after a hospital referral."""
    if case.critically_ill and case.hospital_referred_at is None:
        return gettext_lazy("危重人员须先送医救治（办理“送医”）后才能离站或安置")
    return None


def _identify(ctx: StepContext) -> None:
    """Identity established (by ID check, DNA match or the person's own account)."""
    case, data = ctx.obj, ctx.data
    person_name = (data.get("person_name") or "").strip()
    if not person_name:
        raise ValidationError({"person_name": _("请填写姓名")})
    case.person_name = person_name
    case.id_number = normalize_id_number(data.get("id_number") or "") or case.id_number
    case.identity_status = IdentityStatus.KNOWN
    case.full_clean()
    ctx.fields |= {"person_name", "id_number", "identity_status"}
    ctx.comment = ctx.comment or _("身份已查明")


# milestone step -> the field that records when it was done
MILESTONE_FIELDS = {
    CaseAction.SEARCH_NOTICE: "search_notice_at",
    CaseAction.DNA_SAMPLE: "dna_sampled_at",
    CaseAction.RECORDS_UPDATE: "records_updated_at",
    CaseAction.SETTLEMENT: "settlement_started_at",
}


def _not_yet(field: str):
    def when(case: StationCase) -> str | None:
        return gettext_lazy("该节点已登记") if getattr(case, field) is not None else None

    return when


def _milestone(field: str):
    def apply(ctx: StepContext) -> None:
        case = ctx.obj
        at = ctx.data.get("at") or timezone.now()
        if at < case.intake_at or at > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError({"at": _("完成时间应在入站之后、当前时间之前")})
        setattr(case, field, at)
        ctx.fields.add(field)

    return apply


def _exit(ctx: StepContext) -> None:
    """Family found, escorted home, to hospital, or by the person's own choice with a signed
    statement. Children under 16 are escorted home, never left to leave alone."""
    case, data = ctx.obj, ctx.data
    exit_type, signed = data.get("exit_type"), bool(data.get("signed_statement"))
    if exit_type not in ExitType.values:
        raise ValidationError({"exit_type": _("请选择离站方式")})
    if exit_type == ExitType.LEFT_BY_SELF:
        if case.is_child:
            raise ValidationError({"exit_type": _("未满16周岁的未成年人应护送返回，不能自行离站")})
        if not signed:
            raise ValidationError({"signed_statement": _("自愿离站须本人签署离站声明")})
    exited_at = data.get("exited_at") or timezone.now()
    if exited_at < case.intake_at:
        raise ValidationError({"exited_at": _("离站时间不能早于入站时间")})
    case.exit_type, case.signed_statement, case.exited_at = exit_type, signed, exited_at
    case.exit_note = ctx.comment


def _settle(ctx: StepContext) -> None:
    """Long-term care ends in settlement (落户安置), usually in a welfare institution."""
    case = ctx.obj
    institution = (ctx.data.get("institution") or "").strip()
    if not institution:
        raise ValidationError({"institution": _("请填写安置机构")})
    now = timezone.now()
    case.settled_at, case.settlement_institution = now, institution
    case.settlement_started_at = case.settlement_started_at or now


def _milestone_step(action: CaseAction) -> Step:
    field = MILESTONE_FIELDS[action]
    return Step(
        str(action),
        action.label,
        sources=OPEN_CASE,
        target=None,
        params=(Param("at", "datetime", label=gettext_lazy("完成时间"), help_text=NOW_IF_EMPTY), COMMENT),
        when=_not_yet(field),
        apply=_milestone(field),
        state_message=CASE_ENDED,
        style="outline-primary",
    )


case_workflow = Workflow(
    name="patrols.station_case",
    model=StationCase,
    log_model=StationCaseEvent,
    log_fk="case",
    steps=[
        Step(
            "admit",
            CaseAction.ADMIT.label,
            sources=(CaseStatus.INTAKE, CaseStatus.IN_HOSPITAL),
            target=CaseStatus.IN_STATION,
            params=(COMMENT,),
            when=_hospital_first,
            state_message=gettext_lazy("只有接收登记或送医中的个案可以入站"),
        ),
        Step(
            "hospitalize",
            CaseAction.HOSPITALIZE.label,
            sources=(CaseStatus.INTAKE, CaseStatus.IN_STATION, CaseStatus.LONG_TERM),
            target=CaseStatus.IN_HOSPITAL,
            params=(COMMENT,),
            apply=_hospitalize,
            state_message=gettext_lazy("当前状态不能送医"),
            style="outline-danger",
        ),
        Step(
            "long_term",
            CaseAction.LONG_TERM.label,
            sources=(CaseStatus.IN_STATION,),
            target=CaseStatus.LONG_TERM,
            params=(COMMENT,),
            state_message=gettext_lazy("只有站内救助的个案可以转为长期滞留照料"),
            style="outline-secondary",
        ),
        Step(
            "identify",
            CaseAction.IDENTIFY.label,
            sources=OPEN_CASE,
            target=None,
            params=(
                Param("person_name", "text", label=gettext_lazy("姓名"), required=True, max_length=64),
                Param("id_number", "text", label=gettext_lazy("身份证号"), max_length=24),
                COMMENT,
            ),
            apply=_identify,
            state_message=gettext_lazy("个案已结束，不能修改身份"),
        ),
        *(_milestone_step(action) for action in MILESTONE_FIELDS),
        Step(
            "exit",
            CaseAction.EXIT.label,
            sources=OPEN_CASE,
            target=CaseStatus.EXITED,
            params=(
                Param(
                    "exit_type",
                    "choice",
                    label=gettext_lazy("离站方式"),
                    required=True,
                    choices=ExitType.choices,
                ),
                Param("signed_statement", "bool", label=gettext_lazy("已签署自愿离站声明")),
                Param("exited_at", "datetime", label=gettext_lazy("离站时间"), help_text=NOW_IF_EMPTY),
                COMMENT,
            ),
            when=_referred_if_critical,
            apply=_exit,
            fields=("exit_type", "signed_statement", "exited_at", "exit_note"),
            state_message=CASE_ENDED,
            style="success",
        ),
        Step(
            "settle",
            CaseAction.SETTLE.label,
            sources=(CaseStatus.LONG_TERM,),
            target=CaseStatus.SETTLED,
            params=(
                Param("institution", "text", label=gettext_lazy("安置机构"), required=True, max_length=200),
                COMMENT,
            ),
            when=_referred_if_critical,
            apply=_settle,
            fields=("settled_at", "settlement_institution", "settlement_started_at"),
            style="success",
            state_message=gettext_lazy("只有长期滞留照料的个案可以落户安置"),
        ),
    ],
)
