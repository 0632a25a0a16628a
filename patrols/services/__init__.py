"""Every write of the patrols app: one transaction each, scope and role checked first.

Receiving CAP 1.2 warning messages is in cap_messages.py (`from patrols.services import cap_messages`);
it changes levels only through the three writers below (cold_warning_issue / _update / _lift).

Clue and station-case steps are the workflows declared in patrols/workflows.py: each `run` locks the
row, checks scope, the current state and the step's own rules, moves it and records the step (who,
when, comment) in ClueEvent / StationCaseEvent.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds import services as funds_services
from funds.models import Stock
from patrols import selectors
from patrols.models import (
    CaseAction,
    CaseStatus,
    Clue,
    ClueAction,
    ColdWaveLevel,
    ColdWaveWarning,
    Encounter,
    IdentityStatus,
    PatrolShift,
    PatrolTeam,
    Sex,
    StationCase,
    is_night,
    normalize_id_number,
)
from patrols.workflows import MILESTONE_FIELDS, case_workflow, clue_workflow
from people.tasks import refresh_next_visits_later
from relief.models import Region, Role, User
from relief.policy import policy_value
from relief.scoping import in_scope, require_actor, require_in_scope


def _flags(names: Iterable[str], allowed: Iterable[str], label: str) -> dict[str, bool]:
    names, allowed = set(names), tuple(allowed)
    unknown = names - set(allowed)
    if unknown:
        raise ValidationError({label: _("未知选项：%(names)s") % {"names": "、".join(sorted(unknown))}})
    return {name: name in names for name in allowed}


# --- Teams and shifts ---------------------------------------------------------------------------


@transaction.atomic
def team_create(
    *, actor: User, name: str, region: Region, members: Iterable[User] = (), phone: str = ""
) -> PatrolTeam:
    require_actor(actor, region.code)
    members = list(members)
    # A member records the team's shifts and encounters, so must see the team's region.
    for member in members:
        if not member.is_region_admin and not (member.region_id and region.code.startswith(member.region_id)):
            raise ValidationError(
                {"members": _("队员 %(user)s 的管辖区划须包含巡查队所在区划") % {"user": member}}
            )
    team = PatrolTeam(name=name, region=region, phone=phone)
    team.full_clean()
    team.save()
    team.members.set(members)
    return team


@transaction.atomic
def shift_start(
    *,
    actor: User,
    team: PatrolTeam,
    area: str,
    started_at: datetime.datetime | None = None,
    ended_at: datetime.datetime | None = None,
    night: bool | None = None,
    members_present: Iterable[User] = (),
    joint_partners: Iterable[str] = (),
    temperature_c: Decimal | None = None,
    weather: str = "",
    note: str = "",
) -> PatrolShift:
    """Record a patrol shift. `night` defaults to whether the shift starts between 20:00 and 06:00."""
    require_actor(actor, team.region_id)
    started_at = started_at or timezone.now()
    members_present = list(members_present)
    team_members = set(team.members.values_list("pk", flat=True))
    strangers = [str(m) for m in members_present if m.pk not in team_members]
    if strangers:
        raise ValidationError(
            {"members_present": _("%(names)s 不是该巡查队队员") % {"names": "、".join(strangers)}}
        )
    if ended_at is not None and ended_at <= started_at:
        raise ValidationError({"ended_at": _("结束时间必须晚于开始时间")})
    shift = PatrolShift(
        team=team,
        region_id=team.region_id,
        area=area,
        started_at=started_at,
        ended_at=ended_at,
        is_night=is_night(started_at) if night is None else night,
        joint_partners=sorted(set(joint_partners)),
        temperature_c=temperature_c,
        weather=weather,
        note=note,
        created_by=actor,
    )
    shift.full_clean()
    shift.save()
    shift.members_present.set(members_present)
    return shift


@transaction.atomic
def shift_end(*, actor: User, shift: PatrolShift, ended_at: datetime.datetime | None = None) -> PatrolShift:
    shift = PatrolShift.objects.select_for_update().get(pk=shift.pk)
    require_actor(actor, shift.region_id)
    if shift.ended_at is not None:
        raise ValidationError(_("该班次已结束"))
    ended_at = ended_at or timezone.now()
    if ended_at <= shift.started_at:
        raise ValidationError({"ended_at": _("结束时间必须晚于开始时间")})
    shift.ended_at = ended_at
    shift.save(update_fields=["ended_at"])
    return shift


# --- Encounters ---------------------------------------------------------------------------------


@transaction.atomic
def encounter_record(
    *,
    actor: User,
    shift: PatrolShift,
    place: str,
    occurred_at: datetime.datetime | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    person_name: str = "",
    id_number: str = "",
    description: str = "",
    sex: str = Sex.UNKNOWN,
    approx_age: int | None = None,
    conditions: Iterable[str] = (),
    actions: Iterable[str] = (),
    refusal_reason: str = "",
    refusal_signed: bool = False,
    materials_given: str = "",
    materials: Iterable[Mapping] = (),
    follow_up: str = "",
) -> Encounter:
    """Record a person met on the street. `conditions` and `actions` name the flags that apply
    (see Encounter.CONDITION_FIELDS and ACTION_FIELDS). A refusal needs its reason; the suspected
    mentally ill, injured or critically ill go to hospital first.

    `materials` ({"stock": funds Stock, "quantity": Decimal}, at most MAX_ENCOUNTER_MATERIALS) are
    given from the stock of the shift's county warehouses in the same transaction: not enough stock
    and nothing is saved. `materials_given` stays for goods not from stock.

    Escorted to the station (`escorted_to_station`): the county station's case for the person is
    opened, or the person's open case there joined, in the same transaction (`station_case`)."""
    require_actor(actor, shift.region_id)
    materials = _encounter_materials(shift, materials)
    encounter = Encounter(
        shift=shift,
        region_id=shift.region_id,
        place=place,
        occurred_at=occurred_at or timezone.now(),
        latitude=latitude,
        longitude=longitude,
        person_name=person_name.strip(),
        id_number=normalize_id_number(id_number),
        description=description,
        sex=sex,
        approx_age=approx_age,
        refusal_reason=refusal_reason.strip(),
        refusal_signed=refusal_signed,
        materials_given=materials_given,
        follow_up=follow_up,
        recorded_by=actor,
        **_flags(conditions, Encounter.CONDITION_FIELDS, "conditions"),
        **_flags(actions, Encounter.ACTION_FIELDS, "actions"),
    )
    if not (encounter.person_name or encounter.id_number or encounter.description.strip()):
        raise ValidationError({"description": _("请填写姓名、身份证号或体貌特征中的至少一项")})
    encounter.full_clean()
    encounter.save()
    _distribute_materials(actor, encounter, materials)
    if encounter.escorted_to_station:
        _escort_to_station(actor, encounter)
    return encounter


