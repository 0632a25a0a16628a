"""Helpers for the dashboard tests (no tests here): factory-made data spread over two counties and
several levels, and the same figures counted directly with the ORM (one plain query or loop per
figure, no code shared with the dashboard's sources)."""

from __future__ import annotations

import datetime
import statistics
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from coldwaves.models import RollCall, RollCallEntry
from coldwaves.services import rollcall_open
from enrolments.models import DECIDED_STATES, OPEN_STATES, Enrolment, Review
from funds.models import Allocation, AppStatus, AssistanceApplication, BatchStatus, DisbursementBatch, Payment
from institutions.models import Hazard, Inspection, Institution
from patrols.models import ColdWaveWarning, Encounter, PatrolShift
from people.models import Assistance, Household, Person, Visit
from people.services import person_refresh_next_visit
from relief.dashboard.registry import winter_start
from relief.models import Alert, AlertEvent
from relief.regions import ancestor_codes
from tests.factories import AlertFactory, region
from tests.funds.factories import AllocationFactory, program
from tests.institutions.factories import ChecklistTemplateFactory, InstitutionFactory
from tests.patrols.factories import ColdWaveWarningFactory, EncounterFactory, PatrolShiftFactory
from tests.people.factories import AssistanceFactory, PersonFactory, VisitFactory, household_with_head

HOME_VILLAGE = "510121001001"
HOME_VILLAGE_2 = "510121001002"
HOME_TOWNSHIP = "510121001"
OTHER_VILLAGE = "510129001001"


