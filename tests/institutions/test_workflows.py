"""The hazard workflow as a table: every state × every step × every role.

For each: when the step is among `hazard_workflow.available(hazard, user)`, taking it (with valid
inputs) succeeds and writes exactly one transition; otherwise it is refused (ValidationError or
PermissionDenied) and nothing changes. The hazard's page shows exactly the available steps' buttons.
Each hazard is written directly in its state; every attempt is rolled back to a savepoint.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from institutions.models import Hazard, HazardState, HazardTransition
from institutions.workflows import hazard_workflow
from tests.institutions.factories import HazardFactory, evidence
from tests.workflow_table import ROLES, buttons, undone

pytestmark = pytest.mark.django_db


@pytest.fixture
def hazards(users, institution):
    """A hazard in each state. The township user owns the work and asked for the extension; the
    county user verified and closed."""
    township, county, now = users["township"], users["county"], timezone.now()
    owned = {"owner": township, "measures": "更换线路", "funds": Decimal("300")}
    return {
        HazardState.OPEN: HazardFactory(institution=institution),
        HazardState.RECTIFYING: HazardFactory(institution=institution, state=HazardState.RECTIFYING, **owned),
        HazardState.EXTENSION_REQUESTED: HazardFactory(
            institution=institution,
            state=HazardState.EXTENSION_REQUESTED,
            extension_deadline=timezone.localdate() + datetime.timedelta(days=30),
            extension_reason="大雪封路",
            extension_requested_by=township,
            **owned,
        ),
        HazardState.RECTIFIED: HazardFactory(
            institution=institution, state=HazardState.RECTIFIED, evidence="institutions/x.jpg", **owned
        ),
        HazardState.VERIFIED: HazardFactory(
            institution=institution, state=HazardState.VERIFIED, verified_by=county, verified_at=now, **owned
        ),
        HazardState.CLOSED: HazardFactory(
            institution=institution,
            state=HazardState.CLOSED,
            verified_by=county,
            verified_at=now,
            closed_by=county,
            closed_at=now,
            **owned,
        ),
    }


def valid_inputs(step: str, hazard: Hazard, users) -> dict:
    return {
        "start": lambda: {"owner": users["township"], "measures": "重新布线", "funds": Decimal("800")},
        "request_extension": lambda: {
            "new_deadline": hazard.deadline + datetime.timedelta(days=10),
            "reason": "暴雪停工",
        },
        "approve_extension": lambda: {"comment": ""},
        "refuse_extension": lambda: {"comment": "可先临时处置"},
        "rectify": lambda: {"evidence": evidence(), "comment": "已整改"},
        "verify": lambda: {},
        "reject": lambda: {"comment": "线路仍裸露"},
        "close": lambda: {"comment": "销号"},
    }[step]()


def _log(hazard: Hazard) -> list:
    return list(
        HazardTransition.objects.filter(hazard=hazard).values_list("action", "from_state", "to_state")
    )


def test_every_state_step_and_role(users, hazards):
    taken = refused = 0
    for state, hazard in hazards.items():
        for role in ROLES:
            user = users[role]
            available = hazard_workflow.available_names(hazard, user)
            for name, step in hazard_workflow.steps.items():
                where = (state, name, role)
                with undone():
                    before = _log(hazard)
                    if name in available:
                        done = hazard_workflow.run(
                            name, actor=user, obj=hazard, **valid_inputs(name, hazard, users)
                        )
                        after = _log(hazard)
                        assert after[:-1] == before and after[-1] == (name, state, step.target or state), (
                            where
                        )
                        assert Hazard.objects.get(pk=hazard.pk).state == done.state == (step.target or state)
                        taken += 1
                    else:
                        with pytest.raises((ValidationError, PermissionDenied)):
                            hazard_workflow.run(
                                name, actor=user, obj=hazard, **valid_inputs(name, hazard, users)
                            )
                        assert Hazard.objects.get(pk=hazard.pk).state == state, where
                        assert _log(hazard) == before, where
                        refused += 1
    assert taken and refused
    assert taken + refused == len(hazards) * len(ROLES) * len(hazard_workflow.steps)


def test_who_may_take_which_step(users, hazards):
    """The table above, spelled out where it matters: the second pair of eyes, scope and roles."""

    def names(state, role):
        return hazard_workflow.available_names(hazards[state], users[role])

    assert names(HazardState.OPEN, "county") == ["start"]
    assert names(HazardState.RECTIFYING, "township") == ["request_extension", "rectify"]
    # The applicant does not decide their own extension; the owner neither verifies nor closes.
    assert names(HazardState.EXTENSION_REQUESTED, "township") == []
    assert names(HazardState.EXTENSION_REQUESTED, "county") == ["approve_extension", "refuse_extension"]
    assert names(HazardState.RECTIFIED, "township") == []
    assert names(HazardState.RECTIFIED, "county") == ["verify", "reject"]
    assert names(HazardState.VERIFIED, "township") == []
    assert names(HazardState.VERIFIED, "api_write") == ["close"]
    assert names(HazardState.CLOSED, "admin") == []
    for role in ("province", "city", "api_read", "village", "other_county"):
        assert names(HazardState.OPEN, role) == [], role


def test_detail_page_shows_exactly_the_available_buttons(users, hazards, as_user):
    for role in ROLES:
        user, client = users[role], as_user(users[role])
        for state, hazard in hazards.items():
            resp = client.get(reverse("institutions:hazard-detail", args=[hazard.pk]))
            available = hazard_workflow.available_names(hazard, user)
            if resp.status_code == 404:  # outside the user's region
                assert available == [], (state, role)
                continue
            assert resp.status_code == 200
            html = resp.content.decode()
            assert buttons(html) == available, (state, role)
            if role == "township" and state in (HazardState.RECTIFIED, HazardState.VERIFIED):
                assert "验收通过" not in html and 'data-step="close"' not in html


def test_ledger_buttons_follow_the_workflow(users, hazards, as_user):
    html = as_user(users["township"]).get(reverse("institutions:hazard-list")).content.decode()
    assert 'data-step="verify"' not in html and 'data-step="close"' not in html  # the owner's own work
    html = as_user(users["county"]).get(reverse("institutions:hazard-list")).content.decode()
    assert (
        'data-step="verify"' in html
        and 'data-step="close"' in html
        and 'data-step="approve_extension"' in html
    )
    html = as_user(users["city"]).get(reverse("institutions:hazard-list")).content.decode()
    assert "data-step" not in html


def test_api_shows_available_actions(api, users, hazards):
    api.force_authenticate(users["township"])
    body = api.get(reverse("api:hazard-detail", args=[hazards[HazardState.RECTIFYING].pk])).json()
    assert [a["name"] for a in body["available_actions"]] == ["request_extension", "rectify"]
    assert body["available_actions"][1]["label"] == "整改完成"
    body = api.get(reverse("api:hazard-detail", args=[hazards[HazardState.RECTIFIED].pk])).json()
    assert body["available_actions"] == []
    api.force_authenticate(users["county"])
    rows = api.get(reverse("api:hazard-list")).json()["results"]
    assert {r["state"]: [a["name"] for a in r["available_actions"]] for r in rows}["rectified"] == [
        "verify",
        "reject",
    ]


def test_generated_actions_keep_their_urls(api, users, hazards):
    """Each step has its own action (approve-extension, reject, ...) beside the combined ones."""
    api.force_authenticate(users["county"])
    hazard = hazards[HazardState.RECTIFIED]
    resp = api.post(reverse("api:hazard-reject", args=[hazard.pk]), {"comment": "未整改到位"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "rectifying"
    hazard = hazards[HazardState.EXTENSION_REQUESTED]
    resp = api.post(reverse("api:hazard-refuse-extension", args=[hazard.pk]), {})
    assert resp.status_code == 400 and "说明理由" in resp.json()["error"]["message"]
    resp = api.post(reverse("api:hazard-approve-extension", args=[hazard.pk]), {})
    assert resp.status_code == 200 and resp.json()["deadline"] == str(hazard.extension_deadline)
    assert _log(hazard)[-1] == ("approve_extension", "extension_requested", "rectifying")
