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


def register(label: str, url_name: str, order: int = 100, admin_only: bool = False) -> None:
    if not any(item.url_name == url_name for item in NAV):
        NAV.append(NavItem(label, url_name, order, admin_only))
        NAV.sort(key=lambda item: item.order)


def items_for(user) -> list[NavItem]:
    return [i for i in NAV if not i.admin_only or getattr(user, "is_region_admin", False)]
