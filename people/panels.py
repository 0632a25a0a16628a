"""Panels that apps built on top of people add to the household page (funds: payments, temporary
assistance, materials), so people imports none of them. Each panel is a template rendered with
`household`, and the reverse relations it reads, prefetched in one query each."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class HouseholdPanel:
    template: str
    prefetch: list[str] = field(default_factory=list)
    order: int = 100


HOUSEHOLD_PANELS: list[HouseholdPanel] = []


def register_household_panel(template: str, prefetch: list[str] | None = None, order: int = 100) -> None:
    if all(p.template != template for p in HOUSEHOLD_PANELS):
        HOUSEHOLD_PANELS.append(HouseholdPanel(template, prefetch or [], order))
        HOUSEHOLD_PANELS.sort(key=lambda p: p.order)
