"""The today page's sections beyond the tasks themselves. relief shows the tasks; an app adds what
only it knows (people: who is due a visit today), without relief importing it:

    register(Section(key="visits_due", label="今日应探访", roles={...}, lines=visits_due_today, order=10))

`lines(user, today)` returns at most `limit` `Line`s, most urgent first.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    title: str
    url: str
    detail: str = ""
    due: datetime.date | datetime.datetime | None = None
    overdue: bool = False
    urgent: bool = False
    action_url: str = ""
    action_label: str = ""
    #: more pages the device keeps for offline use with this line (the field app, relief/offline.py)
    keep: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    lines: Callable[..., tuple[list[Line], int]]
    #: roles that see the section (empty: every role)
    roles: frozenset[str] = field(default_factory=frozenset)
    order: int = 50
    #: the list page with everything (a URL name), if any
    more_url: str = ""
    #: task kinds this section already shows (left out of the page's task list, not of /tasks/)
    replaces_kinds: frozenset[str] = field(default_factory=frozenset)


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    SECTIONS[section.key] = section


def sections_for(user) -> list[Section]:
    return sorted(
        (s for s in SECTIONS.values() if not s.roles or user.role in s.roles), key=lambda s: (s.order, s.key)
    )
