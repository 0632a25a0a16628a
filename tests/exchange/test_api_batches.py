"""/api/v1/exchange/: another system sends a batch (a file, JSON records or JSON lines) with an
Idempotency-Key, reads its counts and the records, in the project's JSON error format; a county's
data is invisible to another county."""

from __future__ import annotations

import json

import pytest

from exchange.models import ExchangeBatch, ExchangeRecord
from tests.exchange import data
from tests.exchange.conftest import fixture_file

pytestmark = pytest.mark.django_db
URL = "/api/v1/exchange/batches/"
RECORDS = "/api/v1/exchange/records/"


def send_file(api, name="medical-openpyxl.xlsx", key=None, **extra):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {
        "source": "sc-medical",
        "region": "510121",
        "period": "2026-11",
        "file": fixture_file(name),
        **extra,
    }
    return api.post(URL, body, format="multipart", **headers)


def test_a_file_is_received_matched_and_answered_with_its_counts(api, users, source, register):
    api.force_authenticate(users["api_write"])
    r = send_file(api, key="MI-2026-11-510121")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert {k: body[k] for k in data.EXPECTED} == data.EXPECTED
    assert body["invalid_reasons"] == data.EXPECTED_REASONS
    assert (body["status"], body["source"], body["region"], body["via"], body["external_key"]) == (
        "done",
        "sc-medical",
        "510121",
        "api",
        "MI-2026-11-510121",
    )
    assert api.get(f"{URL}{body['id']}/").json()["matched"] == 6


def test_a_resend_with_the_same_key_or_content_answers_the_batch_and_changes_nothing(
    api, users, source, register
):
    api.force_authenticate(users["api_write"])
    first = send_file(api, key="k-1").json()
    records = ExchangeRecord.objects.count()
    for again in (send_file(api, key="k-1"), send_file(api), send_file(api, key="k-2")):
        assert again.status_code == 200, again.json()
        assert again.json()["id"] == first["id"]
    assert ExchangeBatch.objects.count() == 1 and ExchangeRecord.objects.count() == records
    refused = send_file(api, "medical-gbk.csv", key="k-1")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert ExchangeBatch.objects.count() == 1


def test_json_records_and_json_lines(api, users, source, register):
    api.force_authenticate(users["api_write"])
    records = [
        {
            "id_number": data.MONITORED,
            "name": "王秀英",
            "amount": "3200.50",
            "date": "2026-11-03",
            "type": "住院",
        },
        {"id_number": data.NOT_REGISTERED, "name": "钱小梅", "amount": 99},
        {"id_number": "", "name": "周九"},
    ]
    body = {"source": "sc-medical", "region": "510121", "period": "2026-11", "records": records}
    r = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="json-1")
    assert r.status_code == 201, r.json()
    assert [r.json()[k] for k in ("received", "matched", "unmatched", "invalid")] == [3, 1, 1, 1]
    lines = "\n".join(json.dumps(rec, ensure_ascii=False) for rec in records) + "\n"
    again = api.post(
        f"{URL}?source=sc-medical&region=510121&period=2026-11",
        lines.encode(),
        content_type="application/x-ndjson",
    )
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]  # the same records
    other = api.post(
        f"{URL}?source=sc-medical&region=510121",
        lines.replace("钱小梅", "钱晓梅").encode(),
        content_type="application/x-ndjson",
    )
    assert other.status_code == 201 and other.json()["received"] == 3


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"source": "nope", "region": "510121", "records": [{"id_number": "1"}]}, 400, "source"),
        ({"source": "sc-medical", "region": "999999", "records": [{"id_number": "1"}]}, 400, "region"),
        ({"source": "sc-medical", "region": "510121"}, 400, "non_field_errors"),
        ({"source": "sc-medical", "region": "510121", "records": []}, 400, "records"),
        ({"source": "sc-medical", "region": "510129", "records": [{"id_number": "1"}]}, 403, None),
    ],
)
def test_errors_are_json_in_the_projects_format(api, users, source, body, status, field):
    api.force_authenticate(users["api_write"])
    r = api.post(URL, body, format="json")
    assert r.status_code == status, r.json()
    error = r.json()["error"]
    assert error["status"] == status and error["message"]
    if field:
        assert field in error["fields"]
    assert not ExchangeBatch.objects.exists()


