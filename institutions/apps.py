from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("服务机构")

    def ready(self) -> None:
        from institutions.demo import seed_institutions
        from relief import demo, navigation

        navigation.register(_("服务机构"), "institutions:index", order=40)
        from institutions import dashboard  # noqa: F401  (registers its dashboard figures)

        demo.register(40, "institutions", seed_institutions)
        from institutions.sweeps import register as register_sweeps

        register_sweeps()
        from institutions.deadlines import register_all as register_deadlines

        register_deadlines()
        from relief.uploads import register_download

        register_download("institutions.hazard", "evidence")
        register_download("institutions.inspectionresult", "photo")
