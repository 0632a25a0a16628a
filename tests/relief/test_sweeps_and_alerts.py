"""The sweep mechanism (set-based, per county, idempotent, self-resolving) and the alert inbox."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import CharField, F, Value
from django.db.models.functions import Concat
from django.utils import timezone

from relief.alerts.services import alerts_escalate_overdue, sweep_start
from relief.alerts.sweeps import SWEEPS, Sweep, register, sweep_county
from relief.models import Alert, AlertStatus, Job, JobState, Region
from tests.factories import AlertFactory, region

pytestmark = pytest.mark.django_db


def needy_villages(county_code: str, today: datetime.date):
    """A stand-in sweep: every village of the county whose name contains 困难."""
    return Region.objects.filter(level=5, code__startswith=county_code, name__contains="困难").annotate(
        dedup_key=Concat(Value("test.needy:"), F("code"), output_field=CharField()),
        region_code=F("code"),
        message=Concat(Value("村 "), F("name"), Value(" 需要关注"), output_field=CharField()),
        subject_id=F("code"),
        subject_label=F("name"),
    )


@pytest.fixture
def needy_sweep():
    register(
        Sweep(kind="test.needy", label="测试监测", findings=needy_villages, subject_model="relief.Region")
    )
    yield
    SWEEPS.pop("test.needy")


def make_villages(county: str, n: int, needy: int) -> None:
    region(county)
    region(f"{county}002")
    for i in range(n):
        name = f"困难{i}村" if i < needy else f"平安{i}村"
        Region.objects.create(code=f"{county}002{i + 1:03d}", name=name, level=5, parent_id=f"{county}002")


def test_sweep_raises_once_and_resolves_when_condition_clears(needy_sweep, regions):
    make_villages("510121", 10, needy=3)
    make_villages("510129", 5, needy=2)
    first = sweep_county("test.needy", "510121")
    assert (first.raised, first.resolved) == (3, 0)
    alerts = Alert.objects.filter(kind="test.needy")
    assert alerts.count() == 3  # only this county
    assert set(alerts.values_list("region__code", flat=True)) == {
        "510121002001",
        "510121002002",
        "510121002003",
    }
    alert = alerts.get(region_id="510121002001")
    assert alert.message == "村 困难0村 需要关注"
    assert alert.subject == Region.objects.get(code="510121002001")
    assert alert.due_at > timezone.now() + datetime.timedelta(days=2)
    assert list(alert.events.values_list("action", flat=True)) == ["raised"]

    again = sweep_county("test.needy", "510121")
    assert (again.raised, again.resolved) == (0, 0)  # idempotent
    assert Alert.objects.filter(kind="test.needy").count() == 3

    Region.objects.filter(code="510121002001").update(name="已脱困村")
    cleared = sweep_county("test.needy", "510121")
    assert (cleared.raised, cleared.resolved) == (0, 1)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert list(alert.events.values_list("action", flat=True)) == ["raised", "auto_resolved"]

    Region.objects.filter(code="510121002001").update(name="又困难了村")
    assert sweep_county("test.needy", "510121").raised == 1  # a new alert; the old one's history stays
    assert Alert.objects.filter(region_id="510121002001", kind="test.needy").count() == 2


def test_sweep_query_count_does_not_grow_with_people(needy_sweep, regions):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_villages("510121", 5, needy=5)
    make_villages("510129", 150, needy=150)
    sweep_county("test.needy", "14")  # warm the content-type cache
    with CaptureQueriesContext(connection) as small:
        assert sweep_county("test.needy", "510121").raised == 5
    with CaptureQueriesContext(connection) as large:
        assert sweep_county("test.needy", "510129").raised == 150
    # policy value, reopen, raise, resolve, the alerts' tasks (two statements and the 督办 on the
    # tasks closed), savepoints; the watermark (relief/alerts/delta.py): its row made and locked,
    # the snapshot, its own-writes marker set and cleared, its update, and one more savepoint
    assert len(small) == len(large) <= 20


def test_sweep_on_demand_as_a_job_over_my_counties(needy_sweep, users, django_capture_on_commit_callbacks):
    make_villages("510121", 4, needy=2)
    with django_capture_on_commit_callbacks(execute=True):
        job = sweep_start(actor=users["county"], kinds=["test.needy"])
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.progress_total == 1  # the county user's one county
    assert job.result == {"raised": 2, "resolved": 0}


def test_a_village_users_sweep_raises_and_resolves_only_inside_the_village(
    needy_sweep, django_capture_on_commit_callbacks
):
    from relief.models import Role
    from tests.factories import UserFactory

    make_villages("510121", 4, needy=3)
    mine, neighbour = Region.objects.get(code="510121002001"), Region.objects.get(code="510121002002")
    village_user = UserFactory(username="t-needy-village", role=Role.VILLAGE, region=mine)
    # open alerts whose condition has cleared: one in my village, one in the neighbour's
    stale_mine = AlertFactory(kind="test.needy", region=mine, dedup_key="test.needy:old-mine")
    stale_neighbour = AlertFactory(kind="test.needy", region=neighbour, dedup_key="test.needy:old-next")

    with django_capture_on_commit_callbacks(execute=True):
        job = sweep_start(actor=village_user, kinds=["test.needy"])
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED
    assert job.result == {"raised": 1, "resolved": 1}
    raised = Alert.objects.filter(kind="test.needy").exclude(pk__in=[stale_mine.pk, stale_neighbour.pk])
    assert list(raised.values_list("region_id", flat=True)) == ["510121002001"]
    stale_mine.refresh_from_db()
    stale_neighbour.refresh_from_db()
    assert stale_mine.status == AlertStatus.RESOLVED
    assert stale_neighbour.status == AlertStatus.OPEN  # outside the village: untouched


def test_read_only_official_cannot_start_a_sweep(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        sweep_start(actor=users["province"])
    assert not Job.objects.exists()


def test_overdue_alerts_escalate_one_level_up_and_the_officials_there_see_them(users, regions, as_user):
    past = timezone.now() - datetime.timedelta(hours=1)
    village_alert = AlertFactory(region=regions["village"], due_at=past, message="独居老人逾期未探访")
    fresh = AlertFactory(region=regions["village"], due_at=timezone.now() + datetime.timedelta(days=1))
    assert alerts_escalate_overdue() == 1
    village_alert.refresh_from_db()
    assert village_alert.escalation_level == 1
    assert village_alert.due_at > timezone.now()
    assert village_alert.events.filter(action="escalated").exists()
    fresh.refresh_from_db()
    assert fresh.escalation_level == 0
    # the township (one level up) sees it under 督办; the county does not, yet
    assert list(Alert.objects.escalated_to(users["township"])) == [village_alert]
    assert not Alert.objects.escalated_to(users["county"]).exists()
    page = as_user(users["township"]).get("/alerts/?tab=escalated").content.decode()
    assert "独居老人逾期未探访" in page
    # twice more overdue: it climbs to the county, then the city
    Alert.objects.filter(pk=village_alert.pk).update(due_at=past)
    alerts_escalate_overdue()
    assert list(Alert.objects.escalated_to(users["county"])) == [village_alert]
    # a province-level alert never goes above the province
    top = AlertFactory(region=regions["province"], due_at=past)
    alerts_escalate_overdue()
    top.refresh_from_db()
    assert top.escalation_level == 0


def test_inbox_acknowledge_and_resolve_with_a_note(users, regions, as_user):
    alert = AlertFactory(region=regions["village"], message="困境儿童无监护人记录")
    c = as_user(users["township"])
    page = c.get("/alerts/").content.decode()
    assert "困境儿童无监护人记录" in page
    c.post(f"/alerts/{alert.pk}/acknowledge/", {"acknowledge-note": "已联系村儿童主任"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.assignee == users["township"]
    assert "困境儿童无监护人记录" in c.get("/alerts/?tab=mine").content.decode()
    r = c.post(f"/alerts/{alert.pk}/resolve/", {"resolve-note": ""}, follow=True)
    assert "解除预警需要填写处理说明" in r.content.decode()
    c.post(f"/alerts/{alert.pk}/resolve/", {"resolve-note": "已指定监护人"})
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    detail = c.get(f"/alerts/{alert.pk}/").content.decode()
    assert "已指定监护人" in detail
    assert "签收" in detail


def test_inbox_pages_are_scoped(users, regions, as_user):
    other = AlertFactory(region=regions["other_county"], message="邻县的预警")
    c = as_user(users["county"])
    assert "邻县的预警" not in c.get("/alerts/").content.decode()
    assert c.get(f"/alerts/{other.pk}/").status_code == 404
    assert c.post(f"/alerts/{other.pk}/resolve/", {"resolve-note": "x"}).status_code == 404
    other.refresh_from_db()
    assert other.status == AlertStatus.OPEN
    c = as_user(users["city"])
    assert c.post(f"/alerts/{other.pk}/resolve/", {"resolve-note": "x"}).status_code == 403
    other.refresh_from_db()
    assert other.status == AlertStatus.OPEN
