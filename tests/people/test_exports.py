"""Roster export: scoped to the user's region, masked for roles that do not need full numbers,
filtered like the search page, and re-importable."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from people.exports import roster_workbook
from people.models import Person
from people.roster import roster_import
from relief.models import Job, JobState
from relief.privacy import mask_id_number
from tests.conftest import login

pytestmark = pytest.mark.django_db


def sheet(content: bytes) -> list[dict]:
    rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_county_user_sees_full_numbers_and_only_the_county(users, home_household, other_household):
    content, n = roster_workbook(users["county"], {})
    rows = sheet(content)
    assert n == len(rows) == 2
    ids = {r["身份证号"] for r in rows}
    assert ids == set(home_household.members.values_list("id_number", flat=True))
    assert {r["区划代码"] for r in rows} == {"510121001001"}
    head = next(r for r in rows if r["与户主关系"] == "户主")
    assert head["户主姓名"] == "张大山"
    assert head["救助类别"] == "低保·A类"
    assert head["联系电话"] == home_household.head.phone


def test_city_user_gets_masked_numbers(users, home_household, other_household):
    content, n = roster_workbook(users["city"], {})
    rows = sheet(content)
    assert n == 3  # both counties are in the city
    real = dict(Person.objects.values_list("name", "id_number"))
    for r in rows:
        assert r["身份证号"] == mask_id_number(real[r["姓名"]])
        assert "*" in r["身份证号"] and "*" in r["联系电话"]


def test_other_county_sees_only_its_own(users, home_household, other_household):
    rows = sheet(roster_workbook(users["other_county"], {})[0])
    assert [r["姓名"] for r in rows] == ["李四海"]
    assert roster_workbook(users["other_province"], {})[1] == 0


def test_export_follows_the_search_filters(users, home_household, other_household):
    assert {r["姓名"] for r in sheet(roster_workbook(users["city"], {"category": "dibao"})[0])} == {
        "张大山",
        "张小花",
    }
    assert {r["姓名"] for r in sheet(roster_workbook(users["city"], {"q": "李四海"})[0])} == {"李四海"}
    assert roster_workbook(users["city"], {"region": "510129001001"})[1] == 1


def test_export_job_from_the_search_page(
    client, users, home_household, other_household, django_capture_on_commit_callbacks
):
    login(client, users["city"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("people:roster-export") + "?category=dibao&page=2")
    job = Job.objects.get(kind="people.roster_export")
    assert response.url == reverse("job-detail", args=[job.pk])
    assert job.state == JobState.SUCCEEDED
    assert job.params == {"filters": {"category": "dibao"}}
    assert job.result == {"rows": 2, "masked": True}
    download = client.get(reverse("job-download", args=[job.pk]))
    rows = sheet(b"".join(download.streaming_content))
    assert {r["姓名"] for r in rows} == {"张大山", "张小花"}
    # the other county cannot fetch it
    login(client, users["other_county"])
    assert client.get(reverse("job-download", args=[job.pk])).status_code == 404


def test_export_needs_login(client):
    assert client.post(reverse("people:roster-export")).status_code == 302
    assert not Job.objects.exists()


def test_county_export_reimports_without_changes(users, home_household):
    content, _n = roster_workbook(users["county"], {})
    report = roster_import(actor=users["county"], source=io.BytesIO(content), commit=True)
    assert report["errors"] == []
    assert report["persons_created"] == report["households_created"] == 0
    assert report["persons_unchanged"] == 2
