from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("资金物资")

    def ready(self) -> None:
        from funds import jobs  # noqa: F401  (registers the batch generation job)
        from funds.demo import seed_funds
        from relief import demo, navigation

        navigation.register(_("资金物资"), "funds:index", order=20)
        from funds import dashboard  # noqa: F401  (registers its dashboard figures)

        demo.register(20, "funds", seed_funds)
        from people.panels import register_household_panel

        # 救助链: the panel's template tag reads it all (funds/chain.py), so nothing to prefetch
        register_household_panel("funds/_household_funds.html", order=20)
        from funds.sweeps import register as register_sweeps

        register_sweeps()
        from funds.deadlines import register_all as register_deadlines

        register_deadlines()
