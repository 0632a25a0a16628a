from __future__ import annotations

import datetime

import pytest

from people.models import Household, Person, Visit
from relief.models import Region
from tests.people.factories import (
    AssistanceFactory,
    PersonFactory,
    VisitFactory,
    household_with_head,
    make_id_number,
)

pytestmark = pytest.mark.django_db


def _many(n: int = 4) -> list[Household]:
    households = []
    for i in range(n):
        h = household_with_head(name=f"户主{i}")
        PersonFactory(household=h, relation="child", birth=datetime.date(2014, 1, 1))
        AssistanceFactory(household=h, category="dibao")
        AssistanceFactory(household=h, category="monitoring", monitoring_type="edge")
        VisitFactory(household=h, person=h.head, visitor=None)
        households.append(h)
    return households


class TestHouseholds:
    def test_list_and_retrieve(self, api, users, home_household, other_household):
        api.force_authenticate(users["county"])
        body = api.get("/api/v1/households/").json()
        assert [r["id"] for r in body["results"]] == [home_household.pk]
        row = body["results"][0]
        assert row["head"]["name"] == "张大山"
        assert row["member_count"] == 2
        assert row["current_assistances"][0]["label"] == "低保·A类"
        detail = api.get(f"/api/v1/households/{home_household.pk}/").json()
        assert {m["name"] for m in detail["members"]} == {"张大山", "张小花"}

    def test_list_query_count_does_not_grow(self, api, users, regions, django_assert_num_queries):
        _many(5)
        api.force_authenticate(users["county"])
        # session/auth aside: count, page, prefetch of current categories
        with django_assert_num_queries(3):
            body = api.get("/api/v1/households/").json()
        assert body["count"] == 5

    def test_create_and_update(self, api, users, regions):
        api.force_authenticate(users["township"])
        response = api.post(
            "/api/v1/households/",
            {
                "region": "510121001001",
                "address": "滨河社区3组",
                "monthly_income": "650.00",
                "heating_type": "kang",
            },
        )
        assert response.status_code == 201, response.json()
        hid = response.json()["id"]
        assert Household.objects.get(pk=hid).heating_type == "kang"
        response = api.patch(f"/api/v1/households/{hid}/", {"housing_condition": "grade_d"})
        assert response.status_code == 200
        assert Household.objects.get(pk=hid).housing_condition == "grade_d"

    def test_a_retired_village_keeps_its_households_but_gets_no_new_one(self, api, users, regions):
        village = regions["village"]
        api.force_authenticate(users["county"])
        response = api.post("/api/v1/households/", {"region": village.code, "address": "老街1号"})
        assert response.status_code == 201, response.json()
        hid = response.json()["id"]
        Region.objects.filter(code=village.code).update(retired_on=datetime.date(2024, 6, 30))
        # the household stays where it is, and can be edited with its region sent back as it is
        response = api.patch(f"/api/v1/households/{hid}/", {"region": village.code, "address": "老街2号"})
        assert response.status_code == 200, response.json()
        response = api.post("/api/v1/households/", {"region": village.code, "address": "老街3号"})
        assert response.status_code == 400
        assert "已撤销" in response.json()["error"]["message"]
        assert Household.objects.filter(region=village).count() == 1

    def test_create_bad_region_level(self, api, users, regions):
        api.force_authenticate(users["county"])
        response = api.post("/api/v1/households/", {"region": "510121", "address": "x"})
        assert response.status_code == 400
        assert "乡镇" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("params", "count"),
        [
            ({"region": "510121001"}, 1),
            ({"region": "510129"}, 0),
            ({"category": "dibao"}, 1),
            ({"category": "tekun"}, 0),
            ({"flag": "aged_80"}, 0),
            ({"flag": "is_orphan"}, 0),
            ({"created_after": "2000-01-01"}, 1),
            ({"created_before": "2000-01-01"}, 0),
        ],
    )
    def test_filters(self, api, users, home_household, params, count):
        api.force_authenticate(users["province"])
        assert api.get("/api/v1/households/", params).json()["count"] == count


