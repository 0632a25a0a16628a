"""Monitoring sweeps of the patrols app (see relief/sweeps.py): a clue from the public that no team
has reached within its response time raises an alert, which resolves itself once someone responds."""

from __future__ import annotations

import datetime

from django.db.models import CharField, F, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patrols.models import Clue, ClueStatus
from relief.models import Severity

CLUE_OVERDUE = "patrols.clue_overdue"


def overdue_clues(county_code: str, today: datetime.date) -> QuerySet:
    return (
        Clue.objects.in_region(county_code)
        .filter(responded_at__isnull=True, due_at__lt=timezone.now())
        .exclude(status=ClueStatus.CLOSED)
        .annotate(
            dedup_key=Concat(Value(f"{CLUE_OVERDUE}:"), Cast("pk", CharField())),
            region_code=F("region_id"),
            message=Concat(Value(gettext("救助线索超时未响应：")), F("place"), output_field=CharField()),
            subject_id=F("pk"),
            subject_label=F("place"),
        )
    )


def register() -> None:
    from relief.sweeps import Sweep
    from relief.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=CLUE_OVERDUE,
            label=_("线索超时未响应"),
            findings=overdue_clues,
            severity=Severity.URGENT,
            subject_model="patrols.Clue",
        )
    )
