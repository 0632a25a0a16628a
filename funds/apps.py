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
        from funds.selectors import household_applications_prefetch
        from people.panels import register_household_panel

        register_household_panel(
            "funds/_household_funds.html",
            prefetch=["payments__batch", "material_distributions__stock__item"],
            order=20,
            scoped_prefetch=household_applications_prefetch,
        )
        from funds.sweeps import register as register_sweeps

        register_sweeps()
        from funds.deadlines import register_all as register_deadlines

        register_deadlines()
