"""What the apps add to a region's page (relief/views.py region_detail), without relief importing
them: a section of lines about that region (supervision: its open 督查 findings).

    register(RegionSection(key="findings", label="督查发现问题", lines=finding_lines, order=10))

`lines(user, region_code, limit)` returns (at most `limit` relief.todo.today.Line, the total), only
what `user` may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RegionSection:
    key: str
    label: str
    lines: Callable[..., tuple[list, int]]
    order: int = 50
    #: a list page with everything, as a URL name taking `?region=<code>`
    more_url: str = ""


SECTIONS: dict[str, RegionSection] = {}


def register(section: RegionSection) -> None:
    SECTIONS[section.key] = section


def sections_for(user, region_code: str, limit: int = 10) -> list[dict]:
    out = []
    for section in sorted(SECTIONS.values(), key=lambda s: (s.order, s.key)):
        lines, total = section.lines(user, region_code, limit)
        out.append({"section": section, "lines": lines, "total": total})
    return out
