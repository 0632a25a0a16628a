"""Every write of enrolment: filing an application (walk-in, online, 主动发现), what a decision does to
the register, the periodic reviews, the monitored cohort, appeals and complaints. The steps
themselves are declared in enrolments/workflows.py and taken with `workflow.run(...)`."""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolments import clocks
from enrolments.models import (
    Appeal,
    AppealKind,
    Enrolment,
    EnrolmentMember,
    Kind,
    Origin,
    Status,
)
from people.models import Assistance, Household, Person
from relief.scoping import require_actor
from relief.workdays import add_working_days

User = Any


def _member_rows(household: Household, members: list[dict] | None) -> list[EnrolmentMember]:
    """The declared members; by default the register's active members with the household's income
    shared out (the applicant corrects them on the page)."""
    if members:
        rows = []
        for i, m in enumerate(members, 1):
            name = (m.get("name") or "").strip()
            if not name:
                raise ValidationError({"members": _("第 %(i)d 位成员缺少姓名") % {"i": i}})
            income = Decimal(str(m.get("monthly_income") or "0"))
            deposits = Decimal(str(m.get("deposits") or "0"))
            if income < 0 or deposits < 0:
                raise ValidationError({"members": _("第 %(i)d 位成员的收入或存款不能为负数") % {"i": i}})
            person = m.get("person")
            if person is not None and person.household_id != household.pk:
                raise ValidationError({"members": _("第 %(i)d 位成员不属于这户家庭") % {"i": i}})
            rows.append(
                EnrolmentMember(
                    person=person,
                    name=name[:50],
                    id_number=(m.get("id_number") or (person.id_number if person else ""))[:18],
                    relation=(m.get("relation") or "")[:20],
                    monthly_income=income.quantize(Decimal("0.01")),
                    income_note=(m.get("income_note") or "")[:255],
                    property_note=(m.get("property_note") or "")[:255],
                    deposits=deposits.quantize(Decimal("0.01")),
                )
            )
        return rows
    people = list(household.members.filter(active=True).order_by("id"))
    if not people:
        return []
    total = household.monthly_income or Decimal("0.00")
    share = (total / len(people)).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    rest = total - share * len(people)  # the cents that do not divide go to the first member
    return [
        EnrolmentMember(
            person=p,
            name=p.name,
            id_number=p.id_number,
            relation=p.get_relation_display() if p.relation else "",
            monthly_income=share + (rest if i == 0 else 0),
        )
        for i, p in enumerate(people)
    ]


@transaction.atomic
def enrolment_create(
    *,
    actor: User,
    household: Household,
    kind: str,
    origin: str = Origin.WALK_IN,
    applicant: Person | None = None,
    tekun_mode: str = "",
    care_level: str = "",
    reason: str = "",
    authorisation: UploadedFile | None = None,
    staff_relative: bool = False,
    staff_relative_note: str = "",
    origin_alert: Any = None,
    origin_note: str = "",
    external_id: str = "",
    members: list[dict] | None = None,
    accept: bool = False,
) -> Enrolment:
    """File an application. At the township's window (一门受理) with the signed authorisation it is
    accepted at once (`accept`); online and 主动发现 applications wait for 受理. A 主动发现 from an
    alert resolves the alert: the application is its answer."""
    from enrolments.workflows import enrolment_workflow

    require_actor(actor, household.region_id)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("申请类别不正确")})
    if origin not in Origin.values:
        raise ValidationError({"origin": _("申请来源不正确")})
    if kind == Kind.TEKUN and applicant is None:
        raise ValidationError({"applicant": _("特困人员按人认定，请选择申请的家庭成员")})
    if applicant is not None and applicant.household_id != household.pk:
        raise ValidationError({"applicant": _("申请人不是这户家庭的成员")})
    current = Assistance.objects.current().filter(household=household, category=kind)
    if kind == Kind.TEKUN:
        current = current.filter(person=applicant)
    if current.exists():
        raise ValidationError(
            {"kind": _("该家庭（成员）已享受%(k)s，无需重复申请") % {"k": Kind(kind).label}}
        )
    enrolment = Enrolment(
        household=household,
        applicant=applicant,
        region_id=household.region_id,
        kind=kind,
        tekun_mode=tekun_mode if kind == Kind.TEKUN else "",
        care_level=care_level if kind == Kind.TEKUN else "",
        origin=origin,
        origin_alert=origin_alert,
        origin_note=origin_note[:255],
        external_id=(external_id or "").strip()[:64],
        reason=reason,
        staff_relative=staff_relative,
        staff_relative_note=staff_relative_note[:255],
        created_by=actor,
    )
    enrolment.full_clean(
        exclude=["household", "region", "applicant", "origin_alert"], validate_constraints=False
    )
    enrolment._history_user = actor
    try:
        with transaction.atomic():
            enrolment.save()
    except IntegrityError as exc:
        if "external_id" in str(exc):
            raise ValidationError({"external_id": _("该外部系统申请编号已登记")}) from None
        raise ValidationError(
            {"kind": _("该家庭已有一份办理中的%(k)s申请") % {"k": Kind(kind).label}}
        ) from None
    rows = _member_rows(household, members)
    for row in rows:
        row.enrolment = enrolment
    EnrolmentMember.objects.bulk_create(rows)
    enrolment_workflow.log(enrolment, action="submit", actor=actor, comment=str(Origin(origin).label))
    if origin_alert is not None:
        _answer_alert(actor, origin_alert, enrolment)
    if accept or authorisation is not None:
        if authorisation is None:
            raise ValidationError({"authorisation": _("受理前须上传申请人签字的家庭经济状况核对授权书")})
        enrolment = enrolment_workflow.run("accept", actor=actor, obj=enrolment, authorisation=authorisation)
    return enrolment


