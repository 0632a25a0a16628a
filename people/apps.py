from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = _("困难群众")

    def ready(self) -> None:
        from people import exports, roster  # noqa: F401  (register the roster job handlers)
        from people.demo import seed_people
        from people.roster import error_report  # noqa: F401  (the file of bad rows, a job)
        from relief import demo, navigation

        navigation.register(_("困难群众"), "people:index", order=10)
        from people import dashboard  # noqa: F401  (registers its dashboard figures)

        demo.register(10, "people", seed_people)
        from people.demo import seed_visit_needs

        demo.register(15, "visit needs", seed_visit_needs)
        from people.demo import seed_payment_accounts

        demo.register(16, "payment accounts", seed_payment_accounts)
        from relief import privacy

        privacy.register("people.person", {"id_number": _("身份证号"), "phone": _("手机号")})
        privacy.register("people.paymentaccount", {"account_number": _("银行账号")})
        privacy.register("people.household", {"contact_phone": _("联系电话")})
        from people.sweeps import register as register_sweeps

        register_sweeps()
        from people.needs import register_labels

        register_labels()
        from people.today import register_sections

        register_sections()
        self._keep_next_visits()

    def _keep_next_visits(self) -> None:
        """Person.next_visit_due follows the visit-interval policy values, and is recomputed
        nightly (ages, categories and warnings that end by themselves) before the sweeps read it;
        the demo fills it once everything else is seeded."""
        from people.demo import refresh_next_visits as demo_refresh
        from people.tasks import refresh_next_visits_later
        from relief import demo, policy, schedules

        policy.on_change("visit_interval_", lambda key, region: refresh_next_visits_later(region))
        schedules.register(
            schedules.Schedule(
                "people-next-visits-nightly",
                "people.refresh_next_visits",
                minute="0",
                hour="1",
                description="每晚按探访规则重新计算每个人的下次应探访日期（探访逾期监测之前）",
            )
        )
        demo.register(90, "people.next_visits", demo_refresh)
