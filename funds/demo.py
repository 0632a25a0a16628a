"""Demo funds and materials for `manage.py seed_demo` (after people): allocations for every demo
county, a paid one-time living subsidy batch, 临时救助 applications in every state, and warehouse
stock with some distributions. Everything is written through the services, so it obeys the rules.
Running it again adds nothing twice that the rules forbid."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from funds import services
from funds.models import (
    AppStatus,
    AssistanceApplication,
    DisbursementBatch,
    MaterialItem,
    Program,
    Source,
    Stock,
    Warehouse,
)
from people.models import Household, Person
from relief.demo import DemoContext
from relief.models import Region
from relief.regions import Level


def _id_number(ctx: DemoContext, county: str) -> str:
    from people.demo import check_digit

    birth = datetime.date(1960, 1, 1) + datetime.timedelta(days=ctx.rng.randrange(0, 365 * 40))
    body = f"{county}{birth:%Y%m%d}{ctx.rng.randrange(0, 1000):03d}"
    return body + check_digit(body)


def seed_funds(ctx: DemoContext) -> None:
    admin = ctx.users.get("admin")
    if admin is None or not ctx.counties:
        ctx.log("funds: no administrator or counties, nothing to do")
        return
    programs = {p.code: p for p in Program.objects.all()}
    year = timezone.localdate().year
    for county in ctx.counties:
        _allocations(county, programs, year, admin)
    first = ctx.counties[0]
    county_user = ctx.users.get("county", admin)
    _subsidy_batch(ctx, first, programs, year, county_user, admin)
    _applications(ctx, first, county_user, ctx.users.get("township", county_user))
    for county in ctx.counties:
        _materials(ctx, county, admin)
    ctx.log(
        f"funds: {DisbursementBatch.objects.count()} batches, "
        f"{AssistanceApplication.objects.count()} applications, {Stock.objects.count()} stock rows"
    )


def _allocations(county: Region, programs: dict, year: int, actor) -> None:
    if not programs:
        return
    people = Person.objects.in_region(county.code).filter(active=True).count()
    plan = [
        ("one_time_subsidy", Source.CENTRAL, True, max(Decimal("100000"), Decimal(people * 500))),
        ("heating_subsidy", Source.PROVINCIAL, True, Decimal("300000")),
        ("temporary_assistance", Source.CENTRAL, True, Decimal("500000")),
        ("temporary_assistance", Source.COUNTY, False, Decimal("100000")),
        ("elderly_allowance", Source.CITY, False, Decimal("120000")),
    ]
    for code, source, advance, amount in plan:
        program = programs.get(code)
        document_number = f"示例〔{year}〕{program.pk if program else 0}{source[:1].upper()}号"
        if (
            program is None
            or program.allocations.filter(region=county, year=year, document_number=document_number).exists()
        ):
            continue
        services.allocation_create(
            actor=actor,
            region=county,
            year=year,
            program=program,
            source=source,
            amount=amount,
            is_advance=advance,
            document_number=document_number,
            note="演示数据",
        )


def _subsidy_batch(ctx: DemoContext, county: Region, programs: dict, year: int, actor, approver) -> None:
    """Generated and paid by the county, approved by someone else (separation of duties)."""
    program = programs.get("one_time_subsidy")
    if program is None:
        return
    allocation = program.allocations.filter(region=county, year=year).order_by("-amount").first()
    try:
        batch = services.batch_generate(
            actor=actor,
            program=program,
            allocation=allocation,
            period=str(year),
            title=f"{county.name}{year}年一次性生活补贴",
            run_in_background=False,
        )
        batch = services.batch_review(actor=actor, batch=batch, comment="名单已核对")
        batch = services.batch_approve(actor=approver, batch=batch, comment="同意发放")
        services.batch_mark_paid(actor=actor, batch=batch, comment="银行代发回单（演示）")
    except ValidationError as exc:  # already seeded, or nobody eligible
        ctx.log(f"funds: subsidy batch skipped: {'；'.join(exc.messages)}")


def _applications(ctx: DemoContext, county: Region, county_user, township_user) -> None:
    township = (
        township_user.region
        if getattr(township_user, "region", None) and len(township_user.region_id) == 9
        else Region.objects.filter(parent=county, level=Level.TOWNSHIP).order_by("code").first()
    )
    if township is None or AssistanceApplication.objects.in_region(township.code).exists():
        return
    registered = Person.objects.in_region(township.code).filter(active=True).order_by("id").first()
    # the paid one: typed in with the ID number only, as at the counter; it links itself to the register
    typed_in = (
        Person.objects.in_region(township.code)
        .filter(active=True)
        .exclude(household_id=getattr(registered, "household_id", None))
        .order_by("id")
        .first()
    )
    today = timezone.localdate()
    cases = [
        ("submitted", "urgent", "fire", "民房失火，衣被烧毁", Decimal("2000")),
        ("emergency_paid", "urgent", "accident", "交通事故受伤，无力支付", Decimal("1500")),
        ("reviewed", "urgent", "illness", "突发脑溢血住院", Decimal("2500")),
        ("notice", "expense", "medical", "长期透析，医疗支出大", Decimal("4800")),
        ("notice_done", "expense", "education", "子女上大学学费", Decimal("3600")),
        ("approved", "expense", "medical", "癌症化疗自付费用高", Decimal("6000")),
        ("paid", "urgent", "disaster", "雪灾房屋受损", Decimal("1800")),
        ("rejected", "expense", "living", "申请基本生活救助", Decimal("1200")),
    ]
    for i, (state, kind, cause, description, amount) in enumerate(cases):
        person = registered if i == 0 else None
        applicant = typed_in if state == "paid" else None
        if applicant is not None:
            name, id_number = applicant.name, applicant.id_number
        elif person is not None:
            name, id_number = "", ""
        else:
            name, id_number = f"演示申请人{i + 1}", _id_number(ctx, county.code)
        try:
            app = services.application_submit(
                actor=township_user,
                region=township,
                kind=kind,
                cause=cause,
                place=f"{township.name}（演示）",
                applicant_name=name,
                id_number=id_number,
                phone=f"1390000{i:04d}",
                description=description,
                household_size=2,
                months=3 if kind == "expense" else None,
                amount_requested=amount,
                person=person,
            )
            _advance(app, state, amount, township_user, county_user, today)
        except ValidationError as exc:
            ctx.log(f"funds: application {state} skipped: {'；'.join(exc.messages)}")


def _advance(app, state: str, amount: Decimal, township_user, county_user, today) -> None:
    from relief.workdays import add_working_days

    if state == "submitted":
        return
    if state == "rejected":
        services.application_reject(
            actor=township_user, application=app, reason="家庭收入超过当地标准（演示）"
        )
        return
    if app.kind == "urgent":
        services.application_emergency_pay(
            actor=township_user, application=app, amount=Decimal("500"), comment="备用金先行救助"
        )
        if state == "emergency_paid":
            return
    app = services.application_review(
        actor=township_user, application=app, amount=amount, comment="已入户核查"
    )
    if state == "reviewed":
        return
    if app.kind == "expense":
        start = today if state == "notice" else today - datetime.timedelta(days=21)
        app = services.application_notice_start(actor=township_user, application=app, start=start)
        if state == "notice":
            services.application_objection(
                actor=township_user, application=app, comment="有群众反映其有经营收入（待核）"
            )
            return
        on = max(today, add_working_days(app.notice_end, 1).date)
        app = services.application_notice_close(actor=township_user, application=app, on=on)
        if state == "notice_done":
            return
    approver = county_user
    app = services.application_approve(actor=approver, application=app, amount=amount, comment="同意")
    if state == AppStatus.APPROVED:
        return
    services.application_pay(actor=township_user, application=app, comment="已打卡发放")


def _materials(ctx: DemoContext, county: Region, actor) -> None:
    if Warehouse.objects.filter(region=county).exists():
        return
    warehouse = services.warehouse_create(
        actor=actor, region=county, name=f"{county.name}救灾物资储备库", keeper="仓库保管员"
    )
    amounts = {
        "coal": Decimal("50"),
        "quilt": Decimal("300"),
        "cotton_clothing": Decimal("300"),
        "food": Decimal("500"),
    }
    for material in MaterialItem.objects.filter(active=True):
        services.stock_receive(
            actor=actor,
            warehouse=warehouse,
            item=material,
            quantity=amounts.get(material.code, Decimal("100")),
            source="省民政厅调拨（演示）",
        )
    quilts = Stock.objects.filter(warehouse=warehouse, item__code="quilt").first()
    if quilts is None:
        return
    for household in Household.objects.in_region(county.code).order_by("id")[:10]:
        services.stock_distribute(actor=actor, stock=quilts, quantity=Decimal("2"), household=household)
    services.stock_distribute(
        actor=actor,
        stock=quilts,
        quantity=Decimal("1"),
        recipient_description="街面巡查：桥下露宿人员（演示）",
    )
