from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PatrolsConfig(AppConfig):
    name = "patrols"
    verbose_name = _("街面巡查")

    def ready(self) -> None:
        from relief import navigation

        navigation.register(_("街面巡查"), "patrols:index", order=30)
