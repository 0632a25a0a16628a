"""Pages of 集中慰问, made for a phone: the campaigns, one campaign's completion by township (or
village), the households of a village each recorded in one tap, and the create form (county)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.db.models.functions import Left
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import services
from campaigns.forms import CampaignForm
from campaigns.models import COMPLETION_EMPTY, Campaign, CampaignHousehold, CampaignState, DeliveryState
from funds.models import Allocation
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.models import Region
from relief.pages import in_region_param
from relief.scoping import access, require_writer
from relief.workflow import county_or_above


def _may_organise(user) -> bool:
    return bool(user.can_write and county_or_above(user) is None)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    campaigns = list(Campaign.objects.visible_to(request.user).select_related("region")[:50])
    counts = (
        CampaignHousehold.objects.visible_to(request.user)
        .filter(campaign__in=campaigns)
        .completion(F("campaign_id"))
    )
    for c in campaigns:
        c.completion = counts.get(c.pk, {**COMPLETION_EMPTY, "percent": 0})
    return render(
        request,
        "campaigns/index.html",
        {"campaigns": campaigns, "may_create": _may_organise(request.user)},
    )


@login_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    if message := county_or_above(request.user):
        raise PermissionDenied(message)
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                campaign = services.campaign_create(
                    actor=request.user,
                    region=request.user.region,
                    name=data["name"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    categories=data["categories"],
                    flags=data["flags"],
                    min_age=data["min_age"],
                    cash_amount=data["cash_amount"],
                    items=form.item_lines(),
                )
            except ValidationError as exc:
                for message in exc.messages[:5]:
                    form.add_error(None, message)
                return None
            messages.success(request, _("已创建集中慰问，请生成慰问名单"))
            return redirect(campaign.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "campaigns/form.html", {"form": form})


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = access(Campaign.objects.select_related("region", "program"), request.user, pk)
    code = getattr(request.user, "region_id", None) or ""
    depth = 12 if len(code) >= 9 else 9
    rows = CampaignHousehold.objects.visible_to(request.user).filter(campaign=campaign)
    by_region = rows.completion(Left("region_id", depth))
    names = dict(
        Region.objects.visible_to(request.user).filter(code__in=list(by_region)).values_list("code", "name")
    )
    completion = [{"region": r, "name": names.get(r, r), **counts} for r, counts in sorted(by_region.items())]
    total = dict(COMPLETION_EMPTY)
    for row in completion:
        for key in COMPLETION_EMPTY:
            total[key] += row[key]
    return render(
        request,
        "campaigns/detail.html",
        {
            "c": campaign,
            "items": campaign.items.select_related("item"),
            "completion": completion,
            "total": total,
            "depth": depth,
            "may_organise": _may_organise(request.user) and campaign.state != CampaignState.CLOSED,
            "batches": campaign.program.batches.visible_to(request.user) if campaign.program_id else [],
            "cash_allocations": services.cash_allocations(campaign, request.user)
            if campaign.state != CampaignState.CLOSED
            else [],
        },
    )


@login_required
@require_POST
def campaign_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    campaign = access(Campaign.objects.all(), request.user, pk, for_write=True)
    try:
        if step == "generate":
            _c, added = services.campaign_generate_list(actor=request.user, campaign=campaign)
            messages.success(request, _("名单已更新，新增 %(n)s 户") % {"n": added})
        elif step == "cash":
            allocation = access(
                Allocation.objects.filter(program_id=campaign.program_id),
                request.user,
                request.POST.get("allocation") or 0,
                for_write=True,
            )
            batch = services.campaign_cash_batch(actor=request.user, campaign=campaign, allocation=allocation)
            messages.success(request, _("已开始生成慰问金发放批次，生成后请审核"))
            return redirect(batch.get_absolute_url())
        elif step == "close":
            services.campaign_close(actor=request.user, campaign=campaign)
            messages.success(request, _("集中慰问已结束"))
        else:
            raise PermissionDenied(_("未知操作"))
    except ValidationError as exc:
        for message in exc.messages[:5]:
            messages.error(request, message)
    return redirect(campaign.get_absolute_url())


@login_required
def household_list(request: HttpRequest, kept: dict | None = None) -> HttpResponse:
    """The households on the campaigns (`?campaign=`, else every open campaign) under `?region=`,
    by `?state=`: what the dashboard's campaign figures count, and where a village worker taps.
    `kept`: what a delivery form posted when it answered an error (the list drawn again with it)."""
    rows = in_region_param(request, CampaignHousehold.objects.visible_to(request.user))
    campaign = None
    if request.GET.get("campaign"):
        campaign = access(Campaign.objects.all(), request.user, request.GET["campaign"])
        rows = rows.filter(campaign=campaign)
    else:
        rows = rows.exclude(campaign__state=CampaignState.CLOSED)
    state = request.GET.get("state", "")
    if state in DeliveryState.values:
        rows = rows.filter(state=state)
    rows = rows.select_related("campaign", "household__head", "region").order_by("region_id", "state", "id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/households.html",
        {
            "page": page,
            "campaign": campaign,
            "state": state,
            "states": DeliveryState.choices,
            "may_write": request.user.can_write,
            "kept": kept,
        },
    )


@login_required
@require_POST
def deliver(request: HttpRequest, pk: int) -> HttpResponse:
    entry = access(CampaignHousehold.objects.select_related("household"), request.user, pk, for_write=True)
    back = request.POST.get("next", "")
    target = (
        back if back.startswith("/campaigns/") else f"/campaigns/households/?campaign={entry.campaign_id}"
    )

    def run() -> HttpResponse | None:
        try:
            done = services.delivery_record(
                actor=request.user,
                entry=entry,
                outcome=request.POST.get("outcome", ""),
                received_by_name=request.POST.get("received_by_name", ""),
                photo=request.FILES.get("photo"),
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            for message in exc.messages[:5]:
                messages.error(request, message)
            return None
        messages.success(
            request, _("已登记：%(h)s %(s)s") % {"h": done.household, "s": done.get_state_display()}
        )
        return redirect(target)

    done = page_once(request, run)
    if done is not None:
        return done
    # the error on the list it was sent from, with what was typed in that household's form
    request.GET = QueryDict(urlsplit(target).query)
    return household_list(request, kept=kept_input(request, "deliver", row=entry.pk))
