"""Simultaneous edits of one household through the API, on real PostgreSQL connections: the row lock
in the service serialises them, so neither edit is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from people.models import Household
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_editing_different_fields_at_once_lose_nothing(users, regions):
    household = household_with_head("510121001001")
    barrier = threading.Barrier(2)
    results = {}

    def patch(who: str, data: dict) -> None:
        client = APIClient()
        client.force_authenticate(users[who])
        barrier.wait()
        try:
            results[who] = client.patch(
                f"/api/v1/households/{household.pk}/", data, format="json"
            ).status_code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=patch, args=("county", {"address": "赵镇新街 8 号"})),
        threading.Thread(target=patch, args=("township", {"contact_phone": "13700001111"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == {"county": 200, "township": 200}
    household = Household.objects.get(pk=household.pk)
    assert household.address == "赵镇新街 8 号"
    assert household.contact_phone == "13700001111"
    assert household.history.count() >= 3  # created, then one row per edit: who changed what is kept
