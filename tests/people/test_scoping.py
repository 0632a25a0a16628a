"""Every page and endpoint of the register, for every kind of caller: anonymous, another county
(404, nothing changed), a read-only role (403 on writes, nothing changed), an allowed user."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from people.models import Assistance, Household, Person, Visit
from tests.people.factories import make_id_number

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        Household.objects.count(),
        Person.objects.count(),
        Assistance.objects.count(),
        Visit.objects.count(),
        sorted(Household.objects.values_list("address", "housing_condition")),
        sorted(Person.objects.values_list("name", "is_student")),
        sorted(Visit.objects.values_list("follow_up_note", flat=True)),
    )


def household_post(h):
    return {
        "region": "510121001001",
        "address": "改过的地址",
        "heating_type": "coal",
        "housing_condition": "grade_d",
        "monthly_income": "1",
        "expense_medical": "0",
        "expense_education": "0",
        "expense_heating": "0",
        "expense_disaster": "0",
    }


# (url name, args from the household, POST data or None for a read-only page)
PAGES = [
    ("people:household-detail", lambda h: [h.pk], None),
    ("people:visit-detail", lambda h: [h.visits.first().pk], None),
    ("people:household-edit", lambda h: [h.pk], household_post),
    (
        "people:person-create",
        lambda h: [h.pk],
        lambda h: {"name": "新成员", "id_number": make_id_number(), "relation": "child"},
    ),
    (
        "people:person-edit",
        lambda h: [h.head_id],
        lambda h: {"name": "改名", "id_number": h.head.id_number, "relation": "head", "is_student": "on"},
    ),
    (
        "people:assistance-create",
        lambda h: [h.pk],
        lambda h: {"category": "monitoring", "monitoring_type": "edge", "start_date": "2025-10-01"},
    ),
    (
        "people:visit-create",
        lambda h: [h.pk],
        lambda h: {"kind": "general", "channel": "home", "heating_ok": "on"},
    ),
]
PAGE_IDS = [p[0] for p in PAGES]


@pytest.mark.parametrize(("name", "args", "data"), PAGES, ids=PAGE_IDS)
class TestPages:
    def test_anonymous_redirected_to_login(self, client, home_household, name, args, data):
        before = snapshot()
        url = reverse(name, args=args(home_household))
        response = client.post(url, data(home_household)) if data else client.get(url)
        assert response.status_code == 302 and "/login/" in response.url
        assert snapshot() == before

    def test_other_county_gets_404(self, as_user, users, home_household, name, args, data):
        before = snapshot()
        client = as_user(users["other_county"])
        url = reverse(name, args=args(home_household))
        assert client.get(url).status_code == 404
        if data:
            assert client.post(url, data(home_household)).status_code == 404
        assert snapshot() == before

    @pytest.mark.parametrize("who", ["city", "province", "api_read"])
    def test_read_only_roles(self, as_user, users, home_household, name, args, data, who):
        before = snapshot()
        client = as_user(users[who])
        url = reverse(name, args=args(home_household))
        if data:
            assert client.get(url).status_code == 403
            assert client.post(url, data(home_household)).status_code == 403
        else:
            assert client.get(url).status_code == 200
        assert snapshot() == before

    @pytest.mark.parametrize("who", ["village", "township", "county", "admin"])
    def test_allowed(self, as_user, users, home_household, name, args, data, who):
        client = as_user(users[who])
        url = reverse(name, args=args(home_household))
        assert client.get(url).status_code == 200
        if data:
            before = snapshot()
            response = client.post(url, data(home_household))
            assert response.status_code == 302, response.content.decode()[:3000]
            assert snapshot() != before


class TestListAndCreatePages:
    def test_index(self, client, as_user, users, home_household):
        assert client.get(reverse("people:index")).status_code == 302
        assert home_household.address in as_user(users["city"]).get(reverse("people:index")).content.decode()
        other = as_user(users["other_county"]).get(reverse("people:index")).content.decode()
        assert home_household.address not in other

    def test_household_create(self, client, as_user, users, regions):
        url = reverse("people:household-create")
        data = {
            **household_post(None),
            "head-name": "新户主",
            "head-id_number": make_id_number(birth=datetime.date(1990, 1, 1)),
        }
        assert client.post(url, data).status_code == 302
        assert as_user(users["city"]).post(url, data).status_code == 403
        # another county cannot choose this village: the form refuses it
        response = as_user(users["other_county"]).post(url, data)
        assert response.status_code == 200
        assert not Household.objects.exists()
        assert as_user(users["village"]).post(url, data).status_code == 302
        assert Household.objects.count() == 1


# --- API -----------------------------------------------------------------------------------------

ENDPOINTS = [
    ("households", lambda h: h.pk, {"address": "改过的地址", "housing_condition": "grade_d"}),
    ("persons", lambda h: h.head_id, {"is_student": True, "name": "改名"}),
    ("visits", lambda h: h.visits.first().pk, {"follow_up_note": "改过"}),
]


def create_body(kind: str, h) -> dict:
    return {
        "households": {"region": "510121001001", "address": "新户"},
        "persons": {"household": h.pk, "name": "新", "id_number": make_id_number()},
        "visits": {"household": h.pk, "kind": "general"},
    }[kind]


@pytest.mark.parametrize(("kind", "pk", "change"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
class TestApi:
    def test_anonymous(self, api, home_household, kind, pk, change):
        before = snapshot()
        assert api.get(f"/api/v1/{kind}/").status_code in (401, 403)
        assert api.get(f"/api/v1/{kind}/{pk(home_household)}/").status_code in (401, 403)
        assert api.patch(f"/api/v1/{kind}/{pk(home_household)}/", change).status_code in (401, 403)
        assert api.post(f"/api/v1/{kind}/", create_body(kind, home_household)).status_code in (401, 403)
        assert snapshot() == before

    def test_other_county(self, api, users, home_household, kind, pk, change):
        before = snapshot()
        api.force_authenticate(users["other_county"])
        assert api.get(f"/api/v1/{kind}/").json()["count"] == 0
        assert api.get(f"/api/v1/{kind}/{pk(home_household)}/").status_code == 404
        assert api.patch(f"/api/v1/{kind}/{pk(home_household)}/", change).status_code == 404
        assert api.put(f"/api/v1/{kind}/{pk(home_household)}/", change).status_code == 404
        # creating in the home county: refused (403 for a region, 400 "does not exist" for a household)
        assert api.post(f"/api/v1/{kind}/", create_body(kind, home_household)).status_code in (400, 403)
        assert snapshot() == before

    @pytest.mark.parametrize("who", ["city", "province", "api_read"])
    def test_read_only(self, api, users, home_household, kind, pk, change, who):
        before = snapshot()
        api.force_authenticate(users[who])
        assert api.get(f"/api/v1/{kind}/").json()["count"] >= 1
        assert api.get(f"/api/v1/{kind}/{pk(home_household)}/").status_code == 200
        assert api.patch(f"/api/v1/{kind}/{pk(home_household)}/", change).status_code == 403
        assert api.post(f"/api/v1/{kind}/", create_body(kind, home_household)).status_code == 403
        assert snapshot() == before

    @pytest.mark.parametrize("who", ["village", "county", "api_write", "admin"])
    def test_allowed(self, api, users, home_household, kind, pk, change, who):
        api.force_authenticate(users[who])
        assert api.get(f"/api/v1/{kind}/{pk(home_household)}/").status_code == 200
        before = snapshot()
        response = api.patch(f"/api/v1/{kind}/{pk(home_household)}/", change)
        assert response.status_code == 200, response.json()
        assert snapshot() != before
        response = api.post(f"/api/v1/{kind}/", create_body(kind, home_household))
        assert response.status_code == 201, response.json()


def test_other_province_official_sees_nothing(api, users, home_household):
    api.force_authenticate(users["other_province"])
    for kind in ("households", "persons", "visits"):
        assert api.get(f"/api/v1/{kind}/").json()["count"] == 0


@pytest.mark.parametrize(
    ("who", "masked"),
    [
        ("village", False),
        ("township", False),
        ("county", False),
        ("admin", False),
        ("city", True),
        ("province", True),
    ],
)
def test_masking_per_role(api, users, home_household, who, masked):
    api.force_authenticate(users[who])
    head = home_household.head
    body = api.get(f"/api/v1/persons/{head.pk}/").json()
    expected_id = head.id_number[:6] + "********" + head.id_number[-4:] if masked else head.id_number
    assert body["id_number"] == expected_id
    assert (body["phone"] == head.phone) is not masked
    household = api.get(f"/api/v1/households/{home_household.pk}/").json()
    assert household["head"]["id_number"] == expected_id
    assert (household["contact_phone"] == home_household.contact_phone) is not masked
    assert (household["members"][0]["id_number"] == head.id_number) is not masked


# --- persons and visits: the household's region decides ------------------------------------------

OTHER_HOUSEHOLD = {
    "person create": ("post", lambda mine: "/api/v1/persons/", {"name": "新", "id_number": make_id_number()}),
    "person put": (
        "put",
        lambda mine: f"/api/v1/persons/{mine.head_id}/",
        {"name": "改名", "id_number": "", "relation": "head"},
    ),
    "person patch": ("patch", lambda mine: f"/api/v1/persons/{mine.head_id}/", {}),
    "visit create": ("post", lambda mine: "/api/v1/visits/", {"kind": "general"}),
    "visit patch": ("patch", lambda mine: f"/api/v1/visits/{mine.visits.first().pk}/", {}),
}


@pytest.mark.parametrize("case", OTHER_HOUSEHOLD, ids=list(OTHER_HOUSEHOLD))
def test_a_household_of_another_county_is_refused(api, users, home_household, other_household, case):
    """A county user naming the other county's household, on create or update: refused as if the
    household did not exist, and nothing changes."""
    method, url, body = OTHER_HOUSEHOLD[case]
    body = {**body, "household": other_household.pk}
    if body.get("id_number") == "":
        body["id_number"] = home_household.head.id_number
    before = snapshot()
    api.force_authenticate(users["county"])
    response = getattr(api, method)(url(home_household), body)
    assert response.status_code in (400, 404), response.json()
    assert "未找到" in str(response.json()) or "不存在" in str(response.json())
    assert snapshot() == before
    assert set(other_household.members.values_list("pk", flat=True)) == {other_household.head_id}


@pytest.mark.parametrize(
    ("kind", "service", "body"),
    [
        ("persons", "person_add", {"name": "新", "id_number": make_id_number()}),
        ("visits", "visit_record", {"kind": "general"}),
    ],
)
def test_the_viewset_checks_the_households_region_itself(
    api, users, home_household, other_household, monkeypatch, kind, service, body
):
    """The region check of a person's or visit's create reads the household's region: with the
    household field not scoped (as a plain PrimaryKeyRelatedField would be), a household of another
    county is still not found (404), before any service runs. (It used to look for a
    `household__region` key that validated data never has, and skipped the check.)"""
    from rest_framework.serializers import PrimaryKeyRelatedField

    from people import services
    from people.api import PersonSerializer, VisitSerializer

    for serializer in (PersonSerializer, VisitSerializer):
        unscoped = PrimaryKeyRelatedField(queryset=Household.objects.all())
        monkeypatch.setitem(serializer._declared_fields, "household", unscoped)
    called = []
    monkeypatch.setattr(services, service, lambda **kwargs: called.append(kwargs))
    before = snapshot()
    api.force_authenticate(users["county"])

    response = api.post(f"/api/v1/{kind}/", {**body, "household": other_household.pk})

    assert response.status_code == 404, response.json()
    assert called == []
    assert snapshot() == before
    # the own county's household still goes through
    monkeypatch.undo()
    assert api.post(f"/api/v1/{kind}/", {**body, "household": home_household.pk}).status_code == 201


# --- roster imports: the upload's region decides (pages and /api/v1/roster-imports/) --------------


@pytest.fixture
def roster_uploads(users, django_capture_on_commit_callbacks):
    """Two uploads by the home county's staff: a clean dry run and one with a bad row."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile

    from people import services
    from tests.people.test_imports import BAD_ROWS, GOOD_ROWS, roster

    made = {}
    for key, rows in (("clean", GOOD_ROWS), ("bad", {**GOOD_ROWS, 9: BAD_ROWS[9]})):
        file = SimpleUploadedFile("花名册.xlsx", io.BytesIO(roster(rows)).getvalue())
        with django_capture_on_commit_callbacks(execute=True):
            made[key] = services.roster_upload_create(actor=users["county"], file=file)
    return made


