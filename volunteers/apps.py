from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("志愿者")

    def ready(self) -> None:
        from relief import demo, navigation, privacy
        from volunteers.deadlines import register_all as register_deadlines
        from volunteers.demo import seed

        navigation.register(_("志愿者"), "volunteers:index", order=36)
        privacy.register("volunteers.volunteer", {"id_number": _("身份证号"), "phone": _("手机号")})
        register_deadlines()
        demo.register(38, "volunteers", seed)
