"""The people search keeps typed numbers out of URLs (browser history, access logs): the form posts,
the search is kept in the session under letters (`?s=`), its pages page; an old `?q=<number>` link is
moved there. And for masked roles only ID, mobile and landline numbers count as number searches."""

from __future__ import annotations

import re

import pytest

from people.models import Household
from relief.models import Job, PersonalDataReveal
from relief.privacy import number_kind
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

PHONE = "13900000009"


def _digits_of(number: str, url: str) -> list[str]:
    """Every run of 3 or more digits of `number` found in `url`."""
    return [run for run in re.findall(r"\d{3,}", url) if run in number]


def test_a_posted_id_search_lands_on_a_url_without_its_digits(client, users, regions):
    household = household_with_head("510121001001", name="张大山")
    client.force_login(users["county"])
    page = client.get("/people/")
    assert 'method="post"' in page.content.decode() and "csrfmiddlewaretoken" in page.content.decode()
    response = client.post("/people/", {"q": household.head.id_number})
    assert response.status_code == 303
    url = response["Location"]
    assert re.fullmatch(r"/people/\?s=[A-Za-z]+", url), url
    assert not re.search(r"\d", url)
    shown = client.get(url)
    assert shown.status_code == 200 and "张大山" in shown.content.decode()
    assert shown.context["form"]["q"].value() == household.head.id_number  # the form shows the search


def test_an_old_link_with_a_number_is_moved_to_the_kept_search(client, users, regions):
    household = household_with_head("510121001001", name="张大山")
    client.force_login(users["county"])
    response = client.get("/people/", {"q": household.head.id_number})
    assert response.status_code == 303 and not re.search(r"\d", response["Location"])
    assert "张大山" in client.get(response["Location"]).content.decode()
    # a search by name, or by region only, stays a plain link
    assert client.get("/people/", {"q": "张大山"}).status_code == 200


def test_pages_of_a_posted_search_page_and_count_the_search_once(client, users, regions):
    for _ in range(27):
        household_with_head("510121001001", phone=PHONE)
    client.force_login(users["city"])  # masked: a whole-number search, counted and logged
    url = client.post("/people/", {"q": PHONE})["Location"]
    first = client.get(url)
    assert first.context["page"].paginator.count == 27
    assert f"?s={url.split('=')[1]}&page=2" in first.content.decode()
    second = client.get(f"{url}&page=2")
    assert second.status_code == 200 and len(second.context["page"].object_list) == 2
    assert PersonalDataReveal.objects.filter(user=users["city"], field="search:phone").count() == 1


def test_a_kept_search_is_the_users_own_and_expires_to_the_plain_list(client, users, regions):
    household_with_head("510121001001", phone=PHONE)
    household_with_head("510121001001")
    client.force_login(users["county"])
    url = client.post("/people/", {"q": PHONE})["Location"]
    assert client.get(url).context["page"].paginator.count == 1
    client.force_login(users["township"])  # another session knows nothing of the key
    page = client.get(url)
    assert page.status_code == 200 and "该查询已过期" in page.content.decode()
    assert page.context["form"]["q"].value() in (None, "")


def test_the_roster_export_of_a_kept_search_exports_that_search(client, users, regions):
    household_with_head("510121001001", phone=PHONE)
    client.force_login(users["county"])
    key = client.post("/people/", {"q": PHONE})["Location"].split("?")[1]
    response = client.post(f"/people/roster/export/?{key}")
    assert response.status_code == 302
    job = Job.objects.get(kind="people.roster_export")
    assert job.params["filters"]["q"] == PHONE


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("510121193112174250", "id_number"),
        ("13800000001", "phone"),
        ("+86 13800000001", "phone"),
        ("028-84567890", "phone"),
        ("02884567890", "phone"),
        ("84567890", "phone"),
        ("8456789", "phone"),
        ("12345678901", None),  # 11 digits, but no mobile number starts 12
        ("0845678", None),  # a local landline number never starts with 0 or 1
        ("5101210010010001", None),  # a household number of 16 digits
        ("H2024-0001", None),
        ("1380000", None),
        ("张三", None),
    ],
)
def test_what_counts_as_a_phone_search(value, kind):
    assert number_kind(value) == kind


def test_a_household_number_search_is_not_counted_as_a_phone_search(client, users, regions):
    long_number = household_with_head("510121001001")
    Household.objects.filter(pk=long_number.pk).update(household_number="5101210010010001")
    landline_like = household_with_head("510121001001")
    Household.objects.filter(pk=landline_like.pk).update(household_number="20240017")
    client.force_login(users["province"])
    for number in ("5101210010010001", "20240017"):
        found = client.post("/people/", {"q": number}, follow=True)
        assert found.context["page"].paginator.count == 1
    assert not PersonalDataReveal.objects.filter(user=users["province"]).exists()
    client.post("/people/", {"q": "84567890"}, follow=True)  # not a household number: a landline
    assert PersonalDataReveal.objects.filter(user=users["province"], field="search:phone").count() == 1


def _listed(response) -> set[str]:
    return {str(value) for value, _label in response.context["form"].fields["region"].widget.choices if value}


def test_the_region_list_offers_the_two_levels_below_the_users_own(client, users, regions):
    # a province's villages are tens of thousands: a province user picks a city or county (and a
    # village only when a link asks for it); a county user its townships and villages
    client.force_login(users["province"])
    province = _listed(client.get("/people/"))
    assert {"5101", "510121", "510129"} <= province
    assert not province & {"510121001", "510121001001"}
    assert "510121001001" in _listed(client.get("/people/", {"region": "510121001001"}))
    client.force_login(users["county"])
    county = _listed(client.get("/people/"))
    assert {"510121001", "510121001001"} <= county and "510129001001" not in county
    client.force_login(users["village"])
    assert _listed(client.get("/people/")) == {"510121001001"}
