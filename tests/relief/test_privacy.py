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


# --- the shared masks ----------------------------------------------------------------------------


def test_numbers_in_free_text_are_masked():
    from relief.privacy import mask_numbers_in_text

    text = "张三 13812345678，身份证510121193112174250，旧证510121311217425，户编号 0012"
    assert mask_numbers_in_text(text) == (
        "张三 138****5678，身份证510121********4250，旧证510121*****7425，户编号 0012"
    )
    assert mask_numbers_in_text("51012119311217425X") == "510121********425X"
    assert mask_numbers_in_text(None) == ""


def test_birth_date_is_reduced_to_its_year(users):
    import datetime

    from relief.privacy import birth_date_for, reduce_birth_date

    day = datetime.date(1931, 12, 17)
    assert reduce_birth_date(day) == reduce_birth_date("1931-12-17") == "1931"
    assert birth_date_for(users["city"], day) == "1931"
    assert birth_date_for(users["county"], day) == day


def test_a_write_equal_to_the_mask_keeps_the_stored_value():
    from types import SimpleNamespace

    from relief.privacy import keep_masked_writes, mask_phone

    stored = SimpleNamespace(phone="13800000001")
    masks = {"phone": mask_phone}
    assert keep_masked_writes({"phone": "138****0001"}, stored, masks) == {"phone": "13800000001"}
    assert keep_masked_writes({"phone": "13900000009"}, stored, masks) == {"phone": "13900000009"}
    assert keep_masked_writes({"phone": "138****0001"}, None, masks) == {"phone": "138****0001"}


def test_number_search_logs_a_hash_and_stops_at_the_limit(users, settings):
    from relief.privacy import NumberSearchLimited, number_kind, number_search

    settings.PERSONAL_NUMBER_SEARCHES_PER_HOUR = 2
    number = "510121193112174250"
    assert number_kind(number) == "id_number" and number_kind("13800000001") == "phone"
    assert number_kind("51012119") == "phone" and number_kind("张三") is None
    for _ in range(2):
        number_search(actor=users["province"], kind="id_number", value=number, model_label="people.person")
    with pytest.raises(NumberSearchLimited):
        number_search(actor=users["province"], kind="id_number", value=number, model_label="people.person")
    number_search(actor=users["county"], kind="id_number", value=number, model_label="people.person")
    logs = PersonalDataReveal.objects.all()
    assert [log.user for log in logs] == [users["province"]] * 2  # full roles are neither counted nor logged
    assert all(number not in f"{log.subject_id}{log.subject_label}{log.field}" for log in logs)
