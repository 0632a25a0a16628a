"""The review of a completed assignment as a task (relief/todo/deadlines.py): one task per
assignment waiting in `done`, for the township of the work (the county for county-level work),
due in REVIEW_WORKING_DAYS working days; it is done by itself when the assignment is accepted or
sent back.

One task per assignment rather than per record: the hours are the assignment's, and the reviewer
checks what was recorded on it together (a volunteer's afternoon of campaign deliveries is forty
records and one review, not forty tasks on the township's today page)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.todo.deadlines import Deadline, register, working_days_after
from volunteers.models import AssignmentState, VolunteerAssignment

TOWNSHIP = 9
#: working days a completed assignment waits for its review (a default: not yet a policy value)
REVIEW_WORKING_DAYS = 3


def _title(a: VolunteerAssignment) -> str:
    return _("志愿服务待审核：%(name)s · %(kind)s %(date)s（%(hours)s小时）") % {
        "name": a.volunteer.name,
        "kind": a.get_kind_display(),
        "date": f"{a.date:%Y-%m-%d}",
        "hours": a.actual_hours,
    }


def register_all() -> None:
    register(
        Deadline(
            key="volunteers.assignment.review",
            label=gettext_lazy("志愿服务待审核"),
            model="volunteers.VolunteerAssignment",
            states=(AssignmentState.DONE,),
            state_field="state",
            level=TOWNSHIP,
            due=lambda a: working_days_after(a.completed_at, REVIEW_WORKING_DAYS),
            title=_title,
            action="volunteers:assignment",
            action_label=gettext_lazy("审核"),
        )
    )
