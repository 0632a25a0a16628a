from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("日报周报")

    def ready(self) -> None:
        from relief import demo, schedules
        from reports import (
            deadlines,
            tasks,  # noqa: F401  (its Celery tasks, named by the schedules)
        )
        from reports.demo import seed

        deadlines.register_all()
        demo.register(97, "reports", seed)  # after every app's data and the next visits
        schedules.register(
            schedules.Schedule(
                "reports-daily",
                "reports.generate_daily",
                minute="0",
                hour="7",
                description="每天早上7点生成各省、市、县日报（Excel 和 PDF）",
            )
        )
        schedules.register(
            schedules.Schedule(
                "reports-weekly",
                "reports.generate_weekly",
                minute="10",
                hour="7",
                day_of_week="1",
                description="每周一早上生成各省、市、县周报",
            )
        )