MAX_ENCOUNTER_MATERIALS = 5


def _encounter_materials(shift: PatrolShift, materials: Iterable[Mapping]) -> list[tuple]:
    """(stock, quantity) pairs, one per stock row (repeated rows added up), in a fixed order so
    that concurrent encounters lock stock rows in the same order."""
    totals: dict[int, list] = {}
    for row in materials:
        stock, quantity = row["stock"], row["quantity"]
        if not isinstance(stock, Stock):
            raise TypeError("materials: stock must be a funds Stock")
        if isinstance(quantity, float):
            raise TypeError("quantity must be Decimal, not float")
        if not stock.region_id.startswith(shift.region_id[:6]):
            raise ValidationError({"materials": _("只能发放本县（区）仓库的库存物资")})
        entry = totals.setdefault(stock.pk, [stock, Decimal("0")])
        try:
            entry[1] += Decimal(str(quantity))
        except ArithmeticError:
            raise ValidationError({"materials": _("数量格式不正确")}) from None
    if len(totals) > MAX_ENCOUNTER_MATERIALS:
        raise ValidationError(
            {"materials": _("一次最多发放%(n)s种库存物资") % {"n": MAX_ENCOUNTER_MATERIALS}}
        )
    return [tuple(totals[pk]) for pk in sorted(totals)]


def _distribute_materials(actor: User, encounter: Encounter, materials: list[tuple]) -> None:
    if not materials:
        return
    description = (_("街面救助：%(place)s") % {"place": encounter.place})[:255]
    for stock, quantity in materials:
        try:
            funds_services.stock_distribute(
                actor=actor,
                stock=stock,
                quantity=quantity,
                recipient=encounter,
                recipient_description=description,
            )
        except ValidationError as exc:
            raise ValidationError({"materials": exc.messages}) from exc


# --- Clues (the workflow: patrols/workflows.py) ------------------------------------------------


