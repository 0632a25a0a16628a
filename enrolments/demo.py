"""Demo enrolment for `manage.py seed_demo` (after people and funds, before the sweeps and the
deadline tasks): in the demo township, applications at several stages (one waiting to be accepted,
one in 公示, one at the county's decision with its limit three days off, one refused and waiting for
its letter, one approved with its first review coming up), a request for review of the refusal and
a complaint. Written through the declared steps; dates moved into the past where a real case
would have waited (accepted weeks ago, a 公示 already over). Running it again adds nothing."""

from __future__ import annotations

import datetime
import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Exists, OuterRef
from django.utils import timezone

from enrolments import services
from enrolments.models import Enrolment, Review
from enrolments.workflows import enrolment_workflow
from people.models import Assistance, Household, Person
from relief.demo import DemoContext
from relief.models import Region
from relief.regions import Level
from relief.workdays import add_working_days

PDF = b"%PDF-1.4\n% demo authorisation\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("authorisation.pdf", PDF, content_type="application/pdf")


def _accepted_on(today: datetime.date, days_left: int) -> datetime.date:
    """The latest day an application accepted then has its 30-working-day limit at most
    `days_left` calendar days from today."""
    last = today + datetime.timedelta(days=days_left)
    day = today - datetime.timedelta(days=60)
    while add_working_days(day + datetime.timedelta(days=1), 30).date <= last:
        day += datetime.timedelta(days=1)
    return day


def seed_enrolments(ctx: DemoContext) -> None:
    county_user = ctx.users.get("county")
    township_user = ctx.users.get("township")
    if county_user is None or township_user is None or not ctx.counties:
        ctx.log("enrolments: no county or township user, nothing to do")
        return
    township = township_user.region
    if township is None or township.level != Level.TOWNSHIP:
        township = (
            Region.objects.filter(parent=ctx.counties[0], level=Level.TOWNSHIP).order_by("code").first()
        )
    if township is None or Enrolment.objects.in_region(township.code).exists():
        return
    started = time.monotonic()
    today = timezone.localdate()
    covered = Assistance.objects.current(today).filter(
        household=OuterRef("pk"), category__in=["dibao", "tekun"]
    )
    members = Person.objects.filter(household=OuterRef("pk"), active=True)
    plan = [_submitted, _in_notice, _at_county, _refused, _approved]
    households = list(
        Household.objects.in_region(township.code)
        .filter(Exists(members))
        .exclude(Exists(covered))
        .select_related("head")
        .order_by("id")[: len(plan)]
    )
    village = Region.objects.current().filter(parent=township).order_by("code").first() or township
    for i in range(len(households), len(plan)):  # a small demo has few such households: add some
        households.append(_household(ctx, village, township_user, i))
    made: dict[str, Enrolment] = {}
    for household, step in zip(households, plan, strict=False):
        try:
            made[step.__name__] = step(household, township_user, county_user, today)
        except ValidationError as exc:
            ctx.log(f"enrolments: {step.__name__.strip('_')} skipped: {'；'.join(exc.messages)}")
    _appeals(made, township_user, households)
    ctx.log(f"enrolments: {len(made)} applications in {township.name} ({time.monotonic() - started:.1f}s)")


NAMES = [
    ("刘桂兰", "陈小军"),
    ("杨德明", "杨秀英"),
    ("黄志强", "黄玉梅"),
    ("周建国", "周丽"),
    ("吴长福", "吴小燕"),
]


def _household(ctx: DemoContext, village: Region, actor, i: int) -> Household:
    """A two-person household with little income, on the register (through the people services)."""
    from people.demo import check_digit
    from people.services import household_create, person_add

    household = household_create(
        actor=actor,
        region=village,
        address=f"{village.name}{ctx.rng.randrange(1, 60)}号（演示）",
        monthly_income=Decimal(ctx.rng.choice(["300", "450", "600"])),
    )
    for n, (name, relation) in enumerate(zip(NAMES[i % len(NAMES)], ("head", "child"), strict=True)):
        birth = datetime.date(1950 + 30 * n, 1, 1) + datetime.timedelta(days=ctx.rng.randrange(0, 3000))
        body = f"{village.code[:6]}{birth:%Y%m%d}{ctx.rng.randrange(0, 1000):03d}"
        person_add(
            actor=actor,
            household=household,
            name=name,
            id_number=body + check_digit(body),
            relation=relation,
            make_head=n == 0,
        )
    household.refresh_from_db()
    return household


