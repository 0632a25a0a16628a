"""What the rules and dispositions half of the exchange app registers at start-up (ExchangeConfig.ready):
the rules' sweeps, the runner after a batch is matched, the nightly schedule, the dashboard figures
and the demo data."""

from __future__ import annotations


def ready_rules() -> None:
    from exchange import dashboard, tasks  # noqa: F401  (register the figures and the Celery tasks)
    from exchange.demo import seed_exchange
    from exchange.hooks import on_match
    from exchange.rules import register, run_after_match
    from relief import demo
    from relief.schedules import Schedule
    from relief.schedules import register as register_schedule

    register()
    on_match(run_after_match)
    demo.register(40, "exchange", seed_exchange)
    register_schedule(
        Schedule(
            "exchange-rules-nightly",
            "exchange.rules_nightly",
            minute="45",
            hour="1",
            description="每晚按预警规则重新比对部门数据：新的预警建立核实处置，情况已消除的预警自动解除",
        )
    )
