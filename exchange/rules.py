"""Warning rules as monitoring sweeps (relief/alerts/sweeps.py): matched department records become
warnings (预警) for the township of the person they are about.

One sweep per rule kind (`exchange.medical_share`, `exchange.event`, `exchange.sole_earner`,
`exchange.death`), registered at start-up; what each sweep looks for is read from the `WarningRule`
rows in force in the county, so a rule is data, changed in the admin, never code per department.

Which rules apply where: **the most specific region wins, per rule code.** A rule of a province
applies in every county of it unless a city, county, township or village has a rule with the same
code, which then applies there instead (an inactive one switches the rule off there). Rules with
different codes all apply. The findings of a rule are limited to its own region minus the regions
taken over by a more specific rule of its code.

What each kind finds (records: the rule's source's matched records still matching — the person is
active and still holds the record's ID number — within the rule's last `months` months, by the
record's date or, without one, the date its batch came):

- MEDICAL_SHARE: households whose out-of-pocket sum over the period is above `share` × their
  monthly income × `months` (one warning per household: 刚性支出 / 临时救助 check);
- EVENT: people with a record whose type is one of the rule's types (every record when none);
- SOLE_EARNER: people with a record (unemployment) who are the only member of their household of
  working age able to work. The register keeps no employment, so "earner" is read as: active, aged
  16 to 59, not a student, not unable to care for themselves, not seriously ill, no 一级/二级
  disability. A household where another member qualifies raises nothing;
- DEATH: active people with a record (death, cremation): confirm, then mark deceased
  (exchange/deaths.py).

A warning's region is the subject's (the household's village), its severity and deadline the
rule's (`due_days` working days on the Chinese calendar, relief/workdays.py). A warning disposed
(exchange/dispositions.py) is not raised again for the same rule and subject for `months` months;
any other warning resolves itself when the sweep no longer finds it (the period moved on, income
recorded, the person no longer matched, another earner, the death confirmed).
"""

from __future__ import annotations

