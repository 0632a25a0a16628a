"""Dashboard figures of department data: warnings raised by kind, verified in time, outcomes, unmatched."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from exchange.dashboard import disposition_figures, unmatched_figures
from exchange.dispositions import disposition_step
from exchange.hooks import after_match
from exchange.models import Disposition, RuleKind
from relief.dashboard.registry import FigureQuery
from tests.exchange import factories as f

pytestmark = pytest.mark.django_db


def test_figures(users, family, today):
    src = f.source(RuleKind.MEDICAL_SHARE)
    f.rule(src, RuleKind.MEDICAL_SHARE)
    b = f.batch(src)
    f.record(b, family["head"], amount="9000", occurred_on=today - datetime.timedelta(days=2))
    f.record(b, None)
    after_match(b)
    d = Disposition.objects.get()
    d = disposition_step(actor=users["township"], disposition=d, step="verify", how="phone", findings="x")
    disposition_step(actor=users["township"], disposition=d, step="not_needed", reason="无需")
    q = FigureQuery(prefix="510121", length=9, now=timezone.now())
    rows = {(key, dim): value for _g, key, dim, value in disposition_figures(q)}
    assert rows[("exchange.warnings", RuleKind.MEDICAL_SHARE)] == 1
    assert rows[("exchange.outcomes", "not_needed")] == 1
    assert rows[("exchange.verified_in_time", "")] == 1 == rows[("exchange.verified_decided", "")]
    assert list(unmatched_figures(q)) == [("510121", "exchange.unmatched", "", 1)]
    other = FigureQuery(prefix="510129", length=9, now=timezone.now())
    assert list(disposition_figures(other)) == []
