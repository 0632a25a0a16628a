"""Demo data of the patrols app (registered with order 30): a patrol team per demo county, shifts
over the last three weeks with encounters, clues in every status, station cases in several states
and a cold-wave warning in force."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from patrols.models import (
    CapMessage,
    CaseStatus,
    Clue,
    ClueChannel,
    ClueEvent,
    ClueOutcome,
    ClueStatus,
    ColdWaveLevel,
    ColdWaveWarning,
    Encounter,
    ExitType,
    IdentityStatus,
    JointPartner,
    PatrolShift,
    PatrolTeam,
    Sex,
    StationCase,
    StationCaseEvent,
    Weather,
)
from relief.demo import DemoContext

PLACES = [
    "火车站广场",
    "汽车客运站",
    "东门大桥桥洞",
    "人民公园",
    "地下通道",
    "农贸市场",
    "医院门诊楼外",
    "高速路口",
]
DESCRIPTIONS = [
    "灰色棉衣，背蛇皮袋",
    "黑色羽绒服，头发花白",
    "军绿色大衣，拄拐",
    "红色外套，外地口音",
    "衣着单薄，神情恍惚",
]

# The step that leads into each status (the demo writes histories in one go, without the workflow).
CLUE_STEP_INTO = {"new": "report", "dispatched": "dispatch", "responded": "respond", "closed": "close"}
CASE_STEP_INTO = {
    "in_hospital": "hospitalize",
    "in_station": "admit",
    "long_term": "long_term",
    "exited": "exit",
    "settled": "settle",
}


def _seed_county(ctx: DemoContext, county, users: list, now: datetime.datetime) -> None:
    rng = ctx.rng
    admin = ctx.users.get("admin")
    team, created = PatrolTeam.objects.get_or_create(
        region=county, name=f"{county.name}街面巡查救助队", defaults={"phone": "12345"}
    )
    if not created and team.shifts.exists():
        return
    team.members.set(users)
    actor = users[0] if users else admin

    encounters = []
    for days_ago in range(21, -1, -1):
        day = (now - datetime.timedelta(days=days_ago)).date()
        for hour in rng.sample([9, 15, 21, 23], k=rng.randint(1, 2)):
            start = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(hour, rng.choice([0, 30])))
            )
            if start >= now:
                continue
            shift = PatrolShift.objects.create(
                team=team,
                region=county,
                area="、".join(rng.sample(PLACES, k=3)),
                started_at=start,
                ended_at=end if (end := start + datetime.timedelta(hours=3)) < now else None,
                is_night=hour >= 20,
                joint_partners=rng.sample(JointPartner.values, k=rng.randint(0, 2)),
                temperature_c=Decimal(rng.randint(-150, 50)) / 10,
                weather=rng.choice(Weather.values),
                created_by=actor,
            )
            shift.members_present.set(users)
            for _ in range(rng.randint(0, 3)):
                refused = rng.random() < 0.2
                sick = rng.random() < 0.15
                encounters.append(
                    Encounter(
                        shift=shift,
                        region=county,
                        occurred_at=start + datetime.timedelta(minutes=rng.randint(10, 150)),
                        place=rng.choice(PLACES),
                        description=rng.choice(DESCRIPTIONS),
                        sex=rng.choice([Sex.MALE, Sex.MALE, Sex.FEMALE]),
                        approx_age=rng.randint(25, 80),
                        cold_exposure=True,
                        illness=sick,
                        food_given=True,
                        clothing_given=rng.random() < 0.5,
                        bedding_given=rng.random() < 0.4,
                        medical_referral=sick,
                        # escorts to the station go through the service below (they open a case)
                        escorted_to_station=False,
                        refused_help=refused,
                        refusal_reason="不愿离开原住处" if refused else "",
                        refusal_signed=refused and rng.random() < 0.5,
                        materials_given="棉被1床、方便食品2份",
                        recorded_by=actor,
                    )
                )
    Encounter.objects.bulk_create(encounters)
    _escorted(ctx, county, team, actor, now)

    # Clues in every status.
    for i, status in enumerate(
        [ClueStatus.NEW, ClueStatus.DISPATCHED, ClueStatus.RESPONDED] + [ClueStatus.CLOSED] * 5
    ):
        reported = now - datetime.timedelta(minutes=rng.randint(20, 60 * 24 * 14))
        clue = Clue(
            region=county,
            channel=rng.choice(ClueChannel.values),
            reporter_name=rng.choice(["王师傅", "李女士", "环卫张师傅", ""]),
            reporter_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            place=rng.choice(PLACES),
            description=rng.choice(DESCRIPTIONS),
            reported_at=reported,
            due_at=reported + datetime.timedelta(minutes=30),
            status=status,
            created_by=actor,
        )
        history = [("", ClueStatus.NEW)]
        if status != ClueStatus.NEW:
            clue.team, clue.dispatched_at = team, reported + datetime.timedelta(minutes=rng.randint(2, 10))
            history.append((ClueStatus.NEW, ClueStatus.DISPATCHED))
        if status in (ClueStatus.RESPONDED, ClueStatus.CLOSED):
            minutes = rng.randint(8, 55)
            clue.responded_at = reported + datetime.timedelta(minutes=minutes)
            clue.response_minutes = minutes
            history.append((ClueStatus.DISPATCHED, ClueStatus.RESPONDED))
        if status == ClueStatus.CLOSED:
            clue.outcome = list(ClueOutcome.values)[i % len(ClueOutcome.values)]
            clue.outcome_note = "本人拒绝，已签字" if clue.outcome == ClueOutcome.REFUSED else ""
            clue.closed_at = clue.responded_at + datetime.timedelta(minutes=30)
            history.append((ClueStatus.RESPONDED, ClueStatus.CLOSED))
        clue.save()
        ClueEvent.objects.bulk_create(
            [
                ClueEvent(clue=clue, action=CLUE_STEP_INTO[b], from_state=a, to_state=b, actor=actor)
                for a, b in history
            ]
        )

    # Station cases in several states.
    station = f"{county.name}救助管理站"
    specs = [
        (2, CaseStatus.INTAKE, {}),
        (5, CaseStatus.IN_STATION, {"search_notice_at": 4}),
        (12, CaseStatus.IN_STATION, {"search_notice_at": 11, "dna_sampled_at": 8}),
        (3, CaseStatus.IN_HOSPITAL, {"suspected_mental_disorder": True}),
        (40, CaseStatus.LONG_TERM, {"search_notice_at": 39, "dna_sampled_at": 35, "records_updated_at": 9}),
        (100, CaseStatus.SETTLED, {"search_notice_at": 99, "dna_sampled_at": 95, "records_updated_at": 69}),
        (6, CaseStatus.EXITED, {"exit_type": ExitType.FAMILY_FOUND, "identity": True}),
        (4, CaseStatus.EXITED, {"exit_type": ExitType.LEFT_BY_SELF, "identity": True}),
    ]
    for days_ago, status, extra in specs:
        intake = now - datetime.timedelta(days=days_ago, hours=rng.randint(0, 10))
        case = StationCase(
            region=county,
            station_name=station,
            intake_at=intake,
            description=rng.choice(DESCRIPTIONS),
            sex=rng.choice([Sex.MALE, Sex.FEMALE]),
            approx_age=rng.randint(30, 75),
            status=status,
            health_screening="体温正常，轻度冻伤" if rng.random() < 0.5 else "未见明显异常",
            suspected_mental_disorder=bool(extra.get("suspected_mental_disorder")),
            created_by=actor,
        )
        for field in ("search_notice_at", "dna_sampled_at", "records_updated_at"):
            if field in extra:
                setattr(case, field, now - datetime.timedelta(days=extra[field]))
        if extra.get("identity"):
            case.identity_status = IdentityStatus.KNOWN
            case.person_name = rng.choice(["张建国", "刘秀英", "陈志强"])
        if status == CaseStatus.EXITED:
            case.exit_type = extra["exit_type"]
            case.exited_at = now - datetime.timedelta(days=1)
            case.signed_statement = case.exit_type == ExitType.LEFT_BY_SELF
        if status == CaseStatus.SETTLED:
            case.settled_at = case.settlement_started_at = now - datetime.timedelta(days=8)
            case.settlement_institution = f"{county.name}社会福利院"
        case.save()
        StationCaseEvent.objects.create(case=case, action="intake", to_state=CaseStatus.INTAKE, actor=actor)
        if status != CaseStatus.INTAKE:
            StationCaseEvent.objects.create(
                case=case,
                action=CASE_STEP_INTO[status],
                from_state=CaseStatus.INTAKE,
                to_state=status,
                actor=actor,
            )


def _escorted(ctx: DemoContext, county, team: PatrolTeam, actor, now: datetime.datetime) -> None:
    """Escorts to the station, recorded as a patrol member would (services.encounter_record): a man
    with his ID card opens a case, brought in again by a later patrol he joins it; a critically ill
    woman taken to hospital on the way starts her case in hospital."""
    from stdnum.cn import ric

    from patrols import services
    from people.demo import check_digit

    if actor is None:
        return
    shifts = list(
        team.shifts.filter(started_at__lt=now - datetime.timedelta(hours=4)).order_by("-started_at")
    )
    if len(shifts) < 3:
        return
    birth = datetime.date(1958, 1, 1) + datetime.timedelta(days=ctx.rng.randrange(0, 3650))
    sequence = f"{ctx.rng.randrange(0, 500) * 2 + 1:03d}"  # odd: a man
    for place in (county.code[:6], "510121"):  # a county code stdnum does not know: born elsewhere
        body = f"{place}{birth:%Y%m%d}{sequence}"
        if ric.is_valid(id_number := body + check_digit(body)):
            break
    for shift in (shifts[2], shifts[0]):
        services.encounter_record(
            actor=actor,
            shift=shift,
            place=ctx.rng.choice(PLACES),
            occurred_at=shift.started_at + datetime.timedelta(minutes=40),
            person_name="赵德明",
            id_number=id_number,
            sex=Sex.MALE,
            conditions=["cold_exposure"],
            actions=["food_given", "escorted_to_station"],
            follow_up="护送至救助站，已通知站内值班人员",
        )
    services.encounter_record(
        actor=actor,
        shift=shifts[1],
        place=ctx.rng.choice(PLACES),
        occurred_at=shifts[1].started_at + datetime.timedelta(minutes=25),
        description="女，约70岁，意识模糊，衣着单薄",
        sex=Sex.FEMALE,
        approx_age=70,
        conditions=["cold_exposure", "critically_ill"],
        actions=["medical_referral", "escorted_to_station"],
        follow_up="120送县人民医院急诊，出院后转救助站",
    )


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    now = timezone.now()
    county_users = {
        ctx.counties[0].code: [ctx.users["county"]] if "county" in ctx.users else [],
    }
    if len(ctx.counties) > 1 and "county2" in ctx.users:
        county_users[ctx.counties[1].code] = [ctx.users["county2"]]
    for county in ctx.counties:
        _seed_county(ctx, county, county_users.get(county.code, []), now)
    # A cold wave: orange over the first demo county's city for the coming days, and an earlier red
    # warning for a plateau county that has ended.
    city = ctx.counties[0].parent
    if city and not ColdWaveWarning.objects.filter(region=city).exists():
        ColdWaveWarning.objects.create(
            region=city,
            level=ColdWaveLevel.ORANGE,
            starts_at=now - datetime.timedelta(days=1),
            ends_at=now + datetime.timedelta(days=3),
            note="市气象台发布寒潮橙色预警",
            issued_by=ctx.users.get("city"),
        )
    plateau = ctx.counties[-1]
    if not ColdWaveWarning.objects.filter(region=plateau).exists():
        ColdWaveWarning.objects.create(
            region=plateau,
            level=ColdWaveLevel.RED,
            starts_at=now - datetime.timedelta(days=10),
            ends_at=now - datetime.timedelta(days=7),
            note="高原暴雪寒潮红色预警",
            issued_by=ctx.users.get("admin"),
        )
    _seed_cap_exercise(ctx, ctx.counties[0], now)
    ctx.log(
        f"patrols: {PatrolShift.objects.count()} shifts, {Encounter.objects.count()} encounters, "
        f"{Clue.objects.count()} clues, {StationCase.objects.count()} station cases"
    )


CAP_EXERCISE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>urn:oid:2.49.0.1.156.1.demo.{stamp}.{code}</identifier>
  <sender>demo@12379.cn</sender>
  <sent>{sent}</sent>
  <status>Exercise</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>zh-CN</language>
    <category>Met</category>
    <event>寒潮</event>
    <urgency>Expected</urgency>
    <severity>Minor</severity>
    <certainty>Likely</certainty>
    <expires>{expires}</expires>
    <headline>（演练）{name}气象台发布寒潮蓝色预警信号</headline>
    <area><areaDesc>{name}</areaDesc><geocode><valueName>GB/T 2260</valueName><value>{code}</value></geocode></area>
  </info>
</alert>
"""


def _seed_cap_exercise(ctx: DemoContext, county, now: datetime.datetime) -> None:
    """An exercise CAP message received by the county: stored, and no level changed."""
    from patrols.services import cap_messages

    actor = ctx.users.get("county")
    if actor is None or CapMessage.objects.filter(sender="demo@12379.cn").exists():
        return
    sent = timezone.localtime(now - datetime.timedelta(days=2)).replace(microsecond=0)
    body = CAP_EXERCISE.format(
        stamp=sent.strftime("%Y%m%d%H%M%S"),
        code=county.code,
        name=county.name,
        sent=sent.isoformat(),
        expires=(sent + datetime.timedelta(days=1)).isoformat(),
    )
    cap_messages.cap_receive(actor=actor, data=body.encode("utf-8"))
