"""Pages and API of 督查: the trip and its findings on a phone, the answer form one tap from the
region's task, accept and send back for the supervisor only, open findings on the today page and
the region's page, scoping both ways (the supervisor and the region visited see it, a neighbouring
county sees nothing), an API round trip, bad input answered in Chinese."""

from __future__ import annotations

import pytest

from relief.models import Task
from supervision import services
from supervision.models import Finding, FindingState, SupervisionTrip
from tests.supervision.factories import issued, make_finding, make_trip

pytestmark = pytest.mark.django_db


def test_the_region_sees_its_task_on_today_and_answers_in_one_tap(users, as_user):
    city, county = users["city"], users["county"]
    _trip, (finding,) = issued(city)
    page = as_user(county).get("/").content.decode()
    assert "督查整改：问题0" in page
    answer_url = f"/supervision/findings/{finding.pk}/answer/"
    assert answer_url in page
    form = as_user(county).get(answer_url)
    assert form.status_code == 200 and 'data-testid="answer-form"' in form.content.decode()
    r = as_user(county).post(answer_url, {"step": "answer", "answer-comment": "已逐户走访"})
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.ANSWERED and finding.answer == "已逐户走访"
    assert "督查整改：问题0" not in as_user(county).get("/").content.decode()
    # the city's today page holds the acceptance
    assert "督查整改待验收：问题0" in as_user(city).get("/").content.decode()


def test_buttons_only_for_those_who_may_use_them(users, as_user):
    city, county = users["city"], users["county"]
    trip, (finding,) = issued(city)
    url = f"/supervision/findings/{finding.pk}/"
    assert 'data-step="answer"' in as_user(county).get(url).content.decode()
    assert 'data-step="answer"' not in as_user(city).get(url).content.decode()
    # the city's answer form says why not, and a forged post is refused
    assert 'data-testid="answer-refusal"' in as_user(city).get(f"{url}answer/").content.decode()
    assert as_user(city).post(f"{url}answer/", {"answer-comment": "代报"}).status_code == 403
    services.finding_answer(actor=county, finding=finding, comment="已整改")
    page = as_user(city).get(url).content.decode()
    assert 'data-step="accept"' in page and 'data-step="send_back"' in page
    county_page = as_user(county).get(url).content.decode()
    assert 'data-step="accept"' not in county_page and 'data-step="send_back"' not in county_page
    assert as_user(county).post(f"{url}accept/", {}).status_code == 403
    trip_page = as_user(county).get(f"/supervision/{trip.pk}/").content.decode()
    assert 'data-testid="finding-new"' not in trip_page and 'data-step="close"' not in trip_page
    assert 'data-step="close"' in as_user(city).get(f"/supervision/{trip.pk}/").content.decode()
    assert 'data-testid="trip-new"' in as_user(city).get("/supervision/").content.decode()
    assert 'data-testid="trip-new"' not in as_user(users["village"]).get("/supervision/").content.decode()


def test_send_back_from_the_page_reopens_the_task(users, as_user):
    city, county = users["city"], users["county"]
    _trip, (finding,) = issued(city)
    services.finding_answer(actor=county, finding=finding, comment="已整改")
    url = f"/supervision/findings/{finding.pk}/send_back/"
    r = as_user(city).post(url, {"step": "send_back", "send_back-comment": ""})
    assert r.status_code == 200 and "退回须说明原因" in r.content.decode()
    r = as_user(city).post(
        url, {"step": "send_back", "send_back-comment": "缺佐证", "send_back-working_days": "3"}
    )
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN
    assert (
        Task.objects.live()
        .filter(cause_key=f"finding:{finding.pk}:rectify", assignee_region="510121")
        .exists()
    )


