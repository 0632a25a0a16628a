from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ReliefConfig(AppConfig):
    name = "relief"
    verbose_name = _("基础：区划、用户、任务、参数、预警")

    def ready(self) -> None:
        # relief's own job handlers, Celery tasks and dashboard figures (a worker runs ready() too,
        # so it knows every task; relief has no relief/tasks.py for Celery's autodiscovery)
        from relief import demo, exports, navigation  # noqa: F401
        from relief.alerts import dashboard, tasks  # noqa: F401
        from relief.dashboard import tasks as dashboard_tasks  # noqa: F401
        from relief.jobs import runner  # noqa: F401
        from relief.jobs import tasks as job_tasks  # noqa: F401
        from relief.todo import hooks
        from relief.todo import tasks as todo_tasks  # noqa: F401  (Celery tasks)
        from relief.todo.demo import seed_work

        hooks.install()
        post_migrate.connect(_watch_sweep_inputs, sender=self)
        demo.register(95, "work", seed_work)  # after every app, next visits included
        navigation.register(_("待办"), "task-list", order=2)
        navigation.register(_("预警"), "alert-list", order=5)
        navigation.register(_("数据看板"), "dashboard:index", order=3)
        navigation.register(_("今日工作"), "home", order=0)
        navigation.register(_("行政区划"), "region-list", order=80)
        navigation.register(_("政策参数"), "policy", order=85)
        navigation.register(_("后台任务"), "job-list", order=90)


def _watch_sweep_inputs(sender, using: str = "default", **kwargs) -> None:
    """After each migrate: the change triggers on every table a registered sweep reads
    (relief/alerts/delta.py), so a new or renamed table is watched before a nightly run trusts them."""
    from relief.alerts.delta import install_triggers
    from relief.alerts.sweeps import SWEEPS

    install_triggers(SWEEPS.values(), using=using)
