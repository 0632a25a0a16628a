"""Region codes (行政区划代码) and their levels.

A region is stored by its *significant* code: 2 digits for a province, 4 for a city, 6 for a county
(the GB/T 2260 code), 9 for a township and 12 for a village. Every record that belongs to a place
stores the code of the most specific region it belongs to, so "everything in Sichuan" is
`region_code LIKE '51%'` and "everything in 成都市" is `LIKE '5101%'`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    PROVINCE = 1, _("省")
    CITY = 2, _("市")
    COUNTY = 3, _("县")
    TOWNSHIP = 4, _("乡镇")
    VILLAGE = 5, _("村/社区")


CODE_LENGTHS = {Level.PROVINCE: 2, Level.CITY: 4, Level.COUNTY: 6, Level.TOWNSHIP: 9, Level.VILLAGE: 12}
LEVEL_BY_LENGTH = {length: level for level, length in CODE_LENGTHS.items()}
#: the length of the codes one level below a code of each length (0: the whole country)
CHILD_LENGTH = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}


def child_length(code: str) -> int | None:
    """The length of the codes of `code`'s direct sub-regions (None below a village)."""
    return CHILD_LENGTH.get(len(code))


CODE_RE = re.compile(r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$")


def level_of(code: str) -> Level:
    try:
        return LEVEL_BY_LENGTH[len(code)]
    except KeyError:
        raise ValueError(f"not a region code: {code!r}") from None


def full_code(code: str) -> str:
    """The code as printed in official lists: 6 digits up to county level, 12 below it."""
    return code.ljust(6, "0") if len(code) <= 6 else code.ljust(12, "0")


def ancestor_codes(code: str) -> list[str]:
    """The codes of every region enclosing `code`, itself included, widest first."""
    return [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]


@dataclass(frozen=True)
class DivisionEntry:
    code: str
    name: str
    level: Level
    parent: str | None


_NAME_RE = re.compile(r"^(?:\[(\d*)-(\d*)\])?(.+)$")
# Names of grouping entries that are no region of their own: python-stdnum lists 市辖区 and 郊区 under
# old codes, the statistical data lists 市辖区, 县 and 省直辖县级行政区划 as cities.
PLACEHOLDER_NAMES = {
    "市辖区",
    "市区",
    "县",
    "郊区",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖县级行政单位",
    "自治区直辖县级行政单位",
}


def _current_name(raw: str) -> str | None:
    """loc.dat lists names with validity years: '[-1986]渡口市,[1987-]攀枝花市'. Take the current one."""
    for part in raw.split(","):
        m = _NAME_RE.match(part.strip())
        if m and not m.group(2):  # no end year: still valid
            return m.group(3)
    return None


def stdnum_divisions(path: Path | None = None) -> Iterator[DivisionEntry]:
    """Current provinces, cities and counties from python-stdnum's `stdnum/cn/loc.dat`.

    Placeholder entries (市辖区, 直辖县级行政区划) are skipped; a county whose city is missing or a
    placeholder hangs from its province.
    """
    if path is None:
        import stdnum.cn

        path = Path(stdnum.cn.__file__).parent / "loc.dat"
    province = None
    cities: set[str] = set()
    line_re = re.compile(r'^(\s*)(\d+)\s+(?:province|county)="(.*)"\s*$')
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = line_re.match(line)
        if not m:
            continue
        indent, digits, raw = m.groups()
        name = _current_name(raw)
        if not indent:
            province = digits
            if name:
                yield DivisionEntry(province, name, Level.PROVINCE, None)
            continue
        code = f"{province}{digits}"
        if name is None or name in PLACEHOLDER_NAMES or digits == "0000":
            continue
        if digits.endswith("00"):
            cities.add(code[:4])
            yield DivisionEntry(code[:4], name, Level.CITY, province)
        else:
            parent = code[:4] if code[:4] in cities else province
            yield DivisionEntry(code, name, Level.COUNTY, parent)


# The committee suffixes of official village names: 五里村村民委员会, 黄坪村委会, 多福巷社区居委会.
# (suffix, the kind of place the short name must end in)
_COMMITTEES = (("村民委员会", "村"), ("村委会", "村"), ("居民委员会", ""), ("居委会", ""))


def short_name(name: str) -> str:
    """A village's name as people write it: "五里村村民委员会" and "五里村委会" -> "五里村",
    "多福巷社区居委会" -> "多福巷社区", "城关居委会" -> "城关". Other names are returned as they are."""
    for suffix, kind in _COMMITTEES:
        if name.endswith(suffix) and len(name) > len(suffix):
            core = name[: -len(suffix)]
            return core if core.endswith(kind) else core + kind
    return name


def official_names(name: str) -> set[str]:
    """The official names a written village name may stand for (the inverse of `short_name`):
    "五里村" -> 五里村, 五里村村民委员会, 五里村委会, 五里村村委会, ...; "多福巷社区" -> ...社区居委会."""
    out = {name}
    for suffix, _kind in _COMMITTEES:
        out.add(name + suffix)
        if name.endswith("村"):
            out.add(name[:-1] + suffix)
        if name.endswith("社区") and not suffix.startswith("村"):
            out.add(name[:-2] + suffix)
    return out
