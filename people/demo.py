"""Demo households, people, assistance categories and visits for `manage.py seed_demo`.

Fast enough for a million people: rows are generated in chunks and written with PostgreSQL COPY
(ids reserved from the sequences up front), not saved one by one. ID numbers are valid GB 11643
numbers: the address code is the village's county, and the check digit is computed. For a birth
year before that county code existed, half the people carry the county's code all the same (as a
real number does: the code in force when it was issued, 1984 onwards) and the others another code
of the same city or province in use that year (where they were first registered). Every category and every vulnerability flag occurs.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from faker.providers.person.zh_CN import Provider as PersonProvider
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric

from people.models import Assistance, Household, Person, Visit
from relief.demo import DemoContext

CHUNK_HOUSEHOLDS = 20_000
# of the people born before their county's code existed, the share whose number carries that code
POSTDATED_CODE_SHARE = 0.5
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(body: str) -> str:
    """GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@cache
def _known_codes(province: str) -> tuple[str, ...]:
    """Every address code of a province in python-stdnum's table (current and historical)."""
    import stdnum.cn

    codes, current = [], None
    for line in (Path(stdnum.cn.__file__).parent / "loc.dat").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            current = line.split()[0]
        elif current == province:
            codes.append(province + line.split()[0])
    return tuple(codes)


def _valid_in(code: str, year: int) -> bool:
    try:
        ric.get_birth_place(f"{code}{year}0101001X")
    except (stdnum_exceptions.ValidationError, ValueError):
        return False
    return True


@cache
def address_code(county: str, year: int) -> str:
    """The county's code if it was in use in `year`, else a code of the same city, else of the same
    province, that was (people keep the code of where they were first registered)."""
    if _valid_in(county, year):
        return county
    candidates = _known_codes(county[:2])
    for prefix in (county[:4], county[:2]):
        for code in candidates:
            if code.startswith(prefix) and not code.endswith("00") and _valid_in(code, year):
                return code
    raise ValueError(f"no address code for {county} in {year}")


class Generator:
    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        fake = Faker("zh_CN")
        fake.seed_instance(self.rng.randrange(2**31))
        self.surnames = list(PersonProvider.last_names.keys())
        self.surname_weights = list(PersonProvider.last_names.values())
        self.male = list(PersonProvider.first_names_male)
        self.female = list(PersonProvider.first_names_female)
        self.streets = [fake.street_name() for _ in range(200)]
        self.today = timezone.localdate()
        self.county = ""  # the county of the household being generated
        self.used_ids: set[str] = set(
            Person.objects.filter(active=True).values_list("id_number", flat=True).iterator(chunk_size=50_000)
        )

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]

    def name(self, surname: str, male: bool) -> str:
        return surname + self.rng.choice(self.male if male else self.female)

    def phone(self) -> str:
        return f"1{self.rng.choice(('38', '39', '58', '59', '77', '86', '88', '99'))}{self.rng.randrange(10**8):08d}"

    def birth(self, age_min: int, age_max: int) -> datetime.date:
        days = self.rng.randrange(age_min * 365 + 1, (age_max + 1) * 365 - 1)
        return self.today - datetime.timedelta(days=days)

    def id_number(self, county: str, birth: datetime.date, male: bool) -> str:
        code = address_code(county, birth.year)
        if code != county and self.rng.random() < POSTDATED_CODE_SHARE:
            code = county  # issued after the county got its code, which postdates the birth year
        prefix = code + birth.strftime("%Y%m%d")
        for _attempt in range(200):
            seq = self.rng.randrange(1 if male else 2, 1000, 2)
            body = f"{prefix}{seq:03d}"
            number = body + check_digit(body)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise RuntimeError("ran out of ID sequence numbers")


# Household shapes: (name, weight).
SHAPES = (
    ("elderly_alone", 30),
    ("elderly_couple", 15),
    ("family", 35),
    ("grandparent_children", 10),
    ("disabled_adult", 10),
)
CATEGORIES = (
    ("dibao", 40),
    ("tekun", 15),
    ("dibao_edge", 12),
    ("monitoring", 13),
    ("rigid_expense", 10),
    ("other_low_income", 10),
)
MONEY_STEP = Decimal("0.01")


def _person(g: Generator, county: str, age: tuple[int, int], male: bool, surname: str, **flags) -> dict:
    birth = g.birth(*age)
    return {
        "name": g.name(surname, male),
        "id_number": g.id_number(county, birth, male),
        "sex": "M" if male else "F",
        "birth_date": birth,
        "phone": g.phone() if age[0] >= 18 and g.rng.random() < 0.7 else "",
        **flags,
    }


