"""Roll call (寒潮点名): opening a county's list when a cold-wave level comes into force, recording
each contact in one tap, and keeping the lists in step with the warnings and with visits.

- `rollcalls_sync()` (the Celery beat task `coldwaves.rollcall_tick`, every 10 minutes, and right
  after a level is set by hand or by CAP): for every warning in force, each county under it gets its
  roll call (one per warning and county); a raised level shortens the deadline; a warning stood down
  or expired closes its roll calls; visits recorded since the roll call opened answer their entries.
- `rollcall_answer()`: the worker's tap: reached by phone or visited, safe; needs help (a visit with
  the need and its follow-up, which people/needs.py turns into a task); or not reached (the entry
  stays open; its alert, raised by coldwaves.sweeps, escalates when the deadline passes).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from coldwaves.models import REACHED, Outcome, Reason, RollCall, RollCallEntry
from coldwaves.plan_sweeps import PLAN_GAP
from coldwaves.sweeps import DUTY_GAP, ROLLCALL_UNREACHED, answer_from_visits
from patrols.models import ColdWaveWarning
from people.choices import FollowUp, HeatingType, HousingCondition, VisitChannel, VisitKind
from people.models import Assistance, Household, Person, Visit
from people.services import visit_record
from relief.alerts.sweeps import counties_under
from relief.dashboard import live_cache
from relief.models import User
from relief.policy import MissingPolicyParameter, policy_value
from relief.scoping import require_actor

CHILD_FLAGS = ("is_orphan", "is_unsupported_child", "is_left_behind_child", "is_child_in_distress")
COLD_HEATING = (HeatingType.COAL, HeatingType.NONE)
UNSAFE_HOUSING = (HousingCondition.GRADE_C, HousingCondition.GRADE_D, HousingCondition.TEMPORARY)


def rollcall_hours(level: int, county_code: str) -> Decimal:
    """Hours to reach everyone on a roll call at `level` (policy value per county)."""
    try:
        return policy_value(f"rollcall_hours_level_{int(level)}", county_code)
    except MissingPolicyParameter:
        return Decimal({1: 48, 2: 24, 3: 12, 4: 6}.get(int(level), 24))


def high_risk_people(
    county_code: str, on: datetime.date | None = None
) -> dict[int, tuple[int, str, list[str]]]:
    """Who must be contacted in a county during a cold wave: person id -> (household id, region,
    reasons). Household conditions (coal or no heating, unsafe housing) put its head on the list."""
    on = on or timezone.localdate()
    people = Person.objects.in_region(county_code).filter(active=True, died_on__isnull=True)
    latest_guardian = Subquery(
        Visit.objects.filter(person=OuterRef("pk"), guardian_present__isnull=False)
        .order_by("-visited_at")
        .values("guardian_present")[:1]
    )
    child_flag = Q()
    for flag in CHILD_FLAGS:
        child_flag |= Q(**{flag: True})
    tekun = Assistance.objects.current(on).filter(category="tekun", tekun_mode="dispersed")
    queries: dict[str, object] = {
        Reason.AGED_80_ALONE: people.filter(lives_alone=True).aged_at_least(80, on),
        Reason.TEKUN_DISPERSED: people.filter(
            Exists(tekun.filter(person=OuterRef("pk")))
            | Exists(
                tekun.filter(
                    person__isnull=True, household=OuterRef("household"), household__head=OuterRef("pk")
                )
            )
        ),
        Reason.UNABLE_SELF_CARE: people.filter(unable_self_care=True),
        Reason.DISABLED_ALONE: people.filter(lives_alone=True, disability_level__in=[1, 2]),
        Reason.CHILD_UNATTENDED: people.filter(child_flag, birth_date__gt=_years_ago(18, on))
        .annotate(latest_guardian=latest_guardian)
        .filter(Q(guardian_name="", latest_guardian__isnull=True) | Q(latest_guardian=False)),
        Reason.COLD_HOME: people.filter(
            Exists(Household.objects.filter(head=OuterRef("pk"), heating_type__in=COLD_HEATING))
        ),
        Reason.UNSAFE_HOUSING: people.filter(
            Exists(Household.objects.filter(head=OuterRef("pk"), housing_condition__in=UNSAFE_HOUSING))
        ),
    }
    found: dict[int, tuple[int, str, list[str]]] = {}
    for reason, qs in queries.items():
        for pk, household_id, region_id in qs.values_list("pk", "household_id", "household__region_id"):
            found.setdefault(pk, (household_id, region_id, []))[2].append(str(reason))
    return found


def _years_ago(years: int, on: datetime.date) -> datetime.date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


@transaction.atomic
def rollcall_open(
    *, warning: ColdWaveWarning, county_code: str, now: datetime.datetime | None = None
) -> tuple[RollCall, bool]:
    """The county's roll call for `warning`, opened with its list if it had none. Returns
    (roll call, created); a second call (two beat ticks, a hand-set level and the tick) opens nothing."""
    now = now or timezone.now()
    existing = RollCall.objects.filter(warning=warning, region_id=county_code).first()
    if existing is not None:
        return existing, False
    opened_at = max(now, warning.starts_at)
    due_at = opened_at + datetime.timedelta(hours=float(rollcall_hours(warning.level, county_code)))
    try:
        with transaction.atomic():
            roll_call = RollCall.objects.create(
                warning=warning,
                region_id=county_code,
                level=warning.level,
                opened_at=opened_at,
                due_at=due_at,
            )
    except IntegrityError:  # opened at the same moment by another worker
        return RollCall.objects.get(warning=warning, region_id=county_code), False
    found = high_risk_people(county_code, timezone.localtime(opened_at).date())
    RollCallEntry.objects.bulk_create(
        [
            RollCallEntry(
                roll_call=roll_call,
                region_id=region_id,
                household_id=household_id,
                person_id=pk,
                reasons=reasons,
                due_at=due_at,
            )
            for pk, (household_id, region_id, reasons) in sorted(found.items())
        ],
        batch_size=2000,
    )
    RollCall.objects.filter(pk=roll_call.pk).update(people=len(found))
    roll_call.people = len(found)
    # the county and those above see the list now (its townships and villages within a minute)
    live_cache.invalidate_on_commit(county_code)
    return roll_call, True


@transaction.atomic
def rollcall_raise_level(
    *, roll_call: RollCall, level: int, now: datetime.datetime | None = None
) -> RollCall:
    """A higher level in force: the shorter deadline, from now, for whoever is not reached yet."""
    now = now or timezone.now()
    roll_call = RollCall.objects.select_for_update().get(pk=roll_call.pk)
    if level <= roll_call.level:
        return roll_call
    due_at = min(
        roll_call.due_at, now + datetime.timedelta(hours=float(rollcall_hours(level, roll_call.region_id)))
    )
    RollCall.objects.filter(pk=roll_call.pk).update(level=level, due_at=due_at)
    roll_call.entries.unanswered().filter(due_at__gt=due_at).update(due_at=due_at)
    roll_call.refresh_from_db()
    return roll_call


def rollcalls_sync(now: datetime.datetime | None = None) -> dict[str, int]:
    """Open, raise, carry over and close roll calls to match the warnings in force now; answer
    entries from visits. A county has at most one open roll call: while any warning is in force for
    it, its roll call stays open (carried over to another warning in force when its own ends, so no
    one is put on a second list), at the highest level in force. Idempotent: a second run changes
    nothing."""
    now = now or timezone.now()
    counts = {"opened": 0, "raised": 0, "closed": 0, "answered": 0}
    # the highest level in force per county wins (a city's red over the county's yellow)
    in_force: dict[str, ColdWaveWarning] = {}
    for warning in ColdWaveWarning.objects.active_at(now).order_by("level", "-starts_at"):
        for county in counties_under(warning.region_id):
            in_force[county] = warning
    active = {w.pk for w in in_force.values()} | set(
        ColdWaveWarning.objects.active_at(now).values_list("pk", flat=True)
    )
    for county, warning in in_force.items():
        current = RollCall.objects.open().filter(region_id=county).order_by("-opened_at").first()
        if current is None:
            _roll_call, created = rollcall_open(warning=warning, county_code=county, now=now)
            counts["opened"] += int(created)
            continue
        if current.warning_id not in active:
            try:
                with transaction.atomic():
                    RollCall.objects.filter(pk=current.pk).update(warning=warning)
            except IntegrityError:  # this warning had a roll call here before: keep the list open as it is
                pass
        if warning.level > current.level:
            rollcall_raise_level(roll_call=current, level=warning.level, now=now)
            counts["raised"] += 1
    counts["closed"] = RollCall.objects.open().exclude(region_id__in=list(in_force)).update(closed_at=now)
    for county in RollCall.objects.open().values_list("region_id", flat=True).distinct():
        counts["answered"] += answer_from_visits(county)
    return counts


@transaction.atomic
def rollcall_answer(
    *,
    actor: User,
    entry: RollCallEntry,
    outcome: str,
    channel: str = VisitChannel.PHONE,
    needs: str = "",
    follow_up: str = "",
    note: str = "",
) -> RollCallEntry:
    """One contact: safe or needs help (recorded as a visit by phone or at home), or not reached."""
    entry = (
        RollCallEntry.objects.select_for_update().select_related("roll_call", "household").get(pk=entry.pk)
    )
    require_actor(actor, entry.region_id)
    if entry.roll_call.closed_at is not None:
        raise ValidationError(_("本次寒潮点名已结束"))
    if entry.outcome in REACHED:
        return entry  # a second tap (a double click, two workers): the first answer stands
    if outcome == Outcome.NOT_REACHED:
        entry.outcome = Outcome.NOT_REACHED
        entry.attempts += 1
        entry.note = note[:255]
        entry.save(update_fields=["outcome", "attempts", "note"])
        live_cache.invalidate_on_commit(entry.region_id)
        return entry
    if outcome not in REACHED:
        raise ValidationError({"outcome": _("请选择联系结果")})
    if channel not in (VisitChannel.PHONE, VisitChannel.HOME, VisitChannel.VIDEO):
        raise ValidationError({"channel": _("请选择联系方式")})
    if outcome == Outcome.NEEDS_HELP and not (needs.strip() and follow_up):
        raise ValidationError({"needs": _("需要帮助时请写明困难和需求，并选择跟进事项")})
    if follow_up and follow_up not in FollowUp.values:
        raise ValidationError({"follow_up": _("请选择跟进事项")})
    visit = visit_record(
        actor=actor,
        household=entry.household,
        person=entry.person,
        kind=VisitKind.COLD_WAVE,
        channel=channel,
        needs=needs.strip() if outcome == Outcome.NEEDS_HELP else "",
        follow_up=follow_up if outcome == Outcome.NEEDS_HELP else "",
        note=note or _("寒潮点名"),
    )
    entry.outcome = outcome
    entry.answered_at = visit.visited_at
    entry.answered_by = actor
    entry.visit = visit
    entry.note = note[:255]
    entry.save(update_fields=["outcome", "answered_at", "answered_by", "visit", "note"])
    _visit_request_close(entry)
    live_cache.invalidate_on_commit(entry.region_id)  # the dashboard's roll call shows it now
    return entry


def _visit_request_close(entry: RollCallEntry) -> None:
    """The person is reached: their visit request, if any, is done now (not at the next tick)."""
    from relief.models import Task
    from relief.todo.services import task_close_for_cause

    key = f"rollcall:{entry.roll_call.region_id}:{entry.pk}"
    for task in Task.objects.live().filter(source="rollcall", cause_key=key):
        task_close_for_cause(task, _("已联系到本人或点名已结束"))


VISIT_REQUEST = "visit_request"


def visit_requests_sync(county_code: str, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Whoever on the county's open roll calls was not reached by the deadline, or was tried and not
    reached, is a visit request (上门查看) for their township, due within `rollcall_visit_hours`; the
    request closes itself once the person is reached (or the roll call ends). Returns (opened, closed)."""
    from django.urls import reverse

    from relief.models import Task
    from relief.todo.services import task_close_for_cause, task_open

    now = now or timezone.now()
    try:
        hours = policy_value("rollcall_visit_hours", county_code, timezone.localtime(now).date())
    except MissingPolicyParameter:
        hours = Decimal(2)
    prefix = f"rollcall:{county_code}:"
    due = (
        RollCallEntry.objects.in_region(county_code)
        .filter(roll_call__closed_at__isnull=True)
        .unanswered()
        .filter(Q(outcome=Outcome.NOT_REACHED) | Q(due_at__lt=now))
        .select_related("person", "household")
    )
    live = set(
        Task.objects.live()
        .filter(source="rollcall", cause_key__startswith=prefix)
        .values_list("cause_key", flat=True)
    )
    opened = 0
    wanted = set()
    for entry in due.iterator():
        key = f"{prefix}{entry.pk}"
        wanted.add(key)
        if key in live:
            continue
        _task, created = task_open(
            source="rollcall",
            kind=VISIT_REQUEST,
            cause_key=key,
            title=_("%(name)s：寒潮点名未联系上，请上门查看") % {"name": entry.person.name},
            region=entry.region_id,
            assignee_region=entry.region_id[:9],
            due_at=now + datetime.timedelta(hours=float(hours)),
            subject=entry,
            subject_label=entry.person.name,
            detail=entry.household.address,
            urgent=True,
            action_url=reverse("people:person-visit", args=[entry.person_id]),
            action_label=_("上门查看"),
        )
        opened += int(created)
    closed = 0
    for task in (
        Task.objects.live()
        .filter(source="rollcall", cause_key__startswith=prefix)
        .exclude(cause_key__in=wanted)
    ):
        task_close_for_cause(task, _("已联系到本人或点名已结束"))
        closed += 1
    return opened, closed


