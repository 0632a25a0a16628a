"""Tasks (待办): alerts become tasks that follow them; a task done by hand while its cause remains
comes back with its original clock; 督办 from above is answered below; the today page and
/api/v1/tasks/ show each user their own work."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from relief.alerts.services import alert_raise, alert_resolve, alerts_escalate_overdue
from relief.alerts.sweeps import SWEEPS, sweep_county
from relief.models import Alert, AlertStatus, Region, Task, TaskState
from relief.todo import services
from tests.conftest import login
from tests.relief.test_sweeps_and_alerts import make_villages, needy_sweep  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.usefixtures("needy_sweep")
def test_a_sweep_makes_one_task_per_alert_and_clearing_the_cause_closes_it_at_once(regions):
    make_villages("510121", 4, needy=2)
    sweep_county("test.needy", "510121")
    tasks = Task.objects.filter(source="alert", kind="test.needy")
    assert tasks.count() == 2
    task = tasks.get(region_id="510121002001")
    alert = task.alert
    assert (task.state, task.due_at, task.assignee_region) == (TaskState.OPEN, alert.due_at, "510121002001")
    assert task.action_url == f"/alerts/{alert.pk}/"  # the test sweep declares no action
    sweep_county("test.needy", "510121")
    assert tasks.count() == 2  # a second sweep makes nothing new

    Region.objects.filter(code="510121002001").update(name="平安村")
    result = sweep_county("test.needy", "510121")
    assert result.resolved == 1
    task.refresh_from_db()
    assert task.state == TaskState.DONE and not task.cause_open and not task.closed_by_hand
    assert task.events.filter(action="cause_cleared").exists()


@pytest.mark.usefixtures("needy_sweep")
def test_done_by_hand_while_the_cause_remains_comes_back_with_its_original_clock(users):
    make_villages("510121", 1, needy=1)
    sweep_county("test.needy", "510121")
    task = Task.objects.get(kind="test.needy")
    # overdue and escalated once before the worker ticks it off
    past = timezone.now() - datetime.timedelta(days=1)
    Alert.objects.filter(pk=task.alert_id).update(due_at=past)
    alerts_escalate_overdue()
    task.refresh_from_db()
    assert task.escalation_level == 1 and task.supervisor_region == "510121002"
    due, level = task.due_at, task.escalation_level

    services.task_complete(actor=users["county"], task=task, note="已处理")
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.closed_by_hand
    assert Alert.objects.get(pk=task.alert_id).status == AlertStatus.RESOLVED  # the alert with it

    result = sweep_county("test.needy", "510121")  # the village is still 困难
    assert (result.raised, result.reopened) == (0, 1)
    task.refresh_from_db()
    alert = Alert.objects.get(pk=task.alert_id)
    assert alert.status == AlertStatus.OPEN
    assert task.state == TaskState.OPEN
    assert (task.due_at, task.escalation_level) == (due, level)  # the clock did not restart
    assert Task.objects.filter(kind="test.needy").count() == 1
    assert task.events.filter(action="reopened").exists()


@pytest.mark.usefixtures("needy_sweep")
def test_an_alert_resolved_by_hand_and_then_cleared_is_forgotten(users):
    make_villages("510121", 1, needy=1)
    sweep_county("test.needy", "510121")
    alert = Alert.objects.get(kind="test.needy")
    alert_resolve(actor=users["county"], alert=alert, note="已处理")
    task = Task.objects.get(alert=alert)
    assert task.state == TaskState.DONE and task.closed_by_hand
    Region.objects.filter(code="510121002001").update(name="平安村")
    sweep_county("test.needy", "510121")
    alert.refresh_from_db()
    assert not alert.cause_open
    # the condition comes back months later: a new alert with a fresh clock
    Region.objects.filter(code="510121002001").update(name="困难村")
    assert sweep_county("test.needy", "510121").raised == 1
    assert Task.objects.filter(kind="test.needy").count() == 2


def test_acknowledging_the_alert_puts_its_task_in_progress(users, regions):
    alert, _ = alert_raise(kind="test.manual", dedup_key="m:1", message="测试", region=regions["village"])
    task = Task.objects.get(alert=alert)
    assert task.state == TaskState.OPEN
    from relief.alerts.services import alert_acknowledge

    alert_acknowledge(actor=users["village"], alert=alert)
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS and task.assignee == users["village"]


def _open_task(region, **kw) -> Task:
    defaults = {
        "source": "need",
        "kind": "temp_assistance",
        "cause_key": f"need:test:{region}",
        "title": "张三：临时救助申请",
        "region": region,
        "due_at": services.due_in_working_days(3),
    }
    defaults.update(kw)
    return services.task_open(**defaults)[0]


def test_a_supervision_from_the_city_is_answered_below_and_the_answer_shows_above(users, client):
    task = _open_task("510121001")
    # a city official (read-only role) cannot complete it, but can 督办
    with pytest.raises(PermissionDenied):
        services.task_complete(actor=users["city"], task=task, note="x")
    child = services.supervise(actor=users["city"], task=task, instruction="请三日内办结", working_days=3)
    assert child.assignee_region == "510121001" and child.parent == task and child.urgent
    # the township sees it on its today page and answers it
    page = login(client, users["township"]).get("/")
    assert "督办：张三：临时救助申请" in page.content.decode()
    services.task_complete(actor=users["township"], task=child, note="已上门核实，已受理申请")
    detail = login(client, users["city"]).get(f"/tasks/{task.pk}/").content.decode()
    assert "已上门核实，已受理申请" in detail
    # nobody supervises sideways or from below
    assert services.supervise_refusal(users["village"], task)
    assert services.supervise_refusal(users["other_county"], task) is not None


def test_a_city_official_supervises_through_the_api_and_a_village_worker_cannot(users, api):
    task = _open_task("510121001")
    api.force_authenticate(users["city"])
    r = api.post(f"/api/v1/tasks/{task.pk}/supervise/", {"instruction": "请三日内办结"}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["title"].startswith("督办：") and Task.objects.filter(parent=task).count() == 1
    # but a city official still completes nothing
    assert api.post(f"/api/v1/tasks/{task.pk}/complete/", {"note": "x"}, format="json").status_code == 403
    own = _open_task("510121001001", cause_key="village")  # the village's own task: seen, not pressed for
    api.force_authenticate(users["village"])
    r = api.post(f"/api/v1/tasks/{own.pk}/supervise/", {"instruction": "x"}, format="json")
    assert r.status_code == 403 and "督办须由" in r.json()["error"]["message"]
    api.force_authenticate(users["other_county"])
    assert (
        api.post(f"/api/v1/tasks/{task.pk}/supervise/", {"instruction": "x"}, format="json").status_code
        == 404
    )


def test_the_api_lists_mine_escalated_due_today_and_overdue(users, api):
    mine = _open_task("510121001", cause_key="a")
    late = _open_task("510121001", cause_key="b", due_at=timezone.now() - datetime.timedelta(hours=1))
    _open_task("510129001", cause_key="c")  # another county
    services.tasks_escalate_overdue()
    api.force_authenticate(users["township"])
    ids = lambda view: {t["id"] for t in api.get("/api/v1/tasks/", {"view": view}).json()["results"]}  # noqa: E731
    assert ids("mine") == {mine.pk, late.pk}
    assert ids("overdue") == set()  # escalation gave it a new due time
    api.force_authenticate(users["county"])
    assert ids("escalated") == {late.pk}
    assert ids("region") == {mine.pk, late.pk}
    response = api.post(f"/api/v1/tasks/{mine.pk}/complete/", {"note": ""}, format="json")
    assert response.status_code == 400
    response = api.post(f"/api/v1/tasks/{mine.pk}/complete/", {"note": "已办"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "done"
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/tasks/{mine.pk}/").status_code == 404


def test_the_today_page_leads_with_the_users_work(users, client, regions):
    _open_task("510121001001", title="李四：发放物资", action_url="/people/", action_label="登记发放")
    page = login(client, users["village"]).get("/").content.decode()
    assert "今日工作" in page and "李四：发放物资" in page and "登记发放" in page
    other = login(client, users["other_county"]).get("/").content.decode()
    assert "李四" not in other


def test_sweeps_declare_where_each_alert_is_answered():
    # every registered sweep of the apps leads to a page that answers it
    missing = [k for k, s in SWEEPS.items() if not k.startswith("test.") and not s.action]
    assert missing == []


def test_an_alert_page_links_its_record_its_task_and_the_action_that_clears_it(users, client):
    from people.services import person_refresh_next_visit
    from tests.people.factories import household_with_head

    household = household_with_head("510121001001", name="周大娘", birth=datetime.date(1936, 1, 1))
    Person = type(household.head)
    Person.objects.filter(pk=household.head_id).update(
        lives_alone=True, created_at=timezone.now() - datetime.timedelta(days=40)
    )
    person_refresh_next_visit(region_code="510121")
    sweep_county("people.visit_overdue", "510121")
    alert = Alert.objects.get(kind="people.visit_overdue")
    page = login(client, users["village"]).get(f"/alerts/{alert.pk}/").content.decode()
    assert f'href="/people/households/{household.pk}/"' in page  # the record
    assert f"/people/persons/{household.head_id}/visit/?task=" in page and "记录探访" in page  # the action
    assert f'href="/tasks/{alert.tasks.get().pk}/"' in page  # its task
    # the one tap lands on the visit form with the person chosen
    action = client.get(f"/people/persons/{household.head_id}/visit/?task=1")
    assert action.status_code == 302 and f"person={household.head_id}" in action["Location"]


def test_a_village_worker_cannot_close_the_countys_task_but_the_county_can_close_the_villages(users):
    county_task = _open_task("510121001001", cause_key="child:county", assignee_region="510121", urgent=True)
    with pytest.raises(PermissionDenied, match="上级办理"):
        services.task_take(actor=users["village"], task=county_task)
    village_task = _open_task("510121001001", cause_key="stove")
    services.task_complete(actor=users["county"], task=village_task, note="县里已协调")
    village_task.refresh_from_db()
    assert village_task.state == TaskState.DONE


def test_a_supervision_closes_with_the_task_it_presses_for(users):
    task = _open_task("510121001", cause_key="sv")
    child = services.supervise(actor=users["county"], task=task, instruction="请尽快办理")
    services.task_complete(actor=users["township"], task=task, note="已办结")
    child.refresh_from_db()
    assert child.state == TaskState.DONE and "督办随之办结" in child.answer


def test_taking_an_alerts_task_signs_for_the_alert_and_it_cannot_be_cancelled(users, regions):
    from django.core.exceptions import ValidationError

    alert, _ = alert_raise(kind="test.manual", dedup_key="m:2", message="测试", region=regions["village"])
    task = Task.objects.get(alert=alert)
    services.task_take(actor=users["village"], task=task)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.assignee == users["village"]
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    alerts_escalate_overdue()  # a later sync of the alert keeps the task in progress
    task.refresh_from_db()
    assert task.state == TaskState.IN_PROGRESS
    with pytest.raises(ValidationError, match="随预警解除"):
        services.task_cancel(actor=users["village"], task=task, note="重复")


def test_the_api_masks_numbers_typed_into_a_tasks_text_for_masked_roles(users, api):
    task = _open_task("510121001", cause_key="num", detail="联系电话 13812345678，身份证 510121193112174250")
    api.force_authenticate(users["province"])
    body = api.get(f"/api/v1/tasks/{task.pk}/").json()
    assert "13812345678" not in body["detail"] and "510121193112174250" not in body["detail"]
    api.force_authenticate(users["county"])
    assert "13812345678" in api.get(f"/api/v1/tasks/{task.pk}/").json()["detail"]


def test_alerts_raised_before_tasks_existed_get_theirs_at_night(regions):
    from relief.todo.tasks import tasks_deadlines_nightly

    alert, _ = alert_raise(kind="test.manual", dedup_key="old:1", message="旧预警", region=regions["village"])
    Task.objects.all().delete()  # as after the upgrade
    assert tasks_deadlines_nightly() >= 1
    assert Task.objects.get(alert=alert).state == TaskState.OPEN
