"""Schemathesis against /api/v1/schema/, bounded: for every operation a few generated requests, as
a county user with write access. No response may be a 5xx, and every documented response must match
the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

from relief.wsgi import application

pytestmark = pytest.mark.schemathesis
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

MAX_EXAMPLES = 3


@pytest.fixture
def token(users):
    """A write-enabled county user's token. Like Django's test client, keep the test's database
    connection open across requests (the WSGI handler would close it after each one)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield Token.objects.create(user=users["county"]).key
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )
