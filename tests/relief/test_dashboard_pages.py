"""The dashboard page, its drill-down, the Excel export and the on-demand refresh."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from relief.dashboard import selectors
from relief.models import RegionFigure
from tests.relief.test_dashboard_data import HOME_TOWNSHIP, HOME_VILLAGE, expected, make_data


@pytest.fixture
def data(users):
    return make_data(users)


@pytest.mark.django_db
def test_province_page_shows_cards_table_trends_and_freshness(as_user, users, data):
    response = as_user(users["province"]).get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    want = expected("51")
    assert f'data-testid="figure-link-people.monitored">{want["people.monitored"]}</a>' in html
    assert 'data-testid="cold-wave"' in html and "橙色" in html
    assert 'data-testid="freshness"' in html and "实时计算" in html
    assert 'href="/dashboard/?region=5101"' in html  # drill down to the city
    assert "vendor/echarts/echarts.min.js" in html and "cdn" not in html.lower()
    chart = json.loads(
        html.split('id="dashboard-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert [s["key"] for s in chart["series"]] == ["trend.visits", "trend.payments", "trend.encounters"]
    assert "数据看板" in html  # the navigation entry


@pytest.mark.django_db
def test_township_page_links_villages_to_their_household_list(as_user, users, data):
    response = as_user(users["county"]).get("/dashboard/", {"region": HOME_TOWNSHIP})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="/people/?region={HOME_VILLAGE}"' in html
    assert 'href="/dashboard/?region=510121"' in html  # breadcrumb back up to the county


@pytest.mark.django_db
def test_rollup_freshness_is_shown(as_user, users, data):
    from relief.dashboard import services

    services.figures_refresh()
    html = as_user(users["province"]).get("/dashboard/").content.decode()
    assert "每10分钟汇总" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "region"), [("other_county", "510121"), ("county", "51"), ("village", HOME_TOWNSHIP)]
)
def test_out_of_region_is_404(as_user, users, who, region):
    client = as_user(users[who])
    assert client.get("/dashboard/", {"region": region}).status_code == 404
    assert client.get("/dashboard/export/", {"region": region}).status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_excel_export_of_the_table(as_user, users, data):
    response = as_user(users["province"]).get("/dashboard/export/", {"region": "51"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in ws[2]]
    columns = selectors.table_figures()
    assert header[:2] == ["区划代码", "区划"] and len(header) == 2 + len(columns)
    rows = {r[0]: r for r in ws.iter_rows(min_row=3, values_only=True)}
    city = rows["510100"]
    want = expected("5101")
    for i, f in enumerate(columns, start=2):
        if f.kind == "level":
            assert city[i] == "橙色"
        elif want[f.key] is None:
            assert city[i] is None
        else:
            assert Decimal(str(city[i])).quantize(Decimal("0.0001")) == Decimal(want[f.key]).quantize(
                Decimal("0.0001")
            ), f.key
    assert rows[None][1] == "合计"  # the total row has no code


@pytest.mark.django_db
def test_refresh_on_demand(as_user, users, data, django_capture_on_commit_callbacks):
    client = as_user(users["province"])
    assert not RegionFigure.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/refresh/", {"region": "51"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/?region=51"
    assert RegionFigure.objects.filter(region_code="51", key="people.monitored", dim="").exists()
    assert client.get("/dashboard/refresh/").status_code == 405
