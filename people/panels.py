"""Panels that apps built on top of people add to the household page (funds: payments, temporary
assistance, materials), so people imports none of them. Each panel is a template rendered with
`household`, and the reverse relations it reads, prefetched in one query each. A relation whose rows
have their own region (a temporary-assistance application is registered where the emergency
happened) is prefetched through `scoped_prefetch(user)`: Prefetch objects over `visible_to(user)`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class HouseholdPanel:
    template: str
    prefetch: list[str] = field(default_factory=list)
    order: int = 100
    scoped_prefetch: Callable[[Any], list] | None = None

    def lookups(self, user) -> list:
        return [*self.prefetch, *(self.scoped_prefetch(user) if self.scoped_prefetch else [])]


HOUSEHOLD_PANELS: list[HouseholdPanel] = []


def register_household_panel(
    template: str,
    prefetch: list[str] | None = None,
    order: int = 100,
    scoped_prefetch: Callable[[Any], list] | None = None,
) -> None:
    if all(p.template != template for p in HOUSEHOLD_PANELS):
        HOUSEHOLD_PANELS.append(HouseholdPanel(template, prefetch or [], order, scoped_prefetch))
        HOUSEHOLD_PANELS.sort(key=lambda p: p.order)
