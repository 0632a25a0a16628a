"""The field app with no signal, in a real browser on a phone: a village worker opens today's list
(the device keeps it, the households on it and their forms), loses the network, records a visit,
sees it waiting on the device, gets the network back and finds it sent: exactly one visit, even
when the same entry is sent twice. Signing out leaves nothing on the device."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from people.models import Household, Person, Visit
from people.services import person_refresh_next_visit
from tests.e2e.conftest import login
from tests.people.factories import household_with_head

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OUTBOX_ENTRIES = """() => new Promise((resolve) => {
  const req = indexedDB.open("warmwinter", 1);
  req.onupgradeneeded = () => req.result.createObjectStore("outbox", {keyPath: "id", autoIncrement: true});
  req.onsuccess = () => {
    const get = req.result.transaction("outbox").objectStore("outbox").getAll();
    get.onsuccess = () => { req.result.close(); resolve(get.result.map((e) => e.status)); };
  };
})"""
DATABASES = "async () => (await indexedDB.databases()).map((d) => d.name)"
CACHES = "async () => (await caches.keys()).filter((n) => n.startsWith('ww-'))"


def _overdue(name: str) -> Household:
    household = household_with_head("510121001001", name=name, birth=datetime.date(1938, 2, 1))
    Person.objects.filter(pk=household.head_id).update(
        lives_alone=True, created_at=timezone.now() - datetime.timedelta(days=40)
    )
    person_refresh_next_visit(region_code="510121")
    return household


def _kept(page, path: str) -> bool:
    return page.evaluate(
        "async (p) => !!(await caches.match(new URL(p, location.href).href, {ignoreVary: true}))", path
    )


def _signed_in_offline_ready(page, household: Household) -> None:
    page.goto("/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.reload()  # controlled now: today's page asks the worker to keep its pages
    # the worker keeps the pages one after the other: the household's forms come last
    for path in (
        f"/people/households/{household.pk}/visits/new/",
        f"/people/households/{household.pk}/edit/",
    ):
        for _ in range(100):
            if _kept(page, path):
                break
            page.wait_for_timeout(200)
        else:
            raise AssertionError(f"{path} was not kept")


def test_a_visit_recorded_without_network_is_sent_once_when_it_returns(new_page, users, regions):
    household = _overdue("刘长贵")
    page = new_page("offline-visit")
    login(page, users["village"].username)
    _signed_in_offline_ready(page, household)
    assert _kept(page, f"/people/households/{household.pk}/")
    page.shot("today-online")

    page.context.set_offline(True)
    page.goto("/")  # today's list, from the device
    assert page.get_by_test_id("offline-bar").is_visible()
    line = page.get_by_test_id("section-visits_due").get_by_test_id("today-line").filter(has_text="刘长贵")
    line.get_by_test_id("today-action").click()
    page.wait_for_url("**/visits/new/**")
    page.fill("textarea[name=needs]", "煤不够烧到月底")
    page.fill("textarea[name=note]", "离线记录")
    page.shot("visit-form-offline")
    page.get_by_role("button", name="保存探访记录").click()
    page.wait_for_url("**/offline/?queued=1")
    entry = page.get_by_test_id("outbox-entry")
    assert entry.count() == 1
    assert entry.get_by_test_id("outbox-status").inner_text() == "待发送"
    assert "刘长贵" in entry.inner_text()
    assert page.get_by_test_id("outbox-queued").is_visible()
    page.shot("waiting")
    assert Visit.objects.count() == 0

    page.context.set_offline(False)  # the `online` event sends it
    expect(page.get_by_test_id("outbox-status")).to_have_text("已发送")
    page.shot("sent")
    visit = Visit.objects.get()
    assert visit.household_id == household.pk and visit.note == "离线记录"
    assert "探访记录已保存" in entry.inner_text()  # what the server said


def test_a_retry_with_the_same_key_records_one_visit(new_page, users, regions):
    household = _overdue("王秀兰")
    page = new_page("offline-retry")
    login(page, users["village"].username)
    _signed_in_offline_ready(page, household)
    page.context.set_offline(True)
    page.goto(f"/people/households/{household.pk}/visits/new/")
    page.get_by_role("button", name="保存探访记录").click()
    page.wait_for_url("**/offline/**")
    # the same entry twice on the device (as when a first send was cut off before its answer)
    page.evaluate(
        """async () => {
      const [e] = await WarmWinterOutbox.all();
      const copy = Object.assign({}, e); delete copy.id;
      await WarmWinterOutbox.add(copy);
    }"""
    )
    page.reload()
    assert page.get_by_test_id("outbox-entry").count() == 2
    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-status")).to_have_text(["已发送", "已发送"])
    assert Visit.objects.filter(household=household).count() == 1
    texts = page.get_by_test_id("outbox-entry").all_inner_texts()
    assert any("未重复保存" in t for t in texts)


def test_signing_out_clears_the_device(new_page, users, regions):
    household = _overdue("张德福")
    page = new_page("offline-signout")
    login(page, users["village"].username)
    _signed_in_offline_ready(page, household)
    page.context.set_offline(True)
    page.goto(f"/people/households/{household.pk}/visits/new/")
    page.get_by_role("button", name="保存探访记录").click()
    page.wait_for_url("**/offline/**")
    assert page.evaluate(OUTBOX_ENTRIES) == ["waiting"]
    assert page.evaluate(CACHES)
    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-status")).to_have_text("已发送")

    page.goto("/")
    page.get_by_role("button", name="菜单").click()
    page.get_by_test_id("user-menu").click()  # who is signed in, and 退出, under the user's name
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/login/**")
    assert "warmwinter" not in page.evaluate(DATABASES)
    assert not _kept(page, f"/people/households/{household.pk}/")
    assert not _kept(page, "/")
    page.context.set_offline(True)
    page.goto("/")  # nothing of the worker's is left to show
    assert "刘长贵" not in page.content() and "张德福" not in page.content()


def test_an_edit_sent_after_someone_else_changed_the_field_is_a_conflict_to_resolve(new_page, users, regions):
    from people.services import household_update

    household = _overdue("赵玉芬")
    page = new_page("offline-conflict")
    login(page, users["village"].username)
    _signed_in_offline_ready(page, household)
    edit = f"/people/households/{household.pk}/edit/"
    assert _kept(page, edit)

    page.context.set_offline(True)
    page.goto(edit)
    page.fill("input[name=address]", "五组12号（村里填）")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/offline/**")
    # meanwhile, with signal, the township corrects the same address
    household_update(actor=users["township"], household=household, address="五组21号（乡镇填）")

    page.context.set_offline(False)
    expect(page.get_by_test_id("outbox-status")).to_have_text("有冲突")
    household.refresh_from_db()
    assert household.address == "五组21号（乡镇填）"  # not overwritten
    page.shot("conflict-waiting")
    page.get_by_role("button", name="打开处理").click()
    conflict = page.get_by_test_id("conflict-address")
    expect(conflict).to_contain_text("五组21号（乡镇填）")
    expect(conflict).to_contain_text("五组12号（村里填）")
    page.shot("conflict-page")
    conflict.get_by_label("用我填写的").check()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/people/households/{household.pk}/")
    household.refresh_from_db()
    assert household.address == "五组12号（村里填）"
