"""Needs found on a visit become tasks (relief/todo) for the role that must act, with a deadline,
and a button that starts the follow-up pre-filled.

| follow-up chosen          | who                         | the one tap                               |
|---------------------------|-----------------------------|-------------------------------------------|
| 临时救助申请              | township (乡镇受理)          | a temporary-assistance application for the person, pre-filled |
| 发放物资                  | county (its warehouses)     | the county's stock, with the household chosen |
| 就医转介 / 监护干预        | township                    | the task itself: the referral is recorded as its answer (to whom, when) |
| 救助类别认定/复核          | township                    | an enrolment application (主动发现), pre-filled |
| 危房修缮/转移安置          | township                    | the household page                        |
| 其他                      | the visitor's village       | the household page                        |

A child (under 18) found without a guardian present (`guardian_present` False) raises, the same
day, an urgent task for the township (its child supervisor, 儿童督导员) and one for the county.
Deadlines are policy values: `need_due_working_days`, `child_alone_due_hours`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.choices import FollowUp
from people.models import Visit
from relief.models import Task, User
from relief.policy import policy_value
from relief.todo.services import due_in_working_days, task_open

TOWNSHIP, COUNTY = 9, 6

#: apps built on people told of every visit that opened tasks, inside the visit's transaction, so
#: people imports none of them (charity: a need it can meet becomes a charity need): fn(visit, tasks)
NEED_LISTENERS: list[Callable[[Visit, list[Task]], None]] = []


def on_visit_needs(listener: Callable[[Visit, list[Task]], None]) -> None:
    if listener not in NEED_LISTENERS:
        NEED_LISTENERS.append(listener)


def _action(follow_up: str, visit: Visit) -> tuple[str, str]:
    household = visit.household
    person = visit.person
    if follow_up == FollowUp.TEMP_ASSISTANCE:
        query = {"household": household.pk}
        if person is not None:
            query["person"] = person.pk
        return f"{reverse('funds:application-create')}?{urlencode(query)}", _("发起临时救助申请")
    if follow_up == FollowUp.MATERIAL:
        return f"{reverse('funds:material-list')}?{urlencode({'household': household.pk})}", _(
            "从库存发放物资"
        )
    if follow_up in (FollowUp.MEDICAL_REFERRAL, FollowUp.GUARDIANSHIP):
        return "", ""  # answered on the task's own page: the referral is its answer
    if follow_up == FollowUp.CATEGORY_REVIEW:  # 主动发现: the visit's finding is an application
        query = {"household": household.pk, "origin": "found"}
        if person is not None:
            query["person"] = person.pk
        return f"{reverse('enrolments:create')}?{urlencode(query)}", _("发起救助申请")
    return reverse("people:household-detail", args=[household.pk]), _("查看家庭")


def _who(follow_up: str, visit: Visit) -> str:
    if follow_up == FollowUp.OTHER:
        return visit.region_id
    if follow_up == FollowUp.MATERIAL:
        return visit.region_id[:COUNTY]  # the county's warehouses issue the stock
    return visit.region_id[:TOWNSHIP]


def register_labels() -> None:
    from relief.todo.needs import register_need

    for choice in FollowUp:
        if choice.value:
            register_need(choice.value, choice.label)
    register_need("child_alone", gettext_lazy("儿童无人监护"))


def cause_prefix(visit: Visit) -> str:
    return f"need:visit:{visit.pk}:"


def visit_needs_open(*, visit: Visit, actor: User | None) -> list[Task]:
    """Open the tasks of what this visit found (inside the visit's transaction)."""
    tasks: list[Task] = []
    subject_label = visit.person.name if visit.person_id else str(visit.household)
    who_label = subject_label
    if visit.follow_up:
        label = FollowUp(visit.follow_up).label
        url, action_label = _action(visit.follow_up, visit)
        days = int(policy_value("need_due_working_days", visit.region_id))
        task, _created = task_open(
            source="need",
            kind=visit.follow_up,
            cause_key=f"{cause_prefix(visit)}{visit.follow_up}",
            title=_("%(who)s：%(what)s") % {"who": who_label, "what": label},
            region=visit.region_id,
            assignee_region=_who(visit.follow_up, visit),
            due_at=due_in_working_days(days, timezone.localtime(visit.visited_at).date()),
            subject=visit,
            subject_label=subject_label,
            detail="；".join(p for p in (visit.needs, visit.follow_up_note) if p),
            action_url=url,
            action_label=action_label,
            created_by=actor,
        )
        tasks.append(task)
    if visit.guardian_present is False and (visit.person is None or visit.person.is_minor):
        hours = int(policy_value("child_alone_due_hours", visit.region_id))
        now = timezone.now()
        end_of_day = timezone.make_aware(
            datetime.datetime.combine(timezone.localdate(), datetime.time(23, 59))
        )
        due = max(now + datetime.timedelta(hours=1), min(end_of_day, now + datetime.timedelta(hours=hours)))
        title = _("%(who)s：儿童无人监护，须当日处置") % {"who": who_label}
        for level, suffix in ((TOWNSHIP, "township"), (COUNTY, "county")):
            task, _created = task_open(
                source="need",
                kind="child_alone",
                cause_key=f"{cause_prefix(visit)}child_alone:{suffix}",
                title=title,
                region=visit.region_id,
                assignee_region=visit.region_id[:level],
                due_at=due,
                subject=visit,
                subject_label=subject_label,
                detail=visit.needs or _("探访时监护人不在位"),
                urgent=True,
                created_by=actor,
            )
            tasks.append(task)
    if tasks:
        for listener in NEED_LISTENERS:
            listener(visit, tasks)
    return tasks


def visit_overdue_recheck(visit: Visit) -> None:
    """Run the visit-overdue sweep over the visit's village now (set-based, a few hundred people),
    so the alert this visit answers, and its task, close at once instead of at the next night."""
    from people.choices import VISIT_OVERDUE
    from relief.alerts.sweeps import SWEEPS, sweep_county

    if VISIT_OVERDUE in SWEEPS and len(visit.region_id) >= 6:
        sweep_county(VISIT_OVERDUE, visit.region_id[:6], within=visit.region_id)


def visit_needs(visit: Visit):
    """The tasks this visit opened, with where each stands (for the visit page)."""
    return Task.objects.filter(cause_key__startswith=cause_prefix(visit)).order_by("id")
