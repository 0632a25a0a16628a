"""Every write of 集中慰问 campaigns: create, generate the list, record a delivery, pay the cash
through a disbursement batch, close. One transaction each, keyword-only, actor checked here."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignHousehold, CampaignItem, CampaignState, DeliveryState
from funds.models import (
    Allocation,
    AmountBasis,
    AmountMode,
    BatchStatus,
    DisbursementBatch,
    MaterialItem,
    Payment,
    Program,
    Stock,
)
from funds.services.batches import batch_generate
from funds.services.eligibility import eligible_payments, households_for_program
from funds.services.holds import payments_hold, payments_release
from funds.services.materials import stock_distribute_to_household
from relief.dashboard import live_cache
from relief.models import Region, User
from relief.scoping import require_actor
from relief.uploads import attachment_name, check_attachment
from relief.workflow import county_or_above

LIST_STATES = (CampaignState.DRAFT, CampaignState.LISTED, CampaignState.IN_PROGRESS)
DELIVERY_STATES = (CampaignState.LISTED, CampaignState.IN_PROGRESS)


def _money(value: Any) -> Decimal:
    if isinstance(value, float):
        raise TypeError("amount must be Decimal, not float")
    try:
        amount = Decimal(str(value or "0")).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({"cash_amount": _("金额格式不正确")}) from None
    if amount < 0:
        raise ValidationError({"cash_amount": _("金额不能为负数")})
    return amount


def _criteria(campaign: Campaign) -> Program:
    """An unsaved program with the campaign's criteria: funds' eligibility rule, per household."""
    return Program(
        code=f"campaign-{campaign.pk}",
        name=campaign.name,
        categories=list(campaign.categories),
        flags=list(campaign.flags),
        min_age=campaign.min_age,
        amount_basis=AmountBasis.PER_HOUSEHOLD,
        amount_mode=AmountMode.FIXED,
        amount_fixed=campaign.cash_amount if campaign.cash_amount > 0 else Decimal("1.00"),
    )


@transaction.atomic
def campaign_create(
    *,
    actor: User,
    region: Region,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    categories: list[str] | None = None,
    flags: list[str] | None = None,
    min_age: int | None = None,
    cash_amount: Decimal | str = Decimal("0"),
    items: list[tuple[MaterialItem, Decimal | str]] | None = None,
) -> Campaign:
    """A campaign of a county (or a higher region) in draft. With a cash amount, its program
    (kind cash, per household, one-off, amount fixed) is created for the disbursement batches."""
    require_actor(actor, region.code)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    if len(region.code) > 6:
        raise ValidationError({"region": _("集中慰问须由县（区）或以上区划组织")})
    campaign = Campaign(
        region=region,
        name=(name or "").strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        categories=list(categories or []),
        flags=list(flags or []),
        min_age=min_age,
        cash_amount=_money(cash_amount),
        created_by=actor,
    )
    campaign.full_clean()
    # the criteria are funds.Program's: the same validation
    try:
        _criteria(campaign).clean()
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("结束日期不能早于开始日期")})
    lines = []
    for item, quantity in items or []:
        try:
            q = Decimal(str(quantity)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationError({"items": _("数量格式不正确")}) from None
        if q <= 0:
            raise ValidationError({"items": _("数量必须大于0")})
        lines.append((item, q))
    if not campaign.has_cash and not lines:
        raise ValidationError(_("请填写每户慰问金或慰问物资"))
    if len({item.pk for item, _q in lines}) != len(lines):
        raise ValidationError({"items": _("同一物资只能填写一次")})
    campaign.save()
    CampaignItem.objects.bulk_create([CampaignItem(campaign=campaign, item=i, quantity=q) for i, q in lines])
    if campaign.has_cash:
        program = _criteria(campaign)
        program.name = _("%(name)s（集中慰问金）") % {"name": campaign.name}
        program.one_off = True
        program.description = _("集中慰问“%(name)s”的慰问金，每户一次") % {"name": campaign.name}
        program.save()
        campaign.program = program
        campaign.save(update_fields=["program"])
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).get(pk=campaign.pk)


@transaction.atomic
def campaign_generate_list(
    *, actor: User, campaign: Campaign, on: datetime.date | None = None
) -> tuple[Campaign, int]:
    """Put on the list every household of the campaign's region its criteria cover on `on` (today).
    Idempotent: run again, it adds only the newly covered households (the campaign row is locked,
    and the database refuses a household twice). Returns the campaign and how many were added."""
    require_actor(actor, campaign.region_id)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    campaign = _locked(campaign)
    if campaign.state not in LIST_STATES:
        raise ValidationError(_("该集中慰问已结束，不能再生成名单"))
    on = on or timezone.localdate()
    rule = _criteria(campaign)
    already = set(CampaignHousehold.objects.filter(campaign=campaign).values_list("household_id", flat=True))
    rows = []
    for household in households_for_program(rule, campaign.region_id, on).iterator(chunk_size=500):
        if household.pk in already or not eligible_payments(rule, household, on):
            continue
        rows.append(
            CampaignHousehold(
                campaign=campaign,
                household=household,
                region_id=household.region_id,
                cash_amount=campaign.cash_amount,
            )
        )
    created = CampaignHousehold.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    if campaign.state == CampaignState.DRAFT:
        campaign.state = CampaignState.LISTED
    campaign.listed_at = timezone.now()
    campaign.save(update_fields=["state", "listed_at"])
    # the campaign's region and those above see the list now (its sub-regions within a minute)
    live_cache.invalidate_on_commit(campaign.region_id)
    return campaign, len(created)


def _stock_for(household_region: str, item: MaterialItem, quantity: Decimal) -> Stock | None:
    """A stock of the household's county holding enough of `item`: its township's warehouse first,
    then the county's, then any other in the county."""
    county, township = household_region[:6], household_region[:9]
    candidates = Stock.objects.in_region(county).filter(item=item, quantity__gte=quantity)
    ranked = sorted(
        candidates.only("pk", "region_id"),
        key=lambda s: (0 if s.region_id == township else 1 if s.region_id == county else 2, s.pk),
    )
    return ranked[0] if ranked else None


