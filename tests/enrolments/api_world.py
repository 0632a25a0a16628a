"""Builders for the API tests of enrolment (tests/enrolments/test_api.py, test_api_scoping.py): a
family on the register and applications brought to a given state through the declared steps, on
the 2026 holiday calendar. Plain functions, not fixtures (the fixtures stay in the test modules)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from enrolments import services
from enrolments.models import Enrolment
from enrolments.workflows import enrolment_workflow
from people.models import Household
from tests.people.factories import HouseholdFactory, PersonFactory

D = datetime.date
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: the day every request of these tests is made: after the 公示 of 9-29 ended (10-8), and 10-12
#: is a Monday
TODAY = D(2026, 10, 12)


def pdf(name: str = "report.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def set_day(monkeypatch, value: datetime.date) -> None:
    """Today is `value` for everything that reads timezone.localdate()."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: value)


def family(region, *, head: str = "张大爷", income: str = "500.00") -> Household:
    """Three members on the register, a declared household income, rural."""
    h = HouseholdFactory(region=region, monthly_income=Decimal(income), is_urban=False)
    person = PersonFactory(household=h, name=head)
    PersonFactory(household=h, name="李大娘", relation="spouse")
    PersonFactory(household=h, name="张小明", relation="child")
    Household.objects.filter(pk=h.pk).update(head=person)
    h.refresh_from_db()
    return h


def run(step: str, user, obj, **data):
    return enrolment_workflow.run(step, actor=user, obj=obj, **data)


#: the states `enrolment_at` can bring an application to, in order
PATH = ("submitted", "checking", "investigating", "township", "notice", "county", "refused")


def enrolment_at(monkeypatch, users, household, state: str, **kw) -> Enrolment:
    """An application of `household` brought to `state`: filed online 9-18 (accepted the same day
    from "checking" on), reported, investigated, recommended 9-29 (公示 to 10-8), and so on. Today
    is TODAY afterwards."""
    township, county = users["township"], users["county"]
    set_day(monkeypatch, D(2026, 9, 18))
    e = services.enrolment_create(
        actor=township, household=household, kind=kw.pop("kind", "dibao"), origin="online", **kw
    )
    steps = [
        ("checking", lambda e: run("accept", township, e, authorisation=pdf("auth.pdf"))),
        ("investigating", lambda e: run("check_report", township, e, summary="核对无异常")),
        ("township", lambda e: run("investigate", township, e, findings="三口之家，无固定收入")),
        ("notice", lambda e: _recommend(monkeypatch, township, e)),
        ("county", lambda e: _close_notice(monkeypatch, township, e)),
        ("refused", lambda e: run("refuse", county, e, comment="人均收入高于低保标准")),
    ]
    for reached, step in steps[: PATH.index(state)]:
        e = step(e)
        assert e.status == reached
    set_day(monkeypatch, TODAY)
    return e


def _recommend(monkeypatch, user, e):
    set_day(monkeypatch, D(2026, 9, 29))
    return run("township_opinion", user, e, recommend=True, comment="符合条件，建议纳入")


def _close_notice(monkeypatch, user, e):
    set_day(monkeypatch, D(2026, 10, 9))
    return run("notice_close", user, e)
