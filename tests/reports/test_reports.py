"""日报 / 周报 (reports/): a report's figures equal the dashboard's roll-ups for its region, its PDF
renders (to images, headlessly, with pypdfium2) and holds the region's name and figures, its Excel
the same numbers; generation is idempotent, 上报 happens once, the level above sees who has not
reported, the report is a task on the region's today page until it is sent up, and the API and
pages answer only inside the region. The data and the reports are made once for the module."""

from __future__ import annotations

import io
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from relief import schedules
from relief.dashboard import board, registry, selectors, services
from relief.models import Region, Task
from reports import content
from reports.models import Report, State
from reports.services import report_generate, report_submit, reports_generate_all
from supervision.selectors import open_findings
from tests.conftest import make_regions, make_users
from tests.relief.test_dashboard_data import expected, make_data
from tests.supervision.factories import issued

pytestmark = pytest.mark.django_db
CODES = ("510121", "5101", "51")
API = "/api/v1/reports/"


@pytest.fixture(scope="module")
def built(module_db, django_db_blocker):
    with django_db_blocker.unblock():
        users = make_users(make_regions())
        make_data(users)
        issued(users["city"], n=2)  # two open 督查 findings for the home county
        services.figures_refresh()
        made = reports_generate_all(kind="daily")
        reports = {r.region_id: r for r in Report.objects.filter(region_id__in=CODES)}
        wanted = {code: expected(code) for code in CODES}
    return {"users": users, "made": made, "reports": reports, "expected": wanted}


@pytest.fixture
def users(built):
    return built["users"]


def _dec(v):
    return None if v is None else Decimal(str(v))


def test_the_morning_run_makes_one_report_per_province_city_and_county_with_people(built):
    assert set(built["reports"]) == set(CODES)
    codes = set(Report.objects.values_list("region_id", flat=True))
    assert codes == {c for c in codes if len(c) in (2, 4, 6)}
    assert built["made"] == len(codes) == Report.objects.count()


@pytest.mark.parametrize("code", CODES)
def test_report_figures_equal_the_dashboards_rollups(built, code):
    report = built["reports"][code]
    summary = selectors.summary(Region.objects.get(code=code))
    assert summary.source == "rollup"
    exp = built["expected"][code]
    for fig in registry.figures():
        got = content.figure(report.figures, fig.key)
        assert got is not None, fig.key
        dashboard = selectors.plain(fig, selectors.figure_value(fig, summary.totals))
        assert _dec(got["value"]) == _dec(dashboard), (code, fig.key)
        if fig.key in exp and fig.kind != "level":
            assert _dec(got["value"]) == _dec(exp[fig.key]), (code, fig.key)
    # the ranking is the dashboard's "who is behind", sub-region by sub-region
    boards = {b.figure.key: b for b in board.boards(summary)}
    for ranked in report.figures["ranking"]:
        b = boards[ranked["key"]]
        assert [r["code"] for r in ranked["rows"]] == [r["code"] for r in b.rows]
        assert [_dec(r["value"]) for r in ranked["rows"]] == [_dec(r["value"]) for r in b.rows]
        assert [_dec(r["gap"]) for r in ranked["rows"]] == [_dec(r["gap"]) for r in b.rows]


def _pdf_text_and_images(report):
    with report.pdf.open("rb") as f:
        doc = pdfium.PdfDocument(f.read())
    texts, images = [], []
    for page in doc:
        texts.append(page.get_textpage().get_text_range())
        images.append(page.render(scale=1).to_pil())
    return "".join(texts).replace("\r", "").replace("\n", ""), images


@pytest.mark.parametrize("code", ["5101", "510121"])
def test_the_pdf_renders_as_a4_in_chinese_with_the_name_and_the_figures(built, code):
    report = built["reports"][code]
    text, images = _pdf_text_and_images(report)
    assert images and all(img.size == (595, 842) or img.size == (596, 842) for img in images)  # A4 at 72 dpi
    assert any(img.convert("L").getextrema()[0] < 100 for img in images)  # something is drawn
    name = Region.objects.get(code=code).name
    assert f"{name}冬季救助日报" in text
    for key in ("people.monitored", "people.households", "people.visit_coverage", "alerts.open"):
        f = content.figure(report.figures, key)
        assert content.shown(f["value"], f["kind"]) in text, key
    assert "督查发现问题" in text and "本冬趋势" in text
    with report.pdf.open("rb") as f:
        raw = f.read()
    assert b"MicroHei" in raw and b"FontFile2" in raw  # the Chinese font is embedded


def test_the_city_pdf_draws_the_map_of_its_counties_with_a_legend(built):
    text, images = _pdf_text_and_images(built["reports"]["5101"])
    assert "达到目标" in text and "无数据" in text  # the legend
    assert "彭州市" in text  # a county without records is drawn on the map (grey), named
    colours = set()
    for img in images:
        colours |= {c for _n, c in img.convert("RGB").getcolors(1 << 20)}
    assert {(46, 125, 50), (198, 40, 40)} <= colours  # 大邑县 met the visit target, 金堂县 is behind