def test_trip_pages_create_record_and_issue(users, as_user):
    city = users["city"]
    client = as_user(city)
    form = client.get("/supervision/new/").content.decode()
    assert "金堂县" in form and "大邑县" in form
    r = client.post(
        "/supervision/new/",
        {
            "title": "",
            "leader": "王局",
            "planned_start": "2026-12-05",
            "planned_end": "2026-12-01",
            "regions": [],
        },
    )
    assert r.status_code == 200 and not SupervisionTrip.objects.exists()
    r = client.post(
        "/supervision/new/",
        {
            "title": "督查",
            "leader": "王局",
            "planned_start": "2026-12-05",
            "planned_end": "2026-12-01",
            "regions": ["510121"],
        },
    )
    assert r.status_code == 200 and "计划结束日期不能早于开始日期" in r.content.decode()
    r = client.post(
        "/supervision/new/",
        {
            "title": "冬季救助督查",
            "leader": "王局",
            "planned_start": "2026-12-01",
            "planned_end": "2026-12-03",
            "regions": ["510121"],
        },
    )
    assert r.status_code == 302
    trip = SupervisionTrip.objects.get(title="冬季救助督查")
    assert client.post(f"/supervision/{trip.pk}/start/", {"step": "start"}).status_code == 302
    r = client.post(
        f"/supervision/{trip.pk}/findings/new/",
        {"region": "510121", "area": "cold_wave", "severity": "major", "text": "未落实24小时值班"},
    )
    assert r.status_code == 302
    assert client.post(f"/supervision/{trip.pk}/issue/", {"step": "issue"}).status_code == 302
    finding = Finding.objects.get(trip=trip)
    assert finding.state == FindingState.OPEN
    page = client.get(f"/supervision/{trip.pk}/").content.decode()
    assert "未落实24小时值班" in page and "待整改" in page
    assert as_user(users["township"]).get("/supervision/new/").status_code == 403


def test_open_findings_on_the_region_page(users, as_user):
    city = users["city"]
    issued(city)
    page = as_user(users["county"]).get("/regions/510121/").content.decode()
    assert 'data-testid="region-section-supervision_findings"' in page and "问题0" in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "督查" not in title and page.index("region-section") > page.index("<main")
    assert as_user(users["other_county"]).get("/regions/510121/").status_code == 404


def test_a_neighbouring_county_sees_nothing(users, as_user, api):
    city, neighbour = users["city"], users["other_county"]
    trip, (finding,) = issued(city)
    client = as_user(neighbour)
    for url in (
        f"/supervision/{trip.pk}/",
        f"/supervision/findings/{finding.pk}/",
        f"/supervision/findings/{finding.pk}/answer/",
    ):
        assert client.get(url).status_code == 404, url
    assert "冬季救助工作督查" not in client.get("/supervision/").content.decode()
    api.force_authenticate(neighbour)
    assert api.get("/api/v1/supervision-trips/").json()["count"] == 0
    assert api.get("/api/v1/supervision-findings/").json()["count"] == 0
    assert api.post(f"/api/v1/supervision-findings/{finding.pk}/answer/", {"comment": "x"}).status_code == 404
    # the region visited and the supervisor both see it; the province above them too
    for user in (users["county"], city, users["province"]):
        api.force_authenticate(user)
        assert api.get(f"/api/v1/supervision-trips/{trip.pk}/").status_code == 200
        assert api.get(f"/api/v1/supervision-findings/{finding.pk}/").status_code == 200
    finding.refresh_from_db()
    assert finding.state == FindingState.OPEN


def test_the_region_filter_finds_a_trip_to_the_region_as_the_permission_does(users, api):
    """A county filtering by its own code finds the city's trip to it (the trip's own region is
    the city's); the neighbour's code finds nothing."""
    trip, _findings = issued(users["city"])
    api.force_authenticate(users["county"])
    assert [t["id"] for t in api.get("/api/v1/supervision-trips/?region=510121").json()["results"]] == [
        trip.pk
    ]
    assert api.get("/api/v1/supervision-trips/?region=510129").json()["count"] == 0
    api.force_authenticate(users["city"])
    assert api.get("/api/v1/supervision-trips/?region=5101").json()["count"] == 1
    assert api.get("/api/v1/supervision-trips/?region=510121").json()["count"] == 1