import calendar
import datetime
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, connections
from django.db.models import (
    CharField,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from exchange.hooks import ALERT_PREFIX
from exchange.models import (
    Disposition,
    DispositionStatus,
    ExchangeBatch,
    ExchangeRecord,
    RecordStatus,
    RuleKind,
    WarningRule,
)
from people.dates import years_ago
from people.models import Household, Person
from relief.alerts.sweeps import Sweep, sql_message, sweep_county
from relief.workdays import add_working_days

PREFIX = ALERT_PREFIX
#: the age range read as "working age" for SOLE_EARNER (from 16, below 60)
WORKING_AGE = (16, 60)
SEVERE_DISABILITY = (1, 2)


def alert_kind(rule_kind: str) -> str:
    return f"{PREFIX}{rule_kind}"


def months_back(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier (the 31st becomes the month's last day)."""
    month = day.month - 1 - months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def due_at(rule: WarningRule, today: datetime.date) -> datetime.datetime:
    """End of the working day `rule.due_days` working days after `today` (local time)."""
    day = add_working_days(today, rule.due_days).date
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


# --- which rules apply where ------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """A rule in force in (part of) a county: inside `within`, except under `but_not`."""

    rule: WarningRule
    within: str
    but_not: tuple[str, ...] = ()

    def area(self, field: str = "region__code") -> Q:
        q = Q(**{f"{field}__startswith": self.within})
        for code in self.but_not:
            q &= ~Q(**{f"{field}__startswith": code})
        return q


def rules_in_county(kind: str, county_code: str, today: datetime.date) -> list[Applied]:
    """The active rules of `kind` in force in the county, each with the part of it where it applies
    (the most specific rule of a code wins). A handful of rows, read in one query."""
    ancestors = [county_code[:n] for n in (2, 4, 6)]
    rules = list(
        WarningRule.objects.filter(valid_from__lte=today)
        .filter(Q(region_id__in=ancestors) | Q(region__code__startswith=county_code))
        .select_related("source")
        .order_by("code", "region_id")
    )
    applied = []
    for rule in rules:
        if rule.kind != kind or not rule.active:
            continue
        same = [o.region_id for o in rules if o.code == rule.code and o.pk != rule.pk]
        deeper = [c for c in same if c.startswith(rule.region_id) and len(c) > len(rule.region_id)]
        if any(county_code.startswith(c) for c in deeper):
            continue  # a city's or the county's own rule of this code covers the whole county
        within = rule.region_id if len(rule.region_id) > len(county_code) else county_code
        applied.append(Applied(rule, within, tuple(c for c in deeper if c.startswith(county_code))))
    return applied


# --- the records a rule reads -----------------------------------------------------------------------


def _records(rule: WarningRule, since: datetime.date) -> QuerySet:
    """The rule's source's records still matched to an active person holding their ID number, in the
    period (by the record's date, else by the day its batch came)."""
    qs = ExchangeRecord.objects.filter(
        source_id=rule.source_id,
        status=RecordStatus.MATCHED,
        person__active=True,
        person__id_number=F("id_number"),
    ).filter(Q(occurred_on__gt=since) | Q(occurred_on__isnull=True, batch__created_at__date__gt=since))
    if rule.kind == RuleKind.EVENT and (types := rule.type_list()):
        qs = qs.filter(event_type__in=types)
    return qs


def _answered(rule: WarningRule, since: datetime.date, subject: str) -> Exists:
    """A disposition of this rule and subject disposed within the period: not asked again."""
    return Exists(
        Disposition.objects.filter(
            rule_id=rule.pk,
            status=DispositionStatus.DISPOSED,
            disposed_on__gt=since,
            **{subject: OuterRef("pk")},
        )
    )


def _common(rule: WarningRule, kind: str, today: datetime.date, person_ref: str) -> dict:
    return {
        "dedup_key": Concat(
            Value(f"{alert_kind(kind)}:{rule.pk}:"),
            Cast("household_id" if person_ref else "pk", CharField()),
            Value(":"),
            Cast(person_ref or Value(0), CharField()),
            output_field=CharField(),
        ),
        "region_code": F("region_id"),
        "subject_id": F("pk"),
        "severity": Value(int(rule.severity), output_field=IntegerField()),
        "due_at": Value(due_at(rule, today), output_field=DateTimeField()),
    }


def _share_text(rule: WarningRule) -> str:
    return f"{(rule.share or 0) * 100:.0f}%"


def medical_share(county_code: str, today: datetime.date) -> QuerySet:
    parts = []
    for applied in rules_in_county(RuleKind.MEDICAL_SHARE, county_code, today):
        rule = applied.rule
        since = months_back(today, rule.months)
        # the households over the share: one pass grouping the county's records (a semi-join the
        # planner hashes), not a sum per household of the county; the sum read again for the
        # message of those found only
        over = (
            _records(rule, since)
            .filter(applied.area("household__region__code"))
            .filter(household__region__code__startswith=county_code)
            .order_by()
            .values("household", "household__monthly_income")
            .annotate(s=Sum("amount"))
            .filter(s__gt=F("household__monthly_income") * Value(rule.months) * Value(rule.share or 0))
            .values("household")
        )
        total = Subquery(
            _records(rule, since)
            .filter(household=OuterRef("pk"))
            .order_by()
            .values("household")
            .annotate(s=Sum("amount"))
            .values("s"),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
        qs = (
            Household.objects.in_region(county_code)
            .filter(applied.area(), pk__in=over)
            .exclude(_answered(rule, since, "household"))
            .annotate(
                **_common(rule, RuleKind.MEDICAL_SHARE, today, ""),
                subject_label=Coalesce(F("head__name"), F("address"), output_field=CharField()),
                message=sql_message(
                    gettext(
                        "%(household)s家近%(months)s个月个人自付医疗费用%(total)s元，超过同期家庭收入的"
                        "%(share)s（%(rule)s，%(source)s数据），请核查是否符合%(suggestion)s"
                    ),
                    household=Coalesce(F("head__name"), F("address"), output_field=CharField()),
                    months=Value(rule.months),
                    total=total,
                    share=Value(_share_text(rule)),
                    rule=Value(rule.name),
                    source=Value(rule.source.name),
                    suggestion=Value(str(rule.get_suggestion_display())),
                ),
            )
        )
        parts.append(qs)
    return _combined(Household, parts)


def _person_findings(kind: str, county_code: str, today: datetime.date, message: str, extra=None) -> QuerySet:
    parts = []
    for applied in rules_in_county(kind, county_code, today):
        rule = applied.rule
        since = months_back(today, rule.months)
        records = _records(rule, since).filter(person=OuterRef("pk"))
        latest = records.order_by("-occurred_on", "-id")
        qs = (
            Person.objects.in_region(county_code)
            .filter(applied.area(), active=True)
            .filter(Exists(records))
            .exclude(_answered(rule, since, "person"))
        )
        if extra is not None:
            qs = extra(qs, today)
        qs = qs.annotate(
            **_common(rule, kind, today, "pk"),
            subject_label=F("name"),
            message=sql_message(
                message,
                name=F("name"),
                source=Value(rule.source.name),
                rule=Value(rule.name),
                event=Coalesce(
                    Subquery(latest.values("event_type")[:1]), Value(""), output_field=CharField()
                ),
                date=Subquery(latest.values("occurred_on")[:1]),
                suggestion=Value(str(rule.get_suggestion_display())),
            ),
        )
        parts.append(qs)
    return _combined(Person, parts)


def events(county_code: str, today: datetime.date) -> QuerySet:
    return _person_findings(
        RuleKind.EVENT,
        county_code,
        today,
        gettext(
            "%(name)s：%(source)s数据显示“%(event)s”（%(date)s），请入户核实并核查%(suggestion)s（%(rule)s）"
        ),
    )


def able_of_working_age(today: datetime.date, prefix: str = "") -> Q:
    """The register's reading of "a working-age member able to earn" (see the module's docstring)."""
    youngest, oldest = WORKING_AGE
    q = Q(
        **{
            f"{prefix}active": True,
            f"{prefix}birth_date__lte": years_ago(youngest, today),
            f"{prefix}birth_date__gt": years_ago(oldest, today),
            f"{prefix}is_student": False,
            f"{prefix}unable_self_care": False,
            f"{prefix}severe_illness": False,
        }
    )
    return q & ~Q(**{f"{prefix}disability_level__in": SEVERE_DISABILITY})


def _sole_earners(qs: QuerySet, today: datetime.date) -> QuerySet:
    others = Person.objects.filter(able_of_working_age(today), household=OuterRef("household_id")).exclude(
        pk=OuterRef("pk")
    )
    return qs.filter(able_of_working_age(today)).exclude(Exists(others))


def sole_earners(county_code: str, today: datetime.date) -> QuerySet:
    return _person_findings(
        RuleKind.SOLE_EARNER,
        county_code,
        today,
        gettext(
            "%(name)s是家中唯一的劳动年龄成员，%(source)s数据显示其失业（%(date)s），"
            "请入户核实家庭生活状况并核查%(suggestion)s"
        ),
        extra=_sole_earners,
    )


def deaths(county_code: str, today: datetime.date) -> QuerySet:
    return _person_findings(
        RuleKind.DEATH,
        county_code,
        today,
        gettext("%(name)s：%(source)s数据显示已于%(date)s死亡（%(event)s），请核实；确认后停发其救助资金"),
    )


def _combined(model, parts: list[QuerySet]) -> QuerySet:
    if not parts:
        # no rule in force: a query that finds nothing (every alert of the kind resolves)
        return model.objects.filter(pk=0).annotate(
            dedup_key=Value("", output_field=CharField()),
            region_code=F("region_id"),
            message=Value("", output_field=CharField()),
            subject_id=F("pk"),
            subject_label=Value("", output_field=CharField()),
            severity=Value(None, output_field=IntegerField()),
            due_at=Value(None, output_field=DateTimeField()),
        )
    parts = [part.order_by() for part in parts]  # (a sort of each part is wasted on an INSERT)
    return parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)


# --- registration and the runner ----------------------------------------------------------------------

KINDS = {
    RuleKind.MEDICAL_SHARE: (medical_share, "people.Household", _("部门数据：医疗费用支出过高")),
    RuleKind.EVENT: (events, "people.Person", _("部门数据：特定事项（如新办重度残疾证）")),
    RuleKind.SOLE_EARNER: (sole_earners, "people.Person", _("部门数据：唯一劳动力失业")),
    RuleKind.DEATH: (deaths, "people.Person", _("部门数据：死亡待核实")),
}


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import register as register_sweep

    for kind, (findings, subject_model, label) in KINDS.items():
        register_sweep(
            Sweep(
                kind=alert_kind(kind),
                label=label,
                findings=findings,
                subject_model=subject_model,
                inputs=Inputs(subject=subject_model),  # the findings are drawn from its rows
                action="exchange_dispositions:open",
                action_label=_("核实处置"),
                action_query="alert={alert}",
                per_row=True,
                materialize=True,
                follow=_dispositions_follow,
            )
        )


def _dispositions_follow(alert_ids: list[int]) -> None:
    """Sweep.follow: the warnings' dispositions made (or cleared) in the sweep's transaction."""
    from exchange.dispositions import dispositions_follow_alerts

    dispositions_follow_alerts(alert_ids)


def batch_counties(batch: ExchangeBatch) -> list[str]:
    """The counties whose people a batch's matched records are about."""
    return sorted(
        ExchangeRecord.objects.filter(batch=batch, status=RecordStatus.MATCHED)
        .annotate(county=Substr("region_id", 1, 6))
        .order_by()
        .values_list("county", flat=True)
        .distinct()
    )


def rule_kinds(source_id: int | None = None) -> list[str]:
    qs = WarningRule.objects.filter(active=True)
    if source_id is not None:
        qs = qs.filter(source_id=source_id)
    return sorted(set(qs.values_list("kind", flat=True)))


def rules_sweep(
    counties: list[str], kinds: list[str], today: datetime.date | None = None, *, workers: int = 1
) -> int:
    """Sweep these kinds over these counties (each warning's disposition made or cleared with it,
    in the county's transaction); the warnings raised. `workers` > 1: the counties on that many
    database connections at once (threads), each (county, kind) in its own transaction as always;
    only outside a transaction (a thread's connection cannot see uncommitted rows)."""
    pairs = [(county, kind) for county in counties for kind in kinds]
    if workers <= 1 or len(pairs) < 2 or connection.in_atomic_block:
        return sum(sweep_county(alert_kind(kind), county, today).raised for county, kind in pairs)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rules") as pool:
        return sum(pool.map(lambda pair: _sweep_on_own_connection(*pair, today), pairs))


def _sweep_on_own_connection(county: str, kind: str, today: datetime.date | None) -> int:
    try:
        return sweep_county(alert_kind(kind), county, today).raised
    finally:
        connections.close_all()  # the thread's own connections


#: a batch of at least this many lines has its rules run on several connections
#: (settings.EXCHANGE_RULE_WORKERS): at a million 医保 lines the counties' sweeps are most of the
#: time and PostgreSQL's, so two cores do them in about half the time (bench/README.md)
PARALLEL_LINES = 10_000


def run_after_match(batch: ExchangeBatch) -> int:
    """exchange.hooks.on_match: the rules over the counties a matched batch touched."""
    kinds = rule_kinds(batch.source_id)
    if not kinds:
        return 0
    workers = settings.EXCHANGE_RULE_WORKERS if batch.received >= PARALLEL_LINES else 1
    return rules_sweep(batch_counties(batch), kinds, workers=workers)


def warning_kinds() -> list[str]:
    return [alert_kind(k) for k in KINDS]