@transaction.atomic
def delivery_record(
    *,
    actor: User,
    entry: CampaignHousehold,
    outcome: str,
    received_by_name: str = "",
    photo: Any = None,
    note: str = "",
) -> CampaignHousehold:
    """One tap on a phone: delivered (who received it, an optional photo), the goods drawn from the
    county's stock in the same transaction (refused when short); or declined / not found, with a
    reason. A household delivered stays delivered: a second tap changes nothing."""
    require_actor(actor, entry.region_id)
    entry = (
        CampaignHousehold.objects.select_for_update(of=("self",))
        .select_related("campaign", "household")
        .get(pk=entry.pk)
    )
    campaign = entry.campaign
    if entry.state == DeliveryState.DELIVERED:
        return entry  # a double tap: recorded once
    if campaign.state not in DELIVERY_STATES:
        raise ValidationError(_("该集中慰问未在进行中，不能登记"))
    if outcome not in (DeliveryState.DELIVERED, DeliveryState.DECLINED, DeliveryState.NOT_FOUND):
        raise ValidationError({"outcome": _("请选择送达、拒收或未找到")})
    received_by_name, note = (received_by_name or "").strip(), (note or "").strip()
    if outcome == DeliveryState.DELIVERED:
        if not received_by_name:
            raise ValidationError({"received_by_name": _("请填写签收人")})
        for line in campaign.items.select_related("item"):
            stock = _stock_for(entry.region_id, line.item, line.quantity)
            if stock is None:
                raise ValidationError(
                    _("库存不足：本县（区）没有足够的%(item)s（每户 %(q)s%(unit)s），不能登记送达")
                    % {"item": line.item.name, "q": f"{line.quantity.normalize():f}", "unit": line.item.unit}
                )
            stock_distribute_to_household(
                actor=actor,
                stock=stock,
                quantity=line.quantity,
                household=entry.household,
                recipient=entry,
                note=_("集中慰问：%(name)s") % {"name": campaign.name},
            )
        if photo:
            kind = check_attachment(photo)
            entry.photo.save(attachment_name(kind), photo, save=False)
    elif not note:
        raise ValidationError({"note": _("请填写原因")})
    previous = entry.state
    entry.state = outcome
    entry.received_by_name = received_by_name if outcome == DeliveryState.DELIVERED else ""
    entry.note = note
    entry.delivered_at = timezone.now()
    entry.delivered_by = actor
    entry.full_clean(exclude=["campaign", "household", "region"])
    entry.save()
    live_cache.invalidate_on_commit(entry.region_id)  # the dashboard's 集中慰问 shows it now
    if campaign.program_id:
        _cash_follows(campaign, entry, previous)
    if campaign.state == CampaignState.LISTED:
        Campaign.objects.filter(pk=campaign.pk, state=CampaignState.LISTED).update(
            state=CampaignState.IN_PROGRESS
        )
    return entry


def _hold_reason(campaign: Campaign, entry: CampaignHousehold) -> str:
    return _("集中慰问“%(name)s”：%(state)s（%(note)s）") % {
        "name": campaign.name,
        "state": entry.get_state_display(),
        "note": entry.note,
    }


def _hold_prefix(campaign: Campaign) -> str:
    return _("集中慰问“%(name)s”：") % {"name": campaign.name}


