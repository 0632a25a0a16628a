from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("困难群众")

    def ready(self) -> None:
        from people import exports, roster  # noqa: F401  (register the roster job handlers)
        from people.demo import seed_people
        from relief import demo, navigation

        navigation.register(_("困难群众"), "people:index", order=10)
        from people import dashboard  # noqa: F401  (registers its dashboard figures)

        demo.register(10, "people", seed_people)
        from people.demo import seed_visit_needs

        demo.register(15, "visit needs", seed_visit_needs)
        from relief import privacy

        privacy.register("people.person", {"id_number": _("身份证号"), "phone": _("手机号")})
        privacy.register("people.household", {"contact_phone": _("联系电话")})
        from people.sweeps import register as register_sweeps

        register_sweeps()
        from people.needs import register_labels

        register_labels()
