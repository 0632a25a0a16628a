"""/api/v1/roster-imports/: another system uploads a roster, follows the job, reads the report with
every bad row (row, column, code, message) and commits a clean dry run; as the page, region scoped."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from people.models import RosterUpload
from people.roster.errors import CODES
from tests.factories import region
from tests.people.test_imports import BAD_ROWS, GOOD_ROWS, OTHER_ID, counts, roster
from tests.people.test_roster_errors import EXPECTED_PROBLEMS

pytestmark = pytest.mark.django_db
URL = "/api/v1/roster-imports/"


def _file(data: bytes, name: str = "花名册.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def upload(api, capture, data: bytes, **fields):
    with capture(execute=True):
        return api.post(URL, {"file": _file(data), **fields}, format="multipart")


def test_upload_starts_a_dry_run_and_the_report_lists_every_problem(
    api, users, django_capture_on_commit_callbacks
):
    api.force_authenticate(users["county"])
    response = upload(api, django_capture_on_commit_callbacks, roster({**GOOD_ROWS, **BAD_ROWS}))
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["dry_run"], body["stage"], body["file_name"]) == (True, "dry_run", "花名册.xlsx")
    assert body["job"] == RosterUpload.objects.get(pk=body["id"]).dry_run_job_id

    detail = api.get(f"{URL}{body['id']}/").json()
    assert detail["state"] == "succeeded" and detail["can_commit"] is False
    assert detail["progress"]["percent"] == 100
    report = detail["report"]
    assert report["committed"] is False
    assert report["summary"]["households"] == {"create": 3, "update": 0, "unchanged": 0}
    assert report["summary"]["persons"] == {"create": 6, "update": 0, "unchanged": 0}
    assert report["summary"]["rows"] == len(GOOD_ROWS) + len(BAD_ROWS)
    assert (report["error_count"], report["error_rows"]) == (6, 6)
    assert {(e["row"], e["code"], e["column"]) for e in report["errors"]} == {
        (row, code, column) for row, (code, column) in EXPECTED_PROBLEMS.items()
    }
    assert all(e["code"] in CODES and e["message"] for e in report["errors"])
    assert "日期“2024-13-45”无法识别" in next(e["message"] for e in report["errors"] if e["row"] == 11)
    assert counts() == (0, 0, 0)


def test_commit_of_a_dry_run_with_errors_is_a_409_with_a_code(api, users, django_capture_on_commit_callbacks):
    api.force_authenticate(users["county"])
    pk = upload(api, django_capture_on_commit_callbacks, roster({**GOOD_ROWS, **BAD_ROWS})).json()["id"]
    response = api.post(f"{URL}{pk}/commit/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "dry_run_has_errors"
    assert response.json()["error"]["message"] == "预检发现错误，请修改文件后重新上传"
    assert RosterUpload.objects.get(pk=pk).commit_job is None and counts() == (0, 0, 0)


def test_clean_dry_run_then_commit_once(api, users, django_capture_on_commit_callbacks):
    api.force_authenticate(users["api_write"])
    pk = upload(api, django_capture_on_commit_callbacks, roster(GOOD_ROWS)).json()["id"]
    assert api.get(f"{URL}{pk}/").json()["can_commit"] is True
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{pk}/commit/", HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 202, response.json()
    assert response.json()["stage"] == "commit"
    assert counts() == (3, 6, 3)
    detail = api.get(f"{URL}{pk}/").json()
    assert (detail["state"], detail["report"]["committed"], detail["can_commit"]) == (
        "succeeded",
        True,
        False,
    )
    # sent again (with or without the key): the same commit, nothing written twice
    assert api.post(f"{URL}{pk}/commit/", HTTP_IDEMPOTENCY_KEY="k-1").json()["job"] == response.json()["job"]
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}{pk}/commit/").json()["job"] == response.json()["job"]
    assert counts() == (3, 6, 3)
    # the same file again: the dry run finds everything unchanged
    again = upload(api, django_capture_on_commit_callbacks, roster(GOOD_ROWS)).json()["id"]
    summary = api.get(f"{URL}{again}/").json()["report"]["summary"]
    assert summary["households"] == {"create": 0, "update": 0, "unchanged": 3}
    assert summary["persons"] == {"create": 0, "update": 0, "unchanged": 6}


def test_dry_run_false_commits_at_once_or_writes_nothing_and_reports_every_row(
    api, users, django_capture_on_commit_callbacks
):
    api.force_authenticate(users["county"])
    bad = upload(api, django_capture_on_commit_callbacks, roster({**GOOD_ROWS, **BAD_ROWS}), dry_run="false")
    assert bad.status_code == 202 and bad.json()["dry_run"] is False and bad.json()["stage"] == "commit"
    detail = api.get(f"{URL}{bad.json()['id']}/").json()
    assert detail["state"] == "failed" and "未写入任何数据" in detail["error"]
    assert {e["row"] for e in detail["report"]["errors"]} == set(BAD_ROWS)
    assert detail["report"]["committed"] is False and counts() == (0, 0, 0)

    good = upload(api, django_capture_on_commit_callbacks, roster(GOOD_ROWS), dry_run="false").json()
    detail = api.get(f"{URL}{good['id']}/").json()
    assert (detail["state"], detail["report"]["committed"]) == ("succeeded", True)
    assert counts() == (3, 6, 3)


def test_messages_are_masked_for_roles_that_see_numbers_masked(
    api, users, home_household, django_capture_on_commit_callbacks
):
    """An ID number already in another household of the county: the message names it in full for
    county staff, masked for a province official and for an API client."""
    region("510121001002", "河西村")
    number = home_household.head.id_number
    rows = {
        5: ("H030", "河西村", home_household.head.name, home_household.head.name, number, "户主", *[None] * 4)
    }
    api.force_authenticate(users["county"])
    pk = upload(api, django_capture_on_commit_callbacks, roster(rows)).json()["id"]
    (error,) = api.get(f"{URL}{pk}/").json()["report"]["errors"]
    assert (error["row"], error["code"], error["column"]) == (5, "id_registered_elsewhere", "公民身份号码")
    assert number in error["message"]
    for who in ("province", "api_read"):
        api.force_authenticate(users[who])
        (error,) = api.get(f"{URL}{pk}/").json()["report"]["errors"]
        assert number not in error["message"] and number[:6] + "********" + number[-4:] in error["message"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({}, "file"),
        ({"file": "not a file"}, "file"),
        ({"dry_run": "maybe"}, "dry_run"),
    ],
)
def test_bad_input_is_a_json_400(api, users, fields, field):
    api.force_authenticate(users["county"])
    data = {"file": _file(roster(GOOD_ROWS)), **fields} if field == "dry_run" else fields
    response = api.post(URL, data, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not RosterUpload.objects.exists()


def test_a_file_that_is_not_a_roster_is_a_json_400(api, users):
    api.force_authenticate(users["county"])
    response = api.post(URL, {"file": _file(b"PK\x03\x04 not really", name="x.txt")}, format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid" and "file" in response.json()["error"]["fields"]
    assert not RosterUpload.objects.exists()


def test_list_reads_no_report_and_a_fixed_number_of_queries(
    api, users, django_capture_on_commit_callbacks, django_assert_num_queries
):
    api.force_authenticate(users["county"])
    for _ in range(3):
        upload(api, django_capture_on_commit_callbacks, roster({**GOOD_ROWS, 9: BAD_ROWS[9]}))
    with django_assert_num_queries(3):  # the count, the page, the dry runs' error counts
        body = api.get(URL).json()
    assert body["count"] == 3
    assert all("report" not in r and r["can_commit"] is False for r in body["results"])
    assert OTHER_ID not in str(body)
