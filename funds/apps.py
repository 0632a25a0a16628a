from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = _("资金物资")

    def ready(self) -> None:
        from relief import navigation

        navigation.register(_("资金物资"), "funds:index", order=20)
