"""Factories of the institutions app. Hazards and inspections are mostly made through the services in
tests (conftest.py), so their transitions and deadlines are real; `HazardFactory` writes a hazard
directly in a given state (for the table of every state × step × role)."""

from __future__ import annotations

import datetime
import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from institutions import services
from institutions.models import (
    ChecklistItem,
    ChecklistTemplate,
    Hazard,
    HazardSeverity,
    Institution,
    InstitutionType,
    ResultChoice,
)
from tests.factories import fake, region


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"{fake.city_name()}敬老院{n}")
    type = InstitutionType.RURAL_HOME
    operator = "乡镇人民政府"
    region = factory.LazyFunction(lambda: region("510121001"))
    capacity = 60
    residents = 45
    nursing_beds = 20
    heating_type = "coal"
    contact_name = factory.LazyFunction(fake.name)
    contact_phone = factory.LazyFunction(fake.phone_number)


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistTemplate

    name = factory.Sequence(lambda n: f"测试冬季检查清单{n}")
    is_active = True


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    template = factory.SubFactory(ChecklistTemplateFactory)
    section = "inspection"
    order = factory.Sequence(lambda n: n)
    text = factory.Sequence(lambda n: f"检查项{n}")
    default_severity = HazardSeverity.GENERAL


class HazardFactory(factory.django.DjangoModelFactory):
    """A hazard written directly (no transition rows): set `state` and what that state implies."""

    class Meta:
        model = Hazard

    institution = factory.SubFactory(InstitutionFactory)
    title = factory.Sequence(lambda n: f"隐患{n}")
    severity = HazardSeverity.GENERAL
    found_on = factory.LazyFunction(timezone.localdate)
    deadline = factory.LazyAttribute(lambda o: o.found_on + datetime.timedelta(days=7))


def all_pass(items, overrides: dict | None = None):
    """Result inputs for every item: pass, except {item_id: (result, note)} overrides."""
    overrides = overrides or {}
    rows = []
    for item in items:
        result, note = overrides.get(item.pk, (ResultChoice.PASS, ""))
        rows.append(services.ResultInput(item_id=item.pk, result=result, note=note))
    return rows


def evidence(name: str = "after.jpg") -> SimpleUploadedFile:
    """A real (1×1) JPEG: with Pillow installed an uploaded image must decode (relief/uploads.py)."""
    buf = io.BytesIO()
    Image.new("L", (1, 1), 255).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def move_to(hazard, state: str, *, owner, second):
    """Walk `hazard` along the workflow up to `state` (owner does the work, `second` checks it)."""
    order = ["open", "rectifying", "rectified", "verified", "closed"]
    target = order.index(state)
    if target >= 1:
        hazard = services.hazard_start(actor=second, hazard=hazard, owner=owner, measures="更换线路")
    if target >= 2:
        hazard = services.hazard_rectify(actor=owner, hazard=hazard, evidence=evidence())
    if target >= 3:
        hazard = services.hazard_verify(actor=second, hazard=hazard)
    if target >= 4:
        hazard = services.hazard_close(actor=second, hazard=hazard)
    return hazard


def today() -> datetime.date:
    return timezone.localdate()
