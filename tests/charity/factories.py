"""Charity records made through the services, in the home county (金堂县 510121) unless told."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from charity import services
from charity.models import CharityNeed, CharityProject, Donation, Donor, NeedKind
from people.models import Household
from relief.models import User

FEDERATION_CODE = "53510121MJ0123456K"


def donor(actor: User, *, kind: str = "charity_org", name: str = "金堂县慈善会", **extra) -> Donor:
    if kind != "individual":
        extra.setdefault("credit_code", FEDERATION_CODE)
    extra.setdefault("phone", "13800000001")
    return services.donor_register(actor=actor, region=actor.region, kind=kind, name=name, **extra)


def project(actor: User, *, budget: str = "10000.00", kinds=None, **extra) -> CharityProject:
    today = timezone.localdate()
    return services.project_create(
        actor=actor,
        region=actor.region,
        name=extra.pop("name", "温暖过冬·爱心助暖"),
        budget=Decimal(budget),
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=90),
        need_kinds=kinds or [NeedKind.HEATING, NeedKind.CLOTHING],
        **extra,
    )


def money(actor: User, giver: Donor, amount: str = "1000.00", receipt: str = "CS-0001", **extra) -> Donation:
    return services.donation_receive(
        actor=actor,
        donor=giver,
        region=actor.region,
        received_on=timezone.localdate(),
        receipt_number=receipt,
        amount=Decimal(amount),
        **extra,
    )


def goods(actor: User, giver: Donor, receipt: str = "CS-0002", **extra) -> Donation:
    return services.donation_receive(
        actor=actor,
        donor=giver,
        region=actor.region,
        received_on=timezone.localdate(),
        receipt_number=receipt,
        items=[
            services.ItemLine("取暖煤", "公斤", Decimal("1000"), Decimal("1.20"), NeedKind.HEATING),
            services.ItemLine("棉被", "床", Decimal("10"), Decimal("120.00"), NeedKind.CLOTHING),
        ],
        **extra,
    )


def need(
    actor: User, household: Household, kind: str = NeedKind.HEATING, text: str = "家中无取暖煤"
) -> CharityNeed:
    made, _created = services.need_add(actor=actor, household=household, kind=kind, description=text)
    return made