def make_household(g: Generator, shape: str) -> list[dict]:
    """The members of one household (first one is the head), as dicts of Person fields."""
    rng, county = g.rng, g.county
    surname = g.surname()
    if shape == "elderly_alone":
        male = rng.random() < 0.45
        unable = rng.random() < 0.25
        disabled = rng.random() < 0.3
        head = _person(
            g,
            county,
            (60, 96),
            male,
            surname,
            relation="head",
            lives_alone=True,
            has_disability=disabled,
            disability_level=rng.randint(1, 4) if disabled else None,
            severe_illness=rng.random() < 0.25,
            unable_self_care=unable,
        )
        if unable:
            head.update(carer_name=g.name(g.surname(), rng.random() < 0.5), carer_phone=g.phone())
        return [head]
    if shape == "elderly_couple":
        return [
            _person(g, county, (60, 90), True, surname, relation="head", severe_illness=rng.random() < 0.2),
            _person(g, county, (58, 88), False, g.surname(), relation="spouse"),
        ]
    if shape == "grandparent_children":
        grandparent = _person(g, county, (58, 80), rng.random() < 0.5, surname, relation="head")
        members = [grandparent]
        for _ in range(rng.randint(1, 2)):
            orphan = rng.random() < 0.35
            unsupported = not orphan and rng.random() < 0.6
            members.append(
                _person(
                    g,
                    county,
                    (3, 16),
                    rng.random() < 0.5,
                    surname,
                    relation="grandchild",
                    is_student=True,
                    is_orphan=orphan,
                    is_unsupported_child=unsupported,
                    is_left_behind_child=not orphan and not unsupported,
                    is_child_in_distress=orphan or unsupported,
                    guardian_name=grandparent["name"],
                    guardian_phone=grandparent["phone"] or g.phone(),
                    guardian_relation="祖父母",
                )
            )
        return members
    if shape == "disabled_adult":
        level = rng.randint(1, 4)
        head = _person(
            g,
            county,
            (25, 59),
            rng.random() < 0.6,
            surname,
            relation="head",
            has_disability=True,
            disability_level=level,
            severe_illness=rng.random() < 0.3,
            unable_self_care=level <= 2 and rng.random() < 0.5,
        )
        members = [head]
        if head["unable_self_care"]:
            carer = _person(g, county, (50, 80), rng.random() < 0.5, surname, relation="parent")
            head.update(carer_name=carer["name"], carer_phone=carer["phone"] or g.phone())
            members.append(carer)
        return members
    # family: parents (one maybe away), children, sometimes a grandparent
    head = _person(g, county, (28, 55), True, surname, relation="head", severe_illness=rng.random() < 0.15)
    members = [head]
    if rng.random() < 0.8:
        members.append(_person(g, county, (25, 52), False, g.surname(), relation="spouse"))
    left_behind = rng.random() < 0.25
    for _ in range(rng.randint(1, 3)):
        child_age = rng.choice(((0, 5), (6, 15), (16, 22)))
        child = _person(
            g,
            county,
            child_age,
            rng.random() < 0.5,
            surname,
            relation="child",
            is_student=child_age[0] >= 6,
            is_left_behind_child=left_behind and child_age[1] < 16,
            is_child_in_distress=rng.random() < 0.08 and child_age[1] < 18,
            has_disability=False,
        )
        if child_age[1] < 18:
            child.update(guardian_name=head["name"], guardian_phone=head["phone"], guardian_relation="父亲")
        members.append(child)
    if rng.random() < 0.3:
        members.append(_person(g, county, (65, 90), rng.random() < 0.5, surname, relation="parent"))
    return members


