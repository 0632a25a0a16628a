"""Demo data: `manage.py seed_demo`. The core makes regions, users and policy values; each app adds
its own records through `register()` (called from its AppConfig.ready), lowest floor first."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from relief.divisions import read_divisions
from relief.models import Region, Role, User
from relief.regions import Level

DEMO_PROVINCE = "51"  # 四川省: the seed notices' first province
# Counties that get their real townships and villages (the vendored statistical codes) and people:
# a county near the city, a rural county, and the cold plateau counties of 阿坝 and 甘孜.
DEMO_COUNTIES = ["510121", "510129", "513201", "513232", "513301", "513334"]
# A large demo spreads over more of the province's real counties instead of crowding the six: no
# village holds more than this many people on average (1,000,000 people fill the six counties' 907
# villages at about 1,100 a village; 10,000,000 take about 50 counties).
PEOPLE_PER_VILLAGE = 1200
DEMO_PASSWORD = "warmwinter-demo"  # noqa: S105 - printed by the command, for the demo only


@dataclass
class DemoContext:
    people: int
    rng: random.Random
    counties: list[Region]
    townships: list[Region] = field(default_factory=list)
    villages: list[Region] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    log: Callable[[str], None] = print


SEEDERS: list[tuple[int, str, Callable[[DemoContext], None]]] = []


def register(order: int, name: str, fn: Callable[[DemoContext], None]) -> None:
    if all(n != name for _, n, _ in SEEDERS):
        SEEDERS.append((order, name, fn))
        SEEDERS.sort(key=lambda s: s[0])


def demo_counties(people: int, directory: Path | None = None) -> list[str]:
    """The counties a demo of `people` fills: DEMO_COUNTIES, then, when their villages would hold more
    than PEOPLE_PER_VILLAGE each, the province's other counties with villages in code order until
    they would not, one county of each city in turn (from the vendored division data,
    relief/data/divisions)."""
    villages: Counter[str] = Counter(
        code[:6] for code in read_divisions([DEMO_PROVINCE], directory) if len(code) == 12
    )
    counties = list(DEMO_COUNTIES)
    room = sum(villages[c] for c in counties) * PEOPLE_PER_VILLAGE
    # the other cities' counties in turn, so a large demo covers the whole province
    by_city: dict[str, list[str]] = {}
    for code in sorted(c for c in villages if c not in DEMO_COUNTIES):
        by_city.setdefault(code[:4], []).append(code)
    lists = list(by_city.values())
    others = [c[i] for i in range(max(map(len, lists), default=0)) for c in lists if i < len(c)]
    for code in others:
        if room >= people:
            break
        counties.append(code)
        room += villages[code] * PEOPLE_PER_VILLAGE
    return counties


def demo_villages(villages: list[Region], counties: list[str], people: int) -> list[Region]:
    """The villages the demo's people live in, in the order they are filled: the counties in turn,
    and in each county its townships in turn, so every county and most townships have people. A
    small demo fills about one village per 30 people (a village worker sees a dozen households),
    a large one every real village."""
    by_county: dict[str, dict[str, list[Region]]] = {c: {} for c in counties}
    for v in sorted(villages, key=lambda r: r.code):
        by_county.setdefault(v.code[:6], {}).setdefault(v.code[:9], []).append(v)
    per_county = []
    for townships in by_county.values():
        lists = list(townships.values())
        per_county.append([t[i] for i in range(max(map(len, lists), default=0)) for t in lists if i < len(t)])
    order = [c[i] for i in range(max(map(len, per_county), default=0)) for c in per_county if i < len(c)]
    return order[: max(8 * len(counties), people // 30)]


def _user(username: str, role: str, region: Region | None, first_name: str, **extra) -> User:
    user = User.objects.filter(username=username).first() or User(username=username)
    user.role, user.region, user.first_name = role, region, first_name
    for k, v in extra.items():
        setattr(user, k, v)
    user.set_password(DEMO_PASSWORD)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def seed_core(*, people: int, seed: int = 2026, log: Callable[[str], None] = print) -> DemoContext:
    from relief.services import regions_load_divisions, regions_load_stdnum

    rng = random.Random(seed)
    regions_load_stdnum(provinces=[DEMO_PROVINCE])
    codes = demo_counties(people)
    # the real townships and villages of the demo counties only: a second or so, not the country
    regions_load_divisions(prefixes=codes)
    # in demo_counties' order: the demo users' counties first, whatever the others' codes
    by_code = Region.objects.in_bulk(codes, field_name="code")
    counties = [by_code[c] for c in codes if c in by_code]
    below = Region.objects.current().filter(code__regex=r"^(" + "|".join(codes) + ")")
    townships = list(below.filter(level=Level.TOWNSHIP))
    villages = list(below.filter(level=Level.VILLAGE))
    ctx = DemoContext(
        people=people,
        rng=rng,
        counties=counties,
        log=log,
        townships=townships,
        villages=demo_villages(villages, codes, people),
    )
    county = counties[0]
    township = Region.objects.current().filter(parent=county).order_by("code").first()
    village = Region.objects.current().filter(parent=township).order_by("code").first()
    ctx.users = {
        "admin": _user("admin", Role.ADMIN, None, "系统管理员", is_staff=True, is_superuser=True),
        "province": _user("province", Role.PROVINCE, Region.objects.get(code=DEMO_PROVINCE), "省民政厅"),
        "city": _user("city", Role.CITY, Region.objects.get(code=county.code[:4]), "市民政局"),
        "county": _user("county", Role.COUNTY, county, "县民政局"),
        "county2": _user("county2", Role.COUNTY, counties[1], "邻县民政局"),
        "township": _user("township", Role.TOWNSHIP, township, "乡镇民政办"),
        "village": _user("village", Role.VILLAGE, village, "村社区工作者"),
        "api": _user("api-client", Role.API_CLIENT, county, "县级业务系统", api_can_write=True),
    }
    log(
        f"regions: {len(counties)} counties, {len(townships)} townships, {len(villages)} villages "
        f"({len(ctx.villages)} with people)"
    )
    return ctx


def seed_all(*, people: int, seed: int = 2026, log: Callable[[str], None] = print) -> DemoContext:
    ctx = seed_core(people=people, seed=seed, log=log)
    for _order, name, fn in SEEDERS:
        log(f"seeding {name} ...")
        fn(ctx)
    return ctx
