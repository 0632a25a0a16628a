from importlib.util import find_spec

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("街面巡查")

    def ready(self) -> None:
        from patrols import demo
        from relief import demo as relief_demo
        from relief import navigation

        navigation.register(_("街面巡查"), "patrols:index", order=30)
        from patrols import dashboard  # noqa: F401  (registers its dashboard figures)

        relief_demo.register(30, "patrols", demo.seed)
        if find_spec("relief.alerts.sweeps") is not None:  # the sweeps registry of relief
            from patrols import sweeps

            sweeps.register()