def test_an_unreadable_file_is_a_400_with_a_chinese_message(api, users, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api.force_authenticate(users["api_write"])
    r = api.post(
        URL,
        {
            "source": "sc-medical",
            "region": "510121",
            "file": SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken"),
        },
        format="multipart",
    )
    assert r.status_code == 400
    assert "无法读取文件" in r.json()["error"]["fields"]["file"][0]


def test_read_only_roles_cannot_send(api, users, source):
    for who in ("api_read", "city", "province"):
        api.force_authenticate(users[who])
        r = api.post(URL, {"source": "sc-medical", "region": "510121", "records": [{"id_number": "1"}]})
        assert r.status_code == 403, (who, r.json())
    assert not ExchangeBatch.objects.exists()


def test_a_countys_batches_and_records_are_invisible_to_another_county(api, users, source, register):
    api.force_authenticate(users["county"])
    batch = send_file(api).json()
    api.force_authenticate(users["other_county"])
    assert api.get(f"{URL}{batch['id']}/").status_code == 404
    assert api.get(URL).json()["count"] == 0
    # the other county sees only the line that matched one of its own people
    seen = api.get(RECORDS).json()["results"]
    assert [(r["id_number"], r["region"]) for r in seen] == [(data.OTHER_COUNTY, "510129001001")]
    assert api.get(RECORDS, {"batch": batch["id"], "status": "unmatched"}).json()["count"] == 0
    # sources of the province are visible to both counties
    assert [s["code"] for s in api.get("/api/v1/exchange/sources/").json()["results"]] == ["sc-medical"]


def test_records_filters_and_masking(api, users, source, register):
    api.force_authenticate(users["county"])
    batch = send_file(api).json()
    r = api.get(RECORDS, {"batch": batch["id"], "status": "unmatched"})
    assert {x["id_number"] for x in r.json()["results"]} == {data.NOT_REGISTERED, data.INACTIVE}
    r = api.get(RECORDS, {"status": "invalid", "error_code": "amount_invalid"})
    assert [x["line"] for x in r.json()["results"]] == [data.LINE[data.AMOUNT_BAD]]
    r = api.get(RECORDS, {"id_number": data.MONITORED[:10]})
    assert [x["id_number"] for x in r.json()["results"]] == [data.MONITORED]
    assert api.get(RECORDS, {"name": "钱"}).json()["count"] == 1
    assert api.get(RECORDS, {"status": "nope"}).status_code == 400
    # a city official sees masks, and may search by a whole number or the address code only
    api.force_authenticate(users["city"])
    shown = api.get(RECORDS, {"id_number": data.NOT_REGISTERED}).json()["results"]
    assert [x["id_number"] for x in shown] == [
        data.NOT_REGISTERED[:6] + "********" + data.NOT_REGISTERED[-4:]
    ]
    # a longer prefix is allowed to others, not to this role: 403 (a malformed one is 400)
    refused = api.get(RECORDS, {"id_number": data.NOT_REGISTERED[:12]})
    assert refused.status_code == 403 and "前6位地址码" in refused.json()["error"]["message"]
    malformed = api.get(RECORDS, {"id_number": "51012X9"})
    assert malformed.status_code == 400 and "id_number" in malformed.json()["error"]["fields"]


def test_record_list_query_count(api, users, source, register, django_assert_num_queries):
    api.force_authenticate(users["county"])
    send_file(api)
    with django_assert_num_queries(2):  # the count and the page
        r = api.get(RECORDS)
    assert r.status_code == 200 and r.json()["count"] == 12


def test_batch_and_source_lists_query_counts(api, users, source, register, django_assert_num_queries):
    api.force_authenticate(users["county"])
    send_file(api)
    send_file(api, "medical-gbk.csv")
    with django_assert_num_queries(2):  # the count and the page (source, job, sender joined)
        r = api.get(URL)
    assert r.status_code == 200 and r.json()["count"] == 2
    with django_assert_num_queries(2):
        r = api.get("/api/v1/exchange/sources/")
    assert r.json()["count"] == 1
