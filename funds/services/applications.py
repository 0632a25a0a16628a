"""Temporary assistance (临时救助): register an application where the emergency happened, then the
declared steps of `funds.workflows.application_workflow` (先行救助, 乡镇审核, 公示, 分级审批, 发放,
不予救助). Each service is one step; the step checks the state, the kind, the level and the amount."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds import workflows
from funds.models import ZERO, ApplicationKind, AppStatus, AssistanceApplication
from funds.services.eligibility import policy
from people.models import Person
from relief.models import Region, User
from relief.scoping import require_actor
from relief.workflow import money


@transaction.atomic
def application_submit(
    *,
    actor: User,
    region: Region,
    kind: str,
    cause: str,
    place: str,
    applicant_name: str = "",
    id_number: str = "",
    phone: str = "",
    description: str = "",
    household_size: int = 1,
    months: int | None = None,
    amount_requested: Decimal = ZERO,
    person: Person | None = None,
    submitted_at: datetime.datetime | None = None,
) -> AssistanceApplication:
    """Register an application where the emergency happened. The applicant may be on the register
    (`person`) or not (name and ID number). An ID number of an active person on the register inside
    the actor's scope links the application to that person and household, however it was entered
    (page, API, a visit's need); anyone else's application stays unlinked."""
    from people.services import validate_id_number

    require_actor(actor, region.code)
    if len(region.code) not in (9, 12):
        raise ValidationError({"region": _("事发地须选择到乡镇（街道）或村（社区）")})
    if kind not in ApplicationKind.values:
        raise ValidationError({"kind": _("请选择救助类型")})
    household = None
    if person is not None:
        if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
            raise PermissionDenied(_("该人员不在您的管辖范围内"))
        household = person.household
        applicant_name = applicant_name or person.name
        id_number = id_number or person.id_number
        phone = phone or person.phone
    try:
        id_number = validate_id_number(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.messages}) from None
    if person is None:
        person = registered_person(actor, id_number)
        if person is not None:
            household = person.household
    if not (applicant_name or "").strip():
        raise ValidationError({"applicant_name": _("请填写申请人姓名")})
    if not (place or "").strip():
        raise ValidationError({"place": _("请填写事发地点")})
    if kind == ApplicationKind.EXPENSE and not months:
        raise ValidationError({"months": _("支出型救助须填写救助月数")})
    if months:
        limit = int(policy("ta_expense_months_max", region.code))
        if months > limit:
            raise ValidationError({"months": _("救助月数不能超过 %(n)d 个月") % {"n": limit}})
    submitted_at = submitted_at or timezone.now()
    year = timezone.localtime(submitted_at).year
    app = AssistanceApplication(
        region=region,
        kind=kind,
        cause=cause,
        year=year,
        person=person,
        household=household,
        applicant_name=applicant_name.strip(),
        id_number=id_number,
        phone=(phone or "").strip(),
        place=place.strip(),
        description=description,
        household_size=household_size or 1,
        months=months,
        amount_requested=money(amount_requested or ZERO, "amount_requested", positive=False),
        submitted_at=submitted_at,
        created_by=actor,
    )
    app._history_user = actor
    app.full_clean(exclude=["year"], validate_constraints=False)
    earlier = (
        AssistanceApplication.objects.filter(id_number=id_number, cause=cause, year=year)
        .exclude(status=AppStatus.REJECTED)
        .first()
    )
    if earlier:
        raise ValidationError(_duplicate_message(app, earlier))
    try:
        with transaction.atomic():
            app.save()
    except IntegrityError as exc:
        if "application_once_per_person_cause_year" in str(exc):
            raise ValidationError(_duplicate_message(app, None)) from None
        raise
    workflows.application_workflow.log(app, action="submit", actor=actor, comment=description[:500])
    return app


def registered_person(actor: User, id_number: str) -> Person | None:
    """The active person on the register with this ID number that the actor may see (an ID number is
    active in one household only), or None."""
    if not id_number:
        return None
    return (
        Person.objects.visible_to(actor)
        .active()
        .filter(id_number=id_number)
        .select_related("household")
        .first()
    )


def _duplicate_message(app: AssistanceApplication, earlier: AssistanceApplication | None) -> str:
    return _("该申请人 %(year)d 年已因“%(cause)s”申请过临时救助%(ref)s，同一事由每人每年只能救助一次") % {
        "year": app.year,
        "cause": app.get_cause_display(),
        "ref": (_("（编号 %(n)d）") % {"n": earlier.pk}) if earlier else "",
    }


def application_emergency_pay(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """先行救助: the township pays a small amount from its reserve at once; reviewed afterwards."""
    return workflows.application_workflow.run(
        "emergency_pay", actor=actor, obj=application, amount=amount, comment=comment
    )


def application_review(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """乡镇审核 (home visit done): propose the amount. After 先行救助 this is the paperwork."""
    return workflows.application_workflow.run(
        "review", actor=actor, obj=application, amount=amount, comment=comment
    )


def application_notice_start(
    *, actor: User, application: AssistanceApplication, comment: str = "", start: datetime.date | None = None
) -> AssistanceApplication:
    """公示 (支出型 only): the notice runs `ta_notice_working_days` working days from `start` (today)."""
    return workflows.application_workflow.run(
        "notice_start", actor=actor, obj=application, comment=comment, start=start
    )


def application_objection(
    *, actor: User, application: AssistanceApplication, comment: str
) -> AssistanceApplication:
    """Record an objection raised during 公示 (the state does not change)."""
    return workflows.application_workflow.run("objection", actor=actor, obj=application, comment=comment)


def application_notice_close(
    *, actor: User, application: AssistanceApplication, comment: str = "", on: datetime.date | None = None
) -> AssistanceApplication:
    return workflows.application_workflow.run(
        "notice_close", actor=actor, obj=application, comment=comment, on=on
    )


def application_approve(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """Approve at the level the amount requires (分级审批): the township up to its limit, above it the
    county. `amount` is what is paid now; the limit applies to it plus any 先行救助 already paid.
    支出型 cases must have finished their public notice."""
    return workflows.application_workflow.run(
        "approve", actor=actor, obj=application, amount=amount, comment=comment
    )


def application_pay(
    *, actor: User, application: AssistanceApplication, comment: str = ""
) -> AssistanceApplication:
    return workflows.application_workflow.run("pay", actor=actor, obj=application, comment=comment)


def application_reject(
    *, actor: User, application: AssistanceApplication, reason: str
) -> AssistanceApplication:
    return workflows.application_workflow.run("reject", actor=actor, obj=application, reason=reason)
