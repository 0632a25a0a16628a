"""Demo data: a few institutions per demo county, inspections with some failed items, and hazards in
every state of the workflow. Everything goes through the services, as a person would do it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from relief.demo import DemoContext

NAMES = [
    ("{town}敬老院", "rural_home", "乡镇人民政府", 60, "coal"),
    ("{county}社会福利院", "public_elderly", "县民政局", 200, "central"),
    ("{town}康养中心", "private_elderly", "{town}康养服务有限公司", 120, "electric"),
    ("{county}救助管理站", "rescue_station", "县民政局", 40, "gas"),
    ("{county}儿童福利院", "child_welfare", "县民政局", 50, "central"),
]

# a one-page PDF (evidence and photos are accepted only as images or PDF, by content)
DEMO_EVIDENCE = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def seed_institutions(ctx: DemoContext) -> None:
    from institutions import services
    from institutions.models import ChecklistTemplate, Institution, ResultChoice

    template = ChecklistTemplate.objects.filter(is_active=True).order_by("-created_at").first()
    if template is None:
        ctx.log("institutions: no active checklist template, skipped")
        return
    if Institution.objects.filter(region__code__in=[c.code for c in ctx.counties]).exists():
        ctx.log("institutions: already seeded")
        return
    admin = ctx.users["admin"]
    items = list(template.items.all())
    rng = ctx.rng
    today = timezone.localdate()
    count_inst = count_haz = 0
    for county in ctx.counties:
        townships = [t for t in ctx.townships if t.code.startswith(county.code)] or [county]
        picks = rng.sample(NAMES, 3)
        for i, (pattern, kind, operator, capacity, heating) in enumerate(picks):
            town = townships[i % len(townships)]
            level_region = county if "{county}" in pattern else town
            fmt = {"county": county.name, "town": town.name}
            inst = services.institution_create(
                actor=admin,
                name=pattern.format(**fmt),
                type=kind,
                region=level_region,
                operator=operator.format(**fmt),
                capacity=capacity,
                residents=int(capacity * rng.uniform(0.5, 0.95)),
                nursing_beds=int(capacity * 0.4),
                heating_type=heating,
                contact_name=rng.choice(["王建国", "李秀英", "张伟", "刘芳", "陈静"]),
                contact_phone=f"138{rng.randrange(10**8):08d}",
                emergency_contacts="值班室 0838-1234567",
            )
            count_inst += 1
            # An inspection two weeks ago with two or three failed items.
            failed = set(rng.sample([it.pk for it in items], rng.randint(1, 3)))
            inspection = services.inspection_record(
                actor=admin,
                institution=inst,
                template=template,
                date=today - datetime.timedelta(days=rng.randint(3, 40)),
                results=[
                    services.ResultInput(
                        item_id=it.pk,
                        result=ResultChoice.FAIL if it.pk in failed else ResultChoice.PASS,
                        note="检查发现问题，需整改" if it.pk in failed else "",
                    )
                    for it in items
                ],
            )
            for n, hazard in enumerate(inspection.hazards.order_by("id")):
                count_haz += 1
                _advance(ctx, hazard, steps=(n + rng.randint(0, 4)) % 6, county_code=county.code)
    ctx.log(f"institutions: {count_inst} institutions, {count_haz} hazards")


def _advance(ctx: DemoContext, hazard, *, steps: int, county_code: str) -> None:
    """Move a hazard `steps` steps along the workflow, with a second person where the rules need one."""
    from institutions import services

    admin = ctx.users["admin"]
    local = [
        u for u in ctx.users.values() if u.can_write and u.region_id and county_code.startswith(u.region_id)
    ]
    owner = local[0] if local else admin
    second = admin if owner != admin else None
    if steps >= 1:
        services.hazard_start(
            actor=admin,
            hazard=hazard,
            owner=owner,
            measures="制定整改方案，落实专人负责，限期整改到位",
            funds=Decimal(ctx.rng.choice([0, 800, 2500, 12000])),
        )
    if steps == 2:
        services.hazard_extension_request(
            actor=owner,
            hazard=hazard,
            new_deadline=hazard.deadline + datetime.timedelta(days=15),
            reason="极端天气影响施工，申请延期",
        )
        return
    if steps >= 3:
        services.hazard_rectify(
            actor=owner, hazard=hazard, evidence=ContentFile(DEMO_EVIDENCE, name="evidence.pdf")
        )
    if steps >= 4 and second:
        services.hazard_verify(actor=second, hazard=hazard, comment="现场复查合格")
    if steps >= 5 and second:
        services.hazard_close(actor=second, hazard=hazard, comment="同意销号")
