"""/api/v1/exchange/: department data for other systems (relief/api/urls.py finds `register(router)`
and `api_urlpatterns()`).

- `exchange/sources/` (read): the sources the caller may send to or read, with their column mapping;
- `exchange/batches/`: send a batch (`POST`: a multipart `file`, a JSON body with `records`, or
  `application/x-ndjson` lines with `source`, `region`, `period` as query parameters), list and
  read batches with their counts and the state of their processing;
- `exchange/records/`: the lines of the batches the caller may see (`?batch=`, `?status=`,
  `?id_number=`, `?name=`), ID numbers masked for roles that do not need them;
- `exchange/dispositions/`: the warnings' verification and disposition, one action per step;
- `exchange/feedback/<source code>/`: what became of a source's records, for its department.

A re-send (the same `Idempotency-Key`, or the same content, for the same source and region) answers
200 with the batch received before, as it is now; nothing changes.
"""

from __future__ import annotations


def register(router) -> None:
    from exchange.api import dispositions
    from exchange.api.views import ExchangeBatchViewSet, ExchangeRecordViewSet, ExchangeSourceViewSet

    router.register("exchange/sources", ExchangeSourceViewSet, basename="exchange-source")
    router.register("exchange/batches", ExchangeBatchViewSet, basename="exchange-batch")
    router.register("exchange/records", ExchangeRecordViewSet, basename="exchange-record")
    dispositions.register(router)


def api_urlpatterns() -> list:
    from exchange.api import dispositions

    return dispositions.urlpatterns
