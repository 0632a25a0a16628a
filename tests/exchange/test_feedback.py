"""Feedback to a department: its records' dispositions as an Excel file and through the API, ID
numbers masked for the roles that do not need them, scoped to the reader's region."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from exchange.dispositions import disposition_step
from exchange.hooks import after_match
from exchange.models import Disposition, RuleKind
from tests.conftest import login
from tests.exchange import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(users, family, today):
    src = f.source(RuleKind.MEDICAL_SHARE, name="四川省医保")
    f.rule(src, RuleKind.MEDICAL_SHARE)
    b = f.batch(src)
    f.record(b, family["head"], amount="9000", occurred_on=today - datetime.timedelta(days=3))
    after_match(b)
    d = Disposition.objects.get()
    d = disposition_step(actor=users["township"], disposition=d, step="verify", how="phone", findings="电话")
    disposition_step(actor=users["township"], disposition=d, step="not_needed", reason="已报销")
    return src


def test_feedback_workbook_lists_each_disposition(client, users, family, answered):
    login(client, users["county"])
    r = client.get(reverse("exchange_dispositions:feedback", args=[answered.code]))
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.content)).active.values)
    line = rows[2]
    assert line[0] == 1 and line[2] == family["head"].id_number and line[4] == "医疗费用过高"
    assert "无需救助" in line[7] and line[8] == "已报销"
    login(client, users["province"])
    rows = list(
        load_workbook(
            io.BytesIO(client.get(reverse("exchange_dispositions:feedback", args=[answered.code])).content)
        ).active.values
    )
    assert rows[2][2] != family["head"].id_number and "*" in rows[2][2]


def test_feedback_api_masks_and_scopes(api, users, family, answered):
    api.force_authenticate(users["county"])
    body = api.get(f"/api/v1/exchange/feedback/{answered.code}/").json()
    assert body["count"] == 1 and body["results"][0]["outcome"] == "not_needed"
    assert body["results"][0]["id_number"] == family["head"].id_number
    api.force_authenticate(users["api_read"])
    assert "*" in api.get(f"/api/v1/exchange/feedback/{answered.code}/").json()["results"][0]["id_number"]
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/exchange/feedback/{answered.code}/").json()["count"] == 0
    api.force_authenticate(users["other_province"])
    assert api.get(f"/api/v1/exchange/feedback/{answered.code}/").status_code == 404
    api.force_authenticate(None)
    assert api.get(f"/api/v1/exchange/feedback/{answered.code}/").status_code in (401, 403)
