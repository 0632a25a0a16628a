"""The dashboard's live figures (寒潮点名, 集中慰问: computed when read) kept a minute per region on
real Redis (relief/dashboard/live_cache.py): a second read within the window runs none of their
queries and says when they were computed; after the window, or once a contact or a delivery is
recorded, the next read shows the new figures; `live=true` computes fresh; a county never gets the
province's kept figures, nor the province a county's."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns import services as campaigns
from campaigns.models import CampaignHousehold
from coldwaves.models import Outcome, RollCallEntry
from coldwaves.services import rollcall_tick
from patrols.services import cold_warning_issue
from people.models import Household
from tests.campaigns.factories import make_campaign
from tests.funds.factories import dibao_household
from tests.people.factories import household_with_head
from tests.workers import redis_or_skip

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/dashboard/summary/"
LIVE_TABLES = ("coldwaves_rollcallentry", "campaigns_campaignhousehold")


@pytest.fixture
def live_cache():
    """The cache on real Redis, under a key prefix of this test's own (parallel workers share the
    database), with the one-minute window of production."""
    url = redis_or_skip()
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-live-{uuid.uuid4().hex}",
        }
    }
    with override_settings(CACHES=caches, DASHBOARD_LIVE_SECONDS=60):
        yield


def _aged_alone(village: str):
    household = household_with_head(village, birth=datetime.date(1938, 5, 1), lives_alone=True)
    Household.objects.filter(pk=household.pk).update(heating_type="electric", housing_condition="safe")
    return household.head


@pytest.fixture
def rollcall(users, regions):
    """A yellow warning for the province: a roll call in each county, 2 people at home, 1 next door."""
    home = [_aged_alone("510121001001"), _aged_alone("510121001001")]
    other = [_aged_alone("510129001001")]
    cold_warning_issue(actor=users["province"], region=regions["province"], level=2)
    rollcall_tick()
    return {"home": home, "other": other}


def _live_queries(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in LIVE_TABLES)]


def _get(api, user, region, **params):
    api.force_authenticate(user)
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(SUMMARY, {"region": region, **params})
    assert response.status_code == 200, response.content
    body = response.json()
    figures = {f["key"]: f["value"] for f in body["figures"]}
    return body, figures, _live_queries(ctx)


def test_a_second_read_within_the_window_runs_no_live_query_and_says_when_they_were_computed(
    live_cache, api, client, users, rollcall
):
    first, figures, queries = _get(api, users["province"], "51")
    assert queries, "the first read computes the roll call's progress"
    assert first["live_cached"] is False and first["live_computed_at"]
    assert figures["coldwaves.to_contact"] == 3

    second, figures, queries = _get(api, users["province"], "51")
    assert queries == []  # neither the roll-call entries nor the campaign households are read
    assert second["live_cached"] is True
    assert second["live_computed_at"] == first["live_computed_at"]  # the time they were computed
    assert figures["coldwaves.to_contact"] == 3

    client.force_login(users["province"], backend="django.contrib.auth.backends.ModelBackend")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("dashboard:index"), {"region": "51"})
    assert _live_queries(ctx) == []
    html = page.content.decode()
    at = timezone.localtime(datetime.datetime.fromisoformat(first["live_computed_at"])).strftime("%H:%M")
    assert f"寒潮点名、集中慰问等实时指标截至 {at}" in html
    assert "最多每60秒重算一次" in html
    assert f'data-testid="section-as-of-coldwaves">· 截至 {at}' in html
    # the street-patrol section is roll-ups but for its cold-wave level: not stamped as a whole
    assert 'data-testid="section-as-of-patrols"' not in html


@override_settings(DASHBOARD_LIVE_SECONDS=1)
def test_after_the_window_the_new_figures_show(live_cache, api, users, rollcall):
    first, figures, _q = _get(api, users["county"], "510121")
    assert figures["coldwaves.reached"] == 0
    # answered without the service (a sweep answering from visits): nothing drops the kept figures
    RollCallEntry.objects.filter(person=rollcall["home"][0]).update(
        outcome=Outcome.SAFE, answered_at=timezone.now()
    )
    _body, figures, queries = _get(api, users["county"], "510121")
    assert figures["coldwaves.reached"] == 0 and queries == []  # within the window, and says so
    time.sleep(1.2)
    later, figures, queries = _get(api, users["county"], "510121")
    assert queries and later["live_cached"] is False
    assert figures["coldwaves.reached"] == 1
    assert later["live_computed_at"] > first["live_computed_at"]


def test_a_contact_recorded_shows_at_once_up_the_region_tree(
    live_cache, api, as_user, users, rollcall, django_capture_on_commit_callbacks
):
    for user, region in [("province", "51"), ("county", "510121"), ("township", "510121001")]:
        _get(api, users[user], region)  # kept
    entry = RollCallEntry.objects.get(person=rollcall["home"][0])
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(users["village"]).post(
            reverse("coldwaves:answer", args=[entry.pk]), {"outcome": "safe"}
        )
    assert response.status_code in (200, 302)
    for user, region in [("province", "51"), ("county", "510121"), ("township", "510121001")]:
        body, figures, _q = _get(api, users[user], region)
        assert body["live_cached"] is False, region
        assert figures["coldwaves.reached"] == 1, region


def test_a_delivery_recorded_shows_at_once(
    live_cache, api, users, regions, django_capture_on_commit_callbacks
):
    dibao_household("510121001001", "A")
    dibao_household("510121001001", "B")
    campaign = make_campaign(users["county"], goods=False)
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.campaign_generate_list(actor=users["county"], campaign=campaign)
    _body, figures, _q = _get(api, users["city"], "5101")
    assert (figures["campaigns.households"], figures["campaigns.delivered"]) == (2, 0)
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    with django_capture_on_commit_callbacks(execute=True):
        campaigns.delivery_record(
            actor=users["village"], entry=entry, outcome="delivered", received_by_name="甲"
        )
    body, figures, _q = _get(api, users["city"], "5101")
    assert body["live_cached"] is False
    assert figures["campaigns.delivered"] == 1


def test_live_true_computes_fresh(live_cache, api, users, rollcall):
    _get(api, users["province"], "51")
    RollCallEntry.objects.filter(person=rollcall["other"][0]).update(
        outcome=Outcome.SAFE, answered_at=timezone.now()
    )
    body, figures, queries = _get(api, users["province"], "51", live="true")
    assert queries and body["live_cached"] is False
    assert figures["coldwaves.reached"] == 1


def test_a_county_never_gets_the_province_s_kept_figures(live_cache, api, users, rollcall):
    _province, figures, _q = _get(api, users["province"], "51")
    assert figures["coldwaves.to_contact"] == 3
    home, figures, queries = _get(api, users["county"], "510121")
    assert queries and home["live_cached"] is False  # its own key, computed for it
    assert figures["coldwaves.to_contact"] == 2
    other, figures, _q = _get(api, users["other_county"], "510129")
    assert other["live_cached"] is False and figures["coldwaves.to_contact"] == 1
    # and now kept, each its own
    _b, figures, queries = _get(api, users["county"], "510121")
    assert queries == [] and figures["coldwaves.to_contact"] == 2
    api.force_authenticate(users["county"])
    assert api.get(SUMMARY, {"region": "51"}).status_code == 404  # never the province's, kept or not
    _b, figures, _q = _get(api, users["province"], "51")
    assert figures["coldwaves.to_contact"] == 3


def test_the_dashboard_works_with_the_cache_down(api, users, rollcall):
    down = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=down, DASHBOARD_LIVE_SECONDS=60):
        for _ in range(2):
            body, figures, queries = _get(api, users["county"], "510121")
            assert queries and body["live_cached"] is False and figures["coldwaves.to_contact"] == 2


def test_the_as_of_is_in_the_schema(api, users):
    api.force_authenticate(users["admin"])
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    for name in ("Summary", "Map", "Ranking"):
        props = schema["components"]["schemas"][name]["properties"]
        assert {"computed_at", "source", "live_computed_at", "live_cached"} <= set(props), name


def test_the_excel_export_says_when_the_live_figures_were_computed(live_cache, api, client, users, rollcall):
    import io

    from openpyxl import load_workbook

    first, _figures, _q = _get(api, users["county"], "510121")
    at = timezone.localtime(datetime.datetime.fromisoformat(first["live_computed_at"])).strftime("%H:%M")
    client.force_login(users["county"], backend="django.contrib.auth.backends.ModelBackend")
    response = client.get(reverse("dashboard:export"), {"region": "510121"})
    title = load_workbook(io.BytesIO(response.content)).active["A1"].value
    assert f"实时指标截至 {at}" in title