HOUSEHOLD_COLUMNS = (
    "id",
    "region_code",
    "household_number",
    "address",
    "head_id",
    "contact_phone",
    "is_urban",
    "heating_type",
    "housing_condition",
    "monthly_income",
    "expense_medical",
    "expense_education",
    "expense_heating",
    "expense_disaster",
    "note",
    "cohort_reason",
    "created_by_id",
    "created_at",
    "updated_at",
)
PERSON_COLUMNS = (
    "id",
    "household_id",
    "region_code",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "relation",
    "phone",
    "active",
    "lives_alone",
    "has_disability",
    "disability_level",
    "severe_illness",
    "unable_self_care",
    "is_student",
    "is_orphan",
    "is_unsupported_child",
    "is_left_behind_child",
    "is_child_in_distress",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "carer_name",
    "carer_phone",
    "note",
    "created_at",
    "updated_at",
)
ASSISTANCE_COLUMNS = (
    "household_id",
    "person_id",
    "region_code",
    "category",
    "dibao_class",
    "tekun_mode",
    "monitoring_type",
    "start_date",
    "end_date",
    "end_reason",
    "note",
    "created_by_id",
    "created_at",
)
VISIT_COLUMNS = (
    "household_id",
    "person_id",
    "region_code",
    "visitor_id",
    "visited_at",
    "kind",
    "channel",
    "heating_ok",
    "food_ok",
    "clothing_ok",
    "house_safe",
    "health_ok",
    "mental_ok",
    "guardian_present",
    "needs",
    "follow_up",
    "follow_up_note",
    "next_visit_due",
    "note",
    "created_at",
)
PERSON_DEFAULTS: dict[str, Any] = {
    "phone": "",
    "active": True,
    "lives_alone": False,
    "has_disability": False,
    "disability_level": None,
    "severe_illness": False,
    "unable_self_care": False,
    "is_student": False,
    "is_orphan": False,
    "is_unsupported_child": False,
    "is_left_behind_child": False,
    "is_child_in_distress": False,
    "guardian_name": "",
    "guardian_phone": "",
    "guardian_relation": "",
    "carer_name": "",
    "carer_phone": "",
    "note": "",
}
NEEDS = ("煤不够烧到开春", "需要棉被两床", "血压高，药快吃完了", "屋顶漏风需要修补", "想申请临时救助", "")


# computed after seeding (refresh_next_visits), left to their database defaults by COPY
COMPUTED_COLUMNS = {"next_visit_due", "visit_rule_name", "visit_interval_days", "visit_cold_wave"}
# set by later steps (enrolment decisions, exits, a confirmed death), NULL for the seeded register
LATER_COLUMNS = {"cohort_until", "monthly_amount", "payment_from", "died_on"}


def _check_columns(model, columns: Sequence[str], with_id: bool) -> None:
    expected = (
        {f.column for f in model._meta.concrete_fields} - (set() if with_id else {"id"}) - LATER_COLUMNS
    )
    if model is Person:
        expected -= COMPUTED_COLUMNS
    if set(columns) != expected:
        raise RuntimeError(f"demo columns out of date for {model.__name__}: {expected ^ set(columns)}")


