"""The emergency plans' alert: a county under a cold-wave warning in force (for the county or an
enclosing region) that has no plan in force (none uploaded, or expired), or whose plan's reserves
are not all held in its warehouses, is an alert for the county, raised by each sweep while the
condition lasts and resolved by itself when it clears (a plan uploaded, stock received, the warning
lifted). Swept nightly with every other sweep, and with the roll call's tick every 10 minutes."""

from __future__ import annotations

import datetime

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coldwaves.plan_models import EmergencyPlan, PlanReserve
from patrols.models import ColdWaveWarning
from relief.alerts.sweeps import sql_message
from relief.models import Region
from relief.regions import ancestor_codes

PLAN_GAP = "coldwaves.plan_gap"


def plan_gaps(county_code: str, today: datetime.date) -> QuerySet:
    """The county itself, when a cold-wave warning is in force over it and it has no plan in force
    or its plan's reserves fall short (one row at most)."""
    now = timezone.now()
    warnings = ColdWaveWarning.objects.active_at(now).filter(region_id__in=ancestor_codes(county_code))
    in_force = EmergencyPlan.objects.in_force(today).filter(region_id=OuterRef("code"))
    short_lines = (
        PlanReserve.objects.short()
        .filter(
            plan__region_id=OuterRef("code"), plan__superseded_at__isnull=True, plan__approved_on__lte=today
        )
        .filter(Q(plan__valid_until__isnull=True) | Q(plan__valid_until__gte=today))
        .order_by()
        .values("plan_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return (
        Region.objects.filter(code=county_code)
        .filter(Exists(warnings))
        .annotate(
            plan_id=Subquery(in_force.order_by("-approved_on").values("pk")[:1]),
            short_lines=Coalesce(Subquery(short_lines, output_field=IntegerField()), Value(0)),
        )
        .filter(Q(plan_id__isnull=True) | Q(short_lines__gt=0))
        .annotate(
            dedup_key=Concat(
                Value(f"{PLAN_GAP}:"),
                F("code"),
                Case(When(plan_id__isnull=True, then=Value(":missing")), default=Value(":short")),
                output_field=CharField(),
            ),
            region_code=F("code"),
            message=Case(
                When(
                    plan_id__isnull=True,
                    then=sql_message(
                        gettext(
                            "%(county)s寒潮预警生效中，但没有有效的寒潮应急预案（未上传或已过期），请尽快上传"
                        ),
                        county=F("name"),
                    ),
                ),
                default=sql_message(
                    gettext("%(county)s寒潮预警生效中，应急预案有 %(n)s 种物资储备不足，请补充储备"),
                    county=F("name"),
                    n=F("short_lines"),
                ),
                output_field=CharField(),
            ),
            subject_id=F("code"),
            subject_label=F("name"),
        )
    )


def register() -> None:
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=PLAN_GAP,
            label=_("寒潮应急预案或物资储备不足"),
            findings=plan_gaps,
            action="coldwaves:plans",
            action_label=_("应急预案"),
            action_query="region={id}",
        )
    )
