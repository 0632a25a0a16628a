"""/api/v1/exchange/...: each half of the exchange app adds its viewsets here (relief/api/urls.py finds
`register(router)` and `urlpatterns`)."""

from __future__ import annotations


def register(router) -> None:
    from exchange.api import dispositions

    dispositions.register(router)


def api_urlpatterns() -> list:
    from exchange.api import dispositions

    return dispositions.urlpatterns