@transaction.atomic
def clue_report(
    *,
    actor: User,
    region: Region,
    channel: str,
    place: str,
    reported_at: datetime.datetime | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    description: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Clue:
    """Register a clue. Its response deadline comes from the policy parameter clue_response_minutes
    of its region."""
    require_actor(actor, region.code)
    reported_at = reported_at or timezone.now()
    if reported_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"reported_at": _("报告时间不能晚于当前时间")})
    minutes = policy_value("clue_response_minutes", region.code, timezone.localtime(reported_at).date())
    clue = Clue(
        region=region,
        channel=channel,
        place=place,
        reported_at=reported_at,
        due_at=reported_at + datetime.timedelta(minutes=int(minutes)),
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        description=description,
        latitude=latitude,
        longitude=longitude,
        created_by=actor,
    )
    clue.full_clean()
    clue.save()
    clue_workflow.log(clue, action=ClueAction.REPORT, actor=actor, comment=_("登记线索"))
    return clue


def clue_dispatch(*, actor: User, clue: Clue, team: PatrolTeam, comment: str = "") -> Clue:
    """Send a clue to a patrol team (again, if the first team cannot go)."""
    return clue_workflow.run("dispatch", actor=actor, obj=clue, team=team, comment=comment)


def clue_respond(
    *, actor: User, clue: Clue, responded_at: datetime.datetime | None = None, comment: str = ""
) -> Clue:
    """The team has reached the place: the response time is measured from the report."""
    return clue_workflow.run("respond", actor=actor, obj=clue, responded_at=responded_at, comment=comment)


def clue_close(
    *, actor: User, clue: Clue, outcome: str, outcome_note: str = "", encounter: Encounter | None = None
) -> Clue:
    return clue_workflow.run(
        "close", actor=actor, obj=clue, outcome=outcome, outcome_note=outcome_note, encounter=encounter
    )


# --- Rescue station cases (the workflow: patrols/workflows.py) -----------------------------------


@transaction.atomic
def station_case_intake(
    *,
    actor: User,
    region: Region,
    station_name: str,
    intake_at: datetime.datetime | None = None,
    person_name: str = "",
    id_number: str = "",
    description: str = "",
    sex: str = Sex.UNKNOWN,
    approx_age: int | None = None,
    health_screening: str = "",
    mental_screening: str = "",
    injured: bool = False,
    critically_ill: bool = False,
    suspected_mental_disorder: bool = False,
    intellectual_disability: bool = False,
    encounter: Encounter | None = None,
) -> StationCase:
    """Register a person arriving at a rescue station. Identity is known when an ID number is
    given; otherwise the family-search milestones start counting from the intake time."""
    require_actor(actor, region.code)
    if encounter is not None:
        require_in_scope(actor, encounter.region_id)
    case = _new_case(
        actor=actor,
        region_code=region.code,
        station_name=station_name,
        intake_at=intake_at or timezone.now(),
        person_name=person_name,
        id_number=id_number,
        description=description,
        sex=sex,
        approx_age=approx_age,
        health_screening=health_screening,
        mental_screening=mental_screening,
        injured=injured,
        critically_ill=critically_ill,
        suspected_mental_disorder=suspected_mental_disorder,
        intellectual_disability=intellectual_disability,
        encounter=encounter,
    )
    case_workflow.log(case, action=CaseAction.INTAKE, actor=actor, comment=_("接收登记"))
    return case


def _new_case(
    *, actor: User, region_code: str, id_number: str = "", person_name: str = "", **fields
) -> StationCase:
    """A new case (scope checked by the caller)."""
    id_number = normalize_id_number(id_number)
    case = StationCase(
        region_id=region_code,
        person_name=person_name.strip(),
        id_number=id_number,
        identity_status=IdentityStatus.KNOWN if id_number else IdentityStatus.UNKNOWN,
        created_by=actor,
        **fields,
    )
    if not (case.person_name or case.id_number or case.description.strip()):
        raise ValidationError({"description": _("请填写姓名、身份证号或体貌特征中的至少一项")})
    case.full_clean()
    case.save()
    return case


