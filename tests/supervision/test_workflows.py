"""The finding and trip workflows as tables: every state × every step × every role. A step among
`available(obj, user)` succeeds with valid inputs and writes one log row; any other is refused and
nothing changes; the page shows exactly the available steps' buttons. The supervising side (the
city, the province above it, an administrator) accepts and sends back; the region visited (its
county staff, a writing API client of the county, an administrator) answers."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from supervision import services
from supervision.models import Finding, FindingEvent, FindingState, SupervisionTrip, TripEvent, TripState
from supervision.workflows import finding_workflow, trip_workflow
from tests.supervision.factories import issued, make_finding, make_trip
from tests.workflow_table import ROLES, buttons, undone

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings(users):
    city, county = users["city"], users["county"]
    _trip, (open_, answered, accepted) = issued(city, n=3)
    for f in (answered, accepted):
        services.finding_answer(actor=county, finding=f, comment="已整改")
    services.finding_accept(actor=city, finding=accepted)
    other, (left,) = issued(city, n=1)
    services.trip_close(actor=city, trip=other, comment="转入年度考核")
    return {
        FindingState.OPEN: Finding.objects.get(pk=open_.pk),
        FindingState.ANSWERED: Finding.objects.get(pk=answered.pk),
        FindingState.CLOSED: Finding.objects.get(pk=accepted.pk),
        FindingState.CLOSED_BY_TRIP: Finding.objects.get(pk=left.pk),
    }


FINDING_INPUTS = {
    "answer": {"comment": "已整改到位"},
    "accept": {"comment": ""},
    "send_back": {"comment": "缺台账"},
}


def _log(model, **fk) -> list:
    return list(model.objects.filter(**fk).values_list("action", "from_state", "to_state"))


def test_every_finding_state_step_and_role(users, findings):
    taken = refused = 0
    for state, finding in findings.items():
        assert finding.state == state
        for role in ROLES:
            user = users[role]
            available = finding_workflow.available_names(finding, user)
            for name, step in finding_workflow.steps.items():
                with undone():
                    before = _log(FindingEvent, finding=finding)
                    if name in available:
                        finding_workflow.run(name, actor=user, obj=finding, **FINDING_INPUTS[name])
                        after = _log(FindingEvent, finding=finding)
                        assert after[:-1] == before and after[-1] == (name, state, step.target), (
                            state,
                            name,
                            role,
                        )
                        taken += 1
                    else:
                        with pytest.raises((ValidationError, PermissionDenied)):
                            finding_workflow.run(name, actor=user, obj=finding, **FINDING_INPUTS[name])
                        assert Finding.objects.get(pk=finding.pk).state == state
                        assert _log(FindingEvent, finding=finding) == before
                        refused += 1
    assert taken and refused


def test_who_may_take_which_finding_step(users, findings):
    def who(state, step):
        return {r for r in ROLES if step in finding_workflow.available_names(findings[state], users[r])}

    assert who(FindingState.OPEN, "answer") == {"county", "api_write", "admin"}
    assert who(FindingState.ANSWERED, "accept") == {"city", "province", "admin"}
    assert who(FindingState.ANSWERED, "send_back") == {"city", "province", "admin"}
    for state in (FindingState.CLOSED, FindingState.CLOSED_BY_TRIP):
        assert not any(finding_workflow.available_names(findings[state], users[r]) for r in ROLES)


def test_the_finding_page_shows_exactly_the_available_steps(users, findings, as_user):
    for finding in findings.values():
        for role in ("admin", "province", "city", "county", "township", "village"):
            user = users[role]
            page = as_user(user).get(f"/supervision/findings/{finding.pk}/")
            if page.status_code == 404:
                assert role in ("township", "village")  # below the region visited
                continue
            assert buttons(page.content.decode()) == finding_workflow.available_names(finding, user), (
                finding.state,
                role,
            )


def test_every_trip_state_step_and_role(users):
    city = users["city"]
    trips = {
        TripState.PLANNED: make_trip(city, start=False),
        TripState.IN_PROGRESS: make_trip(city),
        TripState.ISSUED: issued(city, n=0)[0],
    }
    closed = issued(city, n=0)[0]
    trips[TripState.CLOSED] = services.trip_close(actor=city, trip=closed)
    make_finding(city, trips[TripState.IN_PROGRESS])
    allowed = set()
    for state, trip in trips.items():
        for role in ROLES:
            user = users[role]
            available = trip_workflow.available_names(trip, user)
            for name, step in trip_workflow.steps.items():
                with undone():
                    before = _log(TripEvent, trip=trip)
                    if name in available:
                        trip_workflow.run(name, actor=user, obj=trip, comment="")
                        assert SupervisionTrip.objects.get(pk=trip.pk).state == step.target
                        allowed.add((state, name, role))
                    else:
                        with pytest.raises((ValidationError, PermissionDenied)):
                            trip_workflow.run(name, actor=user, obj=trip, comment="")
                        assert SupervisionTrip.objects.get(pk=trip.pk).state == state
                        assert _log(TripEvent, trip=trip) == before
    supervisors = {"city", "province", "admin"}
    assert {r for s, n, r in allowed if (s, n) == (TripState.PLANNED, "start")} == supervisors
    assert {r for s, n, r in allowed if (s, n) == (TripState.IN_PROGRESS, "issue")} == supervisors
    assert {r for s, n, r in allowed if (s, n) == (TripState.ISSUED, "close")} == supervisors
    assert not any(s == TripState.CLOSED for s, _n, _r in allowed)
