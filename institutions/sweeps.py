"""Monitoring sweeps of the institutions app (see relief/alerts/sweeps.py): a hazard still not rectified
after its deadline raises an alert, supervised (挂牌督办) one level up from the start, which resolves
itself once the hazard is rectified (or its deadline is extended).

The alert's region is the institution's region, so the staff there still see it in their region's
inbox, and it is raised with escalation_level 1, so the officials one level up see it under 督办 at
once (DOMAIN.md: overdue hazards are supervised from one level up); left open past its due time it
climbs further like any alert (relief.alerts.services.alerts_escalate_overdue). The major-hazard alert
raised when a major hazard is registered (institutions.major_hazard, keyed by the hazard) is a
different finding with its own kind and key, and is left alone."""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from institutions.models import Hazard, HazardSeverity
from institutions.workflows import MAJOR_HAZARD_ALERT
from relief.alerts.sweeps import register_kind, sql_message
from relief.models import Severity

HAZARD_OVERDUE = "institutions.hazard_overdue"


def overdue_hazards(county_code: str, today: datetime.date) -> QuerySet:
    """Hazards open, being rectified or awaiting an extension whose deadline has passed."""
    severity = Case(
        When(severity=HazardSeverity.MAJOR, then=Value(str(HazardSeverity.MAJOR.label))),
        default=Value(str(HazardSeverity.GENERAL.label)),
        output_field=CharField(),
    )
    return (
        Hazard.objects.in_region(county_code)
        .overdue(today)
        .filter(institution__is_active=True)
        .annotate(
            dedup_key=Concat(Value(f"{HAZARD_OVERDUE}:"), Cast("pk", CharField()), output_field=CharField()),
            region_code=F("institution__region_id"),
            message=sql_message(
                gettext(
                    "%(institution)s%(severity)s安全隐患逾期未整改：%(title)s，整改期限%(deadline)s，提级督办"
                ),
                institution=F("institution__name"),
                severity=severity,
                title=F("title"),
                deadline=F("deadline"),
            ),
            subject_id=F("pk"),
            subject_label=Concat(F("institution__name"), Value("："), F("title"), output_field=CharField()),
        )
    )


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=HAZARD_OVERDUE,
            label=_("隐患逾期未整改"),
            findings=overdue_hazards,
            severity=Severity.URGENT,
            subject_model="institutions.Hazard",
            inputs=Inputs(subject="institutions.Hazard"),
            escalation_level=1,
            action="institutions:hazard-detail",
            action_label=_("督促整改"),
        )
    )
    register_kind(MAJOR_HAZARD_ALERT, _("重大隐患"))
