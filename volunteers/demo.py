"""Demo data (after patrols and campaigns): in the first county, a few volunteers (a community
volunteer team, a sanitation worker, a courier, a taxi driver), assignments to a patrol shift, a
visit and the campaign's deliveries with their hours (some accepted, one waiting for review: a
task on the township's today page), and a clue reported by the sanitation worker."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from stdnum.cn import ric

from campaigns.models import Campaign, CampaignHousehold, DeliveryState
from patrols.models import PatrolShift
from people.models import Household
from relief.demo import DemoContext
from volunteers import services

PEOPLE = [
    ("王秀英", "volunteer", "金堂县爱心志愿者协会", ["companion", "counselling"], ["6", "7"], ["day"]),
    ("刘建国", "volunteer", "金堂县爱心志愿者协会", ["patrol", "driving"], ["1", "3", "5"], ["night"]),
    ("陈桂兰", "volunteer", "社区志愿服务队", ["delivery", "companion"], ["1", "2", "3", "4", "5"], ["day"]),
    ("张德明", "sanitation", "县环卫所", ["patrol"], ["1", "2", "3", "4", "5", "6", "7"], ["day", "night"]),
    ("李小龙", "courier", "顺丰速运金堂网点", ["delivery"], ["1", "2", "3", "4", "5"], ["day"]),
    ("赵海军", "driver", "金堂出租车公司", ["driving"], ["5", "6", "7"], ["night"]),
]


def _id_number(county: str, n: int) -> str:
    body = f"{county}19{70 + n:02d}0{1 + n % 9}1{5 + n % 4}{(31 + n * 2) % 100:03d}"[:17]
    return body + ric.calc_check_digit(body + "0")


def seed(ctx: DemoContext) -> None:
    county = ctx.users.get("county")
    if county is None or county.region is None:
        return
    code = county.region_id
    household = (
        Household.objects.in_region(code).filter(region__code__regex=r"^\d{12}$").order_by("id").first()
    )
    if household is None:
        return
    village = household.region
    volunteers = []
    for n, (name, kind, org, skills, days, parts) in enumerate(PEOPLE):
        region = village if n % 2 == 0 else (village.parent or county.region)
        volunteers.append(
            services.volunteer_register(
                actor=county,
                region=region,
                name=name,
                phone=f"1390812{n:04d}",
                id_number=_id_number(code, n) if n < 3 else "",
                kind=kind,
                organisation=org,
                skills=skills,
                weekdays=days,
                day_parts=parts,
            )
        )
    companion, patroller, deliverer, sweeper = volunteers[:4]
    today = timezone.localdate()
    made = 0
    # a visit, recorded in the volunteer's name and accepted
    visit = services.assignment_create(
        actor=county, volunteer=companion, household=household, date=today, planned_hours=Decimal("2")
    )
    services.record_visit(actor=county, assignment=visit, needs="", note="志愿者陪老人聊天，检查了取暖")
    services.assignment_complete(actor=county, assignment=visit, actual_hours=Decimal("2.5"))
    services.assignment_accept(actor=county, assignment=visit, comment="情况属实")
    made += 1
    # patrol shifts: the last accepted, the one before sent back
    for i, shift in enumerate(PatrolShift.objects.in_region(code).order_by("-started_at")[:2]):
        a = services.assignment_create(
            actor=county, volunteer=patroller, shift=shift, planned_hours=Decimal("3")
        )
        services.assignment_complete(actor=county, assignment=a, actual_hours=Decimal("3"))
        if i == 0:
            services.assignment_accept(actor=county, assignment=a)
        else:
            services.assignment_send_back(actor=county, assignment=a, comment="请补充巡查发现的人员记录")
        made += 1
    # the campaign's deliveries in the household's village, waiting for review
    campaign = Campaign.objects.in_region(code).order_by("id").first()
    if campaign is not None and campaign.state in ("listed", "in_progress"):
        entries = CampaignHousehold.objects.filter(campaign=campaign, state=DeliveryState.PENDING).order_by(
            "id"
        )
        entry = entries.first()
        if entry is not None:
            target = entry.region
            if deliverer.region_id[:6] == target.code[:6]:
                a = services.assignment_create(
                    actor=county,
                    volunteer=deliverer,
                    campaign=campaign,
                    village=target,
                    date=today,
                    planned_hours=Decimal("4"),
                )
                for e in entries.filter(region=target)[:3]:
                    try:
                        services.record_delivery(
                            actor=county,
                            assignment=a,
                            entry=e,
                            outcome="delivered",
                            received_by_name=e.household.head.name if e.household.head else "户主",
                        )
                    except ValidationError:
                        break  # stock ran out
                services.assignment_complete(actor=county, assignment=a, actual_hours=Decimal("3.5"))
                made += 1
    services.clue_report(
        actor=county,
        volunteer=sweeper,
        place="县城东门大桥桥洞",
        description="清晨清扫时发现一名老人蜷缩在桥洞下，衣着单薄",
    )
    ctx.log(f"volunteers: {len(volunteers)} volunteers, {made} assignments, 1 clue")
