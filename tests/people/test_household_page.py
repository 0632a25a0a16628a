"""The household page shows payments from funds (through a panel), the change history, and a
logged "show" button for masked numbers."""

from __future__ import annotations

import pytest

from people import services
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db


def test_history_shows_who_changed_what(as_user, users, regions):
    household = household_with_head("510121001001")
    services.household_update(actor=users["county"], household=household, address="金堂县赵镇新街 8 号")
    body = as_user(users["county"]).get(f"/people/households/{household.pk}/").content.decode()
    assert "变更记录" in body
    assert users["county"].get_full_name() in body or users["county"].username in body
    assert "住址" in body or "地址" in body


def test_funds_panel_and_query_count_do_not_grow(as_user, users, regions, django_assert_max_num_queries):
    household = household_with_head("510121001001")
    c = as_user(users["county"])
    body = c.get(f"/people/households/{household.pk}/").content.decode()
    assert 'data-testid="household-chain"' in body
    assert "尚无救助记录" in body
    with django_assert_max_num_queries(30):
        c.get(f"/people/households/{household.pk}/")


def test_officials_see_masked_numbers_with_a_show_button(as_user, users, regions):
    household = household_with_head("510121001001", phone="13912345678")
    body = as_user(users["province"]).get(f"/people/households/{household.pk}/").content.decode()
    assert "13912345678" not in body
    assert "139****5678" in body
    assert f"/reveal/people.person/{household.head.pk}/phone/" in body
    body = as_user(users["county"]).get(f"/people/households/{household.pk}/").content.decode()
    assert "13912345678" in body