def roster_snapshot() -> tuple:
    from people.models import RosterUpload

    return snapshot(), sorted(RosterUpload.objects.values_list("pk", "commit_job_id"))


# (name, method, url from the uploads, the status an allowed user gets, a read-only role gets)
ROSTER_ENDPOINTS = [
    ("page", "get", lambda u: reverse("people:roster-upload-detail", args=[u["bad"].pk]), 200, 200),
    ("errors page", "get", lambda u: reverse("people:roster-upload-errors", args=[u["bad"].pk]), 302, 302),
    # the file of bad rows is an export (a read started as a job): read-only roles too, masked
    (
        "error file",
        "post",
        lambda u: reverse("people:roster-upload-error-file", args=[u["bad"].pk]),
        302,
        302,
    ),
    ("api detail", "get", lambda u: f"/api/v1/roster-imports/{u['bad'].pk}/", 200, 200),
    ("api commit", "post", lambda u: f"/api/v1/roster-imports/{u['clean'].pk}/commit/", 202, 403),
    ("api commit refused", "post", lambda u: f"/api/v1/roster-imports/{u['bad'].pk}/commit/", 409, 403),
]


@pytest.mark.parametrize(
    ("name", "method", "url", "allowed", "read_only"), ROSTER_ENDPOINTS, ids=[e[0] for e in ROSTER_ENDPOINTS]
)
class TestRosterImports:
    def _call(self, client, method, url):
        return getattr(client, method)(url)

    def test_anonymous(self, client, api, roster_uploads, name, method, url, allowed, read_only):
        before = roster_snapshot()
        caller = api if url(roster_uploads).startswith("/api/") else client
        response = self._call(caller, method, url(roster_uploads))
        assert response.status_code in (302, 401, 403)
        if response.status_code == 302:
            assert "/login/" in response.url
        assert roster_snapshot() == before

    def test_other_county_gets_404(
        self, as_user, api, users, roster_uploads, name, method, url, allowed, read_only
    ):
        before = roster_snapshot()
        api.force_authenticate(users["other_county"])
        caller = api if url(roster_uploads).startswith("/api/") else as_user(users["other_county"])
        assert self._call(caller, method, url(roster_uploads)).status_code == 404
        assert roster_snapshot() == before

    @pytest.mark.parametrize("who", ["city", "province", "api_read"])
    def test_read_only_roles(
        self, as_user, api, users, roster_uploads, name, method, url, allowed, read_only, who
    ):
        before = roster_snapshot()
        api.force_authenticate(users[who])
        caller = api if url(roster_uploads).startswith("/api/") else as_user(users[who])
        response = self._call(caller, method, url(roster_uploads))
        assert response.status_code == read_only
        assert roster_snapshot() == before

    @pytest.mark.parametrize("who", ["county", "api_write", "admin"])
    def test_allowed(
        self,
        as_user,
        api,
        users,
        roster_uploads,
        django_capture_on_commit_callbacks,
        name,
        method,
        url,
        allowed,
        read_only,
        who,
    ):
        api.force_authenticate(users[who])
        caller = api if url(roster_uploads).startswith("/api/") else as_user(users[who])
        with django_capture_on_commit_callbacks(execute=True):
            response = self._call(caller, method, url(roster_uploads))
        assert response.status_code == allowed
        if name == "api commit":
            assert snapshot()[:3] == (3, 6, 3)


