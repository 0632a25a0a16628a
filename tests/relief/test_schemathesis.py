"""Schemathesis against /api/v1/schema/, bounded, with every check (`--checks all`): for every
operation a few generated requests, then the stateful phase (sequences of calls linked by the ids one
returns and the next takes), each as two callers: county staff, who see personal numbers in full, and a
write-enabled API client, who sees them masked. No response may be a 5xx, and every response must be
one the schema documents, in the shape it documents."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from rest_framework.authtoken.models import Token
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from relief.wsgi import application

pytestmark = pytest.mark.schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value) -> bytes:
    """exchange/batches/ takes JSON lines: a generated body is sent as its text."""
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)

MAX_EXAMPLES = 3
STATEFUL_EXAMPLES = 5
STATEFUL_STEPS = 8
CALLERS = ["county", "api_write"]  # unmasked, masked

# Every built-in check runs; positive_data_acceptance in a narrowed form, for reasons a JSON schema
# cannot carry:
# - positive_data_acceptance on reads only. A write's body names other records by id (household,
#   region, institution, stock...) and is held to business rules (one payment per person, cause and
#   year; a step only from its states; amounts within a program's standard); a generated body that
#   fits the schema names ids that do not exist or breaks such a rule, and is rightly refused with the
#   documented 400. Query parameters have no such rules: every value the schema allows is accepted.
# negative_data_rejection runs as it is: every FilterSet parameter follows relief/api/filters.py
# (booleans true/false/1/0, no empty dates, ids or numbers), and so does the dashboard's `live` flag.
KNOWN_GAPS = {"positive_data_acceptance"}


@schemathesis.check
def positive_data_acceptance_of_reads(ctx, response, case):
    if case.method.upper() != "GET":
        return None
    return positive_data_acceptance(ctx, response, case)


load_all_checks()
EXCLUDED = [check for check in CHECKS.get_all() if getattr(check, "__name__", "") in KNOWN_GAPS]
assert len(EXCLUDED) == len(KNOWN_GAPS)
# In a sequence the WSGI transport keeps the cookies earlier responses set, so ignored_auth (drop the
# token, expect 401) sees a request that still carries a session: it runs in the stateless test only.
STATEFUL_EXCLUDED = EXCLUDED + [
    check for check in CHECKS.get_all() if getattr(check, "__name__", "") == "ignored_auth"
]


@pytest.fixture
def keep_connection():
    """Like Django's test client, keep the test's database connection open across requests (the WSGI
    handler would close it after each one)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=CALLERS)
def token(request, users, keep_connection):
    return Token.objects.create(user=users[request.param]).key


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case, token):
    # checks=None: every built-in check the configuration enables, which by default is all of them
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=EXCLUDED)


@pytest.mark.django_db
@pytest.mark.parametrize("who", CALLERS)
def test_api_sequences_conform_to_its_schema(who, users, keep_connection):
    key = Token.objects.create(user=users[who]).key

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {key}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=STATEFUL_EXCLUDED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