def _escort_to_station(actor: User, encounter: Encounter) -> StationCase:
    """护送至救助站: open a case at the county's station for the person, or join the open case the
    same person already has there (selectors.open_case_of_same_person), in the encounter's
    transaction. The station serves the whole county, so a township patrol opens it too: the
    actor's scope was checked on the encounter's region."""
    code = selectors.station_region_code(encounter.region_id)
    if encounter.id_number or encounter.person_name:
        # One case per person even when two patrols bring the same person in at once.
        key = f"patrols.station_case:{code}:{encounter.id_number or encounter.person_name}"
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])
    case = selectors.open_case_of_same_person(
        code,
        id_number=encounter.id_number,
        person_name=encounter.person_name,
        sex=encounter.sex,
        age=encounter.age_years(),
    )
    referred = encounter.medical_referral
    note = _("街面救助记录 #%(n)s（%(place)s）") % {"n": encounter.pk, "place": encounter.place}
    if case is None:
        case = _new_case(
            actor=actor,
            region_code=code,
            station_name=selectors.county_station_name(code),
            intake_at=encounter.occurred_at,
            person_name=encounter.person_name,
            id_number=encounter.id_number,
            description=encounter.description,
            sex=encounter.sex,
            approx_age=encounter.approx_age,
            health_screening="、".join(encounter.condition_labels),
            injured=encounter.injured,
            critically_ill=encounter.critically_ill,
            suspected_mental_disorder=encounter.suspected_mental_disorder,
            encounter=encounter,
        )
        case_workflow.log(case, action=CaseAction.INTAKE, actor=actor, comment=_("护送来站：") + note)
        if referred:
            # Taken to hospital on the way (送医救治): the case starts there, its referral recorded.
            case.status, case.hospital_referred_at = CaseStatus.IN_HOSPITAL, encounter.occurred_at
            case.save(update_fields=["status", "hospital_referred_at"])
            case_workflow.log(
                case,
                action=CaseAction.HOSPITALIZE,
                actor=actor,
                from_state=CaseStatus.INTAKE,
                comment=_("街面救助时已送医救治"),
            )
    else:
        case = StationCase.objects.select_for_update().get(pk=case.pk)
        changed = []
        # What the patrol saw now counts too: a person found critically ill again needs the referral.
        for flag in ("injured", "critically_ill", "suspected_mental_disorder"):
            if getattr(encounter, flag) and not getattr(case, flag):
                setattr(case, flag, True)
                changed.append(flag)
        if referred and case.hospital_referred_at is None:
            case.hospital_referred_at = encounter.occurred_at
            changed.append("hospital_referred_at")
        if changed:
            case.save(update_fields=changed)
        case_workflow.log(
            case,
            action=CaseAction.ESCORTED,
            actor=actor,
            from_state=case.status,
            comment=_("再次护送来站：") + note,
        )
    encounter.station_case = case
    encounter.save(update_fields=["station_case"])
    return case


def station_case_hospitalize(*, actor: User, case: StationCase, comment: str = "") -> StationCase:
    """Send to hospital first (先行送医); the case stays open and comes back with `admit`."""
    return case_workflow.run("hospitalize", actor=actor, obj=case, comment=comment)


def station_case_admit(*, actor: User, case: StationCase, comment: str = "") -> StationCase:
    """Into the station after screening (or back from hospital)."""
    return case_workflow.run("admit", actor=actor, obj=case, comment=comment)


def station_case_identify(
    *, actor: User, case: StationCase, person_name: str, id_number: str = "", comment: str = ""
) -> StationCase:
    """Identity established (by ID check, DNA match or the person's own account)."""
    return case_workflow.run(
        "identify", actor=actor, obj=case, person_name=person_name, id_number=id_number, comment=comment
    )


def station_case_record_milestone(
    *,
    actor: User,
    case: StationCase,
    milestone: str,
    at: datetime.datetime | None = None,
    comment: str = "",
) -> StationCase:
    """Record that a milestone was done: search notice published, DNA sampled, records updated,
    settlement started. Each milestone is its own step of the workflow."""
    if milestone not in MILESTONE_FIELDS:
        raise ValidationError({"milestone": _("未知的节点")})
    return case_workflow.run(milestone, actor=actor, obj=case, at=at, comment=comment)


def station_case_long_term(*, actor: User, case: StationCase, comment: str = "") -> StationCase:
    return case_workflow.run("long_term", actor=actor, obj=case, comment=comment)


def station_case_exit(
    *,
    actor: User,
    case: StationCase,
    exit_type: str,
    signed_statement: bool = False,
    exited_at: datetime.datetime | None = None,
    comment: str = "",
) -> StationCase:
    """Leave the station: family found, escorted home, to hospital, or by the person's own choice
    with a signed statement. Children under 16 are escorted home, never left to leave alone."""
    return case_workflow.run(
        "exit",
        actor=actor,
        obj=case,
        exit_type=exit_type,
        signed_statement=signed_statement,
        exited_at=exited_at,
        comment=comment,
    )


def station_case_settle(
    *, actor: User, case: StationCase, institution: str, comment: str = ""
) -> StationCase:
    """Long-term care ends in settlement (落户安置), usually in a welfare institution."""
    return case_workflow.run("settle", actor=actor, obj=case, institution=institution, comment=comment)


# --- Cold-wave warnings -------------------------------------------------------------------------

# Who may set a cold-wave level: civil-affairs officials at county level and above (the city and
# province officials included, though they only read case records), for a county or wider region
# inside their scope, and administrators. Village and township staff, and API clients, may not.
COLD_WAVE_ROLES = {Role.COUNTY, Role.CITY, Role.PROVINCE}