def _file(household: Household, actor, **kw) -> Enrolment:
    return services.enrolment_create(
        actor=actor,
        household=household,
        kind=kw.pop("kind", "dibao"),
        reason=kw.pop("reason", "家庭收入低于当地低保标准，生活困难（演示）"),
        **kw,
    )


def _run(step: str, actor, e: Enrolment, **data) -> Enrolment:
    return enrolment_workflow.run(step, actor=actor, obj=e, **data)


def _investigated(household, township_user, today, *, days_left: int, **kw) -> Enrolment:
    """Accepted weeks ago (its limit `days_left` days off), checked and investigated."""
    e = _file(household, township_user, **kw)
    on = _accepted_on(today, days_left)
    e = _run("accept", township_user, e, authorisation=_pdf(), on=on)
    # filed the day it was accepted (a demo date in the past)
    moment = timezone.make_aware(datetime.datetime.combine(on, datetime.time(10)))
    Enrolment.objects.filter(pk=e.pk).update(submitted_at=moment)
    e.events.filter(action__in=["submit", "accept"]).update(at=moment)
    e = _run(
        "check_report",
        township_user,
        e,
        summary="无机动车辆、无商品房，存款低于当地标准（演示）",
        reference=f"HD-{today:%Y}-{e.pk:04d}",
    )
    e = _run("investigate", township_user, e, findings="家庭成员患慢性病，无稳定收入，住房简陋（演示）")
    if e.status == "evaluating":
        e = _run("evaluate", township_user, e, comment="村民代表评议通过（演示）")
    return e


def _submitted(household, township_user, county_user, today) -> Enrolment:
    """主动发现 on a visit, no authorisation signed yet: waits for 受理."""
    return _file(household, township_user, origin="found", origin_note="走访发现家庭困难（演示）")


def _in_notice(household, township_user, county_user, today) -> Enrolment:
    e = _investigated(household, township_user, today, days_left=20)
    return _run(
        "township_opinion",
        township_user,
        e,
        recommend=True,
        comment="符合低保条件，建议纳入（演示）",
        on=today - datetime.timedelta(days=2),
    )


def _to_county(household, township_user, today, *, days_left: int, **kw) -> Enrolment:
    e = _investigated(household, township_user, today, days_left=days_left, **kw)
    e = _run(
        "township_opinion",
        township_user,
        e,
        recommend=True,
        comment="符合条件，建议纳入（演示）",
        on=today - datetime.timedelta(days=12),
    )
    return _run("notice_close", township_user, e)


def _at_county(household, township_user, county_user, today) -> Enrolment:
    """At the county's decision, the total limit three days off: on the county's today page."""
    return _to_county(household, township_user, today, days_left=3)


def _refused(household, township_user, county_user, today) -> Enrolment:
    e = _to_county(household, township_user, today, days_left=10)
    return _run(
        "refuse",
        county_user,
        e,
        comment="经核对，家庭成员名下有商品房一套，不符合低保条件（演示）",
    )


def _approved(household, township_user, county_user, today) -> Enrolment:
    e = _to_county(household, township_user, today, days_left=10)
    e = _run("approve", county_user, e, comment="同意纳入（演示）")
    # its first review has come round (as if decided a while ago): on the township's today page
    Review.objects.filter(assistance=e.assistance_id, status="scheduled").update(
        due_on=today + datetime.timedelta(days=5)
    )
    return e


def _appeals(made: dict[str, Enrolment], township_user, households: list[Household]) -> None:
    refused = made.get("_refused")
    if refused is not None:
        services.appeal_create(
            actor=township_user,
            kind="review",
            enrolment=refused,
            person_name=refused.household.head.name if refused.household.head else "",
            content="申请人称该商品房已于去年出售，请求复查（演示）",
        )
    approved = made.get("_approved")
    if approved is not None:
        services.appeal_create(
            actor=township_user,
            kind="complaint",
            household=approved.household,
            content="群众反映该户有经营收入，请核实（演示）",
        )