def _answer_alert(actor: User, alert: Any, enrolment: Enrolment) -> None:
    """主动发现: the alert (应保未保, a visit's finding) is answered by the application."""
    from relief.alerts.workflows import alert_workflow

    if alert.status in ("open", "acknowledged"):
        alert_workflow.run(
            "resolve",
            actor=actor,
            obj=alert,
            note=_("已发起%(k)s申请（主动发现，编号 %(pk)s）")
            % {"k": enrolment.get_kind_display(), "pk": enrolment.pk},
        )


# --- appeals -------------------------------------------------------------------------------------


@transaction.atomic
def appeal_create(
    *,
    actor: User,
    kind: str,
    content: str,
    enrolment: Enrolment | None = None,
    household: Household | None = None,
    region: Any = None,
    person_name: str = "",
    phone: str = "",
    received_on: datetime.date | None = None,
) -> Appeal:
    """Register a request for review of a decision (within `appeal_window_days` of it) or a
    complaint; the answer is due by the policy's working days."""
    from enrolments.appeals import appeal_workflow

    received_on = received_on or timezone.localdate()
    content = (content or "").strip()
    if not content:
        raise ValidationError({"content": _("请填写内容")})
    if kind not in AppealKind.values:
        raise ValidationError({"kind": _("类型不正确")})
    if received_on > timezone.localdate():
        raise ValidationError({"received_on": _("收到日期不能晚于今天")})
    if kind == AppealKind.REVIEW:
        if enrolment is None:
            raise ValidationError({"enrolment": _("复查复核须针对一份已作出决定的申请")})
        if enrolment.decided_on is None or enrolment.status not in (
            Status.REFUSED,
            Status.REFUSAL_SENT,
            Status.APPROVED,
        ):
            raise ValidationError({"enrolment": _("该申请尚未作出决定，不能申请复查")})
        window = clocks.days("appeal_window_days", enrolment.region_id, enrolment.decided_on)
        last = enrolment.decided_on + datetime.timedelta(days=window)
        if received_on > last:
            raise ValidationError(
                {
                    "received_on": _("已超过复查申请期限（决定之日 %(d)s 起 %(n)d 日内，至 %(last)s）")
                    % {"d": enrolment.decided_on, "n": window, "last": last}
                }
            )
        household = enrolment.household
    region_code = (
        enrolment.region_id
        if enrolment
        else household.region_id
        if household
        else getattr(region, "pk", region)
    )
    if not region_code:
        raise ValidationError({"region": _("请选择涉及的家庭或区划")})
    require_actor(actor, region_code)
    key = "appeal_review_working_days" if kind == AppealKind.REVIEW else "complaint_answer_working_days"
    due = add_working_days(received_on, clocks.days(key, region_code, received_on))
    appeal = Appeal(
        kind=kind,
        enrolment=enrolment,
        household=household,
        region_id=region_code,
        person_name=person_name[:50],
        phone=phone[:20],
        content=content,
        received_on=received_on,
        due_on=due.date,
        due_exact=due.exact,
        created_by=actor,
    )
    appeal.full_clean(exclude=["enrolment", "household", "region"], validate_constraints=False)
    appeal._history_user = actor
    appeal.save()
    appeal_workflow.log(appeal, action="register", actor=actor)
    return appeal
