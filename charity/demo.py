"""Demo data: the first county's charity work this winter: its charity federation, an energy
company and a private donor; a project 温暖过冬·爱心助暖 (heating, warm clothing and food for 低保,
特困 and 低保边缘 households); money unrestricted and coal and quilts given to the project; needs of
a few households (besides those the demo's visits raised), some assigned, one delivered."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from charity.models import CharityNeed, NeedKind, NeedState
from charity.services import (
    ItemLine,
    Share,
    donation_receive,
    donor_register,
    need_add,
    need_assign,
    need_deliver,
    project_create,
)
from people.models import Household
from relief.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    county = ctx.users.get("county")
    township = ctx.users.get("township")
    if county is None or county.region is None:
        return
    region = county.region
    today = timezone.localdate()
    year = today.year if today.month >= 10 else today.year - 1
    federation = donor_register(
        actor=county,
        region=region,
        kind="charity_org",
        name=f"{region.name}慈善会",
        credit_code="53510121MJ0123456K",
        contact_name="刘会长",
        phone="13800000001",
    )
    company = donor_register(
        actor=county,
        region=region,
        kind="enterprise",
        name="四川暖源能源有限公司",
        credit_code="91510121MA6CXXXX1T",
        contact_name="陈经理",
        phone="13800000002",
    )
    person = donor_register(
        actor=county,
        region=region,
        kind="individual",
        name="王爱心",
        phone="13800000003",
        note="不愿具名公开",
    )
    project = project_create(
        actor=county,
        region=region,
        name=f"{year + 1}年温暖过冬·爱心助暖",
        budget=Decimal("100000.00"),
        starts_on=datetime.date(year, 11, 1),
        ends_on=datetime.date(year + 1, 3, 15),
        need_kinds=[NeedKind.HEATING, NeedKind.CLOTHING, NeedKind.FOOD],
        categories=["dibao", "tekun", "dibao_edge"],
        organiser=federation,
        description="为低保、特困、低保边缘家庭送取暖煤、棉被和米面油",
    )
    received = min(today, datetime.date(year, 12, 1))
    money = donation_receive(
        actor=county,
        donor=federation,
        region=region,
        received_on=received,
        receipt_number=f"CS{year}-0001",
        amount=Decimal("50000.00"),
    )
    goods = donation_receive(
        actor=county,
        donor=company,
        region=region,
        received_on=received,
        receipt_number=f"CS{year}-0002",
        items=[
            ItemLine("取暖煤", "公斤", Decimal("5000"), Decimal("1.20"), NeedKind.HEATING),
            ItemLine("棉被", "床", Decimal("100"), Decimal("120.00"), NeedKind.CLOTHING),
        ],
        project=project,
    )
    donation_receive(
        actor=county,
        donor=person,
        region=region,
        received_on=received,
        receipt_number=f"CS{year}-0003",
        amount=Decimal("2000.00"),
    )
    covered = Household.objects.filter(assistances__category__in=["dibao", "tekun"]).select_related("head")
    # the township user's households first, so its today page holds a charity delivery to make
    near = township.region_id if township is not None and township.region_id else region.code
    households = list(covered.in_region(near).distinct().order_by("pk")[:3])
    others = covered.in_region(region.code).exclude(pk__in=[h.pk for h in households])
    households += list(others.distinct().order_by("pk")[: 4 - len(households)])
    kinds = [NeedKind.HEATING, NeedKind.CLOTHING, NeedKind.HEATING, NeedKind.FOOD]
    texts = ["家中无取暖煤，老人怕冷", "棉被破旧，需要新棉被", "冬季取暖困难", "米面油不足"]
    assigned = delivered = 0
    coal, quilt = goods.items.order_by("id")
    for i, household in enumerate(households):
        need, _created = need_add(
            actor=county,
            household=household,
            kind=kinds[i],
            description=texts[i],
            cause_key=f"demo:{household.pk}",
        )
        if i > 2:
            continue
        try:
            shares = [Share(donation=money, amount=Decimal("300.00"))]
            if need.kind == NeedKind.HEATING:
                shares.append(Share(donation=goods, line=coal, quantity=Decimal("500")))
            else:
                shares.append(Share(donation=goods, line=quilt, quantity=Decimal("2")))
            need_assign(actor=county, need=need, project=project, shares=shares)
            assigned += 1
            if i == 0:
                receiver = household.head.name if household.head else "户主"
                need_deliver(actor=county, need=need, received_by_name=receiver)
                delivered += 1
        except ValidationError as exc:
            ctx.log(f"charity: {household}: {exc.messages[0]}")
    waiting = CharityNeed.objects.in_region(region.code).filter(state=NeedState.OPEN).count()
    ctx.log(
        f"charity: 3 donors, 3 donations, {assigned} needs assigned, {delivered} delivered, {waiting} open"
    )
