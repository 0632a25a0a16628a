"""A province-wide search does not count the province: over PEOPLE_SEARCH_COUNT_CAP results the
page says "超过 N 户" (counted with LIMIT N + 1) and its pages still go forward and back; under it
the count is exact. The REST API's `count` stays exact (other systems rely on it)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from people import views
from tests.funds.factories import dibao_household
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def dibao(regions, monkeypatch):
    """7 低保 households in two counties (and one without a category), 3 to a page."""
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    households = [dibao_household("510121001001") for _ in range(5)]
    households += [dibao_household("510129001001") for _ in range(2)]
    household_with_head("510121001001")
    return households


def _names(page) -> set[int]:
    return {h.pk for h in page.context["page"].object_list}


def test_over_the_cap_the_page_says_more_than_and_still_pages(client, users, dibao, settings):
    settings.PEOPLE_SEARCH_COUNT_CAP = 5
    client.force_login(users["province"])
    with CaptureQueriesContext(connection) as ctx:
        first = client.get("/people/", {"category": "dibao"})
    html = first.content.decode()
    assert "超过 5 户" in html and 'data-count-over="5"' in html
    assert "data-count=" not in html  # no count pretends to be exact
    assert "第 1 页" in html and "下一页" in html and "上一页" not in html
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts and all(re.search(r"LIMIT 6\b", sql) for sql in counts), counts  # cap + 1 rows at most

    seen = _names(first)
    second = client.get("/people/", {"category": "dibao", "page": 2})
    assert "第 2 页" in second.content.decode()
    assert "上一页" in second.content.decode() and "下一页" in second.content.decode()
    seen |= _names(second)
    third = client.get("/people/", {"category": "dibao", "page": 3})
    html = third.content.decode()
    assert "上一页" in html and "下一页" not in html  # the last page, known without a count
    seen |= _names(third)
    assert seen == {h.pk for h in dibao}  # every household once, across the pages
    # a page past the results: the last page under the cap, as Django's paginator would
    assert client.get("/people/", {"category": "dibao", "page": 99}).status_code == 200


def test_under_the_cap_the_count_is_exact(client, users, dibao, settings):
    settings.PEOPLE_SEARCH_COUNT_CAP = 7
    client.force_login(users["province"])
    html = client.get("/people/", {"category": "dibao"}).content.decode()
    assert 'data-count="7"' in html and "超过" not in html
    assert "1 / 3" in html
    client.force_login(users["county"])  # the county's own: 5
    html = client.get("/people/", {"category": "dibao"}).content.decode()
    assert 'data-count="5"' in html


def test_the_api_count_stays_exact(api, users, dibao, settings):
    settings.PEOPLE_SEARCH_COUNT_CAP = 2
    api.force_authenticate(users["admin"])
    body = api.get("/api/v1/households/", {"region": "51"}).json()
    assert body["count"] == 8
