from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrolmentsConfig(AppConfig):
    name = "enrolments"
    verbose_name = _("救助审核确认")

    def ready(self) -> None:
        from enrolments import appeals, reviews, workflows  # noqa: F401  (declare the processes)
        from enrolments.deadlines import register_all
        from relief import navigation
        from relief.uploads import register_download

        navigation.register(_("救助申请"), "enrolments:queue", order=15)
        from enrolments import dashboard  # noqa: F401  (registers its dashboard figures)
        from enrolments.demo import seed_enrolments
        from enrolments.selectors import household_prefetch
        from people.choices import DIBAO_UNCOVERED
        from people.panels import register_household_panel
        from relief import demo
        from relief.alerts.sweeps import answered_by

        demo.register(25, "enrolments", seed_enrolments)
        register_household_panel(
            "enrolments/_household_enrolments.html", order=10, scoped_prefetch=household_prefetch
        )
        # 主动发现: a 应保未保 alert is answered in one tap by a 低保 application for the household
        answered_by(
            DIBAO_UNCOVERED,
            action="enrolments:create",
            action_label=_("发起低保申请"),
            action_query="household={id}&alert={alert}&kind=dibao",
        )
        register_download("enrolments.enrolment", "authorisation", "check_report")
        from relief import privacy

        privacy.register("enrolments.appeal", {"phone": _("联系电话")})
        register_all()
        from enrolments import tasks  # noqa: F401  (registers the Celery task)
        from relief.schedules import Schedule
        from relief.schedules import register as register_schedule

        register_schedule(
            Schedule(
                "enrolment-reviews-nightly",
                "enrolments.reviews_nightly",
                minute="40",
                hour="1",
                description="每晚为在享的低保、特困、低保边缘、刚性支出困难家庭安排下次定期复核",
            )
        )
