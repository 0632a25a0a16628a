"""Demo data: the orange warning patrols' demo puts over the first county's city opens the roll
calls of its counties (the real service, as the beat task does); about half of the people have been
reached, some need help, a few could not be reached. The first county has its emergency plan, with
a reserve list its warehouses do not fully meet and a township's drill; the neighbouring county has
none (both are what the plan-gap alert finds)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import Q
from django.db.models.functions import Mod
from django.utils import timezone

from coldwaves.models import Outcome, RollCallEntry
from coldwaves.services import rollcalls_sync
from coldwaves.services.plans import drill_record, plan_create, reserves_set
from relief.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    counts = rollcalls_sync()
    now = timezone.now()
    entries = RollCallEntry.objects.filter(outcome=Outcome.PENDING).annotate(b=Mod("id", 100))
    village_user = ctx.users.get("village")
    if village_user is not None:
        # the demo village worker's own people mostly stay to do, so that her today page shows them
        entries = entries.exclude(Q(region_id=village_user.region_id) & ~Q(b__in=[0, 25, 50, 75]))
    # set-based, whatever the size of the demo: by the last two digits of the id, 45 % reached safe,
    # 10 % needing help, 7 % tried and not reached, the rest still to contact
    entries.filter(b__lt=45).update(outcome=Outcome.SAFE, answered_at=now)
    entries.filter(b__gte=45, b__lt=55).update(outcome=Outcome.NEEDS_HELP, answered_at=now)
    entries.filter(b__gte=55, b__lt=62).update(outcome=Outcome.NOT_REACHED, attempts=1, note="电话无人接听")
    ctx.log(f"coldwaves: {counts['opened']} roll calls, {RollCallEntry.objects.count()} people to reach")
    seed_plans(ctx)


# a one-page PDF (plans are accepted as PDF, Word or OFD, by content)
DEMO_PLAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
#: item code -> quantity the demo plan requires
DEMO_RESERVES = {"quilt": "800", "cotton_clothing": "500", "coal": "50", "food": "300"}


def seed_plans(ctx: DemoContext) -> None:
    from funds.models import MaterialItem

    county, township = ctx.users.get("county"), ctx.users.get("township")
    if county is None or county.region is None:
        return
    today = timezone.localdate()
    plan = plan_create(
        actor=county,
        region=county.region,
        title=f"{county.region.name}寒潮应急预案（{today.year}年修订）",
        document=ContentFile(DEMO_PLAN, name="plan.pdf"),
        approved_on=today - datetime.timedelta(days=60),
        valid_until=today + datetime.timedelta(days=3 * 365),
        note="县减灾委员会审议通过",
    )
    items = {i.code: i for i in MaterialItem.objects.filter(code__in=DEMO_RESERVES)}
    reserves_set(
        actor=county,
        plan=plan,
        lines={items[code]: Decimal(qty) for code, qty in DEMO_RESERVES.items() if code in items},
    )
    if township is not None:
        drill_record(
            actor=township,
            plan=plan,
            held_on=today - datetime.timedelta(days=20),
            kind="field",
            participants=42,
            participant_note="街道民政办、派出所、卫生院、社区网格员、志愿者",
            findings="夜间巡查未覆盖桥洞和废弃厂房；部分独居老人电话无人接听",
            follow_up="增设两处夜间巡查点；为独居老人登记第二联系人",
        )
    ctx.log(f"coldwaves: emergency plan for {county.region.name} with {plan.reserves.count()} reserve lines")
