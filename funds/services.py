"""Every write of funds and materials. One transaction each, keyword-only, actor checked here.

State changes lock their row (`select_for_update`), check the current state, move it and record the
transition; "only once" rules are database constraints whose breach becomes a Chinese message.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from funds.models import (
    DRAWING_BATCH_STATUSES,
    ZERO,
    Allocation,
    ApplicationKind,
    ApplicationTransition,
    ApprovalLevel,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    BatchTransition,
    DisbursementBatch,
    MaterialItem,
    MovementKind,
    Payment,
    Program,
    ProgramKind,
    Source,
    Stock,
    StockMovement,
    Warehouse,
)
from people.models import AGE_FLAGS, PERSON_FLAGS, Assistance, Household, Person, age_on
from relief.models import Region, User
from relief.policy import MissingPolicyParameter, policy_value
from relief.scoping import require_in_scope, require_writer

CENT = Decimal("0.01")
BATCH_JOB_KIND = "funds.batch_generate"


def _check_actor(actor: User, region_code: str | None) -> None:
    require_writer(actor)
    require_in_scope(actor, region_code)


def _scope_length(actor: User) -> int:
    """0 for administrators; else the length of the actor's region code (2 province … 12 village)."""
    return 0 if actor.is_region_admin else len(actor.scope_code or "")


def _require_township_or_above(actor: User) -> None:
    if _scope_length(actor) > 9:
        raise PermissionDenied(_("该操作须由乡镇（街道）或县级民政工作人员办理"))


def _require_county_or_above(actor: User) -> None:
    if _scope_length(actor) > 6:
        raise PermissionDenied(_("该操作须由县级民政部门办理"))


def _money(value: Any, field: str, *, positive: bool = True) -> Decimal:
    if isinstance(value, float):
        raise TypeError("money must be Decimal, not float")
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except Exception:
        raise ValidationError({field: _("金额格式不正确")}) from None
    if amount < 0 or (positive and amount == 0):
        raise ValidationError({field: _("金额必须大于0")})
    return amount


def _policy(key: str, region_code: str, on: datetime.date | None = None) -> Decimal:
    try:
        return policy_value(key, region_code, on)
    except MissingPolicyParameter as exc:
        raise ValidationError(str(exc)) from None


# --- Allocations ---------------------------------------------------------------------------------


@transaction.atomic
def allocation_create(
    *,
    actor: User,
    region: Region,
    year: int,
    program: Program,
    source: str,
    amount: Decimal,
    is_advance: bool = False,
    document_number: str = "",
    issued_on: datetime.date | None = None,
    note: str = "",
) -> Allocation:
    """Record funds allocated to a county (中央/省/市/县级资金, including 提前下达/预拨)."""
    _check_actor(actor, region.code)
    if len(region.code) != 6:
        raise ValidationError({"region": _("资金指标须下达到县（市、区）")})
    if source not in Source.values:
        raise ValidationError({"source": _("资金来源无效")})
    if program.kind == ProgramKind.IN_KIND:
        raise ValidationError({"program": _("实物项目不登记资金指标，请在物资库存中入库")})
    allocation = Allocation(
        region=region,
        year=year,
        program=program,
        source=source,
        amount=_money(amount, "amount"),
        is_advance=is_advance,
        document_number=document_number.strip(),
        issued_on=issued_on or timezone.localdate(),
        note=note,
        created_by=actor,
    )
    allocation.full_clean()
    allocation.save()
    return allocation


def allocation_drawn(allocation: Allocation, *, exclude_batch_id: int | None = None) -> Decimal:
    """What batches (being generated, awaiting review or approval, approved or paid) draw on it."""
    qs = allocation.batches.filter(
        status__in=[*DRAWING_BATCH_STATUSES, BatchStatus.APPROVED, BatchStatus.PAID]
    )
    if exclude_batch_id:
        qs = qs.exclude(pk=exclude_batch_id)
    return qs.aggregate(s=Sum("total_amount"))["s"] or ZERO


