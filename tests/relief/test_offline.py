"""The installable field app's server side (relief/offline.py): the service worker at the site's
root, the web app manifest and its icons, the outbox page, and the pages' hooks for keeping a
signed-in worker's pages (the browser side is tests/e2e/test_offline.py)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from people.models import Visit
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"


def test_the_service_worker_is_served_from_the_root_with_its_versioned_cache(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response["Cache-Control"]  # a deploy is seen on the next visit
    body = response.content.decode()
    version = re.search(r'var VERSION = "([0-9a-f]{12})"', body).group(1)
    assert '"ww-shell-" + VERSION' in body
    for path in (
        "/static/js/app.js",
        "/static/js/offline.js",
        "/static/vendor/bootstrap/css/bootstrap.min.css",
    ):
        assert f'"{path}"' in body
    assert 'importScripts("/static/js/offline-db.js")' in body
    assert client.get("/sw.js").content.decode().count(version) == body.count(version)  # stable


def test_the_cache_version_follows_the_files_it_keeps(monkeypatch):
    from relief import offline

    offline.version.cache_clear()
    before = offline.version()
    monkeypatch.setattr(offline, "SHELL", (*offline.SHELL, "js/dashboard.js"))
    offline.version.cache_clear()
    assert offline.version() != before
    offline.version.cache_clear()


def test_the_manifest_makes_the_site_installable_with_its_own_icons(client):
    response = client.get(reverse("web-manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["short_name"] == "暖冬" and data["lang"] == "zh-Hans"
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    sizes = {}
    for icon in data["icons"]:
        path = STATIC / icon["src"].removeprefix("/static/")
        with Image.open(path) as image:
            assert image.format == "PNG"
            sizes[icon["sizes"]] = image.size
    assert sizes == {"192x192": (192, 192), "512x512": (512, 512)}
    assert any(icon.get("purpose") == "maskable" for icon in data["icons"])


def test_the_manifest_speaks_the_chosen_language(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    data = json.loads(client.get(reverse("web-manifest")).content)
    assert data["lang"] == "en" and data["short_name"] == "WarmWinter"


def test_the_outbox_page_needs_a_sign_in(client):
    response = client.get(reverse("offline-outbox"))
    assert response.status_code == 302 and "/login/" in response.url


@pytest.mark.parametrize(
    ("role", "field"),
    [("admin", False), ("province", False), ("county", True), ("township", True), ("village", True)],
)
def test_every_signed_in_role_has_an_outbox_and_field_roles_keep_their_pages(as_user, users, role, field):
    """The outbox lists what this device holds (nothing of the server's). Field workers' devices keep
    their pages (a page the role may not open answers 403 and is not kept); officials' keep none."""
    client = as_user(users[role])
    page = client.get(reverse("offline-outbox"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="outbox-list"' in html and 'rel="manifest"' in html and 'data-sw="/sw.js"' in html
    assert "data-offline-signout" in html
    kept = re.search(r'data-offline-pages="([^"]*)"', html)
    assert bool(kept) == field
    if field:
        assert {"/", "/offline/", "/coldwaves/entries/", "/campaigns/households/"} <= set(
            kept.group(1).split()
        )


def test_a_signed_out_page_keeps_nothing(client):
    html = client.get(reverse("login")).content.decode()
    assert 'data-sw="/sw.js"' in html  # the worker is told to forget the pages it kept
    assert "data-user" not in html and "data-offline-pages" not in html


def test_today_marks_the_households_and_forms_to_keep(as_user, users, regions):
    import datetime

    from django.utils import timezone

    from people.models import Person
    from people.services import person_refresh_next_visit

    household = household_with_head("510121001001", name="刘长贵", birth=datetime.date(1938, 2, 1))
    Person.objects.filter(pk=household.head_id).update(
        lives_alone=True, created_at=timezone.now() - datetime.timedelta(days=40)
    )
    person_refresh_next_visit(region_code="510121")
    html = as_user(users["village"]).get("/").content.decode()
    line = re.search(r'data-testid="today-line" data-offline-urls="([^"]*)"', html).group(1).split()
    assert line == [
        f"/people/households/{household.pk}/visits/new/",
        f"/people/households/{household.pk}/edit/",
    ]
    assert f'href="/people/households/{household.pk}/" class="fw-semibold" data-offline-keep' in html


def test_an_outbox_entry_sent_twice_records_one_roll_call_answer(as_user, users, regions):
    """The roll-call answer carries its key, so a resend from the outbox answers as the first."""
    import datetime

    from coldwaves.models import RollCallEntry
    from coldwaves.services import rollcall_tick
    from patrols.services import cold_warning_issue
    from people.models import Household

    household = household_with_head("510121001001", birth=datetime.date(1936, 1, 9), lives_alone=True)
    Household.objects.filter(pk=household.pk).update(heating_type="electric")
    cold_warning_issue(actor=users["county"], region=regions["county"], level=2)
    rollcall_tick()
    entry = RollCallEntry.objects.get(person=household.head)
    client = as_user(users["village"])
    page = client.get(reverse("coldwaves:entries")).content.decode()
    assert re.search(rf'data-testid="answer-{entry.pk}">.*?name="idempotency_key"', page, re.S)
    data = {"outcome": "safe", "idempotency_key": str(uuid.uuid4())}
    url = reverse("coldwaves:answer", args=[entry.pk])
    answers = [client.post(url, data) for _ in range(3)]
    assert {a.status_code for a in answers} == {302} and len({a["Location"] for a in answers}) == 1
    assert Visit.objects.filter(person=household.head).count() == 1
