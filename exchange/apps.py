from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("部门数据比对")

    def ready(self) -> None:
        # pages, sweeps, tasks, dashboard figures and demo data register themselves here as they come
        from exchange.wiring import ready_rules

        ready_rules()  # part B: rules, dispositions, feedback, dashboard, demo
