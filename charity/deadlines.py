"""An open need (from a visit, a warning, a hotline call or added by hand) as a task for the county's
charity coordinator (relief/todo/deadlines.py): match it to a project on the need's page, or close it
with a reason, within the policy value charity_match_working_days. The task is done by itself when the
need is assigned or closed; the delivery that follows is the township's task (charity/services.py)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from charity.models import CharityNeed, NeedState
from relief.policy import policy_value
from relief.todo.deadlines import Deadline, register, working_days_after

COUNTY = 6


def _due(need: CharityNeed):
    days = int(policy_value("charity_match_working_days", need.region_id))
    return working_days_after(need.created_at, days)


def _title(need: CharityNeed) -> str:
    who = need.person.name if need.person_id else str(need.household)
    return _("%(who)s：慈善需求待对接（%(kind)s）") % {"who": who, "kind": need.get_kind_display()}


def register_all() -> None:
    register(
        Deadline(
            key="charity.need.match",
            label=gettext_lazy("慈善需求待对接"),
            model="charity.CharityNeed",
            states=(NeedState.OPEN,),
            state_field="state",
            level=COUNTY,
            due=_due,
            title=_title,
            action="charity:need",
            action_label=gettext_lazy("对接项目"),
        )
    )