def make_data(users) -> dict:
    now = timezone.now()
    today = timezone.localdate()
    ws = winter_start(today)
    monday = today - datetime.timedelta(days=today.weekday())
    week_start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    region(HOME_VILLAGE_2, "新村")
    officer = users["county"]

    # --- people ---
    a = household_with_head(HOME_VILLAGE)
    PersonFactory(household=a, relation="child")
    PersonFactory(household=a, relation="spouse", active=False)  # gone: never counted
    AssistanceFactory(household=a, category="dibao", dibao_class="A", start_date=datetime.date(2025, 1, 1))
    VisitFactory(
        household=a,
        visited_at=week_start + datetime.timedelta(hours=1),
        next_visit_due=today + datetime.timedelta(days=7),
    )

    b = household_with_head(HOME_VILLAGE, birth=datetime.date(1940, 1, 1))
    PersonFactory(household=b, relation="child")
    AssistanceFactory(
        household=b,
        person=b.head,
        category="tekun",
        tekun_mode="dispersed",
        start_date=datetime.date(2024, 1, 1),
    )
    AssistanceFactory(household=b, category="dibao_edge", start_date=datetime.date(2025, 6, 1))
    VisitFactory(
        household=b,
        visited_at=now - datetime.timedelta(days=40),
        next_visit_due=today - datetime.timedelta(days=10),
    )
    VisitFactory(
        household=b,
        visited_at=now - datetime.timedelta(days=20),
        next_visit_due=today - datetime.timedelta(days=3),
    )

    c = household_with_head(HOME_VILLAGE_2)
    AssistanceFactory(
        household=c, category="monitoring", monitoring_type="edge", start_date=datetime.date(2025, 3, 1)
    )
    # the older visit was overdue but the latest one is not
    VisitFactory(
        household=c,
        visited_at=now - datetime.timedelta(days=30),
        next_visit_due=today - datetime.timedelta(days=5),
    )
    VisitFactory(
        household=c,
        visited_at=now - datetime.timedelta(days=2),
        next_visit_due=today + datetime.timedelta(days=20),
    )

    d = household_with_head(HOME_TOWNSHIP)  # a household held at township level
    AssistanceFactory(household=d, category="dibao", start_date=datetime.date(2025, 1, 1))
    VisitFactory(
        household=d,
        visited_at=ws - datetime.timedelta(days=3),
        next_visit_due=today - datetime.timedelta(days=1),
    )

    e = household_with_head(HOME_VILLAGE)  # assistance ended: not monitored
    AssistanceFactory(
        household=e,
        category="dibao",
        start_date=datetime.date(2024, 1, 1),
        end_date=datetime.date(2025, 1, 1),
    )
    VisitFactory(household=e, visited_at=now - datetime.timedelta(hours=3))

    f = household_with_head(OTHER_VILLAGE)
    PersonFactory(household=f, relation="child")
    AssistanceFactory(household=f, category="dibao", dibao_class="B", start_date=datetime.date(2025, 1, 1))
    VisitFactory(
        household=f,
        visited_at=now - datetime.timedelta(days=1),
        next_visit_due=today - datetime.timedelta(days=1),
    )
    # under the visit rules (探访逾期人员 counts people whose stored next visit due has passed): an
    # 82-year-old living alone in d, whose household was last visited before winter (weekly: overdue),
    # a 65-year-old living alone in f, never visited, registered 60 days ago (monthly: overdue), and
    # one in a, registered 10 days ago (not yet due)
    PersonFactory(
        household=d,
        relation="parent",
        birth=today.replace(year=today.year - 82) - datetime.timedelta(days=5),
        lives_alone=True,
        created_at=now - datetime.timedelta(days=60),
    )
    PersonFactory(
        household=f,
        relation="parent",
        birth=today.replace(year=today.year - 65) - datetime.timedelta(days=5),
        lives_alone=True,
        created_at=now - datetime.timedelta(days=60),
    )
    PersonFactory(
        household=a,
        relation="parent",
        birth=today.replace(year=today.year - 70) - datetime.timedelta(days=5),
        lives_alone=True,
        created_at=now - datetime.timedelta(days=10),
    )

    # --- funds ---
    subsidy, dibao = program("one_time_subsidy"), program("dibao")
    program("temporary_assistance")  # paid temporary assistance is counted under it
    home_county, other_county = region("510121"), region("510129")
    alloc = AllocationFactory(
        region=home_county, program=subsidy, year=today.year, amount=Decimal("100000.00")
    )
    AllocationFactory(region=home_county, program=dibao, year=today.year, amount=Decimal("25000.50"))
    AllocationFactory(region=other_county, program=subsidy, year=today.year, amount=Decimal("50000.00"))
    AllocationFactory(region=region("51"), program=subsidy, year=today.year, amount=Decimal("7000.00"))
    AllocationFactory(region=home_county, program=subsidy, year=today.year - 1, amount=Decimal("9999.00"))
    paid_batch = DisbursementBatch.objects.create(
        region=home_county,
        program=subsidy,
        allocation=alloc,
        period=str(today.year),
        title="一次性生活补贴",
        status=BatchStatus.PAID,
        paid_at=now - datetime.timedelta(days=3),
    )
    draft_batch = DisbursementBatch.objects.create(
        region=home_county,
        program=subsidy,
        allocation=alloc,
        period=f"{today.year}-x",
        title="草稿",
        status=BatchStatus.DRAFT,
    )
    for household, amount, batch in (
        (a, "500.00", paid_batch),
        (b, "800.00", paid_batch),
        (c, "300.00", draft_batch),
    ):
        Payment.objects.create(
            batch=batch,
            program=subsidy,
            region=household.region,
            household=household,
            recipient_name=household.head.name,
            amount=Decimal(amount),
        )
    for batch in (paid_batch, draft_batch):  # as batch generation keeps it (funds/workflows.py)
        DisbursementBatch.objects.filter(pk=batch.pk).update(
            total_amount=Payment.objects.filter(batch=batch).aggregate(s=Sum("amount"))["s"]
        )

    def application(
        region_code,
        kind,
        hours_to_pay,
        *,
        status,
        emergency=None,
        approved=None,
        submitted=None,
        cause="fire",
    ):
        submitted = submitted or now - datetime.timedelta(days=5)
        paid_at = submitted + datetime.timedelta(hours=hours_to_pay) if hours_to_pay is not None else None
        return AssistanceApplication.objects.create(
            region=region(region_code),
            kind=kind,
            cause=cause,
            year=timezone.localtime(submitted).year,
            applicant_name="申请人",
            id_number=f"5101211990010{AssistanceApplication.objects.count():04d}"[:18],
            place="事发地",
            submitted_at=submitted,
            status=status,
            emergency_amount=Decimal(emergency or 0),
            emergency_paid_at=paid_at if emergency else None,
            approved_amount=Decimal(approved) if approved else None,
            paid_at=paid_at if (status == AppStatus.PAID and not emergency) else None,
        )

    application(HOME_VILLAGE, "urgent", 6, status=AppStatus.EMERGENCY_PAID, emergency="2000", cause="fire")
    application(
        HOME_VILLAGE,
        "expense",
        250,
        status=AppStatus.PAID,
        approved="3000",
        cause="medical",
        submitted=now - datetime.timedelta(days=15),
    )
    application(HOME_VILLAGE_2, "expense", 100, status=AppStatus.PAID, approved="1500", cause="education")
    application(HOME_VILLAGE_2, "expense", None, status=AppStatus.SUBMITTED, cause="living")
    application(
        OTHER_VILLAGE, "urgent", 20, status=AppStatus.EMERGENCY_PAID, emergency="1000", cause="accident"
    )
    application(
        HOME_VILLAGE,
        "urgent",
        3,
        status=AppStatus.EMERGENCY_PAID,
        emergency="800",
        cause="illness",
        submitted=ws - datetime.timedelta(days=10),
    )  # last autumn: not this winter

    # --- patrols ---
    s1 = PatrolShiftFactory(
        team__region=home_county, started_at=now - datetime.timedelta(days=2), is_night=True
    )
    PatrolShiftFactory(team=s1.team, region=home_county, started_at=now - datetime.timedelta(days=9))
    PatrolShiftFactory(team=s1.team, region=home_county, started_at=ws - datetime.timedelta(days=2))
    s_other = PatrolShiftFactory(team__region=other_county, started_at=now - datetime.timedelta(days=1))
    EncounterFactory(shift=s1, occurred_at=now - datetime.timedelta(days=2), escorted_to_station=True)
    EncounterFactory(
        shift=s1, occurred_at=now - datetime.timedelta(days=2), medical_referral=True, injured=True
    )
    EncounterFactory(shift=s1, occurred_at=now - datetime.timedelta(days=2))
    EncounterFactory(shift=s_other, occurred_at=now - datetime.timedelta(hours=20), escorted_to_station=True)
    ColdWaveWarningFactory(region=region("51"), level=1)
    home_warning = ColdWaveWarningFactory(region=home_county, level=3)
    past_warning = ColdWaveWarningFactory(
        region=other_county,
        level=4,
        starts_at=now - datetime.timedelta(days=5),
        ends_at=now - datetime.timedelta(days=4),
    )
    # 寒潮点名: the home county's roll call open, with one person of each outcome and one overdue;
    # the other county's closed with its warning (not counted)
    roll_call, _created = rollcall_open(warning=home_warning, county_code=home_county.code, now=now)
    rc_entries = list(RollCallEntry.objects.filter(roll_call=roll_call).order_by("id"))
    assert len(rc_entries) >= 5, "the dashboard data needs five people on the roll call"
    for rc_entry, outcome in zip(rc_entries, ["safe", "needs_help", "not_reached", "safe"], strict=False):
        RollCallEntry.objects.filter(pk=rc_entry.pk).update(
            outcome=outcome, answered_at=None if outcome == "not_reached" else now
        )
    RollCallEntry.objects.filter(pk__in=[rc_entries[2].pk, rc_entries[4].pk]).update(
        due_at=now - datetime.timedelta(hours=1)
    )
    closed, _created = rollcall_open(warning=past_warning, county_code=other_county.code, now=now)
    RollCall.objects.filter(pk=closed.pk).update(closed_at=now)

    # --- institutions ---
    template = ChecklistTemplateFactory()
    i1 = InstitutionFactory(region=region(HOME_TOWNSHIP))
    i2 = InstitutionFactory(region=region(HOME_VILLAGE))
    InstitutionFactory(region=home_county, is_active=False)
    i4 = InstitutionFactory(region=other_county)
    Inspection.objects.create(
        institution=i1, template=template, inspector=officer, date=today - datetime.timedelta(days=3)
    )
    Inspection.objects.create(
        institution=i2, template=template, inspector=officer, date=ws.date() - datetime.timedelta(days=30)
    )
    Inspection.objects.create(institution=i4, template=template, inspector=officer, date=today)
    Hazard.objects.create(
        institution=i1,
        title="电线老化",
        severity="major",
        state="open",
        deadline=today - datetime.timedelta(days=2),
    )
    Hazard.objects.create(
        institution=i1,
        title="灭火器过期",
        severity="general",
        state="rectifying",
        deadline=today + datetime.timedelta(days=5),
    )
    Hazard.objects.create(
        institution=i2,
        title="通道堵塞",
        severity="general",
        state="rectified",
        deadline=today - datetime.timedelta(days=2),
    )
    Hazard.objects.create(
        institution=i2,
        title="已销号",
        severity="major",
        state="closed",
        deadline=today - datetime.timedelta(days=20),
    )
    Hazard.objects.create(  # verified, not yet closed (销号): still open
        institution=i4,
        title="护栏松动",
        severity="general",
        state="verified",
        deadline=today - datetime.timedelta(days=4),
    )
    Hazard.objects.create(
        institution=i4,
        title="燃气",
        severity="general",
        state="extension_requested",
        deadline=today - datetime.timedelta(days=1),
    )

    # --- enrolments (written behind the services' back, like the rest) ---
    def enrolment(household, kind, status, *, deadline=None, decided=None):
        return Enrolment.objects.create(
            household=household,
            region=household.region,
            kind=kind,
            status=status,
            deadline=deadline,
            decided_on=decided,
            refusal_reason="不符合" if status in ("refused", "refusal_sent") else "",
        )

    day = datetime.timedelta(days=1)
    enrolment(a, "tekun", "county", deadline=today + 2 * day)  # in progress, due within 3 days
    enrolment(a, "dibao_edge", "checking", deadline=today - day)  # past its limit
    enrolment(c, "dibao", "checking", deadline=today + 20 * day)
    enrolment(f, "dibao", "submitted")  # the other county; no limit before 受理
    enrolment(d, "dibao", "approved", deadline=today + 5 * day, decided=today - day)  # in time
    enrolment(e, "dibao", "refusal_sent", deadline=today - 10 * day, decided=today - 2 * day)  # late
    enrolment(f, "tekun", "refused", deadline=today, decided=today)  # in time
    enrolment(b, "dibao", "approved", deadline=ws.date(), decided=ws.date() - 5 * day)  # before the winter
    enrolment(c, "tekun", "withdrawn", deadline=today)
    ended = Assistance.objects.filter(household=e).first()
    for done_on, outcome in ((today - day, "end"), (ws.date() - 3 * day, "end"), (today, "continue")):
        Review.objects.create(
            assistance=ended,
            household=e,
            region=e.region,
            due_on=done_on,
            status="done",
            outcome=outcome,
            done_on=done_on,
            end_reason="收入超过标准" if outcome == "end" else "",
        )
    Review.objects.create(assistance=ended, household=e, region=e.region, due_on=today)  # scheduled

    # --- alerts ---
    def alert(code, kind, *, due_in_hours, handled_after_hours=None, status="open", created=None):
        al = AlertFactory(
            region=region(code), kind=kind, status=status, due_at=now + datetime.timedelta(hours=due_in_hours)
        )
        if created:
            Alert.objects.filter(pk=al.pk).update(created_at=created)
        if handled_after_hours is not None:
            ev = AlertEvent.objects.create(alert=al, action="acknowledged", actor=officer)
            AlertEvent.objects.filter(pk=ev.pk).update(
                at=now - datetime.timedelta(hours=48) + datetime.timedelta(hours=handled_after_hours)
            )
        return al

    alert(HOME_VILLAGE, "people.visit_overdue", due_in_hours=-24, handled_after_hours=1)  # handled on time
    alert(
        HOME_VILLAGE, "people.visit_overdue", due_in_hours=-40, handled_after_hours=30, status="resolved"
    )  # late
    alert(HOME_TOWNSHIP, "institutions.major_hazard", due_in_hours=-1)  # unhandled past due
    alert(HOME_VILLAGE_2, "people.visit_overdue", due_in_hours=48)  # not yet due: not counted
    alert(OTHER_VILLAGE, "patrols.clue_overdue", due_in_hours=-5, handled_after_hours=2)
    alert(
        HOME_VILLAGE,
        "people.visit_overdue",
        due_in_hours=-500,
        status="resolved",
        created=ws - datetime.timedelta(days=3),
    )  # before the winter
    # --- campaigns (集中慰问), written behind the services' back ---
    from campaigns.models import Campaign, CampaignHousehold

    def campaign(code, state):
        return Campaign.objects.create(
            region=region(code),
            name=f"两节慰问 {code} {state}",
            starts_on=today,
            ends_on=today + 30 * day,
            categories=["dibao"],
            cash_amount=Decimal("300"),
            state=state,
        )

    home, closed, away = (
        campaign("510121", "in_progress"),
        campaign("510121", "closed"),
        campaign("510129", "listed"),
    )
    for camp, household, state, note in (
        (home, a, "delivered", ""),
        (home, b, "pending", ""),
        (home, c, "declined", "婉拒"),
        (home, d, "not_found", "外出"),
        (closed, a, "delivered", ""),  # a closed campaign: not counted
        (away, f, "pending", ""),
    ):
        CampaignHousehold.objects.create(
            campaign=camp,
            household=household,
            region_id=household.region_id,
            state=state,
            note=note,
            received_by_name="户主" if state == "delivered" else "",
        )

    # the factories wrote behind the services' back: store each person's next visit due, as the
    # nightly recompute does
    person_refresh_next_visit()
    return {"now": now}


