"""Every periodic task, in one place. `manage.py sync_schedules` writes them into django-celery-beat's
tables (run at deploy; beat reads them from the database, and administrators can pause or retime a
task in the admin without a deploy). Apps add theirs with `register()` from AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    minute: str = "*"
    hour: str = "*"
    description: str = ""
    #: crontab's day of the week ("1": Mondays)
    day_of_week: str = "*"


SCHEDULES: dict[str, Schedule] = {}


def register(schedule: Schedule) -> None:
    SCHEDULES[schedule.name] = schedule


register(
    Schedule("jobs-watchdog", "relief.jobs_watchdog", minute="*", description="标记后台进程已停止响应的任务")
)
register(
    Schedule(
        "sweeps-nightly",
        "relief.sweeps_nightly",
        minute="30",
        hour="1",
        day_of_week="1-6",
        description="每晚运行主动发现监测（按县拆分，只处理上次运行以来有变化的县）",
    )
)
register(
    Schedule(
        "sweeps-weekly-full",
        "relief.sweeps_weekly_full",
        minute="30",
        hour="1",
        day_of_week="0",
        description="每周日晚完整运行全部主动发现监测（不论有无变化，作为增量运行的兜底）",
    )
)
register(
    Schedule(
        "tasks-deadlines-nightly",
        "relief.tasks_deadlines_nightly",
        minute="45",
        hour="1",
        description="每晚核对等待办理的记录都有待办事项（审批、验收、公示等时限）",
    )
)
register(
    Schedule(
        "alerts-escalate",
        "relief.alerts_escalate",
        minute="15",
        hour="*",
        description="逾期未处理的预警提级督办",
    )
)
register(
    Schedule(
        "dashboard-refresh", "relief.dashboard_refresh", minute="*/10", description="刷新数据看板汇总指标"
    )
)


@transaction.atomic
def schedules_sync() -> int:
    """Create or update the beat entries. Keeps an administrator's enabled/disabled choice."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for s in SCHEDULES.values():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=s.minute,
            hour=s.hour,
            day_of_week=s.day_of_week,
            day_of_month="*",
            month_of_year="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.update_or_create(
            name=s.name,
            defaults={"task": s.task, "crontab": crontab, "interval": None, "description": s.description},
        )
    return len(SCHEDULES)
