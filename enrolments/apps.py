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
