from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("困难群众")

    def ready(self) -> None:
        from people.demo import seed_people
        from relief import demo, navigation

        navigation.register(_("困难群众"), "people:index", order=10)
        demo.register(10, "people", seed_people)
