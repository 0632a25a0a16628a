"""A warning's verification and disposition (预警核实处置), declared once (relief/workflow.py).

待核实 → (verify 核实: by a home visit — recorded on the register as a people Visit —, a phone
call or the records, with what was found) → 已核实待处置 → one answer, which resolves the warning
(the alert and its task) in the same transaction:

- enrol 启动救助申请: the outcome is recorded and the township goes on to the application form,
  pre-filled with the household, the warning and the kind the rule suggests
  (`enrolments:create?household=&alert=&kind=`); the application answers the warning;
- temporary 启动临时救助申请: likewise to the temporary-assistance form (`funds:application-create
  ?person=`);
- refer 转其他部门办理 (一门受理、协同办理): the department and a note;
- not_needed 无需救助: the reason;
- for a death warning, instead: confirm_death 确认死亡 (the death date: the person is marked
  deceased, unpaid payment lines held, payments after the date listed for recovery:
  exchange/deaths.py) or reject_death 核实未死亡 (why).

Taken by the system: clear 情况已消除 (the warning resolved itself before it was answered).
Any writer in the warning's region takes the steps (village staff verify at home, the township
disposes); the deadline and the 督办 of an overdue warning are the alert's (relief/alerts).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.models import (
    Department,
    Disposition,
    DispositionStatus,
    DispositionTransition,
    Outcome,
    RuleKind,
    Suggestion,
    Verification,
)
from relief.alerts.sweeps import ids_array
from relief.models import Alert, AlertStatus, User
from relief.workflow import Param, Step, StepContext, Workflow

ENROLMENT_KINDS = [
    (Suggestion.DIBAO.value, gettext_lazy("低保")),
    (Suggestion.TEKUN.value, gettext_lazy("特困")),
    (Suggestion.DIBAO_EDGE.value, gettext_lazy("低保边缘")),
    (Suggestion.RIGID_EXPENSE.value, gettext_lazy("刚性支出困难")),
]
ENROLMENT_KIND_VALUES = {value for value, _label in ENROLMENT_KINDS}

HOW = Param("how", "choice", gettext_lazy("核实方式"), required=True, choices=Verification.choices)
ON = Param("on", "date", gettext_lazy("核实日期"))
FINDINGS = Param("findings", "comment", gettext_lazy("核实情况"), required=True, max_length=4000)
NOTE = Param("note", "comment", gettext_lazy("说明"), max_length=2000)
REASON = Param("reason", "comment", gettext_lazy("理由"), required=True, max_length=2000)
KIND = Param("kind", "choice", gettext_lazy("申请类别"), required=True, choices=ENROLMENT_KINDS)
DEPARTMENT = Param(
    "department", "choice", gettext_lazy("转办部门"), required=True, choices=Department.choices
)
DIED_ON = Param("died_on", "date", gettext_lazy("死亡日期"), required=True)


def _is_death(d: Disposition) -> bool:
    return d.rule.kind == RuleKind.DEATH


def _death_only(d: Disposition) -> str | None:
    return None if _is_death(d) else gettext_lazy("只有死亡预警需要确认死亡")


def _not_death(d: Disposition) -> str | None:
    return gettext_lazy("死亡预警请确认死亡或核实未死亡") if _is_death(d) else None


def _verify(ctx: StepContext) -> None:
    d: Disposition = ctx.obj
    how, on = ctx.data["how"], ctx.data.get("on") or timezone.localdate()
    if on > timezone.localdate():
        raise ValidationError({"on": _("核实日期不能晚于今天")})
    d.verified_how, d.verified_on, d.verified_by = how, on, ctx.actor
    d.findings = ctx.data["findings"].strip()
    ctx.fields |= {"verified_how", "verified_on", "verified_by", "findings"}
    if how == Verification.VISIT:
        from people.choices import VisitChannel, VisitKind
        from people.services import visit_record

        when = timezone.make_aware(datetime.datetime.combine(on, datetime.time(12)))
        d.visit = visit_record(
            actor=ctx.actor,
            household=d.household,
            person=d.person if d.person is not None and d.person.active else None,
            visited_at=min(when, timezone.now()),
            kind=VisitKind.GENERAL,
            channel=VisitChannel.HOME,
            needs=d.findings,
            note=_("预警核实：%(rule)s") % {"rule": d.rule.name},
        )
        ctx.fields.add("visit")
    ctx.comment = f"{d.get_verified_how_display()}：{d.findings}"


def _disposed(ctx: StepContext, outcome: str, reason: str = "") -> None:
    """Record the answer and resolve the warning with it (the alert after the disposition: the one
    lock order)."""
    from relief.alerts.workflows import alert_workflow

    d: Disposition = ctx.obj
    d.outcome, d.reason = outcome, reason.strip()
    d.disposed_on, d.disposed_by = timezone.localdate(), ctx.actor
    ctx.fields |= {"outcome", "reason", "disposed_on", "disposed_by"}
    label = dict(Outcome.choices)[outcome]
    ctx.comment = f"{label}：{d.reason}" if d.reason else str(label)
    alert = Alert.objects.select_for_update().get(pk=d.alert_id)
    if alert.status != AlertStatus.RESOLVED:
        alert_workflow.run(
            "resolve", actor=ctx.actor, obj=alert, note=_("预警已处置：%(c)s") % {"c": ctx.comment}
        )


def _enrol(ctx: StepContext) -> None:
    kind = ctx.data["kind"]
    if kind not in ENROLMENT_KIND_VALUES:
        raise ValidationError({"kind": _("请选择申请类别")})
    _disposed(ctx, Outcome.ENROLMENT, (ctx.data.get("note") or "").strip() or dict(ENROLMENT_KINDS)[kind])


def _temporary(ctx: StepContext) -> None:
    _disposed(ctx, Outcome.TEMPORARY, ctx.data.get("note") or "")


def _refer(ctx: StepContext) -> None:
    d: Disposition = ctx.obj
    d.referred_to = ctx.data["department"]
    ctx.fields.add("referred_to")
    _disposed(
        ctx, Outcome.REFERRED, f"{d.get_referred_to_display()}：{ctx.data.get('note') or ''}".rstrip("：")
    )


def _reason(ctx: StepContext) -> str:
    reason = (ctx.data.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写理由")})
    return reason


def _not_needed(ctx: StepContext) -> None:
    _disposed(ctx, Outcome.NOT_NEEDED, _reason(ctx))


def _confirm_death(ctx: StepContext) -> None:
    from exchange.deaths import death_confirm

    d: Disposition = ctx.obj
    died_on = ctx.data["died_on"]
    if died_on > timezone.localdate():
        raise ValidationError({"died_on": _("死亡日期不能晚于今天")})
    if d.person is None:
        raise ValidationError(_("该预警没有比中的人员"))
    held = death_confirm(actor=ctx.actor, person=d.person, died_on=died_on, note=ctx.data.get("note") or "")
    _disposed(
        ctx,
        Outcome.DEATH_CONFIRMED,
        _("死亡日期 %(day)s，暂停发放 %(n)s 笔") % {"day": died_on.isoformat(), "n": held},
    )


def _reject_death(ctx: StepContext) -> None:
    _disposed(ctx, Outcome.DEATH_REJECTED, _reason(ctx))


VERIFIED_ONLY = (DispositionStatus.VERIFIED,)
OPEN = (DispositionStatus.VERIFYING, DispositionStatus.VERIFIED)

disposition_workflow = Workflow(
    name="exchange.disposition",
    model=Disposition,
    log_model=DispositionTransition,
    log_fk="disposition",
    history=True,
    lock_related=("rule", "household", "person"),
    steps=[
        Step(
            "verify",
            gettext_lazy("核实"),
            sources=(DispositionStatus.VERIFYING,),
            target=DispositionStatus.VERIFIED,
            params=(HOW, ON, FINDINGS),
            apply=_verify,
            state_message=gettext_lazy("该预警已核实"),
        ),
        Step(
            "enrol",
            gettext_lazy("启动救助申请"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(KIND, NOTE),
            when=_not_death,
            apply=_enrol,
            style="success",
        ),
        Step(
            "temporary",
            gettext_lazy("启动临时救助申请"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(NOTE,),
            when=_not_death,
            apply=_temporary,
            style="success",
        ),
        Step(
            "refer",
            gettext_lazy("转其他部门办理"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(DEPARTMENT, NOTE),
            when=_not_death,
            apply=_refer,
            style="outline-primary",
        ),
        Step(
            "not_needed",
            gettext_lazy("无需救助"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(REASON,),
            when=_not_death,
            apply=_not_needed,
            style="outline-secondary",
        ),
        Step(
            "confirm_death",
            gettext_lazy("确认死亡"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(DIED_ON, NOTE),
            when=_death_only,
            apply=_confirm_death,
            style="danger",
            confirm=gettext_lazy("确认后该人员标记为已死亡，未发放的资金暂停发放。确定吗？"),
        ),
        Step(
            "reject_death",
            gettext_lazy("核实未死亡"),
            sources=VERIFIED_ONLY,
            target=DispositionStatus.DISPOSED,
            params=(REASON,),
            when=_death_only,
            apply=_reject_death,
            style="outline-secondary",
        ),
        Step(
            "clear",
            gettext_lazy("情况已消除"),
            sources=OPEN,
            target=DispositionStatus.CLEARED,
            system=True,
        ),
    ],
)


# --- services -----------------------------------------------------------------------------------------


def disposition_step(*, actor: User, disposition: Disposition, step: str, **data) -> Disposition:
    """Take one step of a disposition (one transaction, the row locked, one log row)."""
    return disposition_workflow.run(step, actor=actor, obj=disposition, **data)


@transaction.atomic
def dispositions_follow_alerts(alert_ids: list[int] | None = None) -> tuple[int, int]:
    """Every unresolved warning gets its disposition (待核实), and a disposition whose warning
    resolved itself before it was answered is closed as 情况已消除. Set-based; (made, cleared).
    With `alert_ids` (a sweep's, in its transaction: relief.alerts.sweeps.Sweep.follow), those
    warnings only; without, every warning (a reconciliation)."""
    from exchange.hooks import ALERT_PREFIX as PREFIX

    if alert_ids is not None and not alert_ids:
        return 0, 0  # (a sweep that raised, reopened and resolved nothing: no statement)

    # one statement whatever the number of warnings: the rule, household and person are read from
    # the warning's key (exchange/rules.py: kind:rule:household:person, 0 for no person)
    # with ids, each alert is fetched by its primary key (OFFSET 0 keeps the planner from
    # flattening the look-up into a join it may order either way: as a filter `a.id = ANY(ids)`
    # over the warnings of the kind, or with the array on the inner side, it read the array once
    # per warning, minutes for a county's 70,000: bench/README.md)
    alerts = (
        "unnest(%s::bigint[]) AS given (id) CROSS JOIN LATERAL"
        " (SELECT * FROM relief_alert x WHERE x.id = given.id OFFSET 0) a"
        if alert_ids is not None
        else "relief_alert a"
    )
    # over every warning, those without a disposition; by ids, the unique alert_id decides (an
    # anti-join planned from statistics that predate the sweep's own dispositions could read them
    # all once per warning)
    missing = (
        ""
        if alert_ids is not None
        else "AND NOT EXISTS (SELECT 1 FROM exchange_disposition d WHERE d.alert_id = a.id)"
    )
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO exchange_disposition (alert_id, rule_id, region_code, household_id, person_id,
                status, verified_how, findings, outcome, reason, referred_to, created_at)
            SELECT a.id, r.id, a.region_code, h.id, p.id, %s, '', '', '', '', '', %s
            FROM {alerts}
            CROSS JOIN LATERAL (SELECT split_part(a.dedup_key, ':', 2) AS rule,
                                       split_part(a.dedup_key, ':', 3) AS household,
                                       split_part(a.dedup_key, ':', 4) AS person) k
            JOIN exchange_warningrule r ON k.rule ~ '^[0-9]+$' AND r.id = k.rule::bigint
            JOIN people_household h ON k.household ~ '^[0-9]+$' AND h.id = k.household::bigint
            LEFT JOIN people_person p ON k.person ~ '^[1-9][0-9]*$' AND p.id = k.person::bigint
            WHERE a.kind LIKE %s AND a.status <> %s {missing}
            ON CONFLICT (alert_id) DO NOTHING
            """,  # noqa: S608 - `alerts` and `missing` are fixed strings
            [
                DispositionStatus.VERIFYING.value,
                timezone.now(),
                *([list(alert_ids)] if alert_ids is not None else []),
                PREFIX.replace("_", r"\_") + "%",
                AlertStatus.RESOLVED.value,
            ],
        )
        made = cur.rowcount
    cleared = Disposition.objects.filter(
        status__in=OPEN, alert__status=AlertStatus.RESOLVED, alert__cause_open=False
    )
    if alert_ids is not None:
        cleared = cleared.filter(alert_id__in=ids_array(alert_ids))
    cleared_ids = list(cleared.select_for_update().values_list("pk", flat=True))
    if cleared_ids:
        statuses = dict(Disposition.objects.filter(pk__in=cleared_ids).values_list("pk", "status"))
        Disposition.objects.filter(pk__in=cleared_ids).update(status=DispositionStatus.CLEARED)
        DispositionTransition.objects.bulk_create(
            DispositionTransition(
                disposition_id=pk,
                action="clear",
                from_state=statuses[pk],
                to_state=DispositionStatus.CLEARED,
                comment=_("预警情况已消除，系统自动办结"),
            )
            for pk in cleared_ids
        )
    return made, len(cleared_ids)


def disposition_for_alert(alert: Alert) -> Disposition | None:
    """The disposition of a warning, made now if the sweep that raised it gave it none yet."""
    found = Disposition.objects.filter(alert=alert).first()
    if found is None:
        dispositions_follow_alerts([alert.pk])
        found = Disposition.objects.filter(alert=alert).first()
    return found
