"""A write sent five times with one idempotency key makes one record, and every repeat gets the first
answer (API: the `Idempotency-Key` header; pages: the hidden `idempotency_key` field)."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from funds.models import AssistanceApplication
from patrols.models import Clue
from people.models import Visit
from relief.models import IdempotencyKey
from tests.people.factories import household_with_head, make_id_number

pytestmark = pytest.mark.django_db


def _five_times(api, url, body):
    key = str(uuid.uuid4())
    return [api.post(url, body, HTTP_IDEMPOTENCY_KEY=key) for _ in range(5)]


def _same_answers(responses):
    first = responses[0]
    assert first.status_code in (200, 201), first.json()
    for r in responses[1:]:
        assert r.status_code == first.status_code
        assert r.json() == first.json()
        assert r["Idempotent-Replayed"] == "true"


def test_five_identical_visits_make_one(api, users, regions):
    household = household_with_head("510121001001")
    api.force_authenticate(users["township"])
    before = Visit.objects.count()
    responses = _five_times(api, "/api/v1/visits/", {"household": household.pk, "kind": "elderly"})
    _same_answers(responses)
    assert Visit.objects.count() == before + 1
    # without a key, a second post is a second visit (the header is what makes it one)
    api.post("/api/v1/visits/", {"household": household.pk, "kind": "elderly"})
    assert Visit.objects.count() == before + 2


def test_five_identical_applications_make_one(api, users, regions):
    api.force_authenticate(users["township"])
    body = {
        "region": "510121001",
        "kind": "urgent",
        "cause": "fire",
        "place": "赵镇",
        "applicant_name": "乙",
        "id_number": make_id_number(),
        "amount_requested": "800.00",
    }
    _same_answers(_five_times(api, "/api/v1/assistance-applications/", body))
    assert AssistanceApplication.objects.count() == 1


def test_five_identical_clues_make_one_and_a_step_runs_once(api, users, regions):
    api.force_authenticate(users["county"])
    reported = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    body = {"region": "510121", "channel": "courier", "place": "南街口", "reported_at": reported}
    responses = _five_times(api, "/api/v1/clues/", body)
    _same_answers(responses)
    assert Clue.objects.count() == 1
    clue = Clue.objects.get()
    from tests.patrols.factories import PatrolTeamFactory

    team = PatrolTeamFactory(region=regions["county"])
    assert api.post(f"/api/v1/clues/{clue.pk}/dispatch/", {"team": team.pk}).status_code == 200
    # the workflow step: five posts of "respond" with one key answer the first result, logged once
    _same_answers(_five_times(api, f"/api/v1/clues/{clue.pk}/respond/", {}))
    assert clue.events.filter(to_state="responded").count() == 1


def test_a_failed_request_keeps_nothing_and_a_key_is_the_users_own(api, users, regions):
    household = household_with_head("510121001001")
    api.force_authenticate(users["township"])
    key = str(uuid.uuid4())
    bad = api.post("/api/v1/visits/", {"household": household.pk, "kind": "nope"}, HTTP_IDEMPOTENCY_KEY=key)
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    ok = api.post("/api/v1/visits/", {"household": household.pk, "kind": "elderly"}, HTTP_IDEMPOTENCY_KEY=key)
    assert ok.status_code == 201
    # the same key on another request: refused, nothing made
    other = api.post("/api/v1/clues/", {"region": "510121"}, HTTP_IDEMPOTENCY_KEY=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    # another user's identical key is theirs: it runs
    api.force_authenticate(users["village"])
    again = api.post(
        "/api/v1/visits/", {"household": household.pk, "kind": "elderly"}, HTTP_IDEMPOTENCY_KEY=key
    )
    assert again.status_code == 201 and again.json()["id"] != ok.json()["id"]


def test_a_visit_form_submitted_five_times_saves_one_visit(as_user, users, regions):
    import re

    household = household_with_head("510121001001")
    client = as_user(users["township"])
    url = f"/people/households/{household.pk}/visits/new/"
    form = client.get(url).content.decode()
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', form).group(1)
    before = Visit.objects.count()
    due = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
    data = {"person": household.head_id, "kind": "general", "channel": "home", "next_visit_due": due}
    data |= {"follow_up": "material", "needs": "煤不够"}
    data["idempotency_key"] = key
    responses = [client.post(url, data) for _ in range(5)]
    assert Visit.objects.count() == before + 1, responses[0].content.decode()[:2000]
    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1


def test_a_workflow_step_posted_five_times_from_a_page_is_taken_once(as_user, users, regions):
    from tests.funds.factories import ApplicationFactory

    application = ApplicationFactory()
    client = as_user(users["township"])
    page = client.get(f"/funds/applications/{application.pk}/").content.decode()
    assert 'name="idempotency_key"' in page
    key = str(uuid.uuid4())
    data = {"step": "reject", "reject-reason": "不符合条件", "idempotency_key": key}
    responses = [client.post(f"/funds/applications/{application.pk}/reject/", data) for _ in range(5)]
    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
    assert application.transitions.filter(to_state="rejected").count() == 1


@pytest.mark.parametrize("form", ["clue", "application"])
def test_create_pages_submitted_five_times_make_one_record(form, as_user, users, regions):
    """A double tap on 提交 (or a resend after a timeout on a weak signal) registers one clue or one
    temporary-assistance application: the form's hidden key is honoured."""
    import re

    if form == "clue":
        client, url, model = as_user(users["county"]), "/patrols/clues/new/", Clue
        data = {"region": regions["county"].code, "channel": "taxi", "place": "北站出口"}
    else:
        client, url, model = as_user(users["township"]), "/funds/applications/new/", AssistanceApplication
        data = {
            "kind": "urgent",
            "cause": "fire",
            "region": "510121001",
            "place": "赵镇滨河路12号",
            "applicant_name": "外地人",
            "id_number": make_id_number("110101"),
            "household_size": 1,
        }
    page = client.get(url).content.decode()
    data["idempotency_key"] = re.search(r'name="idempotency_key" value="([0-9a-f-]{36})"', page).group(1)
    responses = [client.post(url, data) for _ in range(5)]
    assert model.objects.count() == 1, responses[0].content.decode()[:1500]
    assert {r.status_code for r in responses} == {302}
    assert len({r["Location"] for r in responses}) == 1
