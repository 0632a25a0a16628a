"""Region scoping, the security model: one mechanism, tested through pages and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from relief.models import Alert, AlertStatus, Job, Role, User
from relief.scoping import in_scope
from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(regions):
    return {
        "village": AlertFactory(region=regions["village"]),
        "county": AlertFactory(region=regions["county"]),
        "other_county": AlertFactory(region=regions["other_county"]),
        "other_province": AlertFactory(region=regions["other_province"]),
        "no_region": AlertFactory(region=None),
    }


EXPECTED_VISIBLE = {
    "admin": {"village", "county", "other_county", "other_province", "no_region"},
    "province": {"village", "county", "other_county"},
    "city": {"village", "county", "other_county"},
    "county": {"village", "county"},
    "township": {"village"},
    "village": {"village"},
    "other_county": {"other_county"},
    "api_read": {"village", "county"},
    "other_province": {"other_province"},
}


@pytest.mark.parametrize("who", sorted(EXPECTED_VISIBLE))
def test_visible_to_is_a_prefix_match_and_hides_regionless_records(users, alerts, who):
    visible = set(Alert.objects.visible_to(users[who]).values_list("pk", flat=True))
    assert visible == {alerts[name].pk for name in EXPECTED_VISIBLE[who]}


def test_anonymous_and_inactive_users_see_nothing(users, alerts):
    from django.contrib.auth.models import AnonymousUser

    assert not Alert.objects.visible_to(AnonymousUser()).exists()
    assert not Alert.objects.visible_to(None).exists()
    user = users["county"]
    user.is_active = False
    assert not Alert.objects.visible_to(user).exists()


def test_in_scope(users, regions):
    assert in_scope(users["county"], "510121001001")
    assert not in_scope(users["county"], "510129")
    assert not in_scope(users["county"], None)
    assert in_scope(users["admin"], None)


def test_user_needs_a_region_of_the_level_of_their_role(regions):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    bad = User(username="x", role=Role.TOWNSHIP, region=regions["county"])
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="y", role=Role.COUNTY, region=None)


# --- The same rules through the API ----------------------------------------------------------


def test_api_other_county_is_404_and_write_changes_nothing(api, users, alerts):
    target = alerts["county"]
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/alerts/{target.pk}/").status_code == 404
    r = api.post(f"/api/v1/alerts/{target.pk}/resolve/", {"note": "关闭"}, format="json")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "未找到该记录"
    target.refresh_from_db()
    assert target.status == AlertStatus.OPEN
    assert not target.events.filter(action="resolved").exists()


def test_api_list_is_scoped(api, users, alerts):
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/alerts/")
    assert r.status_code == 200
    assert {row["id"] for row in r.json()["results"]} == {alerts["village"].pk, alerts["county"].pk}


def test_api_read_only_roles_cannot_write(api, users, alerts):
    target = alerts["county"]
    for who in ("province", "city", "api_read"):
        api.force_authenticate(users[who])
        r = api.post(f"/api/v1/alerts/{target.pk}/acknowledge/", {}, format="json")
        assert r.status_code == 403, who
        assert "只能查看" in r.json()["error"]["message"]
    target.refresh_from_db()
    assert target.status == AlertStatus.OPEN


def test_api_allowed_user_can_act(api, users, alerts):
    api.force_authenticate(users["county"])
    r = api.post(f"/api/v1/alerts/{alerts['village'].pk}/acknowledge/", {"note": "已安排走访"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "acknowledged"
    r = api.post(f"/api/v1/alerts/{alerts['village'].pk}/resolve/", {"note": ""}, format="json")
    assert r.status_code == 400  # a person resolving must say what was done
    r = api.post(f"/api/v1/alerts/{alerts['village'].pk}/resolve/", {"note": "已送去棉被"}, format="json")
    assert r.status_code == 200
    assert r.json()["status"] == "resolved"


def test_api_regionless_record_only_for_admin(api, users, alerts):
    api.force_authenticate(users["province"])
    assert api.get(f"/api/v1/alerts/{alerts['no_region'].pk}/").status_code == 404
    api.force_authenticate(users["admin"])
    assert api.get(f"/api/v1/alerts/{alerts['no_region'].pk}/").status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/api/v1/regions/510129/", "/api/v1/regions/5101/", "/api/v1/regions/51/"],
)
def test_api_regions_outside_or_above_scope_are_404(api, users, url):
    api.force_authenticate(users["county"])
    assert api.get(url).status_code == 404


def test_api_regions_below_scope(api, users):
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/regions/", {"level": 5})
    assert [row["code"] for row in r.json()["results"]] == ["510121001001"]


# --- Pages ------------------------------------------------------------------------------------


def test_page_other_county_region_is_404(as_user, users):
    c = as_user(users["county"])
    assert c.get(reverse("region-detail", args=["510121"])).status_code == 200
    r = c.get(reverse("region-detail", args=["510129"]))
    assert r.status_code == 404
    assert "不在您的管辖区划内" in r.content.decode()


def test_page_jobs_of_someone_else_are_404(as_user, users):
    job = Job.objects.create(kind="relief.regions_export", title="导出", started_by=users["other_county"])
    c = as_user(users["county"])
    assert c.get(reverse("job-detail", args=[job.pk])).status_code == 404
    assert c.post(reverse("job-retry", args=[job.pk])).status_code == 404
    c = as_user(users["other_county"])
    assert c.get(reverse("job-detail", args=[job.pk])).status_code == 200


@pytest.mark.parametrize("url", ["/", "/regions/510121/", "/jobs/", "/policy/", "/people/", "/funds/"])
def test_pages_need_login(client, url, regions):
    r = client.get(url)
    assert r.status_code == 302
    assert r.url.startswith("/login/")


@pytest.mark.parametrize(
    "url",
    ["/api/v1/alerts/", "/api/v1/regions/", "/api/v1/jobs/", "/api/v1/me/", "/api/v1/policy-parameters/"],
)
def test_api_needs_authentication(api, url, regions):
    r = api.get(url)
    assert r.status_code in (401, 403)
    assert r.json()["error"]["message"]
