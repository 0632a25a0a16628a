"""The report's deadline as a task (relief/todo/deadlines.py): a generated report waits for its
region's staff to send it up (上报) by the end of its day; submitting it answers the task, and a
late one climbs to the level above like any overdue task. Only the newest report of a kind is
waited for."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from relief.todo.deadlines import Deadline, end_of_working_day, register
from reports.models import Kind, Report, State


def submit_due(report: Report) -> datetime.datetime:
    """A daily report goes up on its day; a weekly one by the end of its Monday."""
    return end_of_working_day(report.period)


def is_latest(report: Report) -> bool:
    """Only the newest report of its kind waits to be sent up: when the next morning's report is
    made, the task of one never submitted lapses (the new one's task takes its place)."""
    return not Report.objects.filter(
        region_id=report.region_id, kind=report.kind, period__gt=report.period
    ).exists()


def _title(report: Report) -> str:
    return _("上报%(kind)s（%(period)s）") % {
        "kind": report.get_kind_display(),
        "period": f"{report.period:%m-%d}",
    }


def register_all() -> None:
    register(
        Deadline(
            key="reports.submit",
            label=_("日报周报待上报"),
            model="reports.Report",
            states=(State.GENERATED,),
            state_field="state",
            level=6,
            region=lambda r: r.region_id,
            when=is_latest,
            due=submit_due,
            title=_title,
            action="reports:detail",
            action_label=_("上报"),
        )
    )


__all__ = ["Kind", "register_all"]
