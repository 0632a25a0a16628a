"""A household edited on two devices (one of them offline, its form sent from the outbox hours
later): what the other changed meanwhile is never silently overwritten. A field only one of them
changed takes that change; the same field changed by both is a conflict the second must resolve."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse

from people.models import Household

pytestmark = pytest.mark.django_db


def _form(client, household) -> dict:
    """The edit form as drawn: its values and its hidden base, ready to post."""
    html = client.get(reverse("people:household-edit", args=[household.pk])).content.decode()
    base = re.search(r'name="edit_base" value="([^"]+)"', html).group(1)
    return {
        "edit_base": base,
        "idempotency_key": str(uuid.uuid4()),
        "region": household.region_id,
        "household_number": household.household_number,
        "address": household.address,
        "contact_phone": household.contact_phone,
        "heating_type": household.heating_type,
        "housing_condition": household.housing_condition,
        "monthly_income": household.monthly_income,
        "expense_medical": household.expense_medical,
        "expense_education": household.expense_education,
        "expense_heating": household.expense_heating,
        "expense_disaster": household.expense_disaster,
        "note": household.note,
    }


@pytest.fixture
def two_devices(as_user, users, home_household):
    """The village worker's form drawn (then the device goes offline); the township saves meanwhile."""
    Household.objects.filter(pk=home_household.pk).update(address="旧地址1号", heating_type="coal")
    home_household.refresh_from_db()
    offline_form = _form(as_user(users["village"]), home_household)
    township = as_user(users["township"])
    return offline_form, _form(township, home_household), township


def _post(client, household, data):
    return client.post(reverse("people:household-edit", args=[household.pk]), data)


def test_a_field_only_the_other_changed_is_kept(two_devices, as_user, users, home_household):
    offline_form, theirs, township = two_devices
    assert _post(township, home_household, theirs | {"address": "新地址2号"}).status_code == 302
    village = as_user(users["village"])
    response = _post(village, home_household, offline_form | {"heating_type": "electric"})
    assert response.status_code == 302
    home_household.refresh_from_db()
    assert (home_household.address, home_household.heating_type) == ("新地址2号", "electric")


def test_the_same_field_changed_by_both_is_a_conflict_to_resolve(two_devices, as_user, users, home_household):
    offline_form, theirs, township = two_devices
    _post(township, home_household, theirs | {"address": "新地址2号"})
    village = as_user(users["village"])
    mine = offline_form | {"address": "村里填的3号", "heating_type": "electric"}
    response = _post(village, home_household, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="conflict-address"' in html and "新地址2号" in html and "村里填的3号" in html
    assert 'data-testid="conflict-heating_type"' not in html  # only one of them changed it
    home_household.refresh_from_db()
    assert (home_household.address, home_household.heating_type) == ("新地址2号", "coal")  # nothing saved

    # sent again (the form as re-drawn: the same base, a choice per field)
    base = re.search(r'name="edit_base" value="([^"]+)"', html).group(1)
    assert base == offline_form["edit_base"]
    kept = _post(village, home_household, mine | {"edit_base": base, "resolve_address": "theirs"})
    assert kept.status_code == 302
    home_household.refresh_from_db()
    assert (home_household.address, home_household.heating_type) == ("新地址2号", "electric")


def test_choosing_mine_saves_mine(two_devices, as_user, users, home_household):
    offline_form, theirs, township = two_devices
    _post(township, home_household, theirs | {"address": "新地址2号"})
    village = as_user(users["village"])
    mine = offline_form | {"address": "村里填的3号", "resolve_address": "mine"}
    assert _post(village, home_household, mine).status_code == 302
    home_household.refresh_from_db()
    assert home_household.address == "村里填的3号"


def test_the_same_change_on_both_devices_is_no_conflict(two_devices, as_user, users, home_household):
    offline_form, theirs, township = two_devices
    _post(township, home_household, theirs | {"address": "新地址2号"})
    village = as_user(users["village"])
    assert _post(village, home_household, offline_form | {"address": "新地址2号"}).status_code == 302


def test_the_outbox_resending_a_saved_edit_changes_nothing_more(two_devices, as_user, users, home_household):
    offline_form, _theirs, _township = two_devices
    village = as_user(users["village"])
    data = offline_form | {"address": "村里填的3号"}
    first = _post(village, home_household, data)
    again = _post(village, home_household, data)  # the same key: answered as the first
    assert first.status_code == again.status_code == 302 and first["Location"] == again["Location"]
    home_household.refresh_from_db()
    assert home_household.address == "村里填的3号"
    assert home_household.history.filter(address="村里填的3号").count() == 1


def test_a_form_without_a_base_saves_as_before(as_user, users, home_household):
    client = as_user(users["village"])
    data = _form(client, home_household)
    data.pop("edit_base")
    assert _post(client, home_household, data | {"address": "别处4号"}).status_code == 302
    home_household.refresh_from_db()
    assert home_household.address == "别处4号"