def allocation_remaining(allocation: Allocation, *, exclude_batch_id: int | None = None) -> Decimal:
    return allocation.amount - allocation_drawn(allocation, exclude_batch_id=exclude_batch_id)


# --- Eligibility and amounts ---------------------------------------------------------------------


def _person_has_flag(person: Person, flag: str, on: datetime.date) -> bool:
    if flag in AGE_FLAGS:
        return (age_on(person.birth_date, on) or 0) >= AGE_FLAGS[flag][1]
    if flag in PERSON_FLAGS:
        return bool(getattr(person, flag))
    return False


def _person_matches(program: Program, person: Person, on: datetime.date) -> bool:
    if program.min_age is not None and (age_on(person.birth_date, on) or 0) < program.min_age:
        return False
    return all(_person_has_flag(person, f, on) for f in program.flags)


def _snapshot(
    program: Program, household: Household, members: list[Person], assistances: list[Assistance], on
) -> dict:
    return {
        "on": on.isoformat(),
        "household": {
            "id": household.pk,
            "address": household.address,
            "region": household.region_id,
            "is_urban": household.is_urban,
        },
        "members": [
            {
                "id": m.pk,
                "name": m.name,
                "relation": m.relation,
                "age": age_on(m.birth_date, on),
                "flags": [f for f in PERSON_FLAGS if getattr(m, f)],
            }
            for m in members
        ],
        "categories": [
            {
                "category": a.category,
                "label": a.label,
                "person": a.person_id,
                "dibao_class": a.dibao_class,
                "start_date": a.start_date.isoformat(),
            }
            for a in assistances
        ],
        "rule": program.rule_snapshot(),
    }


def eligible_payments(program: Program, household: Household, on: datetime.date) -> list[dict[str, Any]]:
    """The payments `program` makes to `household` on `on`. The household's `members` (active) and
    `assistances` (current) may be prefetched as `active_members` and `current_assistances`."""
    members = getattr(household, "active_members", None)
    if members is None:
        members = list(household.members.filter(active=True).order_by("id"))
    assistances = getattr(household, "current_assistances", None)
    if assistances is None:
        assistances = list(household.assistances.current(on))
    wanted = set(program.categories)
    household_cats = {a.category for a in assistances if a.person_id is None}
    person_cats: dict[int, set[str]] = {}
    for a in assistances:
        if a.person_id is not None:
            person_cats.setdefault(a.person_id, set()).add(a.category)
    dibao_class = next((a.dibao_class for a in assistances if a.category == "dibao" and a.dibao_class), "")
    snapshot = None
    rows = []
    if program.per_person:
        for m in members:
            cats = household_cats | person_cats.get(m.pk, set())
            if wanted and not (cats & wanted):
                continue
            if not _person_matches(program, m, on):
                continue
            amount = program.amount_for_class(dibao_class if "dibao" in cats else "")
            if amount <= 0:
                continue
            snapshot = snapshot or _snapshot(program, household, members, assistances, on)
            rows.append({"person": m, "recipient": m, "persons": 1, "amount": amount, "snapshot": snapshot})
    else:
        all_cats = household_cats.union(*person_cats.values())
        if wanted and not (all_cats & wanted):
            return []
        if (program.flags or program.min_age is not None) and not any(
            _person_matches(program, m, on) for m in members
        ):
            return []
        if not members:
            return []
        amount = program.amount_for_class(dibao_class)
        if amount <= 0:
            return []
        head = next((m for m in members if m.pk == household.head_id), members[0])
        rows.append(
            {
                "person": None,
                "recipient": head,
                "persons": len(members),
                "amount": amount,
                "snapshot": _snapshot(program, household, members, assistances, on),
            }
        )
    return rows


def households_for_program(program: Program, region_code: str, on: datetime.date):
    """Candidate households of a county, with what eligibility needs prefetched."""
    qs = Household.objects.in_region(region_code)
    if program.categories:
        current = Assistance.objects.current(on).filter(category__in=program.categories)
        qs = qs.filter(pk__in=current.values("household_id"))
    return qs.order_by("pk").prefetch_related(
        Prefetch(
            "members", queryset=Person.objects.filter(active=True).order_by("pk"), to_attr="active_members"
        ),
        Prefetch("assistances", queryset=Assistance.objects.current(on), to_attr="current_assistances"),
    )