def _cash_follows(campaign: Campaign, entry: CampaignHousehold, previous: str) -> None:
    """The campaign's money follows the delivery: a household that declined or was not found has
    its line held in the campaign's batches not yet paid; found and delivered later, the line is
    released (while the batch is not approved). The county's batches being generated are locked
    first, so a batch filled at the same moment sees the new state (funds/services/holds.py)."""
    lines = Payment.objects.filter(program_id=campaign.program_id, household_id=entry.household_id)
    list(
        DisbursementBatch.objects.filter(
            program_id=campaign.program_id,
            region_id=entry.region_id[:6],
            status=BatchStatus.GENERATING,
        )
        .select_for_update()
        .values_list("pk")
    )
    if entry.state in (DeliveryState.DECLINED, DeliveryState.NOT_FOUND):
        payments_hold(lines, _hold_reason(campaign, entry))
    elif entry.state == DeliveryState.DELIVERED and previous != DeliveryState.PENDING:
        payments_release(
            lines.filter(held_reason__startswith=_hold_prefix(campaign)),
            _("集中慰问：已补送达 %(name)s") % {"name": entry.received_by_name},
        )


def cash_hold_rule(batch: DisbursementBatch) -> dict[int, str]:
    """A hold rule (funds/services/holds.py): in a campaign's cash batch, the households of the
    county that declined or were not found."""
    campaign = Campaign.objects.filter(program_id=batch.program_id).first()
    if campaign is None:
        return {}
    rows = CampaignHousehold.objects.in_region(batch.region_id).filter(
        campaign=campaign,
        state__in=(DeliveryState.DECLINED, DeliveryState.NOT_FOUND),
    )
    return {
        entry.household_id: _hold_reason(campaign, entry)
        for entry in rows.only("household_id", "state", "note")
    }


def cash_allocations(campaign: Campaign, user: User) -> list[Allocation]:
    """The allocations of the campaign's program in counties the user may pay from, with no live
    batch of the campaign yet: the choices of the page's 生成慰问金发放批次 form."""
    if campaign.program_id is None or not user.can_write or county_or_above(user) is not None:
        return []
    taken = DisbursementBatch.objects.filter(program_id=campaign.program_id).exclude(
        status__in=(BatchStatus.CANCELLED, BatchStatus.FAILED)
    )
    return list(
        Allocation.objects.visible_to(user)
        .in_region(campaign.region_id)
        .filter(program_id=campaign.program_id, cancelled_at__isnull=True)
        .exclude(region_id__in=taken.values("region_id"))
        .select_related("region")
        .order_by("region_id", "pk")
    )


@transaction.atomic
def campaign_cash_batch(
    *,
    actor: User,
    campaign: Campaign,
    allocation: Allocation,
    period: str = "",
    pay_by: datetime.date | None = None,
    run_in_background: bool = True,
) -> DisbursementBatch:
    """The campaign's cash for one county: the list brought up to date, then a disbursement batch
    of the campaign's program (per household, one-off: a household is paid once) on an allocation
    of that program, which then goes through review, approval, the bank file and payment."""
    require_actor(actor, allocation.region_id)
    if campaign.program_id is None:
        raise ValidationError(_("该集中慰问没有慰问金"))
    if allocation.program_id != campaign.program_id:
        raise ValidationError({"allocation": _("资金指标须为本次慰问的慰问金项目")})
    if not allocation.region_id.startswith(campaign.region_id) or len(allocation.region_id) != 6:
        raise ValidationError({"allocation": _("资金指标须下达到本次慰问范围内的县（区）")})
    campaign, _added = campaign_generate_list(actor=actor, campaign=campaign)
    try:
        return batch_generate(
            actor=actor,
            program=campaign.program,
            allocation=allocation,
            period=period or str(campaign.starts_on.year),
            title=_("%(name)s 慰问金") % {"name": campaign.name},
            pay_by=pay_by or campaign.ends_on,
            run_in_background=run_in_background,
        )
    except IntegrityError:
        raise ValidationError(_("该县（区）本次慰问金已生成发放批次")) from None


@transaction.atomic
def campaign_close(*, actor: User, campaign: Campaign) -> Campaign:
    require_actor(actor, campaign.region_id)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    campaign = _locked(campaign)
    if campaign.state == CampaignState.CLOSED:
        return campaign
    if campaign.state == CampaignState.DRAFT:
        raise ValidationError(_("尚未生成名单的集中慰问不能结束"))
    campaign.state = CampaignState.CLOSED
    campaign.closed_at = timezone.now()
    campaign.closed_by = actor
    campaign.save(update_fields=["state", "closed_at", "closed_by"])
    live_cache.invalidate_on_commit(campaign.region_id)
    return campaign
