"""In-kind materials: warehouses, receiving goods and giving them out; stock never goes below zero."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils.translation import gettext as _

from funds.models import ZERO, MaterialItem, MovementKind, Stock, StockMovement, Warehouse
from people.models import Household
from relief.models import Region, User
from relief.scoping import require_actor, require_in_scope

CENT = Decimal("0.01")


@transaction.atomic
def warehouse_create(
    *, actor: User, region: Region, name: str, address: str = "", keeper: str = ""
) -> Warehouse:
    require_actor(actor, region.code)
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
    require_actor(actor, warehouse.region_id)
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
    require_actor(actor, stock.region_id)
    if household is None and not recipient_description.strip() and recipient is None:
        raise ValidationError({"household": _("请选择领取家庭或填写领取人")})
    if household is not None:
        require_in_scope(actor, household.region_id)
    return _distribute(
        actor=actor,
        stock=stock,
        quantity=quantity,
        household=household,
        recipient_description=recipient_description,
        recipient=recipient,
        note=note,
    )


@transaction.atomic
def stock_distribute_to_household(
    *,
    actor: User,
    stock: Stock,
    quantity: Decimal,
    household: Household,
    recipient: Any = None,
    note: str = "",
) -> StockMovement:
    """Give a household goods of its county's stock where the actor works in the household's
    region but not at the warehouse (a village worker delivering a county's 集中慰问 goods). The
    stock must lie in the household's county."""
    require_actor(actor, household.region_id)
    if not household.region_id.startswith(stock.region_id[:6]):
        raise ValidationError({"stock": _("只能发放本县（区）的库存物资")})
    return _distribute(
        actor=actor, stock=stock, quantity=quantity, household=household, recipient=recipient, note=note
    )


def _distribute(
    *,
    actor: User,
    stock: Stock,
    quantity: Decimal,
    household: Household | None,
    recipient_description: str = "",
    recipient: Any = None,
    note: str = "",
) -> StockMovement:
    from django.contrib.contenttypes.models import ContentType

    quantity = _quantity(quantity)
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
