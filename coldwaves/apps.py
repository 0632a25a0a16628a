from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ColdwavesConfig(AppConfig):
    name = "coldwaves"
    verbose_name = _("寒潮应对")

    def ready(self) -> None:
        from coldwaves.demo import seed as seed_demo
        from coldwaves.plan_sweeps import register as register_plan_sweeps
        from coldwaves.sweeps import register as register_sweeps
        from relief import demo, navigation
        from relief.uploads import register_download

        navigation.register(_("寒潮点名"), "coldwaves:index", order=35)
        register_sweeps()
        register_plan_sweeps()
        register_download("coldwaves.emergencyplan", "document")
        demo.register(35, "coldwaves", seed_demo)  # after patrols' cold-wave warnings
        from coldwaves import dashboard  # noqa: F401  (registers its dashboard figures)
        from coldwaves.tasks import rollcall_tick_later
        from patrols.services import on_warning_change
        from relief import schedules

        on_warning_change(rollcall_tick_later)
        schedules.register(
            schedules.Schedule(
                "coldwaves-rollcall",
                "coldwaves.rollcall_tick",
                minute="*/10",
                description="寒潮点名：按生效的寒潮预警启动、调整、结束点名，并对未联系的对象发出预警",
            )
        )
