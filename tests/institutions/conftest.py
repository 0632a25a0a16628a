from __future__ import annotations

import shutil

import pytest

from institutions import services
from institutions.models import HazardSeverity
from tests.institutions.factories import ChecklistItemFactory, ChecklistTemplateFactory, InstitutionFactory


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos and evidence go to a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    shutil.rmtree(tmp_path / "media", ignore_errors=True)


def make_institution(regions):
    """An institution in the home county's township."""
    return InstitutionFactory(region=regions["township"], name="赵镇敬老院")


@pytest.fixture
def institution(regions):
    return make_institution(regions)


@pytest.fixture
def other_institution(regions):
    return InstitutionFactory(region=regions["other_township"], name="晋原敬老院")


def make_checklist():
    """A small checklist: heating (general), carbon monoxide (major by default), fire drill."""
    template = ChecklistTemplateFactory(name="测试清单")
    items = [
        ChecklistItemFactory(template=template, section="inspection", order=1, text="取暖设施运行正常"),
        ChecklistItemFactory(
            template=template,
            section="inspection",
            order=2,
            text="安装一氧化碳报警器",
            default_severity=HazardSeverity.MAJOR,
        ),
        ChecklistItemFactory(template=template, section="rules", order=3, text="开展消防演练"),
    ]
    return template, items


@pytest.fixture
def checklist(db):
    return make_checklist()


@pytest.fixture
def hazard(users, institution):
    """An open general hazard raised by the county user today."""
    return services.hazard_raise(
        actor=users["county"], institution=institution, title="电线私拉乱接", severity=HazardSeverity.GENERAL
    )


@pytest.fixture
def other_hazard(users, other_institution):
    return services.hazard_raise(
        actor=users["other_county"],
        institution=other_institution,
        title="灭火器过期",
        severity=HazardSeverity.GENERAL,
    )
