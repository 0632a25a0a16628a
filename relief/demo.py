"""Demo data: `manage.py seed_demo`. The core makes regions, users and policy values; each app adds
its own records through `register()` (called from its AppConfig.ready), lowest floor first."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from relief.models import Region, Role, User
from relief.regions import Level

DEMO_PROVINCE = "51"  # 四川省: the seed notices' first province
# Counties that get townships, villages and people: a city district, a rural county, and the cold
# plateau counties of 阿坝 and 甘孜.
DEMO_COUNTIES = ["510121", "510129", "513201", "513232", "513301", "513334"]
DEMO_PASSWORD = "warmwinter-demo"  # noqa: S105 - printed by the command, for the demo only

_SYLLABLES = [
    "东风",
    "新华",
    "青龙",
    "白马",
    "金山",
    "石桥",
    "柳溪",
    "红岩",
    "太平",
    "永安",
    "长乐",
    "和平",
    "高桥",
    "龙泉",
    "清水",
    "双河",
    "河西",
    "三合",
    "五里",
    "安宁",
    "福田",
    "兴隆",
    "民主",
    "团结",
    "胜利",
    "复兴",
    "光明",
    "先锋",
    "幸福",
    "丰收",
    "云台",
    "凤鸣",
    "黄坪",
    "杉树",
    "松林",
    "梨花",
    "桃园",
    "李家",
    "王家",
    "张家",
]


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


def _place_name(rng: random.Random, used: set[str], suffix: str) -> str:
    for _ in range(100):
        name = rng.choice(_SYLLABLES) + suffix
        if name not in used:
            used.add(name)
            return name
    name = f"{rng.choice(_SYLLABLES)}{len(used)}{suffix}"
    used.add(name)
    return name


def make_sub_regions(
    county: Region, rng: random.Random, townships: int, villages_per: int
) -> tuple[list, list]:
    """Generated townships (9-digit codes) and villages (12-digit) under a real county."""
    t_rows, v_rows, used = [], [], set()
    for t in range(townships):
        is_street = t == 0
        code = f"{county.code}{(1 + t) if is_street else (100 + t):03d}"
        name = _place_name(rng, used, "街道" if is_street else "镇")
        township = Region(
            code=code,
            name=name,
            level=Level.TOWNSHIP,
            parent_id=county.code,
            full_name=f"{county.full_name} {name}",
        )
        t_rows.append(township)
        v_used: set[str] = set()
        for v in range(villages_per):
            suffix = "社区" if is_street else "村"
            vname = _place_name(rng, v_used, suffix)
            v_rows.append(
                Region(
                    code=f"{code}{(1 if is_street else 200) + v:03d}",
                    name=vname,
                    level=Level.VILLAGE,
                    parent_id=code,
                    full_name=f"{township.full_name} {vname}",
                )
            )
    return t_rows, v_rows


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
    from relief.services import regions_load_stdnum

    rng = random.Random(seed)
    regions_load_stdnum(provinces=[DEMO_PROVINCE])
    counties = list(Region.objects.filter(code__in=DEMO_COUNTIES).order_by("code"))
    # Enough townships and villages that a village holds a few hundred people at most.
    villages_per = 8 if people <= 50_000 else 15
    townships = 4 if people <= 50_000 else max(4, min(30, people // (len(counties) * villages_per * 300)))
    all_t, all_v = [], []
    for county in counties:
        t_rows, v_rows = make_sub_regions(county, rng, townships, villages_per)
        all_t += t_rows
        all_v += v_rows
    Region.objects.bulk_create(all_t, ignore_conflicts=True, batch_size=2000)
    Region.objects.bulk_create(all_v, ignore_conflicts=True, batch_size=2000)
    ctx = DemoContext(
        people=people,
        rng=rng,
        counties=counties,
        log=log,
        townships=list(
            Region.objects.filter(level=Level.TOWNSHIP, code__regex=r"^(" + "|".join(DEMO_COUNTIES) + ")")
        ),
        villages=list(
            Region.objects.filter(level=Level.VILLAGE, code__regex=r"^(" + "|".join(DEMO_COUNTIES) + ")")
        ),
    )
    county = counties[0]
    township = Region.objects.filter(parent=county).order_by("code").first()
    village = Region.objects.filter(parent=township).order_by("code").first()
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
    log(f"regions: {len(counties)} counties, {len(ctx.townships)} townships, {len(ctx.villages)} villages")
    return ctx


def seed_all(*, people: int, seed: int = 2026, log: Callable[[str], None] = print) -> DemoContext:
    ctx = seed_core(people=people, seed=seed, log=log)
    for _order, name, fn in SEEDERS:
        log(f"seeding {name} ...")
        fn(ctx)
    return ctx