class TestPersons:
    def test_list_query_count(self, api, users, regions, django_assert_num_queries):
        _many(4)
        api.force_authenticate(users["county"])
        with django_assert_num_queries(2):
            body = api.get("/api/v1/persons/").json()
        assert body["count"] == 8

    def test_create_derives_and_masks(self, api, users, home_household):
        api.force_authenticate(users["village"])
        number = make_id_number(birth=datetime.date(1940, 2, 2), male=False)
        response = api.post(
            "/api/v1/persons/",
            {
                "household": home_household.pk,
                "name": "王奶奶",
                "id_number": number,
                "relation": "parent",
                "phone": "13712345678",
                "lives_alone": True,
            },
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        born = (
            f"{number[6:10]}-{number[10:12]}-{number[12:14]}"  # the factory may shift the day for uniqueness
        )
        assert body["sex"] == "F" and body["birth_date"] == born and body["is_aged_80"]
        assert body["id_number"] == number
        api.force_authenticate(users["city"])
        body = api.get(f"/api/v1/persons/{body['id']}/").json()
        assert body["id_number"] == number[:6] + "********" + number[-4:]
        assert body["phone"] == "137****5678"

    def test_duplicate_id_is_a_chinese_400(self, api, users, home_household, other_household):
        api.force_authenticate(users["admin"])
        response = api.post(
            "/api/v1/persons/",
            {"household": home_household.pk, "name": "李", "id_number": other_household.head.id_number},
        )
        assert response.status_code == 400
        assert "已在另一户" in response.json()["error"]["message"]
        assert Person.objects.filter(id_number=other_household.head.id_number).count() == 1

    def test_invalid_id(self, api, users, home_household):
        api.force_authenticate(users["county"])
        response = api.post(
            "/api/v1/persons/",
            {"household": home_household.pk, "name": "李", "id_number": "510121195003070016"},
        )
        assert response.status_code == 400
        assert "校验位" in response.json()["error"]["fields"]["id_number"][0]

    def test_update(self, api, users, home_household):
        api.force_authenticate(users["county"])
        child = home_household.members.get(relation="child")
        response = api.patch(
            f"/api/v1/persons/{child.pk}/", {"is_left_behind_child": True, "guardian_name": "张大山"}
        )
        assert response.status_code == 200, response.json()
        child.refresh_from_db()
        assert child.is_left_behind_child and child.guardian_name == "张大山"

    @pytest.mark.parametrize(
        ("params", "count"),
        [
            ({"aged_60": "true"}, 1),
            ({"aged_80": "true"}, 1),
            ({"aged_60": "false"}, 1),
            ({"lives_alone": "true"}, 1),
            ({"category": "dibao"}, 1),
            ({"category": "tekun"}, 1),
            ({"born_after": "2000-01-01"}, 1),
            ({"region": "510121001001"}, 2),
            ({"region": "510129"}, 0),
        ],
    )
    def test_filters(self, api, users, regions, params, count):
        old = household_with_head(name="老", birth=datetime.date(1935, 1, 1), lives_alone=True)
        AssistanceFactory(household=old, person=old.head, category="tekun", tekun_mode="dispersed")
        young = household_with_head(name="青", birth=datetime.date(2010, 1, 1))
        AssistanceFactory(household=young, category="dibao")
        PersonFactory(household=young, relation="parent", birth=datetime.date(1980, 1, 1), active=False)
        api.force_authenticate(users["county"])
        assert api.get("/api/v1/persons/", {"active": "true", **params}).json()["count"] == count


class TestVisits:
    def test_list_query_count(self, api, users, regions, django_assert_num_queries):
        households = _many(4)
        for h in households:
            VisitFactory(household=h, person=h.head, visitor=users["village"])
        api.force_authenticate(users["county"])
        with django_assert_num_queries(2):
            body = api.get("/api/v1/visits/").json()
        assert body["count"] == 8

    def test_create_and_update(self, api, users, home_household):
        api.force_authenticate(users["township"])
        response = api.post(
            "/api/v1/visits/",
            {
                "household": home_household.pk,
                "person": home_household.head_id,
                "kind": "elderly",
                "channel": "video",
                "heating_ok": False,
                "needs": "暖气片坏了",
                "follow_up": "other",
            },
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["visitor"] == users["township"].pk
        assert body["region"] == "510121001001"
        response = api.patch(f"/api/v1/visits/{body['id']}/", {"follow_up_note": "已联系维修"})
        assert response.status_code == 200
        assert Visit.objects.get(pk=body["id"]).follow_up_note == "已联系维修"

    def test_person_of_another_household_refused(self, api, users, home_household):
        other = household_with_head()
        api.force_authenticate(users["county"])
        response = api.post("/api/v1/visits/", {"household": home_household.pk, "person": other.head_id})
        assert response.status_code == 400

    @pytest.mark.parametrize(
        ("params", "count"),
        [
            ({"kind": "child"}, 1),
            ({"has_problem": "true"}, 1),
            ({"has_problem": "false"}, 1),
            ({"due_before": "2030-01-01"}, 1),
            ({"region": "510121"}, 2),
        ],
    )
    def test_filters(self, api, users, home_household, params, count):
        home_household.visits.all().delete()
        VisitFactory(
            household=home_household, kind="child", heating_ok=False, next_visit_due=datetime.date(2029, 1, 1)
        )
        VisitFactory(household=home_household, kind="general")
        api.force_authenticate(users["county"])
        assert api.get("/api/v1/visits/", params).json()["count"] == count
