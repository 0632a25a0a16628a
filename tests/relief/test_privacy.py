"""Revealing a masked number is possible only for a record one can see, and always logged."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from relief.models import PersonalDataReveal
from relief.privacy import REVEALABLE, register
from tests.people.factories import PersonFactory, household_with_head

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def person_is_revealable():
    saved = dict(REVEALABLE)
    register("people.person", {"id_number": "身份证号", "phone": "手机号"})
    yield
    REVEALABLE.clear()
    REVEALABLE.update(saved)


def test_official_reveals_through_the_api_and_it_is_logged(api, users, regions):
    person = household_with_head("510121001001").head
    api.force_authenticate(users["province"])
    r = api.post("/api/v1/reveal/", {"model": "people.person", "id": person.pk, "field": "id_number"})
    assert r.status_code == 200
    assert r.json() == {"value": person.id_number}
    log = PersonalDataReveal.objects.get()
    assert (log.user, log.field, log.subject_id, log.region_id) == (
        users["province"],
        "id_number",
        str(person.pk),
        "510121001001",
    )


def test_reveal_outside_region_is_404_and_not_logged(api, users, regions):
    person = household_with_head("510129001001").head
    api.force_authenticate(users["county"])
    r = api.post("/api/v1/reveal/", {"model": "people.person", "id": person.pk, "field": "phone"})
    assert r.status_code == 404
    assert not PersonalDataReveal.objects.exists()


def test_only_registered_fields_can_be_revealed(api, users, regions):
    person = household_with_head("510121001001").head
    api.force_authenticate(users["county"])
    for model, field in (("people.person", "name"), ("relief.user", "password")):
        r = api.post("/api/v1/reveal/", {"model": model, "id": person.pk, "field": field})
        assert r.status_code == 404
    assert not PersonalDataReveal.objects.exists()


def test_page_button_reveals_the_number(as_user, users, regions):
    person = PersonFactory(household=household_with_head("510121001001"), phone="13912345678")
    c = as_user(users["city"])
    r = c.post(f"/reveal/people.person/{person.pk}/phone/")
    assert r.status_code == 200
    assert "13912345678" in r.content.decode()
    assert PersonalDataReveal.objects.filter(user=users["city"], field="phone").count() == 1
    assert as_user(users["other_county"]).post(f"/reveal/people.person/{person.pk}/phone/").status_code == 404


def test_masked_tag_shows_full_number_only_to_roles_that_need_it(users, regions):
    person = PersonFactory(household=household_with_head("510121001001"), phone="13912345678")
    tpl = Template('{% load relief_tags %}{% masked person "phone" "139****5678" %}')
    for who, full in (("county", True), ("province", False)):
        request = RequestFactory().get("/")
        request.user = users[who]
        html = tpl.render(Context({"request": request, "person": person}))
        assert ("13912345678" in html) is full
        assert ("显示" in html) is (not full)
