"""The 数据比对 pages: a county uploads a department file, sees the counts, the reasons and the
invalid lines, searches what did not match; another county sees none of it; officials read only."""

from __future__ import annotations

import re

import pytest

from exchange.models import ExchangeBatch
from tests.exchange import data
from tests.exchange.conftest import fixture_file

pytestmark = pytest.mark.django_db


def upload(client, source, regions, name="medical-libreoffice.xls", key="page-key-1"):
    return client.post(
        "/exchange/batches/new/",
        {
            "source": source.pk,
            "region": regions["county"].code,
            "period": "2026-11",
            "file": fixture_file(name),
            "idempotency_key": key,
        },
    )


def test_navigation_sources_and_upload_form(as_user, users, source):
    client = as_user(users["county"])
    home = client.get("/exchange/").content.decode()
    assert "数据比对" in home and "上传数据" in home
    assert "四川省医保结算" in client.get("/exchange/sources/").content.decode()
    form = client.get("/exchange/batches/new/").content.decode()
    assert "四川省医保结算" in form and 'name="idempotency_key"' in form
    # the regions offered: the county itself, not the neighbouring one
    assert 'value="510121"' in form and 'value="510129"' not in form


def test_upload_shows_counts_reasons_and_invalid_lines(as_user, users, regions, source, register):
    client = as_user(users["county"])
    r = upload(client, source, regions)
    batch = ExchangeBatch.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/exchange/batches/{batch.pk}/"
    page = client.get(r["Location"]).content.decode()
    for field, n in data.EXPECTED.items():
        assert f'data-count="{field}">{n}<' in page
    assert "身份证号无效：1" in page and "金额无法识别：1" in page
    lines = re.findall(r'data-line="(\d+)"', page)
    assert len(lines) == data.EXPECTED["invalid"]
    assert "金额“约三百元”无法识别" in page
    # the batch list shows it too
    assert f"/exchange/batches/{batch.pk}/" in client.get("/exchange/").content.decode()


def test_the_same_file_again_changes_nothing(as_user, users, regions, source, register):
    client = as_user(users["county"])
    first = upload(client, source, regions, key="k1")
    again = upload(client, source, regions, key="k2")  # a new form, the same file
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert ExchangeBatch.objects.count() == 1
    page = client.get(again["Location"]).content.decode()
    assert "该批数据已接收过" in page


def test_an_unreadable_file_is_shown_on_the_form(as_user, users, regions, source):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = as_user(users["county"])
    r = client.post(
        "/exchange/batches/new/",
        {"source": source.pk, "region": "510121", "file": SimpleUploadedFile("x.xls", b"<html>no</html>")},
    )
    assert r.status_code == 200 and "网页（HTML/XML）格式" in r.content.decode()
    assert not ExchangeBatch.objects.exists()


def test_unmatched_search_by_the_county(as_user, users, regions, source, register):
    client = as_user(users["county"])
    upload(client, source, regions)
    batch = ExchangeBatch.objects.get()
    page = client.get("/exchange/records/", {"batch": batch.pk}).content.decode()  # unmatched by default
    assert data.NOT_REGISTERED in page and data.INACTIVE in page and data.MONITORED not in page
    found = client.get(
        "/exchange/records/", {"status": "", "id_number": data.MONITORED[:10]}
    ).content.decode()
    assert data.MONITORED in found and data.PLAIN not in found
    assert "钱小梅" in client.get("/exchange/records/", {"name": "钱"}).content.decode()


def test_another_county_gets_404_and_officials_read_only(as_user, users, regions, source, register):
    upload(as_user(users["county"]), source, regions)
    batch = ExchangeBatch.objects.get()
    other = as_user(users["other_county"])
    assert other.get(f"/exchange/batches/{batch.pk}/").status_code == 404
    assert other.get("/exchange/records/", {"batch": batch.pk}).status_code == 404
    assert f"/exchange/batches/{batch.pk}/" not in other.get("/exchange/").content.decode()
    # the line that matched one of its own people is shown, without a link to the county's batch
    theirs = other.get("/exchange/records/", {"status": "matched"}).content.decode()
    assert data.OTHER_COUNTY in theirs and f"/exchange/batches/{batch.pk}/" not in theirs
    city = as_user(users["city"])
    assert city.get("/exchange/batches/new/").status_code == 403
    assert city.post("/exchange/batches/new/", {}).status_code == 403
    page = city.get("/exchange/records/", {"batch": batch.pk}).content.decode()
    assert data.NOT_REGISTERED not in page
    assert data.NOT_REGISTERED[:6] + "********" + data.NOT_REGISTERED[-4:] in page
    refused = city.get("/exchange/records/", {"id_number": data.NOT_REGISTERED[:12]}).content.decode()
    assert "前6位地址码" in refused
    assert ExchangeBatch.objects.count() == 1