def rollcall_tick(now: datetime.datetime | None = None) -> dict[str, int]:
    """Sync the roll calls with the warnings, then raise and resolve their alerts in every county
    with a roll call open now or closed since the last tick (its alerts resolve), and the alerts of
    the counties' emergency plans (none in force, reserves short) with them."""
    from relief.alerts.sweeps import sweep_county

    now = now or timezone.now()
    counts = rollcalls_sync(now)
    recent = now - datetime.timedelta(hours=1)
    counties = (
        RollCall.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=recent))
        .values_list("region_id", flat=True)
        .distinct()
    )
    today = timezone.localtime(now).date()
    raised = resolved = plan_raised = plan_resolved = visits = 0
    for county in sorted(counties):
        for kind in (ROLLCALL_UNREACHED, DUTY_GAP):
            result = sweep_county(kind, county, today)
            raised, resolved = raised + result.raised, resolved + result.resolved
        # the county's emergency plan and its reserves, while the warning is in force (plan_sweeps)
        result = sweep_county(PLAN_GAP, county, today)
        plan_raised, plan_resolved = plan_raised + result.raised, plan_resolved + result.resolved
        with transaction.atomic():
            visits += visit_requests_sync(county, now)[0]
    return {
        **counts,
        "alerts_raised": raised,
        "alerts_resolved": resolved,
        "plan_alerts_raised": plan_raised,
        "plan_alerts_resolved": plan_resolved,
        "visit_requests": visits,
    }
