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
        register_all()
