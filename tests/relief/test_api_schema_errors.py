"""The schema documents the API's error responses, and the API answers errors in that shape."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_every_operation_documents_its_error_responses():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "Error" in schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("400", "401", "403", "404", "429"):
                assert status in operation["responses"], (method, path, status)


def test_an_api_address_that_matches_no_route_answers_json(client, users):
    client.force_login(users["county"])
    response = client.post("/api/v1/alerts/0.5/resolve/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "text/html" in client.get("/no-such-page/")["Content-Type"]


def test_page_size_that_is_not_an_integer_is_refused(client, users):
    client.force_login(users["county"])
    response = client.get("/api/v1/regions/?page_size=abc")
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]
    assert client.get("/api/v1/regions/?page_size=5").status_code == 200
