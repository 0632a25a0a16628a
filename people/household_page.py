"""The household page: members, categories, visits, payments (panels of other apps), alerts and the
history of changes, on one page."""

from __future__ import annotations

from itertools import chain

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from people.models import Household, PaymentAccount, Person
from people.panels import HOUSEHOLD_PANELS
from relief.models import Alert
from relief.scoping import get_visible_or_404

HISTORY_LIMIT = 30


def _history(household: Household, members: list[Person]) -> list:
    """Who changed the household or its members, and when (django-simple-history), newest first,
    with the fields each change touched. Two queries; the previous version of a row is looked up in
    what was fetched, not one query per row."""
    rows = list(
        chain(
            household.history.select_related("history_user").order_by("-history_date")[:HISTORY_LIMIT],
            Person.history.filter(id__in=[m.pk for m in members])
            .select_related("history_user")
            .order_by("-history_date")[:HISTORY_LIMIT],
        )
    )
    by_record: dict[tuple, list] = {}
    for h in sorted(rows, key=lambda h: h.history_date):
        by_record.setdefault((h.instance_type, h.id), []).append(h)
    for versions in by_record.values():
        for prev, h in zip([None, *versions], versions, strict=False):
            model = h.instance_type
            h.kind_label = model._meta.verbose_name
            h.record_label = getattr(h, "name", "") or getattr(h, "address", "")
            h.changed = (
                [str(model._meta.get_field(c.field).verbose_name) for c in h.diff_against(prev).changes]
                if prev is not None
                else []
            )
    return sorted(rows, key=lambda h: h.history_date, reverse=True)[:HISTORY_LIMIT]


@login_required
def household_detail(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_visible_or_404(Household.objects.select_related("region", "head"), request.user, pk=pk)
    members = list(
        household.members.order_by("-active", "id").prefetch_related(
            Prefetch(
                "payment_accounts", queryset=PaymentAccount.objects.filter(active=True), to_attr="accounts"
            )
        )
    )
    today = timezone.localdate()
    assistances = list(household.assistances.select_related("person").order_by("-start_date", "-id"))
    visits = household.visits.select_related("visitor", "person").order_by("-visited_at", "-id")[:50]
    alerts = (
        Alert.objects.visible_to(request.user)
        .filter(
            Q(subject_type=ContentType.objects.get_for_model(Household), subject_id=str(household.pk))
            | Q(
                subject_type=ContentType.objects.get_for_model(Person),
                subject_id__in=[str(m.pk) for m in members],
            )
        )
        .unresolved()[:20]
    )
    lookups = [lookup for panel in HOUSEHOLD_PANELS for lookup in panel.lookups(request.user)]
    if lookups:
        prefetch_related_objects([household], *lookups)
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "members": members,
            "assistances": assistances,
            "current_ids": {a.pk for a in assistances if a.is_current(today)},
            "visits": visits,
            "alerts": alerts,
            "panels": HOUSEHOLD_PANELS,
            "history": _history(household, members),
            "can_write": request.user.can_write,
            "today": today,
        },
    )
