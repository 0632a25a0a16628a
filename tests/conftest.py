"""Fixtures shared by every test: a small region tree and one user of each role.

Tree: 四川省 51 > 成都市 5101 > 金堂县 510121 (home county) and 大邑县 510129 (the "other" county);
     金堂县 > 赵镇街道 510121001 > 滨河社区 510121001001; 大邑县 > 晋原街道 510129001 > 东街社区 510129001001.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from relief.models import Role, User
from tests.factories import fake, password_hash, regions_tree
from tests.replica import on_replica, replica_server  # noqa: F401 - fixtures of the tests marked `replica`

HOME_COUNTY = "510121"
OTHER_COUNTY = "510129"


REGIONS = {
    "province": ("51", "四川省"),
    "city": ("5101", "成都市"),
    "county": (HOME_COUNTY, "金堂县"),
    "township": ("510121001", "赵镇街道"),
    "village": ("510121001001", "滨河社区"),
    "other_county": (OTHER_COUNTY, "大邑县"),
    "other_township": ("510129001", "晋原街道"),
    "other_village": ("510129001001", "东街社区"),
    "other_province": ("14", "山西省"),
}

# (key, username, role, region key, extra fields)
USERS = [
    ("admin", "t-admin", Role.ADMIN, None, {}),
    ("province", "t-province", Role.PROVINCE, "province", {}),
    ("city", "t-city", Role.CITY, "city", {}),
    ("county", "t-county", Role.COUNTY, "county", {}),
    ("township", "t-township", Role.TOWNSHIP, "township", {}),
    ("village", "t-village", Role.VILLAGE, "village", {}),
    ("other_county", "t-other", Role.COUNTY, "other_county", {}),
    ("api_read", "t-api-read", Role.API_CLIENT, "county", {}),
    ("api_write", "t-api-write", Role.API_CLIENT, "county", {"api_can_write": True}),
    ("other_province", "t-other-province", Role.PROVINCE, "other_province", {}),
]


def make_regions() -> dict:
    by_code = regions_tree(dict(REGIONS.values()))
    return {key: by_code[code] for key, (code, _name) in REGIONS.items()}


def make_users(regions: dict) -> dict:
    """The users of USERS, as UserFactory makes them, in two queries where none exists yet."""
    found = {u.username: u for u in User.objects.filter(username__in=[row[1] for row in USERS])}
    missing = []
    for _key, username, role, region_key, extra in USERS:
        if username not in found:
            user = User(
                username=username,
                first_name=fake.name(),
                role=role,
                region=regions[region_key] if region_key else None,
                is_superuser=role == Role.ADMIN,
                is_staff=role == Role.ADMIN,
                password=password_hash(),
                **extra,
            )
            missing.append(user)
            found[username] = user
    User.objects.bulk_create(missing)
    return {key: found[username] for key, username, *_rest in USERS}


@pytest.fixture
def regions(db):
    return make_regions()


@pytest.fixture
def users(regions):
    """One user per role, all scoped inside the home county's line, plus one in the other county."""
    return make_users(regions)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """For rows a module's tests share, built once (a module-scoped fixture that asks for this one,
    makes its rows under `django_db_blocker.unblock()`, and hands each test a deep copy of the
    instances, as Django's setUpTestData does): a transaction open around the module's tests and
    rolled back after the last one. Each test still runs in a savepoint of its own inside it, so
    what a test writes is undone before the next, as before. The shared rows are there for every
    later test of the module, so only for modules whose every test uses them; not for modules with
    transactional tests (they commit and flush)."""
    from django.db import transaction

    atomic = transaction.atomic()
    atomic._from_testcase = True  # as TestCase's own: a durable block inside a test still runs
    with django_db_blocker.unblock():
        atomic.__enter__()
    yield
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


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
