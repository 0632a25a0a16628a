"""The deadlines of a hazard as tasks (relief/todo/deadlines.py): the owner rectifies by the
deadline; the county decides an extension, verifies a rectification and closes it within
hazard_verify_working_days."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from institutions.models import Hazard, HazardState
from relief.policy import policy_value
from relief.todo.deadlines import Deadline, end_of_working_day, register, working_days_after

COUNTY = 6


def _region(hazard: Hazard) -> str:
    return hazard.institution.region_id


def _county_due(hazard: Hazard):
    days = int(policy_value("hazard_verify_working_days", _region(hazard)))
    return working_days_after(hazard.updated_at, days)


def _rectify_due(hazard: Hazard):
    return end_of_working_day(hazard.extension_deadline or hazard.deadline)


def _title(what):
    return lambda h: f"{h.institution.name}：{h.title[:60]}（{what}）"


def register_all() -> None:
    common = {"model": "institutions.Hazard", "region": _region, "state_field": "state"}
    register(
        Deadline(
            key="institutions.hazard.rectify",
            label=_("隐患待整改"),
            states=(HazardState.OPEN, HazardState.RECTIFYING),
            level=12,  # the institution's own region: its owner rectifies
            assignee=lambda h: h.owner,
            due=_rectify_due,
            title=_title(_("待整改")),
            action="institutions:hazard-detail",
            action_label=_("整改"),
            urgent=False,
            **common,
        )
    )
    for key, state, label, action_label in (
        (
            "institutions.hazard.extension",
            HazardState.EXTENSION_REQUESTED,
            _("隐患延期待审批"),
            _("审批延期"),
        ),
        ("institutions.hazard.verify", HazardState.RECTIFIED, _("隐患待验收"), _("验收")),
        ("institutions.hazard.close", HazardState.VERIFIED, _("隐患待销号"), _("销号")),
    ):
        register(
            Deadline(
                key=key,
                label=label,
                states=(state,),
                level=COUNTY,
                due=_county_due,
                title=_title(label),
                action="institutions:hazard-detail",
                action_label=action_label,
                **common,
            )
        )
