"""Celery tasks of the rules half of the exchange app: thin, they call exchange/rules.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="exchange.rules_nightly")
def rules_nightly() -> int:
    """Every rule kind in force over every county that has matched department records: warnings the
    period moved into are raised, those whose cause is gone (the 12-month medical sum below the
    share, the person no longer matched or no longer active) resolve themselves, and their
    dispositions follow. The warnings raised."""
    from exchange.dispositions import dispositions_follow_alerts
    from exchange.rules import rule_kinds, rules_sweep
    from relief.alerts.sweeps import counties_under

    kinds = rule_kinds()
    if not kinds:
        return 0
    raised = rules_sweep(counties_under(None), kinds)
    dispositions_follow_alerts()  # (every warning: one raised before its sweep made dispositions)
    return raised
