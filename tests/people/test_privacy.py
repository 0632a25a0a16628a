"""Masking that holds against a determined reader: no response rebuilds a masked ID (its hidden
digits are the birth date), searches match whole numbers only and are counted, masked values written
back keep the stored value, and messages do not say where a number outside the region lives."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import load_workbook

from people.exports import roster_workbook
from people.models import Household, Person
from relief.models import PersonalDataReveal
from relief.privacy import mask_id_number
from tests.funds.factories import ApplicationFactory
from tests.people.factories import VisitFactory, household_with_head, make_id_number

pytestmark = pytest.mark.django_db

BIRTH = datetime.date(1931, 6, 17)
MASKED_ROLES = ("province", "city", "api_read")


@pytest.fixture
def person(regions):
    household = household_with_head("510121001001", birth=BIRTH, phone="13800000001")
    household.note = f"户主身份证 {household.head.id_number}，电话 13800000001"
    household.save(update_fields=["note"])
    return household.head


def _texts(client, person, pages: bool) -> list[str]:
    household = person.household
    pages = (
        [
            f"/people/households/{household.pk}/",
            f"/people/?q={person.name}",
        ]
        if pages
        else [
            f"/api/v1/persons/?household={household.pk}",
            f"/api/v1/persons/{person.pk}/",
            "/api/v1/households/",
            f"/api/v1/households/{household.pk}/",
            "/api/v1/assistance-applications/",
        ]
    )
    out = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        out.append(response.content.decode())
    return out


def _plant_everywhere(person) -> list[str]:
    """The person's ID and phone in a payment, an application, a clue, a station case and an
    encounter (fields and free text); the API lists and pages that show them."""
    from funds.models import Payment
    from tests.funds.factories import BatchFactory
    from tests.patrols.factories import ClueFactory, EncounterFactory, StationCaseFactory

    said = f"{person.name}，身份证{person.id_number}，电话13800000001"
    application = ApplicationFactory(
        person=person, applicant_name=person.name, id_number=person.id_number, description=said
    )
    batch = BatchFactory()
    Payment.objects.create(
        batch=batch,
        program=batch.program,
        region=person.household.region,
        household=person.household,
        person=person,
        recipient_name=person.name,
        id_number=person.id_number,
        phone="13800000001",
        amount="500.00",
    )
    clue = ClueFactory(reporter_phone="13800000001", description=said)
    case = StationCaseFactory(person_name=person.name, id_number=person.id_number, description=said)
    encounter = EncounterFactory(person_name=person.name, id_number=person.id_number, description=said)
    return [
        "/api/v1/payments/",
        f"/api/v1/payments/?batch={batch.pk}",
        "/api/v1/clues/",
        f"/api/v1/clues/{clue.pk}/",
        "/api/v1/station-cases/",
        f"/api/v1/station-cases/{case.pk}/",
        "/api/v1/encounters/",
        f"/api/v1/encounters/{encounter.pk}/",
        f"/api/v1/assistance-applications/{application.pk}/",
    ], [
        "/funds/",
        "/funds/batches/",
        f"/funds/batches/{batch.pk}/",
        "/funds/applications/",
        f"/funds/applications/{application.pk}/",
        f"/people/households/{person.household_id}/",  # its payments
        "/patrols/",
        "/patrols/clues/",
        f"/patrols/clues/{clue.pk}/",
        "/patrols/cases/",
        f"/patrols/cases/{case.pk}/",
        f"/patrols/encounters/{encounter.pk}/",
        f"/patrols/shifts/{encounter.shift_id}/",
    ]


def _collect(client, urls: list[str]) -> list[str]:
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        out.append(response.content.decode())
    return out


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_nothing_a_masked_role_receives_rebuilds_the_id(role, api, client, users, person):
    api_urls, page_urls = _plant_everywhere(person)
    user = users[role]
    api.force_authenticate(user)
    planted = _collect(api, api_urls)
    masked_id = mask_id_number(person.id_number)
    missing = [url for url, text in zip(api_urls, planted, strict=True) if masked_id not in text]
    assert missing == [], missing  # every planted record is there, masked
    texts = _texts(api, person, pages=False) + planted
    if role != "api_read":
        client.force_login(user)
        planted = _collect(client, page_urls)
        assert sum(masked_id in text for text in planted) >= 6
        texts += _texts(client, person, pages=True) + planted
    content, _rows = roster_workbook(user, {})
    sheet = load_workbook(io.BytesIO(content)).active
    texts.append(" ".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row))
    joined = "\n".join(texts)
    assert person.name in joined  # the person is there ...
    assert str(person.birth_date.year) in joined  # ... with the year of birth
    born = person.birth_date  # (the factory moves it by a few days in a long run)
    for secret in (person.id_number, f"{born:%Y-%m-%d}", f"{born:%Y%m%d}", "13800000001"):
        assert secret not in joined, secret


def test_full_roles_still_see_the_birth_date(api, users, person):
    api.force_authenticate(users["county"])
    body = api.get(f"/api/v1/persons/{person.pk}/").json()
    assert (body["birth_date"], body["id_number"]) == (f"{person.birth_date:%Y-%m-%d}", person.id_number)


def test_birth_date_filters_are_by_year_for_masked_roles(api, users, person):
    api.force_authenticate(users["city"])
    day = f"{person.birth_date:%Y-%m-%d}"
    other_day = f"{person.birth_date.year}-03-01"
    assert api.get(f"/api/v1/persons/?born_after={day}&born_before={day}").json()["count"] == 1
    assert api.get(f"/api/v1/persons/?born_after={other_day}&born_before={other_day}").json()["count"] == 1


def test_masked_roles_cannot_order_by_birth_date(api, users, person):
    """Ordering by the hidden birth dates would rebuild their order (and, with a few known people,
    the dates): for masked roles `?ordering=birth_date` is ignored."""
    older = household_with_head("510121001001", birth=datetime.date(1920, 1, 2)).head
    younger = household_with_head("510121001001", birth=datetime.date(1950, 1, 2)).head
    ids = {older.pk, younger.pk, person.pk}

    def order(user, ordering: str) -> list[int]:
        api.force_authenticate(users[user])
        rows = api.get(f"/api/v1/persons/?ordering={ordering}&page_size=500").json()["results"]
        return [r["id"] for r in rows if r["id"] in ids]

    assert order("county", "-birth_date") == [younger.pk, person.pk, older.pk]
    for role in MASKED_ROLES:
        assert order(role, "-birth_date") == order(role, "id") == sorted(ids)


# --- searches ------------------------------------------------------------------------------------


def test_search_by_part_of_a_number_matches_nothing_for_masked_roles(client, users, person):
    client.force_login(users["province"])
    prefix = person.id_number[:13]

    def found(q):
        return client.get("/people/", {"q": q}, follow=True).context["page"].paginator.count

    assert found(prefix) == found(prefix[:-1] + "9") == 0
    assert found(person.id_number) == 1
    assert found("1380000") == 0 and found("13800000001") == 1
    client.force_login(users["county"])
    assert found(prefix) == 1  # a role that sees the numbers may search by their beginning


def test_number_searches_are_logged_without_the_number_and_limited(client, api, users, person, settings):
    settings.PERSONAL_NUMBER_SEARCHES_PER_HOUR = 2
    client.force_login(users["city"])
    assert client.post("/people/", {"q": person.id_number}, follow=True).status_code == 200
    assert client.get("/people/", {"q": "13800000001"}, follow=True).status_code == 200
    refused = client.post("/people/", {"q": person.id_number})
    assert refused.status_code == 429
    assert "过于频繁" in refused.content.decode()
    assert refused.context["page"].paginator.count == 0
    logs = list(PersonalDataReveal.objects.filter(user=users["city"]))
    assert sorted(log.field for log in logs) == ["search:id_number", "search:phone"]
    for log in logs:
        assert person.id_number not in f"{log.subject_id} {log.subject_label}"
        assert "13800000001" not in f"{log.subject_id} {log.subject_label}"
    # a name search is not a number search
    assert client.get("/people/", {"q": person.name}).status_code == 200


def test_api_id_number_filter_is_counted_and_answers_429(api, users, person, settings):
    settings.PERSONAL_NUMBER_SEARCHES_PER_HOUR = 1
    api.force_authenticate(users["api_read"])
    assert api.get("/api/v1/persons/", {"id_number": person.id_number}).json()["count"] == 1
    response = api.get("/api/v1/persons/", {"id_number": person.id_number})
    assert response.status_code == 429
    assert response.json()["error"]["status"] == 429
    assert PersonalDataReveal.objects.filter(user=users["api_read"], field="search:id_number").exists()
    api.force_authenticate(users["county"])  # roles that see numbers are not counted
    assert api.get("/api/v1/persons/", {"id_number": person.id_number}).json()["count"] == 1


# --- masked values written back ------------------------------------------------------------------


@pytest.mark.parametrize(
    "field,value",
    [
        ("id_number", None),
        ("phone", "13800000001"),
        ("guardian_phone", "13900000002"),
        ("carer_phone", "13700000003"),
        ("note", "联系 13600000004"),
    ],
)
def test_person_masked_value_written_back_keeps_the_stored_one(field, value, api, users, person):
    if value is not None:
        Person.objects.filter(pk=person.pk).update(**{field: value})
    stored = getattr(Person.objects.get(pk=person.pk), field)
    api.force_authenticate(users["api_write"])
    body = api.get(f"/api/v1/persons/{person.pk}/").json()
    assert body[field] != stored  # the client was shown a mask
    response = api.patch(f"/api/v1/persons/{person.pk}/", {field: body[field]}, format="json")
    assert response.status_code == 200, response.json()
    assert getattr(Person.objects.get(pk=person.pk), field) == stored


@pytest.mark.parametrize("field", ["contact_phone", "note"])
def test_household_masked_value_written_back_keeps_the_stored_one(field, api, users, person):
    household = person.household
    stored = getattr(household, field)
    api.force_authenticate(users["api_write"])
    body = api.get(f"/api/v1/households/{household.pk}/").json()
    assert body[field] != stored
    body.pop("members")
    response = api.put(f"/api/v1/households/{household.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    assert getattr(Household.objects.get(pk=household.pk), field) == stored


def test_an_edited_masked_note_keeps_the_numbers_it_did_not_change(api, users, person):
    household = person.household
    stored = household.note  # "户主身份证 <ID>，电话 13800000001"
    api.force_authenticate(users["api_write"])
    shown = api.get(f"/api/v1/households/{household.pk}/").json()["note"]
    assert person.id_number not in shown and "138****0001" in shown
    response = api.patch(
        f"/api/v1/households/{household.pk}/",
        {"note": f"{shown}。已走访，另留电话 13912345678"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Household.objects.get(pk=household.pk).note == f"{stored}。已走访，另留电话 13912345678"


def test_a_masked_number_that_stands_for_none_stored_is_refused(api, users, person):
    household = person.household
    stored = household.note
    api.force_authenticate(users["api_write"])
    shown = api.get(f"/api/v1/households/{household.pk}/").json()["note"]
    changed = shown.replace("138****0001", "138****9999")
    response = api.patch(f"/api/v1/households/{household.pk}/", {"note": changed}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "被遮挡的号码" in error["fields"]["note"][0]
    assert Household.objects.get(pk=household.pk).note == stored


def test_restore_masked_text_puts_numbers_back_in_order():
    from relief.privacy import MaskedWriteRefused, mask_numbers_in_text, restore_masked_text

    stored = "甲 510121193112174250 乙 510121193112184250 电话 13800000001"
    shown = mask_numbers_in_text(stored)  # both IDs have the same mask
    assert restore_masked_text(shown, stored) == stored
    assert restore_masked_text(shown.replace("甲", "丙"), stored) == stored.replace("甲", "丙")
    assert restore_masked_text("只剩 138****0001", stored) == "只剩 13800000001"
    with pytest.raises(MaskedWriteRefused):
        restore_masked_text(shown + " 139****0000", stored)
    typed = "原文就写着 138****0001"  # a mask typed as text long ago stays as it is
    assert restore_masked_text(typed + "。", typed) == typed + "。"


def test_a_masked_client_creating_an_application_never_stores_a_mask(api, users, person):
    """Applications have no update endpoint; a masked client that copies a person's masked ID and
    phone into a new application is refused (a mask is no ID number) and stores nothing."""
    from funds.models import AssistanceApplication

    api.force_authenticate(users["api_write"])
    shown = api.get(f"/api/v1/persons/{person.pk}/").json()
    response = api.post(
        "/api/v1/assistance-applications/",
        {
            "region": "510121001",
            "kind": "urgent",
            "cause": "fire",
            "person": person.pk,
            "applicant_name": person.name,
            "id_number": shown["id_number"],
            "phone": shown["phone"],
            "place": "赵镇",
            "description": "火灾",
            "household_size": 1,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "id_number" in response.json()["error"]["fields"]
    assert not AssistanceApplication.objects.exists()


def test_a_new_value_is_still_written(api, users, person):
    api.force_authenticate(users["api_write"])
    response = api.patch(f"/api/v1/persons/{person.pk}/", {"phone": "13511112222"}, format="json")
    assert response.status_code == 200
    assert Person.objects.get(pk=person.pk).phone == "13511112222"


# --- where a number lives ------------------------------------------------------------------------


def test_conflict_outside_the_region_does_not_say_where(api, users, regions, person):
    other = household_with_head("510129001001")
    api.force_authenticate(users["other_county"])
    response = api.post(
        "/api/v1/persons/", {"household": other.pk, "name": "李", "id_number": person.id_number}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "其他地区" in message and "县级民政部门" in message
    assert "滨河社区" not in message


def test_conflict_inside_the_region_names_the_place(api, users, regions, person):
    second = household_with_head("510121001001")
    api.force_authenticate(users["county"])
    response = api.post(
        "/api/v1/persons/", {"household": second.pk, "name": "李", "id_number": person.id_number}
    )
    assert response.status_code == 400
    assert "滨河社区" in response.json()["error"]["message"]


def test_roster_dry_run_does_not_say_where_outside_the_region(users, regions, person):
    from tests.people.test_imports import roster, run

    rows = {5: ("H001", "东街社区", "王二", "王二", person.id_number, "户主", None, None, None, None)}
    report = run(users["other_county"], roster(rows), commit=False)
    reasons = " ".join(e["reason"] for e in report["errors"])
    assert "其他地区" in reasons and "滨河社区" not in reasons


# --- free text -----------------------------------------------------------------------------------


def test_numbers_typed_into_visit_notes_are_masked_for_officials(api, client, users, person):
    number = make_id_number()
    visit = VisitFactory(household=person.household, needs=f"邻居电话13812345678，身份证{number}")
    for who, masked in (("city", True), ("county", False)):
        api.force_authenticate(users[who])
        client.force_login(users[who])
        texts = api.get(f"/api/v1/visits/{visit.pk}/").content.decode()
        texts += client.get(f"/people/visits/{visit.pk}/").content.decode()
        assert ("13812345678" in texts) is not masked
        assert (number in texts) is not masked
        if masked:
            assert "138****5678" in texts and number[:6] + "********" + number[-4:] in texts


def test_roster_upload_errors_are_masked_for_officials(client, users, regions, person):
    from people.models import RosterUpload
    from relief.models import Job, JobState

    job = Job.objects.create(
        started_by=users["county"],
        region=regions["county"],
        kind="people.roster_import",
        title="预检",
        state=JobState.SUCCEEDED,
        result={
            "error_count": 1,
            "error_rows": 1,
            "errors": [{"row": 5, "name": "王二", "reason": f"身份证号 {person.id_number} 有误"}],
        },
    )
    upload = RosterUpload.objects.create(
        uploaded_by=users["county"], region=regions["county"], dry_run_job=job, original_name="a.xlsx"
    )
    for who, masked in (("province", True), ("county", False)):
        client.force_login(users[who])
        html = client.get(f"/people/roster/import/{upload.pk}/").content.decode()
        assert (person.id_number in html) is not masked
        assert "510121********" in html or not masked
