"""Roster export to Excel: the households the user may see (with the search page's filters), one row
per active member, in the import template's columns so that a county can edit and re-import it.

Scoped through `visible_to`; ID and phone numbers masked, birth dates reduced to the year and numbers
in notes masked unless `user.sees_personal_data`; written
with openpyxl's write-only workbook from a streamed query (`iterator()`), as a background job.
"""

from __future__ import annotations

import io
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from people.forms import HouseholdSearchForm
from people.models import Assistance, Person
from people.roster.columns import COLUMNS, TEMPLATE_FIELDS
from people.selectors import search_households
from relief.jobs.registry import JobContext, job_handler
from relief.privacy import birth_date_for, id_for, phone_for, text_for
from relief.spreadsheets import money_cell, safe_sheet

CHUNK = 2000


def export_filters(data) -> dict[str, str]:
    """The search form's fields from a query dict, kept as plain strings in the job's params."""
    return {
        k: str(data.get(k))
        for k in ("q", "region", "category", "flag", "monitored", "visited_since", "visit_overdue")
        if data.get(k)
    }


def roster_rows(user, filters: dict[str, Any]):
    """The active members of the households `user` may see that match `filters`, streamed."""
    form = HouseholdSearchForm(filters or None, user=user)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    households = search_households(user, data)
    if form.region_refused():
        households = households.none()
    today = timezone.localdate()
    return (
        Person.objects.visible_to(user)
        .filter(active=True, household__in=households.values("pk"))
        .select_related("household", "household__region", "household__region__parent", "household__head")
        .prefetch_related(
            Prefetch(
                "household__assistances",
                queryset=Assistance.objects.current(today).order_by("category"),
                to_attr="current_assistances",
            )
        )
        .order_by("region_id", "household_id", "id")
        .iterator(chunk_size=CHUNK)
    )


def _row(user, person: Person, ws: Any = None) -> list[Any]:
    household = person.household
    region = household.region
    township = region.parent if len(region.code) == 12 else None
    is_head = household.head_id == person.pk
    values = {
        "household_number": household.household_number,
        "township": township.name if township else (region.name if len(region.code) == 9 else ""),
        "village": region.name if len(region.code) == 12 else "",
        "address": household.address,
        "head_name": household.head.name if household.head_id and household.head else "",
        "name": person.name,
        "id_number": id_for(user, person.id_number),
        "relation": person.get_relation_display(),
        "phone": phone_for(user, person.phone or (household.contact_phone if is_head else "")),
        "category": "、".join(a.label for a in household.current_assistances),
        "category_start": ", ".join(
            f"{a.start_date:%Y-%m-%d}" for a in household.current_assistances if a.start_date
        ),
        "monthly_income": money_cell(ws, household.monthly_income)
        if ws is not None
        else household.monthly_income,
        "heating_type": household.get_heating_type_display(),
        "housing_condition": household.get_housing_condition_display(),
        "note": text_for(user, person.note),
    }
    return [
        *(values[f] for f in TEMPLATE_FIELDS),
        region.code,
        person.get_sex_display(),
        birth_date_for(user, person.birth_date),
        person.age,
        "、".join(person.flag_labels),
    ]


def roster_workbook(user, filters: dict[str, Any], progress=None) -> tuple[bytes, int]:
    wb = Workbook(write_only=True)
    ws = safe_sheet(wb.create_sheet(_("花名册")))
    ws.append(
        [
            *(COLUMNS[f][0] for f in TEMPLATE_FIELDS),
            _("区划代码"),
            _("性别"),
            _("出生日期"),
            _("年龄"),
            _("重点情况"),
        ]
    )
    n = 0
    for n, person in enumerate(roster_rows(user, filters), 1):
        ws.append(_row(user, person, ws))
        if progress and n % 1000 == 0:
            progress(n)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), n


@job_handler("people.roster_export", stale_reads=True)
def roster_export(ctx: JobContext) -> dict:
    filters = ctx.params.get("filters") or {}
    ctx.progress(0, None, _("正在导出花名册"), force=True)
    content, rows = roster_workbook(ctx.user, filters, progress=ctx.progress)
    ctx.save_file(f"花名册-{timezone.localdate():%Y%m%d}.xlsx", content)
    return {"rows": rows, "masked": not ctx.user.sees_personal_data}
