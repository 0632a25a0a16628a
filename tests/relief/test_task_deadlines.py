"""Workflow deadlines as tasks: an application waiting for the county's approval is the county's
task with the policy's working-day deadline, and taking the step closes it at once; a rectified
hazard is the county's to verify."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from funds.models import AppStatus
from funds.workflows import application_workflow
from relief.models import Task, TaskState
from relief.todo.deadlines import follow_all
from relief.workdays import add_working_days
from tests.conftest import login
from tests.funds.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_a_filed_application_is_the_townships_to_review_then_the_countys_to_approve(users, client):
    app = ApplicationFactory(kind="expense")
    task = Task.objects.get(source="deadline", subject_id=str(app.pk))
    assert task.kind == "funds.application.review" and task.assignee_region == "510121001"
    # in local time (Asia/Shanghai): after 16:00 UTC it is already the next day there
    due = add_working_days(timezone.localdate(app.submitted_at), 15).date
    assert timezone.localtime(task.due_at).date() == due
    assert task.action_url == f"/funds/applications/{app.pk}/"

    application_workflow.run("review", actor=users["township"], obj=app, amount=D("5000"), comment="入户")
    task.refresh_from_db()
    assert task.state == TaskState.DONE and not task.closed_by_hand  # closed by the step, at once
    county = Task.objects.live().get(subject_id=str(app.pk))
    assert county.kind == "funds.application.approve.county" and county.assignee_region == "510121"
    assert county.due_at == task.due_at  # the same decision deadline
    page = login(client, users["county"]).get("/").content.decode()
    assert "临时救助待县级审批" in page and "审批" in page


def test_ticked_off_by_hand_while_still_waiting_comes_back_with_its_deadline(users):
    app = ApplicationFactory(kind="expense")
    task = Task.objects.get(subject_id=str(app.pk))
    from relief.todo.services import task_complete

    task_complete(actor=users["township"], task=task, note="已联系")
    follow_all("510121")
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert Task.objects.filter(subject_id=str(app.pk)).count() == 1


def test_follow_all_makes_the_tasks_of_records_that_predate_them(users):
    app = ApplicationFactory(kind="expense", status=AppStatus.SUBMITTED)
    Task.objects.all().delete()
    assert follow_all("510121") >= 1
    assert Task.objects.live().filter(subject_id=str(app.pk)).count() == 1


def test_the_nightly_follow_keeps_an_escalated_deadline_task_s_new_due_time(users):
    """An overdue deadline task is escalated one level with a new due time; the nightly follow_all
    must not put its original (past) deadline back, or it is escalated again every night."""
    import datetime

    from relief.todo.services import tasks_escalate_overdue

    app = ApplicationFactory(kind="expense")
    type(app).objects.filter(pk=app.pk).update(submitted_at=timezone.now() - datetime.timedelta(days=60))
    follow_all("510121")  # its review deadline (15 working days after filing) has passed
    task = Task.objects.get(subject_id=str(app.pk))
    assert task.due_at < timezone.now()
    assert tasks_escalate_overdue() == 1
    task.refresh_from_db()
    escalated_due = task.due_at
    assert task.escalation_level == 1 and escalated_due > timezone.now()
    follow_all("510121")
    task.refresh_from_db()
    assert task.due_at == escalated_due
    assert tasks_escalate_overdue() == 0, "not escalated again the next night"
    assert Task.objects.get(pk=task.pk).escalation_level == 1
