from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from people.models import Household, Person, Visit
from tests.people.factories import (
    AssistanceFactory,
    PersonFactory,
    household_form,
    household_with_head,
    make_id_number,
)

pytestmark = pytest.mark.django_db


class TestSearch:
    def test_lists_households_in_scope_only(self, as_user, users, home_household, other_household):
        response = as_user(users["county"]).get(reverse("people:index"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "张大山" in html
        assert "李四海" not in html

    @pytest.mark.parametrize(
        ("params", "found"),
        [
            ({"q": "张大"}, True),
            ({"q": "王"}, False),
            ({"category": "dibao"}, True),
            ({"category": "tekun"}, False),
            ({"region": "510121001001"}, True),
            ({"flag": "aged_80"}, False),
        ],
    )
    def test_filters(self, as_user, users, home_household, params, found):
        response = as_user(users["county"]).get(reverse("people:index"), params)
        assert ("张大山" in response.content.decode()) is found

    def test_search_by_id_and_phone(self, as_user, users, home_household):
        client = as_user(users["county"])
        head = home_household.head
        assert (
            "张大山"
            in client.get(reverse("people:index"), {"q": head.id_number[:10]}, follow=True).content.decode()
        )
        assert (
            "张大山" in client.get(reverse("people:index"), {"q": head.phone}, follow=True).content.decode()
        )

    def test_flag_filter(self, as_user, users, regions):
        household_with_head(name="赵老汉", birth=datetime.date(1938, 5, 1))
        household_with_head(name="钱独居", lives_alone=True)
        client = as_user(users["county"])
        html = client.get(reverse("people:index"), {"flag": "aged_80"}).content.decode()
        assert "赵老汉" in html and "钱独居" not in html
        html = client.get(reverse("people:index"), {"flag": "lives_alone"}).content.decode()
        assert "钱独居" in html and "赵老汉" not in html

    def test_paginated(self, as_user, users, regions):
        for _ in range(30):
            household_with_head()
        response = as_user(users["county"]).get(reverse("people:index"), {"page": 2})
        assert response.context["page"].number == 2
        assert len(response.context["page"].object_list) == 5

    def test_ids_masked_for_city(self, as_user, users, home_household):
        number = home_household.head.id_number
        html = as_user(users["city"]).get(reverse("people:index")).content.decode()
        assert number not in html
        assert number[:6] + "********" + number[-4:] in html
        assert number in as_user(users["county"]).get(reverse("people:index")).content.decode()


class TestDetail:
    def test_shows_members_categories_visits_blocks(self, as_user, users, home_household):
        response = as_user(users["township"]).get(
            reverse("people:household-detail", args=[home_household.pk])
        )
        html = response.content.decode()
        assert "张大山" in html and "张小花" in html
        assert "低保·A类" in html
        assert 'data-testid="visits"' in html
        assert 'data-testid="household-chain"' in html  # the funds panel
        assert 'data-testid="alerts"' in html

    def test_shows_alerts_about_the_household(self, as_user, users, home_household):
        from relief.alerts.services import alert_raise

        alert_raise(
            kind="people.test",
            dedup_key="t1",
            message="独居老人超期未探访",
            region="510121001001",
            subject=home_household,
        )
        html = (
            as_user(users["county"]).get(reverse("people:household-detail", args=[home_household.pk])).content
        )
        assert "独居老人超期未探访" in html.decode()

    def test_phone_masked_for_province(self, as_user, users, home_household):
        html = as_user(users["province"]).get(reverse("people:household-detail", args=[home_household.pk]))
        phone = home_household.contact_phone
        assert phone not in html.content.decode()
        assert phone[:3] + "****" + phone[-4:] in html.content.decode()


class TestCreateAndEdit:
    def _post_household(self, client, regions, **extra):
        data = household_form(**extra)
        return client.post(reverse("people:household-create"), data)

    def test_create_household_with_head(self, as_user, users, regions):
        response = self._post_household(as_user(users["village"]), regions)
        household = Household.objects.get()
        assert response.status_code == 302
        assert response.url == reverse("people:household-detail", args=[household.pk])
        assert household.head.name == "孙德福"
        assert household.head.relation == "head"
        assert household.housing_condition == "grade_c"

    def test_invalid_id_shows_chinese_error_and_writes_nothing(self, as_user, users, regions):
        response = self._post_household(as_user(users["village"]), regions, **{"head-id_number": "510121"})
        assert response.status_code == 200
        assert "身份证号应为18位" in response.content.decode()
        assert not Household.objects.exists()

    def test_duplicate_active_id_rolls_back_household(self, as_user, users, home_household):
        response = self._post_household(
            as_user(users["village"]), None, **{"head-id_number": home_household.head.id_number}
        )
        assert response.status_code == 200
        assert "已在另一户" in response.content.decode()
        assert Household.objects.count() == 1

    def test_edit_household(self, as_user, users, home_household):
        client = as_user(users["county"])
        url = reverse("people:household-edit", args=[home_household.pk])
        assert client.get(url).status_code == 200
        data = {
            "region": "510121001001",
            "address": "新地址9号",
            "heating_type": "electric",
            "housing_condition": "safe",
            "monthly_income": "900",
            "expense_medical": "0",
            "expense_education": "0",
            "expense_heating": "0",
            "expense_disaster": "0",
        }
        assert client.post(url, data).status_code == 302
        home_household.refresh_from_db()
        assert home_household.address == "新地址9号"
        assert home_household.heating_type == "electric"

    def test_add_and_edit_member(self, as_user, users, home_household):
        client = as_user(users["village"])
        number = make_id_number(birth=datetime.date(2015, 6, 1), male=False)
        response = client.post(
            reverse("people:person-create", args=[home_household.pk]),
            {
                "name": "张小雨",
                "id_number": number,
                "relation": "grandchild",
                "is_left_behind_child": "on",
                "guardian_name": "张大山",
                "guardian_relation": "祖父",
            },
        )
        assert response.status_code == 302
        person = Person.objects.get(id_number=number)
        assert person.sex == "F" and person.is_left_behind_child
        response = client.post(
            reverse("people:person-edit", args=[person.pk]),
            {"name": "张小雨", "id_number": number, "relation": "grandchild", "is_student": "on"},
        )
        assert response.status_code == 302
        person.refresh_from_db()
        assert person.is_student and not person.is_left_behind_child

    def test_add_category(self, as_user, users, home_household):
        response = as_user(users["village"]).post(
            reverse("people:assistance-create", args=[home_household.pk]),
            {"category": "monitoring", "monitoring_type": "sudden", "start_date": "2025-11-01"},
        )
        assert response.status_code == 302
        assert home_household.assistances.filter(category="monitoring", monitoring_type="sudden").exists()


class TestVisitForm:
    def test_form_renders_for_phone(self, as_user, users, home_household):
        response = as_user(users["township"]).get(reverse("people:visit-create", args=[home_household.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert 'name="viewport"' in html
        assert html.count('type="checkbox"') == 7

    def test_post_records_visit_with_problems(self, as_user, users, home_household):
        child = PersonFactory(
            household=home_household, relation="grandchild", birth=datetime.date(2016, 1, 1)
        )
        response = as_user(users["township"]).post(
            reverse("people:visit-create", args=[home_household.pk]),
            {
                "person": child.pk,
                "kind": "child",
                "channel": "home",
                # heating unchecked: a problem; guardian unchecked: absent
                "food_ok": "on",
                "clothing_ok": "on",
                "house_safe": "on",
                "health_ok": "on",
                "mental_ok": "on",
                "needs": "家里煤不够",
                "follow_up": "material",
                "next_visit_due": (datetime.date.today() + datetime.timedelta(days=7)).isoformat(),
            },
        )
        assert response.status_code == 302
        visit = Visit.objects.filter(person=child).get()
        assert visit.heating_ok is False and visit.food_ok is True
        assert visit.guardian_present is False
        assert visit.visitor == users["township"]
        assert visit.follow_up == "material"

    def test_guardian_only_for_child_visits(self, as_user, users, home_household):
        as_user(users["village"]).post(
            reverse("people:visit-create", args=[home_household.pk]),
            {"kind": "general", "channel": "phone", "heating_ok": "on"},
        )
        visit = Visit.objects.filter(channel="phone").get()
        assert visit.guardian_present is None

    def test_visit_detail(self, as_user, users, home_household):
        visit = home_household.visits.get()
        response = as_user(users["county"]).get(reverse("people:visit-detail", args=[visit.pk]))
        assert response.status_code == 200


def test_categories_badges_in_list(as_user, users, regions):
    household = household_with_head(name="周")
    AssistanceFactory(household=household, category="tekun", tekun_mode="centralized")
    html = as_user(users["county"]).get(reverse("people:index")).content.decode()
    assert "特困·集中供养" in html


def test_search_page_queries_do_not_grow_with_rows(as_user, users, regions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = as_user(users["county"])

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("people:index"), {"category": "dibao"}).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        AssistanceFactory(household=household_with_head(), category="dibao")
    few = count()
    for _ in range(6):
        h = household_with_head()
        PersonFactory(household=h, relation="child")
        AssistanceFactory(household=h, category="dibao")
    assert count() == few


def test_household_page_queries_do_not_grow_with_members(
    as_user, users, home_household, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.people.factories import VisitFactory

    client = as_user(users["county"])
    url = reverse("people:household-detail", args=[home_household.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(5):
        PersonFactory(household=home_household, relation="child")
        VisitFactory(household=home_household, visitor=users["village"])
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few) <= 25


def test_deactivate_member(as_user, users, home_household):
    child = home_household.members.get(relation="child")
    client = as_user(users["village"])
    url = reverse("people:person-deactivate", args=[child.pk])
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 200 and "请填写注销原因" in refused.content.decode()  # the form again
    child.refresh_from_db()
    assert child.active
    assert client.post(url, {"reason": "迁出"}).status_code == 302
    child.refresh_from_db()
    assert not child.active and "迁出" in child.note
    assert as_user(users["other_county"]).post(url, {"reason": "x"}).status_code == 404
    assert as_user(users["city"]).post(url, {"reason": "x"}).status_code == 403
