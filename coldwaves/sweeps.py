"""The roll call's alerts: every person on an open roll call not yet reached is an alert for their
village (or township), due at the roll call's deadline (hours, by level). Past the deadline the
alert escalates like every other (relief.alerts.services.alerts_escalate_overdue: township, then
county); a visit, a phone call ticked on the roll call page, closes it at the next run."""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coldwaves.models import Outcome, RollCallEntry
from relief.alerts.sweeps import sql_message
from relief.models import Severity

ROLLCALL_UNREACHED = "coldwaves.rollcall_unreached"
DUTY_GAP = "coldwaves.duty_gap"


def unreached(county_code: str, today: datetime.date) -> QuerySet:
    """People on the county's open roll calls not reached yet."""
    return (
        RollCallEntry.objects.in_region(county_code)
        .filter(roll_call__closed_at__isnull=True)
        .unanswered()
        .annotate(
            dedup_key=Concat(
                Value(f"{ROLLCALL_UNREACHED}:"), Cast("pk", CharField()), output_field=CharField()
            ),
            region_code=F("region_id"),
            message=Case(
                When(
                    outcome=Outcome.NOT_REACHED,
                    then=sql_message(
                        gettext("寒潮点名：%(name)s（%(address)s）未联系上，请尽快上门查看"),
                        name=F("person__name"),
                        address=F("household__address"),
                    ),
                ),
                default=sql_message(
                    gettext("寒潮点名：请联系%(name)s（%(address)s），确认其安全"),
                    name=F("person__name"),
                    address=F("household__address"),
                ),
                output_field=CharField(),
            ),
            subject_id=F("pk"),
            subject_label=F("person__name"),  # and `due_at`, the entry's own (per_row)
            severity=Case(
                When(roll_call__level__gte=3, then=Value(int(Severity.URGENT))),
                default=Value(int(Severity.WARNING)),
                output_field=IntegerField(),
            ),
        )
    )


def answer_from_visits(county_code: str) -> int:
    """Entries of the county's open roll calls answered by a visit recorded since the roll call
    opened (by this page or any other): the person's own visit, or a household visit naming no one.
    One statement; returns the number of entries answered."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH found AS (
                SELECT e.id AS entry_id, v.*
                  FROM coldwaves_rollcallentry e
                  JOIN coldwaves_rollcall r ON r.id = e.roll_call_id
                  CROSS JOIN LATERAL (
                        SELECT v.id, v.visited_at, v.visitor_id, v.follow_up,
                               false IN (v.heating_ok, v.food_ok, v.clothing_ok, v.house_safe,
                                         v.health_ok, v.mental_ok, v.guardian_present) AS found_need
                          FROM people_visit v
                         WHERE v.household_id = e.household_id
                           AND (v.person_id = e.person_id OR v.person_id IS NULL)
                           AND v.visited_at >= r.opened_at
                         ORDER BY v.visited_at DESC LIMIT 1) v
                 WHERE r.closed_at IS NULL AND r.region_code = %s
                   AND e.outcome NOT IN ('safe', 'needs_help')
            )
            UPDATE coldwaves_rollcallentry e
               SET outcome = CASE WHEN f.follow_up <> '' OR f.found_need THEN 'needs_help' ELSE 'safe' END,
                   answered_at = f.visited_at, answered_by_id = f.visitor_id, visit_id = f.id
              FROM found f
             WHERE e.id = f.entry_id
            """,
            [county_code],
        )
        return cur.rowcount


def duty_gaps(county_code: str, today: datetime.date) -> QuerySet:
    """A county under a cold-wave warning (an open roll call) with no one on duty at its desk now:
    24-hour duty (值班值守) is what the notices ask for during the warning."""
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from coldwaves.duty_models import DutyShift
    from coldwaves.models import RollCall

    now = timezone.now()
    on_duty = DutyShift.objects.filter(region=OuterRef("region"), starts_at__lte=now, ends_at__gt=now)
    return (
        RollCall.objects.in_region(county_code)
        .filter(closed_at__isnull=True, region_id=county_code)
        .exclude(Exists(on_duty))
        .annotate(
            dedup_key=Concat(Value(f"{DUTY_GAP}:"), Cast("pk", CharField()), output_field=CharField()),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(county)s处于寒潮预警期间，当前无人值班，请安排24小时值班并公布值班电话"),
                county=F("region__name"),
            ),
            subject_id=F("pk"),
            subject_label=F("region__name"),
        )
    )


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=ROLLCALL_UNREACHED,
            label=_("寒潮点名未联系"),
            findings=unreached,
            subject_model="coldwaves.RollCallEntry",
            inputs=Inputs(subject="coldwaves.RollCallEntry"),
            action="coldwaves:entry",
            action_label=_("点名"),
            prepare=answer_from_visits,
            per_row=True,
        )
    )
    register_sweep(
        Sweep(
            kind=DUTY_GAP,
            label=_("寒潮预警期间无人值班"),
            findings=duty_gaps,
            severity=Severity.URGENT,
            subject_model="coldwaves.RollCall",
            inputs=Inputs(subject="coldwaves.RollCall"),
            action="coldwaves:duty",
            action_query="rollcall={id}&alert={alert}",
            action_label=_("安排值班"),
        )
    )
