"""The alert and job workflows, table-driven: every state × step × role (and the system).

A step the table allows is offered (`available`) and succeeds, with exactly one log row for alerts;
a step it does not allow is not offered, raises, and changes nothing. The alert page and the job page
show exactly the buttons (`data-step`) of `available`.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from relief.alerts.services import alert_acknowledge, alert_resolve
from relief.alerts.workflows import alert_workflow
from relief.jobs.workflows import job_workflow
from relief.models import Alert, AlertStatus, Job, JobState
from tests.factories import AlertFactory
from tests.workflow_table import ROLES, buttons, undone

pytestmark = pytest.mark.django_db

SYSTEM = "system"  # actor=None
# writers whose region holds the alert (a village of the home county)
ALERT_WRITERS = {"admin", "county", "township", "village", "api_write"}

ALERT_STATES = [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.RESOLVED]
ALERT_TABLE: dict[tuple[str, str], set[str]] = {
    (AlertStatus.OPEN, "acknowledge"): ALERT_WRITERS,
    (AlertStatus.OPEN, "resolve"): ALERT_WRITERS,
    (AlertStatus.ACKNOWLEDGED, "resolve"): ALERT_WRITERS,
    (AlertStatus.OPEN, "auto_resolve"): {SYSTEM},
    (AlertStatus.ACKNOWLEDGED, "auto_resolve"): {SYSTEM},
    (AlertStatus.OPEN, "escalate"): {SYSTEM},  # the alert is overdue and below the province
    (AlertStatus.ACKNOWLEDGED, "escalate"): {SYSTEM},
}
ALERT_TARGET = {
    "acknowledge": AlertStatus.ACKNOWLEDGED,
    "resolve": AlertStatus.RESOLVED,
    "auto_resolve": AlertStatus.RESOLVED,
}
ALERT_LOG = {
    "acknowledge": "acknowledged",
    "resolve": "resolved",
    "auto_resolve": "auto_resolved",
    "escalate": "escalated",
}


def actor_of(users, role: str):
    return None if role == SYSTEM else users[role]


def page_steps(client, url: str) -> set[str] | None:
    """The data-step buttons of a page, or None when the page is not found (404)."""
    response = client.get(url)
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (url, response.status_code)
    return set(buttons(response.content.decode()))


def make_alert(regions, state: str) -> Alert:
    past = timezone.now() - datetime.timedelta(hours=2)
    return AlertFactory(
        region=regions["village"],
        status=state,
        due_at=past,
        resolved_at=timezone.now() if state == AlertStatus.RESOLVED else None,
        message="独居老人逾期未探访",
    )


@pytest.mark.parametrize("role", [*ROLES, SYSTEM])
@pytest.mark.parametrize("state", ALERT_STATES)
def test_alert_workflow_table(users, regions, as_user, state, role):
    alert = make_alert(regions, state)
    actor = actor_of(users, role)
    if role != SYSTEM:
        available = alert_workflow.available_names(alert, actor)
        expected = [step for step in alert_workflow.steps if role in ALERT_TABLE.get((state, step), set())]
        assert available == expected, (state, role)
        shown = page_steps(as_user(actor), f"/alerts/{alert.pk}/")
        if role == "other_county":
            assert shown is None and available == []  # not in their region: not even found
        else:
            assert shown == set(available), (state, role, shown, available)

    before = Alert.objects.filter(pk=alert.pk).values().get()
    for step in alert_workflow.steps:
        allowed = role in ALERT_TABLE.get((state, step), set())
        with undone():
            alert = Alert.objects.get(pk=alert.pk)
            if allowed:
                alert_workflow.run(step, actor=actor, obj=alert, note="已上门核实，送去棉被两床")
                alert.refresh_from_db()
                assert alert.events.count() == 1, step
                event = alert.events.get()
                assert (event.action, event.from_state, event.actor) == (ALERT_LOG[step], state, actor)
                assert event.to_state == alert.status == ALERT_TARGET.get(step, state)
                if step == "acknowledge":
                    assert alert.assignee == actor
                if step in ("resolve", "auto_resolve"):
                    assert alert.resolved_at is not None
                    assert event.comment == "已上门核实，送去棉被两床"
                if step == "escalate":
                    assert alert.escalation_level == 1
                    assert alert.due_at > timezone.now()
                    assert event.comment == "逾期未处理，提级督办（第1级）"
            else:
                with pytest.raises((PermissionDenied, ValidationError)):
                    alert_workflow.run(step, actor=actor, obj=alert, note="已上门核实，送去棉被两床")
                assert Alert.objects.filter(pk=alert.pk).values().get() == before, step
                assert not alert.events.exists(), step


JOB_STATES = ["pending", "running", "stalled", "succeeded", "failed", "lost"]
RETRYABLE = {"stalled", "failed", "lost"}


def make_job(users, state: str, owner) -> Job:
    now = timezone.now()
    old = now - datetime.timedelta(hours=1)
    running = state in ("running", "stalled")
    return Job.objects.create(
        kind="relief.regions_export",
        title="导出行政区划",
        started_by=owner,
        region=owner.region if owner else None,
        state=JobState.RUNNING if running else state,
        started_at=old if state != "pending" else None,
        heartbeat_at=(now if state == "running" else old) if state != "pending" else None,
        finished_at=old if state in ("succeeded", "failed", "lost") else None,
        error="失败" if state in ("failed", "lost") else "",
        progress_done=3,
        progress_total=10,
        attempts=1,
    )


def job_allowed(state: str, step: str, role: str, owner_role: str) -> bool:
    if step == "retry":  # the owner or an administrator, whatever their role
        return state in RETRYABLE and role in ("admin", owner_role)
    if step == "mark_lost":  # the watchdog only, and only when the worker stopped reporting
        return state == "stalled" and role == SYSTEM
    raise AssertionError(step)


@pytest.mark.parametrize("owner", ["own", "county"])
@pytest.mark.parametrize("role", [*ROLES, SYSTEM])
@pytest.mark.parametrize("state", JOB_STATES)
def test_job_workflow_table(users, as_user, state, role, owner):
    owner_role = role if owner == "own" and role != SYSTEM else "county"
    job = make_job(users, state, users[owner_role])
    actor = actor_of(users, role)
    if role != SYSTEM:
        available = job_workflow.available_names(job, actor)
        expected = [step for step in job_workflow.steps if job_allowed(state, step, role, owner_role)]
        assert available == expected, (state, role, owner)
        shown = page_steps(as_user(actor), f"/jobs/{job.pk}/")
        if role in ("admin", owner_role):
            assert shown == set(available)
        else:
            assert shown is None and available == []  # someone else's job: not found

    before = Job.objects.filter(pk=job.pk).values().get()
    for step in job_workflow.steps:
        with undone():
            job = Job.objects.get(pk=job.pk)
            if job_allowed(state, step, role, owner_role):
                job_workflow.run(step, actor=actor, obj=job)
                job.refresh_from_db()
                if step == "retry":
                    assert job.state == JobState.PENDING
                    assert (job.error, job.progress_done, job.heartbeat_at, job.finished_at) == (
                        "",
                        0,
                        None,
                        None,
                    )
                else:
                    assert job.state == JobState.LOST
                    assert "停止响应" in job.error
            else:
                with pytest.raises((PermissionDenied, ValidationError)):
                    job_workflow.run(step, actor=actor, obj=job)
                assert Job.objects.filter(pk=job.pk).values().get() == before, step


def test_read_only_officials_cannot_handle_alerts_through_the_services(users, regions):
    """The bug: the services checked the region but not the role, so a city or province official (or
    a read-only API client) could acknowledge or resolve an alert without the page or the API."""
    alert = make_alert(regions, AlertStatus.OPEN)
    for who in ("province", "city", "api_read"):
        with pytest.raises(PermissionDenied):
            alert_acknowledge(actor=users[who], alert=alert, note="已阅")
        with pytest.raises(PermissionDenied):
            alert_resolve(actor=users[who], alert=alert, note="已处理")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.assignee is None
    assert not alert.events.exists()
    alert_acknowledge(actor=users["village"], alert=alert, note="已联系")
    assert list(alert.events.values_list("action", "actor__username")) == [("acknowledged", "t-village")]


def test_the_system_resolves_an_alert_once_and_quietly_after(users, regions):
    """alert_resolve(actor=None) (a condition cleared: a hazard closed) leaves a resolved alert as
    it is, as before; a person resolving it again is told it is resolved."""
    alert = make_alert(regions, AlertStatus.OPEN)
    alert_resolve(actor=None, alert=alert, note="隐患已整改销号")
    assert alert_resolve(actor=None, alert=alert, note="隐患已整改销号").status == AlertStatus.RESOLVED
    assert list(alert.events.values_list("action", "from_state", "to_state")) == [
        ("auto_resolved", "open", "resolved")
    ]
    with pytest.raises(ValidationError, match="该预警已解除"):
        alert_resolve(actor=users["county"], alert=alert, note="再次解除")
