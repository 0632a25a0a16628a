"""Fixtures shared by every test: a small region tree and one user of each role.

Tree: 四川省 51 > 成都市 5101 > 金堂县 510121 (home county) and 大邑县 510129 (the "other" county);
     金堂县 > 赵镇街道 510121001 > 滨河社区 510121001001; 大邑县 > 晋原街道 510129001 > 东街社区 510129001001.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from relief.models import Role
from tests.factories import UserFactory, region

HOME_COUNTY = "510121"
OTHER_COUNTY = "510129"


@pytest.fixture
def regions(db):
    return {
        "province": region("51", "四川省"),
        "city": region("5101", "成都市"),
        "county": region(HOME_COUNTY, "金堂县"),
        "township": region("510121001", "赵镇街道"),
        "village": region("510121001001", "滨河社区"),
        "other_county": region(OTHER_COUNTY, "大邑县"),
        "other_township": region("510129001", "晋原街道"),
        "other_village": region("510129001001", "东街社区"),
        "other_province": region("14", "山西省"),
    }


@pytest.fixture
def users(regions):
    """One user per role, all scoped inside the home county's line, plus one in the other county."""
    return {
        "admin": UserFactory(username="t-admin", role=Role.ADMIN, region=None),
        "province": UserFactory(username="t-province", role=Role.PROVINCE, region=regions["province"]),
        "city": UserFactory(username="t-city", role=Role.CITY, region=regions["city"]),
        "county": UserFactory(username="t-county", role=Role.COUNTY, region=regions["county"]),
        "township": UserFactory(username="t-township", role=Role.TOWNSHIP, region=regions["township"]),
        "village": UserFactory(username="t-village", role=Role.VILLAGE, region=regions["village"]),
        "other_county": UserFactory(username="t-other", role=Role.COUNTY, region=regions["other_county"]),
        "api_read": UserFactory(username="t-api-read", role=Role.API_CLIENT, region=regions["county"]),
        "api_write": UserFactory(
            username="t-api-write", role=Role.API_CLIENT, region=regions["county"], api_can_write=True
        ),
        "other_province": UserFactory(
            username="t-other-province", role=Role.PROVINCE, region=regions["other_province"]
        ),
    }


@pytest.fixture
def api():
    """An API client; `api.force_authenticate(user)` to act as someone."""
    return APIClient()


def login(client, user):
    """Log a Django test client in as `user` (bypassing axes, which needs a real request)."""
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def as_user(client):
    """as_user(user) -> the Django test client logged in as that user."""

    def _as(user):
        client.logout()
        return login(client, user)

    return _as


# --- Reference data after a flush ------------------------------------------------------------------
# Transactional tests (real threads, workers, the browser) end with a flush that also empties what the
# data migrations loaded (policy defaults, programs, checklists, patrol frequencies, visit rules).
# Instead of serialized_rollback (which collides with the content types the flush recreates), the
# same migration functions load it again before each transactional test.

REFERENCE_DATA = [
    ("relief.migrations.0002_policy_defaults", "load"),
    ("funds.migrations.0002_default_programs_and_material_items", "load"),
    ("institutions.migrations.0002_default_winter_checklist_and_major_criteria", "load"),
    ("patrols.migrations.0002_patrol_frequency_defaults", "load"),
    ("people.migrations.0003_visit_rules", "create_default_rules"),
    ("people.migrations.0008_visit_rule_cohort", "create_cohort_rule"),
]


def restore_reference_data() -> None:
    from importlib import import_module

    from django.apps import apps
    from django.contrib.contenttypes.management import create_contenttypes
    from django.contrib.contenttypes.models import ContentType

    from relief.models import PolicyParameter

    if PolicyParameter.objects.exists():  # nothing was flushed
        return
    ContentType.objects.clear_cache()  # ids cached before the flush are stale
    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)
    for module, function in REFERENCE_DATA:
        getattr(import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _reference_data(request):
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        request.getfixturevalue("transactional_db")
        restore_reference_data()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A test that switched to English leaves the thread's language active: reset it afterwards."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
