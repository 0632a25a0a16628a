"""The person-in-charge's mobile and the emergency contacts: masked for officials on the page as in
the API, and a masked value written back through the API keeps the stored one."""

from __future__ import annotations

import pytest

from institutions.models import Institution

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact(institution):
    Institution.objects.filter(pk=institution.pk).update(
        contact_phone="13800000001", emergency_contacts="值班 李四 13900000002"
    )
    return institution


@pytest.mark.parametrize("who,masked", [("province", True), ("city", True), ("county", False)])
def test_institution_page_masks_the_phones_for_officials(who, masked, as_user, users, contact):
    html = as_user(users[who]).get(f"/institutions/{contact.pk}/").content.decode()
    assert ("13800000001" in html) is not masked
    assert ("13900000002" in html) is not masked
    if masked:
        assert "138****0001" in html and "139****0002" in html


@pytest.mark.parametrize("field", ["contact_phone", "emergency_contacts"])
def test_masked_value_written_back_keeps_the_stored_one(field, api, users, contact):
    stored = getattr(Institution.objects.get(pk=contact.pk), field)
    api.force_authenticate(users["api_write"])
    body = api.get(f"/api/v1/institutions/{contact.pk}/").json()
    assert body[field] != stored
    response = api.patch(f"/api/v1/institutions/{contact.pk}/", {field: body[field]}, format="json")
    assert response.status_code == 200, response.json()
    assert getattr(Institution.objects.get(pk=contact.pk), field) == stored
