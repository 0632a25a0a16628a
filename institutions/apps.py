from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("服务机构")

    def ready(self) -> None:
        from institutions.demo import seed_institutions
        from relief import demo, navigation

        navigation.register(_("服务机构"), "institutions:index", order=40)
        demo.register(40, "institutions", seed_institutions)
