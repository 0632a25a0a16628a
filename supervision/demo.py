"""Demo data: the city's winter-relief 督查 of the `county` user's county, with two findings given
to the county: one about a household's visits, answered and waiting for the city's acceptance; one
about an institution's heating, still to be rectified."""

from __future__ import annotations

import datetime

from django.utils import timezone

from institutions.models import Institution
from people.models import Household
from relief.demo import DemoContext
from supervision.services import finding_add, finding_answer, trip_create, trip_issue, trip_start


def seed(ctx: DemoContext) -> None:
    city, county = ctx.users.get("city"), ctx.users.get("county")
    if (
        city is None
        or county is None
        or county.region is None
        or not county.region_id.startswith(city.region_id)
    ):
        return
    today = timezone.localdate()
    trip = trip_create(
        actor=city,
        title=f"{city.region.name}冬季救助工作督查（{county.region.name}）",
        leader="王副局长",
        members="社会救助科 李明、张华\n养老服务科 赵丽",
        planned_start=today - datetime.timedelta(days=3),
        planned_end=today - datetime.timedelta(days=1),
        regions=[county.region_id],
    )
    trip = trip_start(actor=city, trip=trip, actual_start=today - datetime.timedelta(days=3))
    household = Household.objects.in_region(county.region_id).order_by("pk").first()
    first = finding_add(
        actor=city,
        trip=trip,
        region=county.region_id,
        area="visits",
        severity="serious",
        text="抽查的高龄独居老人家庭，近一个月没有走访记录，取暖煤未送到。",
        requirement="一周内完成走访，补送取暖煤，建立走访台账。",
        household=household,
    )
    institution = Institution.objects.in_region(county.region_id).order_by("pk").first()
    finding_add(
        actor=city,
        trip=trip,
        region=county.region_id,
        area="institution_safety" if institution else "data_quality",
        text="敬老院取暖设施未做安全检查，应急预案未演练。" if institution else "低保对象数据与实际不符。",
        institution=institution,
        figure_name="" if institution else "低保对象数",
    )
    trip_issue(actor=city, trip=trip, comment="督查组现场反馈")
    first.refresh_from_db()
    finding_answer(
        actor=county,
        finding=first,
        comment="已组织乡镇逐户走访，补送取暖煤200公斤，走访台账已建立。",
    )
    ctx.log(f"supervision: {trip.title}, 2 findings (1 answered)")
