from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = _("督查")

    def ready(self) -> None:
        from relief import demo, navigation, region_sections, schedules
        from relief.uploads import register_download
        from supervision.demo import seed
        from supervision.views import region_finding_lines

        navigation.register(_("督查"), "supervision:index", order=50)
        register_download("supervision.finding", "photo", "evidence")
        region_sections.register(
            region_sections.RegionSection(
                key="supervision_findings",
                label=_("督查发现问题（未销号）"),
                lines=region_finding_lines,
                order=10,
                more_url="supervision:findings",
            )
        )
        from supervision import tasks  # noqa: F401  (its Celery task, named by the schedule)

        schedules.register(
            schedules.Schedule(
                "supervision-finding-tasks",
                "supervision.finding_tasks_sync",
                minute="50",
                hour="1",
                description="每晚核对督查问题都有整改或验收待办",
            )
        )
        demo.register(60, "supervision", seed)
        from supervision.deadlines import register_all as register_deadlines

        register_deadlines()  # after institutions (40): findings link to them
