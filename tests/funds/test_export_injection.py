"""The batch bank export keeps text planted to run in a spreadsheet as typed (program name, batch
title, household and person names, addresses)."""

from __future__ import annotations

import pytest

from funds import services
from funds.exports import batch_workbook
from people.models import Person
from tests.relief.test_export_injection import PLANTED, assert_no_formula


@pytest.mark.parametrize("planted", PLANTED)
def test_batch_export_keeps_planted_text_as_typed(users, county_people, allocation, planted):
    program = allocation.program
    program.name = planted
    program.save(update_fields=["name"])
    household = county_people["dibao"]
    household.address = planted
    household.save(update_fields=["address"])
    Person.objects.filter(pk=household.head_id).update(name=planted)
    batch = services.batch_generate(
        actor=users["county"],
        program=program,
        allocation=allocation,
        period="2026",
        title=planted,
        run_in_background=False,
    )
    values = assert_no_formula(batch_workbook(batch, users["county"]))
    assert any(isinstance(v, str) and planted in v for v in values)