def can_issue_cold_warning(user: User) -> bool:
    if not (user and getattr(user, "is_authenticated", False) and user.is_active):
        return False
    return user.is_region_admin or user.role in COLD_WAVE_ROLES


def _require_cold_wave_official(actor: User, region_code: str) -> None:
    if not can_issue_cold_warning(actor):
        raise PermissionDenied(_("只有县级及以上民政官员可以发布寒潮预警"))
    require_in_scope(actor, region_code)


def _has_ended(warning: ColdWaveWarning, at: datetime.datetime) -> bool:
    return warning.ends_at is not None and warning.ends_at <= at


def can_lift_cold_warning(user: User, warning: ColdWaveWarning) -> bool:
    """Whether `cold_warning_lift` would let `user` lift `warning` now: an official whose scope
    covers the warning's own region (a county official sees the city's warning, which applies to
    the county, but does not lift it), while it has not ended."""
    return (
        can_issue_cold_warning(user)
        and in_scope(user, warning.region_id)
        and not _has_ended(warning, timezone.now())
    )


@transaction.atomic
def cold_warning_issue(
    *,
    actor: User,
    region: Region,
    level: int,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    note: str = "",
) -> ColdWaveWarning:
    _require_cold_wave_official(actor, region.code)
    if len(region.code) > 6:
        raise ValidationError({"region": _("寒潮预警应按县（区）及以上区划发布")})
    if level not in ColdWaveLevel.values:
        raise ValidationError({"level": _("请选择预警等级")})
    starts_at = starts_at or timezone.now()
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})
    warning = ColdWaveWarning(
        region=region, level=level, starts_at=starts_at, ends_at=ends_at, note=note, issued_by=actor
    )
    warning.full_clean()
    warning.save()
    # visits shorten to the cold-wave interval in the warning's region: its people's next visit due
    refresh_next_visits_later(warning.region_id)
    _warning_changed(warning)
    return warning


@transaction.atomic
def cold_warning_lift(
    *, actor: User, warning: ColdWaveWarning, at: datetime.datetime | None = None
) -> ColdWaveWarning:
    warning = ColdWaveWarning.objects.select_for_update().get(pk=warning.pk)
    _require_cold_wave_official(actor, warning.region_id)
    at = at or timezone.now()
    if _has_ended(warning, at):
        raise ValidationError(_("该预警已结束"))
    if at <= warning.starts_at:
        # Not started yet: lifting cancels it; keep the row valid (end after start).
        at = warning.starts_at + datetime.timedelta(seconds=1)
    warning.ends_at = at
    warning.lifted_by = actor
    warning.save(update_fields=["ends_at", "lifted_by"])
    refresh_next_visits_later(warning.region_id)  # the usual intervals again
    _warning_changed(warning)
    return warning


@transaction.atomic
def cold_warning_update(
    *,
    actor: User,
    warning: ColdWaveWarning,
    level: int,
    ends_at: datetime.datetime | None,
    note: str | None = None,
) -> ColdWaveWarning:
    """Change the level and the end of a warning in force or still to come (an official Update of
    the warning, patrols/cap.py). `note` None keeps the warning's note. A lifted warning stays
    lifted: a new level then needs a new warning (cold_warning_issue)."""
    warning = ColdWaveWarning.objects.select_for_update().get(pk=warning.pk)
    _require_cold_wave_official(actor, warning.region_id)
    if warning.lifted_by_id is not None:
        raise ValidationError(_("该预警已解除"))
    if level not in ColdWaveLevel.values:
        raise ValidationError({"level": _("请选择预警等级")})
    if ends_at is not None and ends_at <= warning.starts_at:
        raise ValidationError({"ends_at": _("结束时间必须晚于开始时间")})
    warning.level, warning.ends_at = level, ends_at
    if note is not None:
        warning.note = note
    warning.full_clean()
    warning.save(update_fields=["level", "ends_at", "note"])
    refresh_next_visits_later(warning.region_id)
    _warning_changed(warning)
    return warning


#: what runs when a cold-wave level is set, changed or stood down (coldwaves: the roll calls follow)
WARNING_HOOKS: list[Callable[[ColdWaveWarning], None]] = []


def on_warning_change(fn: Callable[[ColdWaveWarning], None]) -> None:
    """An app above patrols follows every change of a cold-wave level (from AppConfig.ready())."""
    if fn not in WARNING_HOOKS:
        WARNING_HOOKS.append(fn)


def _warning_changed(warning: ColdWaveWarning) -> None:
    for fn in WARNING_HOOKS:
        fn(warning)