def test_roster_import_lists_and_uploads_are_scoped(
    api, users, roster_uploads, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from people.models import RosterUpload
    from tests.people.test_imports import GOOD_ROWS, roster

    api.force_authenticate(users["other_county"])
    assert api.get("/api/v1/roster-imports/").json()["count"] == 0
    api.force_authenticate(users["province"])
    assert api.get("/api/v1/roster-imports/").json()["count"] == 2
    before = roster_snapshot()
    for who, status in (("province", 403), ("api_read", 403)):
        api.force_authenticate(users[who])
        file = SimpleUploadedFile("花名册.xlsx", roster(GOOD_ROWS))
        assert api.post("/api/v1/roster-imports/", {"file": file}, format="multipart").status_code == status
    assert roster_snapshot() == before
    api.force_authenticate(None)
    file = SimpleUploadedFile("花名册.xlsx", roster(GOOD_ROWS))
    assert api.post("/api/v1/roster-imports/", {"file": file}, format="multipart").status_code in (401, 403)
    # the other county's upload of a file naming the home county's villages: every row refused
    api.force_authenticate(users["other_county"])
    with django_capture_on_commit_callbacks(execute=True):
        pk = api.post(
            "/api/v1/roster-imports/",
            {"file": SimpleUploadedFile("a.xlsx", roster(GOOD_ROWS))},
            format="multipart",
        ).json()["id"]
    assert RosterUpload.objects.get(pk=pk).region_id == "510129"
    report = api.get(f"/api/v1/roster-imports/{pk}/").json()["report"]
    assert report["error_rows"] == len(GOOD_ROWS)
    assert {e["code"] for e in report["errors"]} == {"village_out_of_scope"}