def _reserve_ids(cursor, table: str, n: int) -> int:
    """Reserve `n` consecutive ids from the table's sequence; returns the first."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    seq = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [seq])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [seq, first + n - 1])
    return first


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    n = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _category_row(
    g: Generator, hid: int, head_id: int, members: list[dict], region: str, now, actor_id, first: str = ""
):
    """One category of a household; a second one (`first` given) is one that can hold beside the
    first (防止返贫监测 or 其他低收入: the register refuses two tiers or two of a kind at once)."""
    rng = g.rng
    if first:
        category = "other_low_income" if first == "monitoring" else "monitoring"
    else:
        category = rng.choices([c for c, _w in CATEGORIES], [w for _c, w in CATEGORIES])[0]
    if category == "tekun" and members[0]["birth_date"] > g.today - datetime.timedelta(days=365 * 16):
        category = "dibao"
    start = g.today - datetime.timedelta(days=rng.randrange(30, 1500))
    ended = rng.random() < 0.08
    end = start + datetime.timedelta(days=rng.randrange(10, 365)) if ended else None
    if end and end >= g.today:
        end = g.today - datetime.timedelta(days=1)
        end = max(end, start)
    return (
        hid,
        head_id if category == "tekun" else None,
        region,
        category,
        rng.choice(("", "A", "B", "C")) if category == "dibao" else "",
        rng.choice(("centralized", "dispersed", "dispersed")) if category == "tekun" else "",
        rng.choice(("unstable", "edge", "sudden")) if category == "monitoring" else "",
        start,
        end,
        "" if end is None else "家庭收入超过标准，退出",
        "",
        actor_id,
        now,
    )


def seed_people(ctx: DemoContext) -> None:
    started = time.monotonic()
    if not ctx.villages:
        ctx.log("people: no villages, nothing to do")
        return
    for model, columns, with_id in (
        (Household, HOUSEHOLD_COLUMNS, True),
        (Person, PERSON_COLUMNS, True),
        (Assistance, ASSISTANCE_COLUMNS, False),
        (Visit, VISIT_COLUMNS, False),
    ):
        _check_columns(model, columns, with_id)
    g = Generator(ctx)
    rng = g.rng
    now = timezone.now()
    villages = list(ctx.villages)  # in the order they are filled (relief.demo.demo_villages)
    visitors = [u.pk for key, u in ctx.users.items() if key in ("county", "township", "village")] or [None]
    actor_id = ctx.users["county"].pk if "county" in ctx.users else None
    shape_names, shape_weights = [s for s, _w in SHAPES], [w for _s, w in SHAPES]
    people_done = households_done = visits_done = 0
    h_index = 0
    with transaction.atomic(), connection.cursor() as wrapper:
        cursor = wrapper.cursor  # the psycopg cursor, for COPY
        while people_done < ctx.people:
            # One chunk: generate the households, then write households, people, categories, visits.
            chunk: list[tuple[Any, list[dict]]] = []
            chunk_people = 0
            while len(chunk) < CHUNK_HOUSEHOLDS and people_done + chunk_people < ctx.people:
                village = villages[h_index % len(villages)]
                g.county = village.code[:6]
                # The first households cover every shape in order, then they are drawn by weight.
                shape = (
                    shape_names[h_index]
                    if h_index < len(shape_names)
                    else rng.choices(shape_names, shape_weights)[0]
                )
                members = make_household(g, shape)
                members = members[: ctx.people - people_done - chunk_people]
                chunk.append((village, members))
                chunk_people += len(members)
                h_index += 1
            first_h = _reserve_ids(cursor, "people_household", len(chunk))
            first_p = _reserve_ids(cursor, "people_person", chunk_people)
            h_rows, p_rows, a_rows, v_rows = [], [], [], []
            pid = first_p
            for offset, (village, members) in enumerate(chunk):
                hid = first_h + offset
                head_id = pid
                region = village.code
                is_urban = region[6] == "0"  # 街道 (001–099) are urban
                income = Decimal(rng.randrange(0, 4000 if is_urban else 2500))
                h_rows.append(
                    (
                        hid,
                        region,
                        f"{region[6:]}-{hid:07d}",
                        f"{village.name}{rng.choice(g.streets)}{rng.randint(1, 300)}号",
                        head_id,
                        members[0]["phone"] or g.phone(),
                        is_urban,
                        rng.choice(
                            ("central",) if is_urban else ("coal", "electric", "kang", "biomass", "coal")
                        ),
                        rng.choices(("safe", "grade_c", "grade_d", "temporary"), (85, 8, 4, 3))[0],
                        income,
                        Decimal(rng.randrange(0, 30000)) if rng.random() < 0.4 else Decimal(0),
                        Decimal(rng.randrange(0, 12000)) if rng.random() < 0.2 else Decimal(0),
                        Decimal(rng.randrange(300, 3000)),
                        Decimal(rng.randrange(0, 20000)) if rng.random() < 0.03 else Decimal(0),
                        "",
                        "",
                        actor_id,
                        now,
                        now,
                    )
                )
                for m in members:
                    row = {**PERSON_DEFAULTS, **m}
                    p_rows.append(
                        (
                            pid,
                            hid,
                            region,
                            *(row[c] for c in PERSON_COLUMNS[3:-2]),
                            now,
                            now,
                        )
                    )
                    pid += 1
                a_rows.append(_category_row(g, hid, head_id, members, region, now, actor_id))
                if (h_index + offset) % 6 == 0:  # every sixth household also on a second list
                    first = a_rows[-1][3]
                    a_rows.append(_category_row(g, hid, head_id, members, region, now, actor_id, first))
                if rng.random() < 0.3:
                    visited = now - datetime.timedelta(days=rng.randrange(0, 60), minutes=rng.randrange(600))
                    target = rng.randrange(len(members))
                    child = members[target]["birth_date"] > g.today - datetime.timedelta(days=365 * 16)
                    aged = members[target]["birth_date"] < g.today - datetime.timedelta(days=365 * 60)
                    needs = rng.choice(NEEDS)
                    v_rows.append(
                        (
                            hid,
                            head_id + target,
                            region,
                            rng.choice(visitors),
                            visited,
                            "child" if child else ("elderly" if aged else "general"),
                            rng.choices(("home", "phone", "video"), (70, 25, 5))[0],
                            rng.random() > 0.05,
                            rng.random() > 0.03,
                            rng.random() > 0.05,
                            rng.random() > 0.04,
                            rng.random() > 0.1,
                            rng.random() > 0.05,
                            (rng.random() > 0.1) if child else None,
                            needs,
                            ("temp_assistance" if "救助" in needs else "material") if needs else "",
                            "",
                            (visited + datetime.timedelta(days=rng.choice((7, 30, 90)))).date(),
                            "",
                            now,
                        )
                    )
            _copy(cursor, "people_household", HOUSEHOLD_COLUMNS, h_rows)
            _copy(cursor, "people_person", PERSON_COLUMNS, p_rows)
            _copy(cursor, "people_assistance", ASSISTANCE_COLUMNS, a_rows)
            visits_done += _copy(cursor, "people_visit", VISIT_COLUMNS, v_rows)
            people_done += chunk_people
            households_done += len(chunk)
            ctx.log(f"  people: {people_done}/{ctx.people} ({time.monotonic() - started:.0f}s)")
        for table in ("people_household", "people_person", "people_assistance", "people_visit"):
            cursor.execute(f"ANALYZE {table}")
    ctx.log(
        f"people: {households_done} households, {people_done} people, {visits_done} visits "
        f"in {time.monotonic() - started:.1f}s"
    )


def seed_visit_needs(ctx: DemoContext) -> None:
    """A few visits in the demo village that found needs (through the visit service, so their tasks
    open as in real work): one wants temporary assistance, one needs coal and quilts, one stove must
    be checked again by the village itself, and a child found without a guardian raises the
    township's and the county's urgent tasks."""
    from people.models import years_ago
    from people.services import visit_record

    village_user = ctx.users.get("village")
    if village_user is None or village_user.region_id is None:
        return
    # the village's own follow-up in the demo village; the township's needs anywhere in its township
    with_head = Household.objects.filter(head__isnull=False).select_related("head").order_by("id")
    households = list(with_head.filter(region_id=village_user.region_id)[:1])
    households += list(
        with_head.filter(region__code__startswith=village_user.region_id[:9]).exclude(
            pk__in=[h.pk for h in households]
        )[:2]
    )
    needs = [
        ("other", "炉具老旧有漏气隐患，三日内上门复查是否已更换"),
        ("temp_assistance", "老人冬季取暖费用困难，想申请临时救助"),
        ("material", "缺少过冬煤炭和棉被"),
    ]
    township_user = ctx.users.get("township") or village_user
    for household, (follow_up, text) in zip(households, needs, strict=False):
        visit_record(
            actor=village_user if household.region_id == village_user.region_id else township_user,
            household=household,
            person=household.head,
            heating_ok=False,
            needs=text,
            follow_up=follow_up,
            visited_at=timezone.now() - datetime.timedelta(hours=2),
        )
    child = (
        Person.objects.filter(region_id=village_user.region_id, active=True, birth_date__gt=years_ago(16))
        .order_by("id")
        .first()
    )
    if child is not None:
        visit_record(
            actor=village_user,
            household=child.household,
            person=child,
            guardian_present=False,
            needs="父母外出务工，孩子独自在家",
            visited_at=timezone.now() - datetime.timedelta(hours=1),
        )
    ctx.log(f"people: {len(households[:3]) + (child is not None)} visits with needs in the demo village")


def refresh_next_visits(ctx: DemoContext) -> None:
    """After every app has seeded (patrols' cold-wave warnings included): each person's next visit
    due under the visit rules, so the visit form, the lists and the sweep have it."""
    from people.services import person_refresh_next_visit

    started = time.monotonic()
    changed = sum(person_refresh_next_visit(region_code=county.code) for county in ctx.counties)
    overdue = Person.objects.visit_overdue().count()
    ctx.log(
        f"people: next visit due for {changed} people, {overdue} overdue ({time.monotonic() - started:.1f}s)"
    )


def seed_payment_accounts(ctx) -> None:
    """Demo: a 一卡通 account at 农业银行 or a 农商行 for every active person of the first county
    who has none (a child's in the guardian's name); a few left without, as a roster would."""
    from simple_history.utils import bulk_create_with_history

    from people.models import PaymentAccount, Person

    if not ctx.counties:
        return
    people = (
        Person.objects.in_region(ctx.counties[0].code)
        .filter(active=True)
        .exclude(payment_accounts__active=True)
        .order_by("id")
    )
    rows = [
        PaymentAccount(
            person=p,
            region_id=p.region_id,
            bank="ABC" if p.pk % 3 else "RCC",
            account_number=f"622848{p.pk:013d}",
            holder_name=p.guardian_name if p.guardian_name and p.is_minor else "",
        )
        for p in people.iterator(chunk_size=2000)
        if p.pk % 10
    ]
    bulk_create_with_history(rows, PaymentAccount, batch_size=2000)
    ctx.log(f"people: {len(rows)} payment accounts")