# --- the same figures, counted directly ---------------------------------------------------------


def _ratio(num, den):
    return None if not den else (Decimal(num) / Decimal(den)).quantize(Decimal("0.0001"))


def expected(code: str) -> dict[str, object]:
    """{figure key: total, (figure key, dim): value} for the region `code` ("" = all)."""
    now = timezone.now()
    today = timezone.localdate()
    ws = winter_start(today)
    monday = today - datetime.timedelta(days=today.weekday())
    week_start = timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))
    out: dict = {}

    # people
    current = Assistance.objects.current(today)
    persons = Person.objects.filter(active=True, region__code__startswith=code)

    def monitored(category=None):
        applies = current.filter(household=OuterRef("household")).filter(
            Q(person__isnull=True) | Q(person=OuterRef("pk"))
        )
        if category:
            applies = applies.filter(category=category)
        return persons.filter(Exists(applies)).count()

    out["people.monitored"] = monitored()
    for cat in ("dibao", "tekun", "dibao_edge", "monitoring", "rigid_expense", "other_low_income"):
        if n := monitored(cat):
            out[("people.monitored", cat)] = n
    households = [
        h
        for h in Household.objects.filter(region__code__startswith=code)
        if current.filter(household=h).exists()
    ]
    out["people.households"] = len(households)
    visited = sum(
        1 for h in households if Visit.objects.filter(household=h, visited_at__gte=week_start).exists()
    )
    out["people.visited_week"] = visited
    out["people.visit_coverage"] = _ratio(visited, len(households))
    # people (not households) whose next visit due under the visit rules has passed
    out["people.visits_overdue"] = sum(
        1 for p in persons if p.next_visit_due is not None and p.next_visit_due < today
    )

    # funds
    allocated = {
        str(row["program_id"]): row["t"]
        for row in Allocation.objects.filter(year=today.year, region__code__startswith=code)
        .values("program_id")
        .annotate(t=Sum("amount"))
    }
    out["funds.allocated"] = sum(allocated.values(), Decimal("0"))
    for dim, v in allocated.items():
        out[("funds.allocated", dim)] = v
    paid: dict[str, Decimal] = {}
    for p in Payment.objects.filter(
        region__code__startswith=code, batch__status="paid", batch__allocation__year=today.year
    ):
        paid[str(p.program_id)] = paid.get(str(p.program_id), Decimal(0)) + p.amount
    temporary = str(program("temporary_assistance").pk)
    for app in AssistanceApplication.objects.filter(region__code__startswith=code, year=today.year):
        amount = Decimal(0)
        if app.emergency_paid_at:
            amount += app.emergency_amount
        if app.status == "paid":
            amount += app.approved_amount or 0
        if amount:
            paid[temporary] = paid.get(temporary, Decimal(0)) + amount
    out["funds.paid"] = sum(paid.values(), Decimal("0"))
    out["funds.paid_share"] = _ratio(out["funds.paid"], out["funds.allocated"])
    for dim, v in paid.items():
        out[("funds.paid", dim)] = v
    apps = list(AssistanceApplication.objects.filter(region__code__startswith=code, submitted_at__gte=ws))
    out["funds.ta_applications"] = len(apps)
    for kind in ("urgent", "expense"):
        if n := sum(1 for x in apps if x.kind == kind):
            out[("funds.ta_applications", kind)] = n
    paid_apps = [x for x in apps if x.emergency_paid_at or x.paid_at]
    out["funds.ta_paid"] = len(paid_apps)
    for kind in ("urgent", "expense"):
        if n := sum(1 for x in paid_apps if x.kind == kind):
            out[("funds.ta_paid", kind)] = n
    hours = [((x.emergency_paid_at or x.paid_at) - x.submitted_at).total_seconds() / 3600 for x in paid_apps]
    out["funds.ta_median_hours"] = Decimal(str(round(statistics.median(hours), 1))) if hours else None

    # patrols
    shifts = PatrolShift.objects.filter(
        region__code__startswith=code, started_at__gte=ws, started_at__lte=now
    )
    out["patrols.shifts"] = shifts.count()
    out["patrols.night_shifts"] = shifts.filter(is_night=True).count()
    encounters = Encounter.objects.filter(
        region__code__startswith=code, occurred_at__gte=ws, occurred_at__lte=now
    )
    out["patrols.encounters"] = encounters.count()
    out["patrols.placed"] = encounters.filter(Q(escorted_to_station=True) | Q(medical_referral=True)).count()
    levels = [
        w.level
        for w in ColdWaveWarning.objects.all()
        if w.is_active and (w.region_id in ancestor_codes(code) or w.region_id.startswith(code))
    ]
    out["patrols.cold_wave"] = max(levels) if levels else None

    # coldwaves
    roll_call_entries = [
        e
        for e in RollCallEntry.objects.filter(roll_call__closed_at__isnull=True)
        if e.region_id.startswith(code)
    ]
    out["coldwaves.to_contact"] = len(roll_call_entries)
    out["coldwaves.reached"] = sum(1 for e in roll_call_entries if e.outcome in ("safe", "needs_help"))
    out["coldwaves.needs_help"] = sum(1 for e in roll_call_entries if e.outcome == "needs_help")
    out["coldwaves.not_reached"] = sum(1 for e in roll_call_entries if e.outcome == "not_reached")
    out["coldwaves.reached_share"] = _ratio(out["coldwaves.reached"], out["coldwaves.to_contact"])
    out["coldwaves.overdue"] = sum(
        1 for e in roll_call_entries if e.outcome in ("pending", "not_reached") and e.due_at < now
    )

    # campaigns: the households on the open campaigns' lists, by state
    from campaigns.models import CampaignHousehold

    on_lists = [
        x for x in CampaignHousehold.objects.exclude(campaign__state="closed") if x.region_id.startswith(code)
    ]
    out["campaigns.households"] = len(on_lists)
    for state in ("delivered", "pending", "declined", "not_found"):
        out[f"campaigns.{state}"] = sum(1 for x in on_lists if x.state == state)

    # institutions
    active = Institution.objects.filter(region__code__startswith=code, is_active=True)
    inspected = sum(1 for i in active if i.inspections.filter(date__gte=ws.date()).exists())
    out["institutions.active"] = active.count()
    out["institutions.inspected"] = inspected
    out["institutions.inspected_share"] = _ratio(inspected, active.count())
    hazards = Hazard.objects.filter(institution__region__code__startswith=code)
    open_h = [h for h in hazards if h.state != "closed"]  # 未销号: verified still waits for 销号
    overdue_h = [h for h in hazards if h.is_overdue]
    out["hazards.open"] = len(open_h)
    out["hazards.overdue"] = len(overdue_h)
    for sev in ("general", "major"):
        if n := sum(1 for h in open_h if h.severity == sev):
            out[("hazards.open", sev)] = n
        if n := sum(1 for h in overdue_h if h.severity == sev):
            out[("hazards.overdue", sev)] = n

    # alerts
    alerts = Alert.objects.filter(region__code__startswith=code)
    raised = [a for a in alerts if a.created_at >= ws]
    out["alerts.raised"] = len(raised)
    out["alerts.open"] = sum(1 for a in alerts if a.status != "resolved")
    for kind in {a.kind for a in alerts}:
        if n := sum(1 for a in raised if a.kind == kind):
            out[("alerts.raised", kind)] = n
        if n := sum(1 for a in alerts if a.kind == kind and a.status != "resolved"):
            out[("alerts.open", kind)] = n
    on_time = decided = 0
    for a in raised:
        if a.due_at is None:
            continue
        first = (
            a.events.filter(action__in=["acknowledged", "resolved", "auto_resolved"]).order_by("at").first()
        )
        if first:
            decided += 1
            on_time += first.at <= a.due_at
        elif a.due_at < now:
            decided += 1
    out["alerts.on_time_share"] = _ratio(on_time, decided)

    # department data (exchange): warnings, verified in time, outcomes, unmatched records
    from exchange.models import Disposition, ExchangeRecord

    dispositions = [
        d for d in Disposition.objects.filter(region__code__startswith=code) if d.created_at >= ws
    ]
    out["exchange.warnings"] = len(dispositions)
    for d in dispositions:
        out[("exchange.warnings", d.rule.kind)] = out.get(("exchange.warnings", d.rule.kind), 0) + 1
        if d.outcome:
            out[("exchange.outcomes", d.outcome)] = out.get(("exchange.outcomes", d.outcome), 0) + 1
    out["exchange.outcomes"] = sum(1 for d in dispositions if d.outcome)
    in_time = sum(
        1 for d in dispositions if d.verified_on and d.verified_on <= timezone.localdate(d.alert.due_at)
    )
    verified_decided = sum(1 for d in dispositions if d.verified_on or d.alert.due_at < now)
    out["exchange.verified_in_time_share"] = _ratio(in_time, verified_decided)
    out["exchange.unmatched"] = ExchangeRecord.objects.filter(
        status="unmatched", region__code__startswith=code
    ).count()

    # enrolments
    applications = list(Enrolment.objects.filter(region__code__startswith=code))
    in_progress = [x for x in applications if x.status in OPEN_STATES]
    out["enrolments.in_progress"] = len(in_progress)
    for kind in ("dibao", "tekun", "dibao_edge", "rigid_expense"):
        if n := sum(1 for x in in_progress if x.kind == kind):
            out[("enrolments.in_progress", kind)] = n
    soon = today + datetime.timedelta(days=3)
    out["enrolments.due_soon"] = sum(1 for x in in_progress if x.deadline and x.deadline <= soon)
    decided_apps = [
        x for x in applications if x.status in DECIDED_STATES and x.decided_on and x.decided_on >= ws.date()
    ]
    out["enrolments.decided"] = len(decided_apps)
    out["enrolments.in_time_share"] = _ratio(
        sum(1 for x in decided_apps if x.deadline and x.decided_on <= x.deadline), len(decided_apps)
    )
    out["enrolments.refused"] = sum(1 for x in decided_apps if x.status in ("refused", "refusal_sent"))
    out["enrolments.exits"] = Review.objects.filter(
        region__code__startswith=code, status="done", outcome="end", done_on__gte=ws.date()
    ).count()
    return out


