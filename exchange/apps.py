from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "exchange"
    verbose_name = _("部门数据比对")

    def ready(self) -> None:
        # pages, sweeps, tasks, dashboard figures and demo data register themselves here as they come
        from exchange import services  # noqa: F401  (registers the batch-processing job)
        from relief import navigation, privacy

        navigation.register(_("数据比对"), "exchange:index", order=45)
        privacy.register("exchange.exchangerecord", {"id_number": _("身份证号")})
        from exchange.wiring import ready_rules

        ready_rules()  # rules, dispositions, feedback, dashboard, demo
