"""Queries of 慈善: what fits each open need (the matching page), a donation's use down to the
households, a project's budget and spending, the household page's panel."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, Sum
from django.utils import timezone

from charity.models import (
    Allotment,
    CharityNeed,
    CharityProject,
    CharityProjectState,
    Donation,
    DonationItem,
    NeedKind,
    NeedState,
)
from people.models import Assistance, Household

ZERO = Decimal("0.00")


def household_prefetch(user) -> list:
    """The household page's charity needs the user may see (one query)."""
    return [
        Prefetch(
            "charity_needs",
            queryset=CharityNeed.objects.visible_to(user)
            .select_related("project")
            .order_by("-created_at", "-id"),
            to_attr="visible_charity_needs",
        )
    ]


# --- matching ---------------------------------------------------------------------------------------


def usable_donations(user):
    """Donations the user may see with money or goods left to allot, their goods lines prefetched."""
    goods_left = DonationItem.objects.filter(donation=OuterRef("pk"), allotted_quantity__lt=F("quantity"))
    return (
        Donation.objects.visible_to(user)
        .filter(Q(amount__gt=F("allotted_amount")) | Exists(goods_left))
        .select_related("donor", "project")
        .prefetch_related("items")
        .order_by("received_on", "id")
    )


def running_projects(user, on: datetime.date | None = None):
    on = on or timezone.localdate()
    return CharityProject.objects.visible_to(user).filter(
        state=CharityProjectState.ACTIVE, starts_on__lte=on, ends_on__gte=on
    )


@dataclass
class Match:
    need: CharityNeed
    projects: list[CharityProject] = field(default_factory=list)
    donations: list[Donation] = field(default_factory=list)
    #: per donation id, its goods lines that serve this need
    lines: dict[int, list[DonationItem]] = field(default_factory=dict)

    @property
    def donation_lines(self) -> list[tuple[Donation, list[DonationItem]]]:
        return [(d, self.lines.get(d.pk, [])) for d in self.donations]


def matches(needs: list[CharityNeed], user, on: datetime.date | None = None) -> list[Match]:
    """For each open need, the running projects whose region, need kinds, categories and flags fit
    its household, and the donations with a balance that may serve it (restricted ones only through
    their own project). A fixed number of queries: projects, donations with their goods, and one per
    category set and per flag the projects ask for."""
    on = on or timezone.localdate()
    projects = list(running_projects(user, on).order_by("ends_on", "id"))
    donations = list(usable_donations(user))
    household_ids = {n.household_id for n in needs}
    by_categories: dict[tuple[str, ...], set[int]] = {}
    by_flag: dict[str, set[int]] = {}
    for p in projects:
        key = tuple(sorted(p.categories))
        if key and key not in by_categories:
            by_categories[key] = set(
                Assistance.objects.current(on)
                .filter(household_id__in=household_ids, category__in=key)
                .values_list("household_id", flat=True)
            )
        for flag in p.flags:
            if flag not in by_flag:
                by_flag[flag] = set(
                    Household.objects.filter(pk__in=household_ids)
                    .with_member_flag(flag)
                    .values_list("pk", flat=True)
                )
    out = []
    for need in needs:
        fit = [
            p
            for p in projects
            if need.region_id.startswith(p.region_id)
            and (not p.need_kinds or need.kind in p.need_kinds)
            and (not p.categories or need.household_id in by_categories[tuple(sorted(p.categories))])
            and all(need.household_id in by_flag[f] for f in p.flags)
        ]
        ids = {p.pk for p in fit}
        match = Match(need=need, projects=fit)
        for d in donations:
            if not need.region_id.startswith(d.region_id) or (d.project_id and d.project_id not in ids):
                continue
            lines = [
                line
                for line in d.items.all()
                if line.remaining > 0 and line.serves in (need.kind, NeedKind.OTHER)
            ]
            if d.balance > 0 or lines:
                match.donations.append(d)
                match.lines[d.pk] = lines
        out.append(match)
    return out


# --- a donation's use, a project's spending ---------------------------------------------------------


@dataclass(frozen=True)
class DonationTotals:
    received: Decimal
    goods_value: Decimal
    allotted: Decimal
    delivered: Decimal
    balance: Decimal

    @property
    def total(self) -> Decimal:
        return self.received + self.goods_value


def donation_totals(donation: Donation) -> DonationTotals:
    """Money received, goods' estimated value, allotted and delivered (money and goods' value, live
    allotments) and the money balance. Two queries."""
    goods = donation.items.aggregate(v=Sum(F("quantity") * F("unit_value")))["v"] or ZERO
    rows = donation.allotments.live().aggregate(
        a=Sum("amount"),
        v=Sum("value"),
        da=Sum("amount", filter=Q(need__state=NeedState.DELIVERED)),
        dv=Sum("value", filter=Q(need__state=NeedState.DELIVERED)),
    )
    return DonationTotals(
        received=donation.amount,
        goods_value=Decimal(goods).quantize(Decimal("0.01")),
        allotted=(rows["a"] or ZERO) + (rows["v"] or ZERO),
        delivered=(rows["da"] or ZERO) + (rows["dv"] or ZERO),
        balance=donation.balance,
    )


def donation_trace(donation: Donation, user):
    """Every live allotment of the donation, with its need and household, in the user's region."""
    return (
        Allotment.objects.visible_to(user)
        .live()
        .filter(donation=donation)
        .select_related("need__household__head", "need__region", "need__project", "line")
        .order_by("need__region_id", "need__household_id", "id")
    )


@dataclass(frozen=True)
class ProjectSummary:
    budget: Decimal
    allotted: Decimal
    spent: Decimal
    households_served: int
    needs_open: int

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.allotted


def project_summary(project: CharityProject, user) -> ProjectSummary:
    """Budget, allotted (live allotments), spent (delivered), households served (a delivered need),
    needs still to deliver, over the needs the user may see. Two queries."""
    rows = (
        Allotment.objects.visible_to(user)
        .live()
        .filter(need__project=project)
        .aggregate(
            a=Sum("amount"),
            v=Sum("value"),
            sa=Sum("amount", filter=Q(need__state=NeedState.DELIVERED)),
            sv=Sum("value", filter=Q(need__state=NeedState.DELIVERED)),
        )
    )
    needs = (
        CharityNeed.objects.visible_to(user)
        .filter(project=project)
        .aggregate(
            served=Count("household", distinct=True, filter=Q(state=NeedState.DELIVERED)),
            waiting=Count("id", filter=Q(state=NeedState.ASSIGNED)),
        )
    )
    return ProjectSummary(
        budget=project.budget,
        allotted=(rows["a"] or ZERO) + (rows["v"] or ZERO),
        spent=(rows["sa"] or ZERO) + (rows["sv"] or ZERO),
        households_served=needs["served"],
        needs_open=needs["waiting"],
    )