def test_api_round_trip(users, api):
    city, county = users["city"], users["county"]
    api.force_authenticate(city)
    r = api.post(
        "/api/v1/supervision-trips/",
        {
            "title": "寒潮应对督查",
            "leader": "李处长",
            "planned_start": "2026-12-01",
            "planned_end": "2026-12-02",
            "regions": ["510121"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    trip = r.json()
    assert trip["regions"] == ["510121"] and trip["available_actions"][0]["name"] == "start"
    assert api.post(f"/api/v1/supervision-trips/{trip['id']}/start/", {}, format="json").status_code == 200
    r = api.post(
        "/api/v1/supervision-findings/",
        {
            "trip": trip["id"],
            "region": "510121",
            "area": "supplies",
            "text": "棉被储备不足",
            "working_days": 5,
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    finding_id = r.json()["id"]
    assert r.json()["state"] == "draft"
    r = api.post(f"/api/v1/supervision-trips/{trip['id']}/issue/", {}, format="json")
    assert r.status_code == 200 and r.json()["findings"]["open"] == 1
    api.force_authenticate(county)
    r = api.get("/api/v1/tasks/", {"view": "mine", "source": "finding"})
    assert [t["action_url"] for t in r.json()["results"]] == [f"/supervision/findings/{finding_id}/answer/"]
    r = api.post(
        f"/api/v1/supervision-findings/{finding_id}/answer/", {"comment": "已补充棉被200床"}, format="json"
    )
    assert r.status_code == 200 and r.json()["state"] == "answered"
    assert r.json()["available_actions"] == []
    assert (
        api.post(f"/api/v1/supervision-findings/{finding_id}/accept/", {}, format="json").status_code == 403
    )
    api.force_authenticate(city)
    r = api.post(f"/api/v1/supervision-findings/{finding_id}/return/", {"comment": "请附照片"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "open" and r.json()["returned_count"] == 1
    api.force_authenticate(county)
    api.post(f"/api/v1/supervision-findings/{finding_id}/answer/", {"comment": "照片已附"}, format="json")
    api.force_authenticate(city)
    r = api.post(f"/api/v1/supervision-findings/{finding_id}/accept/", {"comment": "通过"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert api.get(f"/api/v1/supervision-trips/{trip['id']}/").json()["state"] == "closed"


def test_api_bad_input_in_chinese(users, api):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/supervision-trips/",
        {
            "title": "督查",
            "leader": "王",
            "planned_start": "2026-12-01",
            "planned_end": "2026-12-02",
            "regions": ["510129"],
        },
        format="json",
    )
    assert r.status_code == 400 and "被督查地区必须是督查单位辖区内的下级区划" in r.content.decode()
    api.force_authenticate(users["village"])
    r = api.post(
        "/api/v1/supervision-trips/",
        {
            "title": "督查",
            "leader": "王",
            "planned_start": "2026-12-01",
            "planned_end": "2026-12-02",
            "regions": ["510121001001"],
        },
        format="json",
    )
    assert r.status_code == 403 and "督查须由县级及以上民政部门组织" in r.content.decode()
    city = users["city"]
    trip = make_trip(city)
    api.force_authenticate(city)
    r = api.post(
        "/api/v1/supervision-findings/",
        {"trip": trip.pk, "region": "510121", "area": "visits", "text": "问题", "working_days": 90},
        format="json",
    )
    assert r.status_code == 400
    make_finding(city, trip)
    services.trip_issue(actor=city, trip=trip)
    finding = trip.findings.get()
    api.force_authenticate(users["county"])
    r = api.post(f"/api/v1/supervision-findings/{finding.pk}/answer/", {"comment": ""}, format="json")
    assert r.status_code == 400 and "请填写整改情况" in r.content.decode()


def test_list_endpoints_query_counts(users, api, django_assert_max_num_queries):
    city = users["city"]
    for _ in range(3):
        issued(city, n=2)
    api.force_authenticate(city)
    with django_assert_max_num_queries(8):
        r = api.get("/api/v1/supervision-trips/")
    assert r.json()["count"] == 3
    with django_assert_max_num_queries(8):
        r = api.get("/api/v1/supervision-findings/")
    assert r.json()["count"] == 6


def _docx() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def test_evidence_as_a_word_document_downloaded_by_the_supervisor_only(users, as_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    city, county = users["city"], users["county"]
    _trip, (finding,) = issued(city)
    url = f"/supervision/findings/{finding.pk}/answer/"
    upload = SimpleUploadedFile("整改报告.docx", _docx(), content_type="application/octet-stream")
    r = as_user(county).post(
        url, {"step": "answer", "answer-comment": "见整改报告", "answer-evidence": upload}
    )
    assert r.status_code == 302
    finding.refresh_from_db()
    assert finding.evidence.name.endswith(".docx")
    download = f"/files/supervision.finding/{finding.pk}/evidence/"
    assert download in as_user(city).get(f"/supervision/findings/{finding.pk}/").content.decode()
    assert as_user(city).get(download).status_code == 200
    assert as_user(users["other_county"]).get(download).status_code == 404
