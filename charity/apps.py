from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CharityConfig(AppConfig):
    name = "charity"
    verbose_name = _("慈善救助")

    def ready(self) -> None:
        from charity import deadlines
        from charity.chain import KIND, STATES, charity_entries
        from charity.demo import seed
        from charity.selectors import household_prefetch
        from charity.services import needs_from_visit
        from funds.chain import register_collector
        from people.needs import on_visit_needs
        from people.panels import register_household_panel
        from relief import demo, navigation, privacy
        from relief.todo.selectors import SOURCE_LABELS
        from relief.uploads import register_download

        navigation.register(_("慈善救助"), "charity:index", order=27)
        register_download("charity.donation", "receipt")
        register_download("charity.charityneed", "photo")
        register_collector(charity_entries, kinds={KIND: _("慈善救助")}, states=STATES)
        register_household_panel(
            "charity/_household_charity.html", order=30, scoped_prefetch=household_prefetch
        )
        privacy.register("charity.donor", {"phone": _("联系电话"), "id_number": _("身份证号")})
        on_visit_needs(needs_from_visit)  # a need found on a visit that charity can meet
        SOURCE_LABELS.setdefault("charity", _("慈善救助送达"))
        demo.register(27, "charity", seed)
        deadlines.register_all()
