"""The review of a completed assignment as a task (relief/todo/deadlines.py): one task per
assignment waiting in `done`, for the township of the work (the county for county-level work),
due in the policy value volunteer_review_working_days (3 by default); it is done by itself when the assignment is accepted or
sent back.

Two more waits of an assignment are tasks for the region of the work (the village of a visit, the
township or county of a patrol shift or a delivery round), whose staff record in the volunteer's name:
an assignment sent back by the reviewer (correct it and complete it again, in RETURN_WORKING_DAYS), and
an assignment whose day has passed with nothing recorded as done (record what was done, or cancel it,
in LATE_WORKING_DAYS after its day; opened by the nightly follow_all).

One task per assignment rather than per record: the hours are the assignment's, and the reviewer
checks what was recorded on it together (a volunteer's afternoon of campaign deliveries is forty
records and one review, not forty tasks on the township's today page)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.policy import policy_value
from relief.todo.deadlines import Deadline, register, working_days_after
from volunteers.models import AssignmentState, VolunteerAssignment

TOWNSHIP = 9
#: working days to correct and complete again an assignment sent back
RETURN_WORKING_DAYS = 3
#: working days after its day to record an assignment as done (or cancel it)
LATE_WORKING_DAYS = 2
#: the region of the work itself: a village's visit is the village's, a county's shift the county's
WORK_REGION = 12


def _title(a: VolunteerAssignment) -> str:
    return _("志愿服务待审核：%(name)s · %(kind)s %(date)s（%(hours)s小时）") % {
        "name": a.volunteer.name,
        "kind": a.get_kind_display(),
        "date": f"{a.date:%Y-%m-%d}",
        "hours": a.actual_hours,
    }


def _returned_at(a: VolunteerAssignment):
    last = a.events.filter(action="send_back").order_by("-at", "-id").values_list("at", flat=True).first()
    return last or timezone.now()


def _returned_title(a: VolunteerAssignment) -> str:
    return _("志愿服务被退回，请修改后重新提交：%(name)s · %(kind)s %(date)s") % {
        "name": a.volunteer.name,
        "kind": a.get_kind_display(),
        "date": f"{a.date:%Y-%m-%d}",
    }


def _late_title(a: VolunteerAssignment) -> str:
    return _("志愿服务日期已过，尚未登记完成：%(name)s · %(kind)s %(date)s") % {
        "name": a.volunteer.name,
        "kind": a.get_kind_display(),
        "date": f"{a.date:%Y-%m-%d}",
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
            due=lambda a: working_days_after(
                a.completed_at, int(policy_value("volunteer_review_working_days", a.region_id))
            ),
            title=_title,
            action="volunteers:assignment",
            action_label=gettext_lazy("审核"),
        )
    )
    register(
        Deadline(
            key="volunteers.assignment.returned",
            label=gettext_lazy("志愿服务被退回"),
            model="volunteers.VolunteerAssignment",
            states=(AssignmentState.RETURNED,),
            state_field="state",
            level=WORK_REGION,
            due=lambda a: working_days_after(_returned_at(a), RETURN_WORKING_DAYS),
            title=_returned_title,
            action="volunteers:assignment",
            action_label=gettext_lazy("修改并重新提交"),
        )
    )
    register(
        Deadline(
            key="volunteers.assignment.late",
            label=gettext_lazy("志愿服务待登记完成"),
            model="volunteers.VolunteerAssignment",
            states=(AssignmentState.ASSIGNED,),
            state_field="state",
            level=WORK_REGION,
            when=lambda a: a.date < timezone.localdate(),
            due=lambda a: working_days_after(a.date, LATE_WORKING_DAYS),
            title=_late_title,
            action="volunteers:assignment",
            action_label=gettext_lazy("登记完成情况"),
        )
    )