@pytest.mark.parametrize("code", ["510121", "5101"])
def test_open_supervision_findings_show_in_the_report(built, code):
    report = built["reports"][code]
    found = open_findings(code)
    assert found["total"] == 2
    assert report.figures["findings"]["total"] == 2
    assert report.figures["findings"]["by_area"]["visits"]["total"] == 2
    text, _images = _pdf_text_and_images(report)
    assert "走访探视" in text


def test_the_excel_holds_the_same_numbers(built):
    report = built["reports"]["5101"]
    with report.xlsx.open("rb") as f:
        wb = load_workbook(io.BytesIO(f.read()))
    ws = wb.worksheets[0]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    for f in report.figures["figures"]:
        if f["kind"] == "level":
            continue
        assert _dec(rows[f["label"]][3]) == _dec(f["value"]), f["key"]
    subs = [r for r in wb.worksheets[1].iter_rows(values_only=True) if r and r[1] in ("510121", "510129")]
    assert subs
    trend = list(wb.worksheets[2].iter_rows(values_only=True))
    assert len(trend) == len(report.figures["trends"]["weeks"]) + 1


def test_generating_again_replaces_an_unsubmitted_report_never_a_submitted_one(built, users):
    county = Region.objects.get(code="510121")
    first = Report.objects.get(region=county, kind="daily")
    again = report_generate(region=county, kind="daily")
    assert again.pk == first.pk and again.generated_at > first.generated_at
    assert Report.objects.filter(region=county, kind="daily").count() == 1
    report_submit(actor=users["county"], report=again)
    frozen = Report.objects.get(pk=first.pk)
    third = report_generate(region=county, kind="daily")
    assert third.generated_at == frozen.generated_at and third.figures == frozen.figures
    assert third.state == State.SUBMITTED


def test_submit_once_by_the_regions_own_staff_and_the_task_closes(built, users):
    report = Report.objects.get(region_id="510121", kind="daily")
    task = Task.objects.live().get(cause_key__startswith=f"deadline:reports.submit:{report.pk}:")
    assert task.assignee_region == "510121"
    for who in ("township", "city", "other_county", "api_read"):
        with pytest.raises(PermissionDenied):
            report_submit(actor=users[who], report=report)
    assert Report.objects.get(pk=report.pk).state == State.GENERATED
    done = report_submit(actor=users["county"], report=report)
    assert done.state == State.SUBMITTED and done.submitted_by == users["county"]
    again = report_submit(actor=users["county"], report=report)
    assert again.submitted_at == done.submitted_at
    assert not Task.objects.live().filter(pk=task.pk).exists()


def test_yesterdays_unsent_report_is_no_longer_a_task_once_todays_is_made(built):
    import datetime

    county = Region.objects.get(code="510121")
    today = Report.objects.get(region=county, kind="daily")
    yesterday = report_generate(region=county, kind="daily", day=today.period - datetime.timedelta(days=1))
    assert (
        not Task.objects.live()
        .filter(cause_key__startswith=f"deadline:reports.submit:{yesterday.pk}:")
        .exists()
    )
    assert Task.objects.live().filter(cause_key__startswith=f"deadline:reports.submit:{today.pk}:").exists()
    tomorrow = report_generate(region=county, kind="daily", day=today.period + datetime.timedelta(days=1))
    assert (
        not Task.objects.live().filter(cause_key__startswith=f"deadline:reports.submit:{today.pk}:").exists()
    )
    assert (
        Task.objects.live().filter(cause_key__startswith=f"deadline:reports.submit:{tomorrow.pk}:").exists()
    )


def test_the_level_above_sees_which_sub_regions_have_not_reported(built, users, api):
    api.force_authenticate(users["city"])
    body = api.get(f"{API}status/", {"region": "5101"}).json()
    status = {r["region"]: r["status"] for r in body["subregions"]}
    assert status["510121"] == "generated"
    Report.objects.filter(region_id="510129").delete()
    report_submit(actor=users["county"], report=Report.objects.get(region_id="510121", kind="daily"))
    body = api.get(f"{API}status/", {"region": "5101"}).json()
    status = {r["region"]: r["status"] for r in body["subregions"]}
    assert status == {"510121": "submitted", "510129": "missing"}


def test_a_beat_entry_runs_the_reports_each_morning():
    from relief.celery import app

    daily, weekly = schedules.SCHEDULES["reports-daily"], schedules.SCHEDULES["reports-weekly"]
    assert (daily.hour, daily.minute, daily.task) == ("7", "0", "reports.generate_daily")
    assert weekly.day_of_week == "1" and weekly.task == "reports.generate_weekly"
    assert {daily.task, weekly.task} <= set(app.tasks)
    from django_celery_beat.models import PeriodicTask

    schedules.schedules_sync()
    beat = PeriodicTask.objects.get(name="reports-weekly").crontab
    assert (beat.hour, beat.day_of_week, str(beat.timezone)) == ("7", "1", "Asia/Shanghai")
    assert PeriodicTask.objects.get(name="reports-daily").crontab.day_of_week == "*"