# --- Disbursement batches ------------------------------------------------------------------------


def _batch_transition(
    batch: DisbursementBatch, old: str, new: str, actor: User | None, comment: str = ""
) -> None:
    BatchTransition.objects.create(batch=batch, from_status=old, to_status=new, actor=actor, comment=comment)


@transaction.atomic
def batch_generate(
    *,
    actor: User,
    program: Program,
    allocation: Allocation,
    period: str,
    title: str = "",
    pay_by: datetime.date | None = None,
    run_in_background: bool = True,
) -> DisbursementBatch:
    """Create a batch for a program in the allocation's county and generate its payments in a
    background job (or at once with run_in_background=False). A second request for the same program,
    county and period creates nothing: it is refused with a message. `pay_by` is the date by which
    the approved batch must be paid (a sweep raises an alert after it)."""
    from relief.services import job_start

    _check_actor(actor, allocation.region_id)
    _require_county_or_above(actor)
    if program.kind != ProgramKind.CASH:
        raise ValidationError({"program": _("只有现金发放类项目可以生成发放批次")})
    if not program.active:
        raise ValidationError({"program": _("该项目已停用")})
    if allocation.program_id != program.pk:
        raise ValidationError({"allocation": _("资金指标与发放项目不一致")})
    period = (period or "").strip()
    if not period:
        raise ValidationError({"period": _("请填写发放期")})
    existing = (
        DisbursementBatch.objects.filter(program=program, region_id=allocation.region_id, period=period)
        .exclude(status__in=[BatchStatus.CANCELLED, BatchStatus.FAILED])
        .first()
    )
    if existing:
        raise ValidationError(
            _("该项目本期（%(period)s）已有发放批次“%(title)s”，不能重复生成")
            % {
                "period": period,
                "title": existing.title,
            }
        )
    batch = DisbursementBatch(
        region_id=allocation.region_id,
        program=program,
        allocation=allocation,
        period=period,
        title=title.strip() or f"{allocation.region_id} {program.name} {period}",
        pay_by=pay_by,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        raise ValidationError(
            _("该项目本期（%(period)s）已有发放批次，不能重复生成") % {"period": period}
        ) from None
    _batch_transition(batch, "", BatchStatus.GENERATING, actor)
    if run_in_background:
        job = job_start(
            actor=actor,
            kind=BATCH_JOB_KIND,
            title=_("生成发放批次：%(t)s") % {"t": batch.title},
            params={"batch_id": batch.pk},
            region=batch.region,
        )
        batch.job = job
        batch.save(update_fields=["job"])
    else:
        batch_fill(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


@transaction.atomic
def batch_fill(
    *, batch_id: int, progress: Callable[..., None] | None = None, on: datetime.date | None = None
) -> DisbursementBatch | None:
    """Generate the payments of a batch being generated. Safe to run twice: a batch that is no longer
    being generated is left alone. Raises ValidationError (nothing written) when the batch would
    exceed what is left of its allocation."""
    batch = (
        DisbursementBatch.objects.select_for_update()
        .select_related("program", "allocation")
        .filter(pk=batch_id)
        .first()
    )
    if batch is None or batch.status != BatchStatus.GENERATING:
        return batch
    on = on or timezone.localdate()
    program = batch.program
    # Lock the allocation: batches drawing on it are generated and approved one at a time.
    allocation = Allocation.objects.select_for_update().get(pk=batch.allocation_id)
    paid_people: set[int] = set()
    paid_households: set[int] = set()
    if program.one_off:
        earlier = Payment.objects.filter(program=program, one_off=True).exclude(batch=batch)
        paid_people = set(earlier.filter(person__isnull=False).values_list("person_id", flat=True))
        paid_households = set(earlier.filter(person__isnull=True).values_list("household_id", flat=True))
    households = households_for_program(program, batch.region_id, on)
    total_candidates = households.count()
    if progress:
        progress(0, total_candidates, _("正在核定发放对象"), force=True)
    rows: list[Payment] = []
    total = ZERO
    for i, household in enumerate(households.iterator(chunk_size=500), 1):
        for row in eligible_payments(program, household, on):
            person = row["person"]
            if person is not None and person.pk in paid_people:
                continue
            if person is None and household.pk in paid_households:
                continue
            recipient = row["recipient"]
            rows.append(
                Payment(
                    batch=batch,
                    program=program,
                    one_off=program.one_off,
                    region_id=household.region_id,
                    household=household,
                    person=person,
                    recipient_name=recipient.name,
                    id_number=recipient.id_number,
                    phone=recipient.phone or household.contact_phone,
                    persons=row["persons"],
                    amount=row["amount"],
                    snapshot=row["snapshot"],
                )
            )
            total += row["amount"]
        if progress and i % 200 == 0:
            progress(i)
    left = allocation.amount - allocation_drawn(allocation, exclude_batch_id=batch.pk)
    if total > left:
        raise ValidationError(
            _(
                "批次金额 %(total)s 元超出资金指标剩余额度 %(left)s 元（指标“%(alloc)s”），"
                "请追加资金指标或缩小发放范围后重新生成"
            )
            % {"total": total, "left": left, "alloc": allocation}
        )
    if not rows:
        raise ValidationError(_("没有符合该项目条件且尚未领取的发放对象"))
    try:
        with transaction.atomic():
            # one history row per payment, in bulk, by whoever asked for the batch
            bulk_create_with_history(rows, Payment, batch_size=1000, default_user=batch.created_by)
    except IntegrityError as exc:
        if "one_off" in str(exc):
            raise ValidationError(
                _("部分对象已在其他批次领取过一次性项目“%(p)s”，请重新生成") % {"p": program.name}
            ) from None
        raise
    batch.status = BatchStatus.DRAFT
    batch.total_amount = total
    batch.payment_count = len(rows)
    batch.error = ""
    batch.save(update_fields=["status", "total_amount", "payment_count", "error"])
    _batch_transition(
        batch,
        BatchStatus.GENERATING,
        BatchStatus.DRAFT,
        None,
        _("已生成 %(n)d 笔，合计 %(t)s 元") % {"n": len(rows), "t": total},
    )
    if progress:
        progress(total_candidates, total_candidates, _("已生成"), force=True)
    return batch


@transaction.atomic
def batch_mark_failed(*, batch_id: int, error: str) -> None:
    batch = DisbursementBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None or batch.status != BatchStatus.GENERATING:
        return
    batch.status = BatchStatus.FAILED
    batch.error = error
    batch.save(update_fields=["status", "error"])
    _batch_transition(batch, BatchStatus.GENERATING, BatchStatus.FAILED, None, error)


def _batch_move(
    *,
    actor: User,
    batch: DisbursementBatch,
    allowed_from: Iterable[str],
    to: str,
    error: str,
    comment: str = "",
    stamp: str | None = None,
) -> DisbursementBatch:
    _check_actor(actor, batch.region_id)
    _require_county_or_above(actor)
    locked = DisbursementBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in allowed_from:
        raise ValidationError(error % {"status": locked.get_status_display()})
    old = locked.status
    locked.status = to
    fields = ["status"]
    if stamp:
        setattr(locked, f"{stamp}_by", actor)
        setattr(locked, f"{stamp}_at", timezone.now())
        fields += [f"{stamp}_by", f"{stamp}_at"]
    locked.save(update_fields=fields)
    _batch_transition(locked, old, to, actor, comment)
    return locked


@transaction.atomic
def batch_review(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    return _batch_move(
        actor=actor,
        batch=batch,
        allowed_from=[BatchStatus.DRAFT],
        to=BatchStatus.REVIEWED,
        error=_("只有待审核的批次可以审核（当前：%(status)s）"),
        comment=comment,
        stamp="reviewed",
    )


@transaction.atomic
def batch_approve(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    """Approve a reviewed batch, checking again (allocation row locked) that it fits what is left."""
    _check_actor(actor, batch.region_id)
    allocation = Allocation.objects.select_for_update().get(pk=batch.allocation_id)
    locked = DisbursementBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status == BatchStatus.REVIEWED:
        left = allocation.amount - allocation_drawn(allocation, exclude_batch_id=locked.pk)
        if locked.total_amount > left:
            raise ValidationError(
                _("批次金额 %(total)s 元超出资金指标剩余额度 %(left)s 元，不能审批")
                % {"total": locked.total_amount, "left": left}
            )
    return _batch_move(
        actor=actor,
        batch=locked,
        allowed_from=[BatchStatus.REVIEWED],
        to=BatchStatus.APPROVED,
        error=_("只有已审核的批次可以审批（当前：%(status)s）"),
        comment=comment,
        stamp="approved",
    )


@transaction.atomic
def batch_mark_paid(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    return _batch_move(
        actor=actor,
        batch=batch,
        allowed_from=[BatchStatus.APPROVED],
        to=BatchStatus.PAID,
        error=_("只有已审批的批次可以登记发放（当前：%(status)s）"),
        comment=comment,
        stamp="paid",
    )


@transaction.atomic
def batch_cancel(*, actor: User, batch: DisbursementBatch, comment: str) -> DisbursementBatch:
    """Cancel a batch not yet approved; its payment lines are removed (nothing was paid), so the
    people in it can be paid by a new batch."""
    if not (comment or "").strip():
        raise ValidationError({"comment": _("作废批次须填写原因")})
    batch = _batch_move(
        actor=actor,
        batch=batch,
        allowed_from=[BatchStatus.DRAFT, BatchStatus.REVIEWED],
        to=BatchStatus.CANCELLED,
        error=_("只有未审批的批次可以作废（当前：%(status)s）"),
        comment=comment,
    )
    batch.payments.all().delete()  # each delete writes a "deleted" history row (post_delete)
    Payment.history.filter(batch_id=batch.pk, history_type="-", history_user__isnull=True).update(
        history_user=actor
    )
    return batch


# --- Temporary assistance ------------------------------------------------------------------------


def is_urban_place(region_code: str, household: Household | None = None) -> bool:
    """Which 低保 standard applies: the household's, else urban for a 街道 (township code 001–099)."""
    if household is not None:
        return household.is_urban
    return len(region_code) >= 9 and int(region_code[6:9]) < 100


def dibao_standard(region_code: str, *, is_urban: bool, on: datetime.date | None = None) -> Decimal:
    return _policy("dibao_standard_urban" if is_urban else "dibao_standard_rural", region_code, on)


def township_limit(region_code: str, *, is_urban: bool, on: datetime.date | None = None) -> Decimal:
    """分级审批: the township approves up to min(amount limit, multiple × monthly 低保 standard)."""
    amount = _policy("ta_township_limit_amount", region_code, on)
    multiple = _policy("ta_township_limit_multiple", region_code, on)
    standard = dibao_standard(region_code, is_urban=is_urban, on=on)
    return min(amount, multiple * standard).quantize(CENT)


def expense_amount(application: AssistanceApplication, on: datetime.date | None = None) -> Decimal | None:
    """支出型 reference amount: 低保标准 × persons × months (months capped by policy)."""
    if application.kind != ApplicationKind.EXPENSE or not application.months:
        return None
    months = min(application.months, int(_policy("ta_expense_months_max", application.region_id, on)))
    standard = dibao_standard(
        application.region_id, is_urban=is_urban_place(application.region_id, application.household), on=on
    )
    return (standard * application.household_size * months).quantize(CENT)


def _app_transition(
    app: AssistanceApplication,
    action: str,
    old: str,
    actor: User | None,
    comment: str = "",
    amount: Decimal | None = None,
) -> ApplicationTransition:
    return ApplicationTransition.objects.create(
        application=app,
        action=action,
        from_status=old,
        to_status=app.status,
        actor=actor,
        comment=comment,
        amount=amount,
    )


def _lock_app(actor: User, application: AssistanceApplication) -> AssistanceApplication:
    _check_actor(actor, application.region_id)
    app = (
        AssistanceApplication.objects.select_for_update(of=("self",))
        .select_related("household")
        .get(pk=application.pk)
    )
    app._history_user = actor  # the history row names the actor, in a request or not
    return app


def _require_status(app: AssistanceApplication, allowed: Iterable[str], what: str) -> None:
    if app.status not in allowed:
        raise ValidationError(
            _("当前状态为“%(status)s”，不能%(what)s") % {"status": app.get_status_display(), "what": what}
        )


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
    (`person`) or not (name and ID number)."""
    from people.services import validate_id_number

    _check_actor(actor, region.code)
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
    if not (applicant_name or "").strip():
        raise ValidationError({"applicant_name": _("请填写申请人姓名")})
    if not (place or "").strip():
        raise ValidationError({"place": _("请填写事发地点")})
    if kind == ApplicationKind.EXPENSE and not months:
        raise ValidationError({"months": _("支出型救助须填写救助月数")})
    if months:
        limit = int(_policy("ta_expense_months_max", region.code))
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
        amount_requested=_money(amount_requested or ZERO, "amount_requested", positive=False),
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
    _app_transition(app, "submit", "", actor, description[:500])
    return app


def _duplicate_message(app: AssistanceApplication, earlier: AssistanceApplication | None) -> str:
    return _("该申请人 %(year)d 年已因“%(cause)s”申请过临时救助%(ref)s，同一事由每人每年只能救助一次") % {
        "year": app.year,
        "cause": app.get_cause_display(),
        "ref": (_("（编号 %(n)d）") % {"n": earlier.pk}) if earlier else "",
    }


@transaction.atomic
def application_emergency_pay(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """先行救助: the township pays a small amount from its reserve at once; reviewed afterwards."""
    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    if app.kind != ApplicationKind.URGENT:
        raise ValidationError(_("只有急难型救助可以先行救助"))
    _require_status(app, [AppStatus.SUBMITTED], _("先行救助"))
    amount = _money(amount, "amount")
    limit = township_limit(app.region_id, is_urban=is_urban_place(app.region_id, app.household))
    if amount > limit:
        raise ValidationError(
            {"amount": _("先行救助金额不能超过乡镇审批权限 %(limit)s 元") % {"limit": limit}}
        )
    old = app.status
    app.status = AppStatus.EMERGENCY_PAID
    app.emergency_amount = amount
    app.emergency_paid_at = timezone.now()
    app.save(update_fields=["status", "emergency_amount", "emergency_paid_at"])
    _app_transition(app, "emergency_pay", old, actor, comment, amount)
    return app


@transaction.atomic
def application_review(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """乡镇审核 (home visit done): propose the amount. After 先行救助 this is the paperwork."""
    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    _require_status(app, [AppStatus.SUBMITTED, AppStatus.EMERGENCY_PAID], _("审核"))
    amount = _money(amount, "amount", positive=app.emergency_amount == 0)
    old = app.status
    app.status = AppStatus.REVIEWED
    app.proposed_amount = amount
    app.reviewed_at = timezone.now()
    app.save(update_fields=["status", "proposed_amount", "reviewed_at"])
    _app_transition(app, "review", old, actor, comment, amount)
    return app


@transaction.atomic
def application_notice_start(
    *, actor: User, application: AssistanceApplication, comment: str = "", start: datetime.date | None = None
) -> AssistanceApplication:
    """公示: the notice period runs `ta_notice_working_days` working days from `start` (today)."""
    from relief.workdays import add_working_days

    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    _require_status(app, [AppStatus.REVIEWED], _("开始公示"))
    start = start or timezone.localdate()
    days = int(_policy("ta_notice_working_days", app.region_id, start))
    old = app.status
    app.status = AppStatus.NOTICE
    app.notice_start = start
    app.notice_end = add_working_days(start, days).date
    app.save(update_fields=["status", "notice_start", "notice_end"])
    _app_transition(app, "notice_start", old, actor, comment)
    return app


@transaction.atomic
def application_objection(
    *, actor: User, application: AssistanceApplication, comment: str
) -> AssistanceApplication:
    """Record an objection raised during 公示 (the state does not change)."""
    app = _lock_app(actor, application)
    _require_status(app, [AppStatus.NOTICE], _("登记公示异议"))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("请填写异议内容")})
    _app_transition(app, "objection", app.status, actor, comment)
    return app


@transaction.atomic
def application_notice_close(
    *, actor: User, application: AssistanceApplication, comment: str = "", on: datetime.date | None = None
) -> AssistanceApplication:
    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    _require_status(app, [AppStatus.NOTICE], _("结束公示"))
    on = on or timezone.localdate()
    if app.notice_end and on <= app.notice_end:
        raise ValidationError(
            _("公示期至 %(end)s 止，尚未届满，不能结束公示") % {"end": app.notice_end.isoformat()}
        )
    old = app.status
    app.status = AppStatus.NOTICE_DONE
    app.save(update_fields=["status"])
    _app_transition(app, "notice_close", old, actor, comment)
    return app


def required_level(app: AssistanceApplication, total: Decimal) -> tuple[str, Decimal]:
    limit = township_limit(app.region_id, is_urban=is_urban_place(app.region_id, app.household))
    return (ApprovalLevel.TOWNSHIP if total <= limit else ApprovalLevel.COUNTY), limit


@transaction.atomic
def application_approve(
    *, actor: User, application: AssistanceApplication, amount: Decimal, comment: str = ""
) -> AssistanceApplication:
    """Approve at the level the amount requires (分级审批): the township up to its limit, above it the
    county. `amount` is what is paid now; the limit applies to it plus any 先行救助 already paid.
    支出型 cases must have finished their public notice."""
    app = _lock_app(actor, application)
    allowed = [AppStatus.NOTICE_DONE] if app.kind == ApplicationKind.EXPENSE else [AppStatus.REVIEWED]
    if app.kind == ApplicationKind.EXPENSE and app.status in (AppStatus.REVIEWED, AppStatus.NOTICE):
        raise ValidationError(_("支出型救助须公示期满后才能审批"))
    _require_status(app, allowed, _("审批"))
    amount = _money(amount, "amount", positive=app.emergency_amount == 0)
    level, limit = required_level(app, amount + app.emergency_amount)
    if level == ApprovalLevel.COUNTY:
        if _scope_length(actor) > 6:
            raise PermissionDenied(
                _("救助金额 %(total)s 元超过乡镇审批权限 %(limit)s 元，须报县级民政部门审批")
                % {"total": amount + app.emergency_amount, "limit": limit}
            )
    else:
        _require_township_or_above(actor)
    old = app.status
    app.status = AppStatus.APPROVED
    app.approved_amount = amount
    app.approval_level = level
    app.township_limit = limit
    app.decided_at = timezone.now()
    app.save(update_fields=["status", "approved_amount", "approval_level", "township_limit", "decided_at"])
    _app_transition(app, "approve", old, actor, comment, amount)
    return app


@transaction.atomic
def application_pay(
    *, actor: User, application: AssistanceApplication, comment: str = ""
) -> AssistanceApplication:
    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    _require_status(app, [AppStatus.APPROVED], _("登记发放"))
    old = app.status
    app.status = AppStatus.PAID
    app.paid_at = timezone.now()
    app.save(update_fields=["status", "paid_at"])
    _app_transition(app, "pay", old, actor, comment, app.approved_amount)
    return app


@transaction.atomic
def application_reject(
    *, actor: User, application: AssistanceApplication, reason: str
) -> AssistanceApplication:
    app = _lock_app(actor, application)
    _require_township_or_above(actor)
    if not (reason or "").strip():
        raise ValidationError({"reason": _("不予救助须填写理由")})
    _require_status(
        app,
        [
            AppStatus.SUBMITTED,
            AppStatus.EMERGENCY_PAID,
            AppStatus.REVIEWED,
            AppStatus.NOTICE,
            AppStatus.NOTICE_DONE,
        ],
        _("作出不予救助决定"),
    )
    old = app.status
    app.status = AppStatus.REJECTED
    app.rejection_reason = reason.strip()
    app.decided_at = timezone.now()
    app.save(update_fields=["status", "rejection_reason", "decided_at"])
    _app_transition(app, "reject", old, actor, reason)
    return app


# --- Materials -----------------------------------------------------------------------------------


@transaction.atomic
def warehouse_create(
    *, actor: User, region: Region, name: str, address: str = "", keeper: str = ""
) -> Warehouse:
    _check_actor(actor, region.code)
    if len(region.code) not in (6, 9):
        raise ValidationError({"region": _("仓库须设在县（区）或乡镇（街道）")})
    warehouse = Warehouse(region=region, name=name.strip(), address=address, keeper=keeper)
    warehouse.full_clean()
    warehouse.save()
    return warehouse


def _quantity(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("quantity must be Decimal, not float")
    try:
        q = Decimal(str(value)).quantize(CENT)
    except Exception:
        raise ValidationError({"quantity": _("数量格式不正确")}) from None
    if q <= 0:
        raise ValidationError({"quantity": _("数量必须大于0")})
    return q


@transaction.atomic
def stock_receive(
    *,
    actor: User,
    warehouse: Warehouse,
    item: MaterialItem,
    quantity: Decimal,
    source: str = "",
    note: str = "",
) -> StockMovement:
    _check_actor(actor, warehouse.region_id)
    quantity = _quantity(quantity)
    Stock.objects.get_or_create(warehouse=warehouse, item=item, defaults={"region_id": warehouse.region_id})
    stock = Stock.objects.select_for_update().get(warehouse=warehouse, item=item)
    stock.quantity += quantity
    stock.save(update_fields=["quantity", "updated_at"])
    return StockMovement.objects.create(
        stock=stock,
        region_id=stock.region_id,
        kind=MovementKind.RECEIVED,
        quantity=quantity,
        source=source,
        note=note,
        actor=actor,
    )


@transaction.atomic
def stock_distribute(
    *,
    actor: User,
    stock: Stock,
    quantity: Decimal,
    household: Household | None = None,
    recipient_description: str = "",
    recipient: Any = None,
    note: str = "",
) -> StockMovement:
    """Give goods to a household on the register, or to a recipient described in words (or a linked
    record such as a patrol encounter). Stock never goes below zero."""
    from django.contrib.contenttypes.models import ContentType

    _check_actor(actor, stock.region_id)
    quantity = _quantity(quantity)
    if household is None and not recipient_description.strip() and recipient is None:
        raise ValidationError({"household": _("请选择领取家庭或填写领取人")})
    if household is not None:
        require_in_scope(actor, household.region_id)
    locked = Stock.objects.select_for_update().select_related("item").get(pk=stock.pk)
    if locked.quantity < quantity:
        raise ValidationError(
            {
                "quantity": _("库存不足：%(item)s 现有 %(have)s%(unit)s，不能发放 %(want)s%(unit)s")
                % {
                    "item": locked.item.name,
                    "have": f"{locked.quantity.normalize():f}",
                    "want": f"{quantity.normalize():f}",
                    "unit": locked.item.unit,
                }
            }
        )
    locked.quantity -= quantity
    locked.save(update_fields=["quantity", "updated_at"])
    return StockMovement.objects.create(
        stock=locked,
        region_id=locked.region_id,
        kind=MovementKind.DISTRIBUTED,
        quantity=quantity,
        household=household,
        recipient_description=recipient_description.strip(),
        recipient_type=ContentType.objects.get_for_model(recipient) if recipient is not None else None,
        recipient_id=str(recipient.pk) if recipient is not None else "",
        note=note,
        actor=actor,
    )


def stock_balance_from_movements(stock: Stock) -> Decimal:
    agg = stock.movements.aggregate(
        received=Sum("quantity", filter=Q(kind=MovementKind.RECEIVED)),
        distributed=Sum("quantity", filter=Q(kind=MovementKind.DISTRIBUTED)),
    )
    return (agg["received"] or ZERO) - (agg["distributed"] or ZERO)
