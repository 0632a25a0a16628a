"""The navigation bar. Each app adds its own entries from its AppConfig.ready(), so relief
imports no app."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int = 100
    admin_only: bool = False

    @property
    def url(self) -> str:
        return reverse(self.url_name)


NAV: list[NavItem] = []

# Entries ordered from here on are listed under 更多 (More), so that the bar keeps one row at 1,366 px
# for every role and in either language.
MORE_FROM = 30


def register(label: str, url_name: str, order: int = 100, admin_only: bool = False) -> None:
    if not any(item.url_name == url_name for item in NAV):
        NAV.append(NavItem(label, url_name, order, admin_only))
        NAV.sort(key=lambda item: item.order)


def items_for(user) -> list[NavItem]:
    return [i for i in NAV if not i.admin_only or getattr(user, "is_region_admin", False)]


def split_for(user) -> tuple[list[NavItem], list[NavItem]]:
    """The user's entries shown on the bar, and those under 更多."""
    items = items_for(user)
    return [i for i in items if i.order < MORE_FROM], [i for i in items if i.order >= MORE_FROM]