# --- scoping ------------------------------------------------------------------------------------


def test_api_list_shows_own_and_lower_regions_only(built, users, api):
    api.force_authenticate(users["city"])
    codes = {r["region"] for r in api.get(API).json()["results"]}
    assert "510121" in codes and "5101" in codes and "51" not in codes
    api.force_authenticate(users["county"])
    codes = {r["region"] for r in api.get(API, {"kind": "daily"}).json()["results"]}
    assert codes == {"510121"}


@pytest.mark.parametrize("suffix", ["", "xlsx/", "pdf/"])
def test_api_reads_a_county_report_for_the_county_and_the_city_404_for_a_neighbour(built, users, api, suffix):
    pk = built["reports"]["510121"].pk
    for who, code in (
        ("county", 200),
        ("city", 200),
        ("province", 200),
        ("other_county", 404),
        ("other_province", 404),
    ):
        api.force_authenticate(users[who])
        assert api.get(f"{API}{pk}/{suffix}").status_code == code, who
    api.force_authenticate(None)
    assert api.get(f"{API}{pk}/{suffix}").status_code in (401, 403)
    if suffix == "pdf/":
        api.force_authenticate(users["city"])
        response = api.get(f"{API}{pk}/pdf/")
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_api_submit_scoping(built, users, api):
    pk = built["reports"]["510121"].pk
    api.force_authenticate(users["other_county"])
    assert api.post(f"{API}{pk}/submit/").status_code == 404
    api.force_authenticate(users["city"])
    assert api.post(f"{API}{pk}/submit/").status_code == 403
    assert Report.objects.get(pk=pk).state == State.GENERATED  # nothing changed
    api.force_authenticate(users["county"])
    body = api.post(f"{API}{pk}/submit/").json()
    assert body["state"] == "submitted"


@pytest.mark.parametrize(
    "params", [{"region": ""}, {"region": "5101\n"}, {"kind": "monthly"}, {"date": ""}, {"date": "tomorrow"}]
)
def test_api_status_refuses_a_malformed_parameter(built, users, api, params):
    api.force_authenticate(users["city"])
    assert api.get(f"{API}status/", params).status_code == 400


def test_api_status_outside_the_region_is_404(built, users, api):
    api.force_authenticate(users["other_county"])
    assert api.get(f"{API}status/", {"region": "5101"}).status_code == 404
    api.force_authenticate(users["county"])
    assert api.get(f"{API}status/", {"region": "510121"}).json()["subregions"] == []


def test_pages_list_detail_download_and_submit(built, users, as_user):
    pk = built["reports"]["510121"].pk
    client = as_user(users["city"])
    page = client.get("/dashboard/reports/", {"region": "5101"})
    assert page.status_code == 200
    assert "已生成未上报" in page.content.decode()  # the county's report waits to be sent up
    assert client.get(f"/dashboard/reports/{pk}/").status_code == 200
    assert client.get(f"/dashboard/reports/{pk}/xlsx/").status_code == 200
    assert client.post(f"/dashboard/reports/{pk}/submit/").status_code == 403
    client = as_user(users["other_county"])
    for url in (f"/dashboard/reports/{pk}/", f"/dashboard/reports/{pk}/pdf/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/dashboard/reports/{pk}/submit/").status_code == 404
    assert client.get("/dashboard/reports/", {"region": "510121"}).status_code == 404
    client = as_user(users["county"])
    response = client.post(f"/dashboard/reports/{pk}/submit/")
    assert response.status_code == 302
    assert Report.objects.get(pk=pk).state == State.SUBMITTED
    assert "已上报" in client.get(f"/dashboard/reports/{pk}/").content.decode()


def test_generate_now_button_for_staff(built, users, as_user):
    client = as_user(users["township"])
    assert client.post("/dashboard/reports/generate/", {"region": "510121001"}).status_code in (403, 404)
    client = as_user(users["county"])
    response = client.post("/dashboard/reports/generate/", {"region": "510121", "kind": "weekly"})
    assert response.status_code == 302
    assert Report.objects.filter(region_id="510121", kind="weekly").count() == 1


def test_list_and_status_query_counts(built, users, api, django_assert_max_num_queries):
    api.force_authenticate(users["province"])
    with django_assert_max_num_queries(6):
        body = api.get(API).json()
    assert body["count"] >= 3
    with django_assert_max_num_queries(6):
        assert api.get(f"{API}status/", {"region": "5101"}).status_code == 200


def test_the_report_page_shows_the_frozen_figures(built, users, as_user):
    client = as_user(users["city"])
    report = built["reports"]["5101"]
    page = client.get(f"/dashboard/reports/{report.pk}/").content.decode()
    monitored = content.figure(report.figures, "people.monitored")
    assert "成都市" in page and monitored["label"] in page and f"{monitored['value']} 人" in page
