"""The supervising body's own waits on a trip, as tasks on its today page (relief/todo/deadlines.py),
for the region of the body (a city's trip: the city's officials):

- a planned trip whose first day has come: start it (or change its dates);
- a trip in progress whose last planned day has passed: give the findings to the regions visited
  (反馈问题), in ISSUE_WORKING_DAYS working days after that day;
- a trip whose findings went out with none recorded (nothing to rectify): close it with its note.

Each is done by itself by the step that answers it (start, issue, close). The rectification and
its acceptance are the findings' own tasks (supervision/rectification.py)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.todo.deadlines import Deadline, end_of_working_day, register, working_days_after
from supervision.models import SupervisionTrip, TripState

#: the code of the supervising body itself (a province's, a city's or a county's trip)
BODY = 12
#: working days after a trip's last planned day to give its findings to the regions visited
ISSUE_WORKING_DAYS = 3
#: working days to close a trip issued with nothing found
CLOSE_WORKING_DAYS = 3


def _title(text: str):
    def title(trip: SupervisionTrip) -> str:
        return _("%(what)s：%(title)s（%(start)s—%(end)s）") % {
            "what": str(text),
            "title": trip.title,
            "start": f"{trip.planned_start:%m-%d}",
            "end": f"{trip.planned_end:%m-%d}",
        }

    return title


def register_all() -> None:
    register(
        Deadline(
            key="supervision.trip.start",
            label=gettext_lazy("督查待开始"),
            model="supervision.SupervisionTrip",
            states=(TripState.PLANNED,),
            state_field="state",
            level=BODY,
            when=lambda t: t.planned_start <= timezone.localdate(),
            due=lambda t: end_of_working_day(max(t.planned_start, timezone.localdate())),
            title=_title(gettext_lazy("督查已到计划开始日期")),
            action="supervision:trip",
            action_label=gettext_lazy("开始督查"),
        )
    )
    register(
        Deadline(
            key="supervision.trip.issue",
            label=gettext_lazy("督查待反馈问题"),
            model="supervision.SupervisionTrip",
            states=(TripState.IN_PROGRESS,),
            state_field="state",
            level=BODY,
            when=lambda t: t.planned_end < timezone.localdate(),
            due=lambda t: working_days_after(t.planned_end, ISSUE_WORKING_DAYS),
            title=_title(gettext_lazy("督查已结束，请向被督查地区反馈问题")),
            action="supervision:trip",
            action_label=gettext_lazy("反馈问题"),
        )
    )
    register(
        Deadline(
            key="supervision.trip.close",
            label=gettext_lazy("督查待结束"),
            model="supervision.SupervisionTrip",
            states=(TripState.ISSUED,),
            state_field="state",
            level=BODY,
            when=lambda t: not t.findings.exists(),
            due=lambda t: working_days_after(t.actual_end or timezone.localdate(), CLOSE_WORKING_DAYS),
            title=_title(gettext_lazy("督查未发现问题，请填写说明后结束")),
            action="supervision:trip",
            action_label=gettext_lazy("结束督查"),
        )
    )
