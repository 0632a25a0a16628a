"""Official cold-wave warnings in CAP 1.2 (GB/T 35965.1): POST /api/v1/cold-alerts/cap/ and the upload
on the cold-wave page. Fixtures under tests/patrols/fixtures/ are written like Sichuan's 12379 feed."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from patrols import cap, selectors, services
from patrols.models import CapMessage, CapOutcome, ColdWaveLevel, ColdWaveWarning
from patrols.services import cap_messages

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/api/v1/cold-alerts/cap/"
CST = ZoneInfo("Asia/Shanghai")
SENDER = "51000041600000000@sc.12379.cn"
ALERT_ID = "urn:oid:2.49.0.1.156.1.51.2026.0110080000.510121"


def at(day: int, hour: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 1, day, hour, tzinfo=CST)


def xml(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(api, user, body: bytes | str, content_type: str = "application/cap+xml"):
    api.force_authenticate(user)
    return api.post(URL, data=body if isinstance(body, bytes) else xml(body), content_type=content_type)


def level_at(code: str, when: datetime.datetime) -> int | None:
    warning = selectors.warning_in_force(code, at=when)
    return warning.level if warning else None


# --- Reading ------------------------------------------------------------------------------------


def test_parse_reads_the_profile_fields():
    alert = cap.parse(xml("cap_update_orange.xml"))
    assert (alert.sender, alert.msg_type, alert.status) == (SENDER, "Update", "Actual")
    assert alert.references[0].key == f"{SENDER},{ALERT_ID}"
    assert alert.sent == at(11, 6)
    # severity Moderate (yellow), but the colour in the parameter wins
    [plan] = cap.area_plans(alert)
    assert (plan.geocode, plan.level, plan.starts_at, plan.ends_at) == ("510121", 3, at(11, 6), at(14, 8))


@pytest.mark.parametrize(
    ("geocode", "code"),
    [
        ("510121", "510121"),
        ("510100", "5101"),
        ("510000", "51"),
        ("510121000000", "510121"),
        ("5101210", None),
    ],
)
def test_geocode_to_region_code(geocode, code):
    assert cap.region_code(geocode) == code


def test_parse_refuses_entities():
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx">]><alert>&x;</alert>'
    with pytest.raises(cap.CapError):
        cap.parse(bomb)


# --- Alert, Update, Cancel ----------------------------------------------------------------------


def test_alert_puts_the_level_in_force_for_the_county_and_its_townships(api, users, regions):
    r = post(api, users["county"], "cap_alert_yellow.xml")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["outcome"] == CapOutcome.APPLIED
    assert [(row["area"], row["action"], row["level"]) for row in body["results"]] == [
        ("510121", "issued", ColdWaveLevel.YELLOW)
    ]
    warning = ColdWaveWarning.objects.get()
    assert warning.region_id == "510121" and warning.issued_by == users["county"]
    assert (warning.starts_at, warning.ends_at) == (at(10, 12), at(13, 8))  # onset to expires
    assert body["warnings"] == [warning.pk]
    for code in ("510121", "510121001", "510121001001"):
        assert level_at(code, at(11)) == ColdWaveLevel.YELLOW
    assert ColdWaveWarning.objects.in_region("510121").active_at(at(11)).count() == 1
    assert level_at("510129", at(11)) is None  # the other county
    assert level_at("510121", at(10, 9)) is None  # before onset
    assert level_at("510121", at(13, 9)) is None  # expired


def test_update_raises_the_level_and_cancel_stands_it_down(api, users, regions):
    post(api, users["county"], "cap_alert_yellow.xml")
    r = post(api, users["county"], "cap_update_orange.xml")
    assert r.status_code == 201, r.content
    assert [(row["action"], row["level"]) for row in r.json()["results"]] == [
        ("updated", ColdWaveLevel.ORANGE)
    ]
    warning = ColdWaveWarning.objects.get()
    assert (warning.level, warning.ends_at) == (ColdWaveLevel.ORANGE, at(14, 8))
    assert level_at("510121001", at(11, 12)) == ColdWaveLevel.ORANGE

    r = post(api, users["county"], "cap_cancel.xml")
    assert r.status_code == 201, r.content
    assert [row["action"] for row in r.json()["results"]] == ["lifted"]
    warning.refresh_from_db()
    assert warning.lifted_by == users["county"] and warning.ends_at == at(12, 10)
    assert level_at("510121001", at(12, 9)) == ColdWaveLevel.ORANGE
    assert level_at("510121001", at(12, 11)) is None
    assert ColdWaveWarning.objects.count() == 1
    assert set(CapMessage.objects.get(msg_type="Cancel").warnings.all()) == {warning}


def test_cold_warning_update_is_the_one_writer_of_an_update(users, regions, monkeypatch):
    calls = []
    original = services.cold_warning_update
    monkeypatch.setattr(services, "cold_warning_update", lambda **kw: calls.append(kw) or original(**kw))
    cap_messages.cap_receive(actor=users["county"], data=xml("cap_alert_yellow.xml"))
    cap_messages.cap_receive(actor=users["county"], data=xml("cap_update_orange.xml"))
    assert [c["level"] for c in calls] == [ColdWaveLevel.ORANGE]


def test_a_duplicate_answers_the_first_outcome_and_changes_nothing(api, users, regions):
    first = post(api, users["county"], "cap_alert_yellow.xml")
    warning = ColdWaveWarning.objects.get()
    again = post(api, users["county"], "cap_alert_yellow.xml")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert CapMessage.objects.count() == 1
    assert list(ColdWaveWarning.objects.values_list("pk", flat=True)) == [warning.pk]
    # another county's official sending the same copy learns nothing of what it did here
    other = post(api, users["other_county"], "cap_alert_yellow.xml")
    assert other.status_code == 403 and "510121" not in other.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_a_message_are_stored_once(regions, users):
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            results.append(
                cap_messages.cap_receive(actor=users["county"], data=xml("cap_alert_yellow.xml")).created
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    assert CapMessage.objects.count() == 1
    assert ColdWaveWarning.objects.count() == 1


# --- Out of order -------------------------------------------------------------------------------


def test_cancel_before_its_alert_keeps_the_alert_out_of_force(api, users, regions):
    r = post(api, users["county"], "cap_cancel.xml")
    assert r.status_code == 201
    assert r.json()["outcome"] == CapOutcome.PENDING
    r = post(api, users["county"], "cap_alert_yellow.xml")
    assert r.status_code == 201
    assert r.json()["outcome"] == CapOutcome.NO_CHANGE
    assert [(row["action"], row["reason"]) for row in r.json()["results"]] == [("ignored", "cancelled")]
    assert not ColdWaveWarning.objects.exists()
    assert CapMessage.objects.get(msg_type="Cancel").outcome == CapOutcome.NO_CHANGE  # no longer waiting


def test_update_before_its_alert_is_applied_when_the_alert_comes(api, users, regions):
    assert post(api, users["county"], "cap_update_orange.xml").json()["outcome"] == CapOutcome.PENDING
    assert not ColdWaveWarning.objects.exists()
    post(api, users["county"], "cap_alert_yellow.xml")
    warning = ColdWaveWarning.objects.get()
    assert (warning.level, warning.ends_at) == (ColdWaveLevel.ORANGE, at(14, 8))
    update = CapMessage.objects.get(msg_type="Update")
    assert update.outcome == CapOutcome.APPLIED and list(update.warnings.all()) == [warning]


def test_an_update_older_than_the_last_applied_message_changes_nothing(api, users, regions):
    post(api, users["county"], "cap_alert_yellow.xml")
    post(api, users["county"], "cap_cancel.xml")  # sent 12 Jan
    r = post(api, users["county"], "cap_update_orange.xml")  # sent 11 Jan, arrives last
    assert [(row["action"], row["reason"]) for row in r.json()["results"]] == [("ignored", "older")]
    warning = ColdWaveWarning.objects.get()
    assert warning.level == ColdWaveLevel.YELLOW and warning.ends_at == at(12, 10)


# --- What changes nothing -----------------------------------------------------------------------


def test_unknown_area_codes_are_listed_and_the_known_ones_applied(api, users, regions):
    r = post(api, users["county"], "cap_unknown_area.xml")  # 510121 and 510113 (not a region here)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["unknown_areas"] == ["510113"]
    assert {row["area"]: row["action"] for row in body["results"]} == {
        "510121": "issued",
        "510113": "ignored",
    }
    assert level_at("510121", at(16)) == ColdWaveLevel.ORANGE  # 低温雨雪冰冻, Severe


def test_no_known_area_answers_422_and_stores_nothing(api, users, regions):
    body = xml("cap_unknown_area.xml").replace(b"<value>510121</value>", b"<value>510199</value>")
    r = post(api, users["city"], body)
    assert r.status_code == 422
    assert "510199" in r.json()["error"]["message"]
    assert not CapMessage.objects.exists() and not ColdWaveWarning.objects.exists()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (xml("not_xml.xml"), "不是有效的 XML"),
        (b'<?xml version="1.0"?><warning><id>1</id></warning>', "不是 CAP"),
        (xml("cap_alert_yellow.xml").replace(b"<sent>2026-01-10T08:00:00+08:00</sent>", b""), "sent"),
        (
            xml("cap_alert_yellow.xml")
            .replace(b"<identifier>", b"<note>")
            .replace(b"</identifier>", b"</note>"),
            "identifier",
        ),
    ],
)
def test_a_malformed_message_is_a_400_in_the_api_error_format(api, users, regions, body, words):
    r = post(api, users["county"], body, content_type="application/xml")
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["status"] == 400 and words in error["message"]
    assert not CapMessage.objects.exists() and not ColdWaveWarning.objects.exists()


def test_an_exercise_is_stored_and_changes_nothing(api, users, regions):
    r = post(api, users["county"], "cap_exercise.xml", content_type="text/xml")
    assert r.status_code == 201
    assert r.json()["outcome"] == CapOutcome.NOT_ACTUAL
    assert CapMessage.objects.get().status == "Exercise"
    assert not ColdWaveWarning.objects.exists()


def test_a_rainstorm_warning_is_stored_and_changes_nothing(api, users, regions):
    r = post(api, users["county"], "cap_rainstorm.xml")
    assert r.status_code == 201
    assert (r.json()["outcome"], r.json()["event"]) == (CapOutcome.NOT_COLD, "暴雨")
    assert not ColdWaveWarning.objects.exists()


# --- Who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["township", "village", "api_write"])
def test_users_without_the_right_are_refused(api, users, regions, who):
    r = post(api, users[who], "cap_alert_yellow.xml")
    assert r.status_code == 403
    assert not CapMessage.objects.exists() and not ColdWaveWarning.objects.exists()


def test_anonymous_is_refused(api, regions):
    r = api.post(URL, data=xml("cap_alert_yellow.xml"), content_type="application/cap+xml")
    assert r.status_code in (401, 403)
    assert not CapMessage.objects.exists()


def test_a_county_user_cannot_set_another_countys_level(api, users, regions):
    r = post(api, users["county"], "cap_alert_other_county.xml")
    assert r.status_code == 403
    assert not CapMessage.objects.exists() and not ColdWaveWarning.objects.exists()
    both = xml("cap_unknown_area.xml").replace(b"<value>510113</value>", b"<value>510129</value>")
    r = post(api, users["county"], both)
    assert r.status_code == 201
    assert {row["area"]: row["reason"] for row in r.json()["results"]} == {
        "510121": "",
        "510129": "out_of_scope",
    }
    assert list(ColdWaveWarning.objects.values_list("region_id", flat=True)) == ["510121"]


def test_json_is_not_a_cap_body(api, users, regions):
    api.force_authenticate(users["county"])
    r = api.post(URL, {"identifier": "x"}, format="json")
    assert r.status_code == 415
    assert not CapMessage.objects.exists()


# --- Listing ------------------------------------------------------------------------------------


def test_the_list_is_scoped_and_shows_outcomes(api, users, regions, django_assert_num_queries):
    post(api, users["county"], "cap_alert_yellow.xml")
    post(api, users["county"], "cap_rainstorm.xml")
    post(api, users["other_county"], "cap_alert_other_county.xml")
    api.force_authenticate(users["county"])
    with django_assert_num_queries(3):  # count, the page, the warnings of the page (one query)
        r = api.get(URL)
    assert r.status_code == 200
    rows = r.json()["results"]
    assert {row["event"] for row in rows} == {"寒潮", "暴雨"}
    assert all(row["region"] == "510121" for row in rows)
    other = CapMessage.objects.get(region_id="510129")
    assert api.get(f"{URL}{other.pk}/").status_code == 404
    api.force_authenticate(users["city"])
    assert r.json()["count"] == 2 and api.get(URL).json()["count"] == 3
    detail = api.get(f"{URL}{other.pk}/").json()
    assert "<alert" in detail["raw_xml"]


# --- The page -----------------------------------------------------------------------------------


def test_upload_on_the_cold_wave_page(as_user, users, regions):
    client = as_user(users["county"])
    page = client.get(reverse("patrols:coldwave")).content.decode()
    assert "上传官方预警（CAP 消息）" in page
    upload = SimpleUploadedFile("寒潮黄色预警.xml", xml("cap_alert_yellow.xml"), content_type="text/xml")
    r = client.post(reverse("patrols:coldwave-cap"), {"cap_file": upload}, follow=True)
    text = r.content.decode()
    assert "已处理：510121 已发布 黄色" in text  # the flash message
    assert "金堂县气象台发布寒潮黄色预警信号" in text  # the list of received messages
    assert ColdWaveWarning.objects.get().level == ColdWaveLevel.YELLOW

    bad = SimpleUploadedFile("notice.xml", xml("not_xml.xml"), content_type="text/xml")
    text = client.post(reverse("patrols:coldwave-cap"), {"cap_file": bad}, follow=True).content.decode()
    assert "CAP 消息未处理：不是有效的 XML" in text
    assert CapMessage.objects.count() == 1


def test_upload_needs_the_right(as_user, users, regions):
    client = as_user(users["township"])
    assert "上传官方预警" not in client.get(reverse("patrols:coldwave")).content.decode()
    upload = SimpleUploadedFile("a.xml", xml("cap_alert_yellow.xml"), content_type="text/xml")
    assert client.post(reverse("patrols:coldwave-cap"), {"cap_file": upload}).status_code == 403
    assert not CapMessage.objects.exists()
