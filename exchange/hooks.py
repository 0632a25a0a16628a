"""What happens once a batch is matched, without the ingest knowing the rules: the rules module
registers its runner here (exchange/apps.py), and ingest calls `after_match(batch)` at the end of
a batch's processing, after the match is committed; a runner makes its writes in transactions of its own
(so it may use several connections). Each runner returns the number of warnings raised."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exchange.models import ExchangeBatch

AFTER_MATCH: list[Callable[[ExchangeBatch], int]] = []


def on_match(runner: Callable[[ExchangeBatch], int]) -> None:
    if runner not in AFTER_MATCH:
        AFTER_MATCH.append(runner)


def after_match(batch: ExchangeBatch) -> int:
    """Run every registered runner on a batch whose records are written; the warnings raised."""
    return sum(runner(batch) for runner in AFTER_MATCH)


#: the kinds of the alerts (warnings) the rules raise start with this (exchange/rules.py)
ALERT_PREFIX = "exchange."