def expected_trends(code: str) -> dict[str, dict[str, Decimal]]:
    now = timezone.now()
    ws = winter_start(timezone.localdate())

    def week(dt) -> str:
        d = timezone.localtime(dt).date()
        return (d - datetime.timedelta(days=d.weekday())).isoformat()

    out: dict[str, dict[str, Decimal]] = {"trend.visits": {}, "trend.payments": {}, "trend.encounters": {}}

    def add(series, dt, value):
        out[series][week(dt)] = out[series].get(week(dt), Decimal(0)) + Decimal(value)

    for v in Visit.objects.filter(region__code__startswith=code, visited_at__gte=ws, visited_at__lte=now):
        add("trend.visits", v.visited_at, 1)
    for e in Encounter.objects.filter(
        region__code__startswith=code, occurred_at__gte=ws, occurred_at__lte=now
    ):
        add("trend.encounters", e.occurred_at, 1)
    for p in Payment.objects.filter(
        region__code__startswith=code, batch__status="paid", batch__paid_at__gte=ws
    ).select_related("batch"):
        add("trend.payments", p.batch.paid_at, p.amount)
    for app in AssistanceApplication.objects.filter(region__code__startswith=code):
        if app.emergency_paid_at and app.emergency_paid_at >= ws:
            add("trend.payments", app.emergency_paid_at, app.emergency_amount)
        if app.status == "paid" and app.paid_at and app.paid_at >= ws:
            add("trend.payments", app.paid_at, app.approved_amount)
    return out
