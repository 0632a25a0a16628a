"""应急预案: a county uploads its cold-wave plan (the document checked by content), lists the goods it
must hold, and records its drills; the reserve list is checked against the real stock of the
county's warehouses; a county under a warning in force with no plan in force, or with reserves
short, gets an alert that clears by itself when the plan or the stock is there."""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coldwaves.models import Drill, EmergencyPlan, PlanReserve
from coldwaves.plan_sweeps import PLAN_GAP
from coldwaves.selectors import reserve_check
from coldwaves.services import rollcall_tick
from coldwaves.services.plans import drill_record, plan_create, reserves_set
from funds.services.materials import stock_receive
from patrols.models import ColdWaveWarning
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, AlertStatus, PersonalDataReveal
from tests.funds.factories import WarehouseFactory, item

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


def pdf_bytes(text: str = "WarmWinter plan") -> bytes:
    """A minimal valid PDF (one page, one line of text), with a correct cross-reference table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (n, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Word document: the three parts Word needs to open it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        zf.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
            '2006/main"><w:body><w:p><w:r><w:t>金堂县寒潮应急预案</w:t></w:r></w:p></w:body></w:document>',
        )
    return out.getvalue()


def upload(content: bytes | None = None, name: str = "预案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, pdf_bytes() if content is None else content, content_type="application/pdf"
    )


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def plan(users, regions):
    return plan_create(
        actor=users["county"],
        region=regions["county"],
        title="金堂县寒潮应急预案（2026年修订）",
        document=upload(),
        approved_on=datetime.date(2026, 10, 15),
    )


@pytest.fixture
def stock(users, regions):
    """Quilts in the county's and a township's warehouse, coal in the county's, and plenty of
    everything in the other county (which must not count)."""
    county_store = WarehouseFactory(region=regions["county"], name="县救灾物资储备库")
    township_store = WarehouseFactory(region=regions["township"], name="赵镇街道物资点")
    other_store = WarehouseFactory(region=regions["other_county"], name="大邑县储备库")
    receive = [
        (users["county"], county_store, "quilt", "60"),
        (users["township"], township_store, "quilt", "30"),
        (users["county"], county_store, "coal", "500"),
        (users["other_county"], other_store, "quilt", "1000"),
        (users["other_county"], other_store, "cotton_clothing", "1000"),
    ]
    for actor, warehouse, code, qty in receive:
        stock_receive(actor=actor, warehouse=warehouse, item=item(code), quantity=Decimal(qty))
    return county_store


def _lines(**quantities: str) -> dict:
    return {item(code): qty for code, qty in quantities.items()}


# --- Upload and download ----------------------------------------------------------------------------


def test_the_county_uploads_its_plan_and_a_township_downloads_it_logged(users, regions, as_user):
    client = as_user(users["county"])
    response = client.post(
        reverse("coldwaves:plan-new"),
        {
            "region": regions["county"].code,
            "title": "金堂县寒潮应急预案",
            "document": upload(),
            "approved_on": "2026-10-15",
            "valid_until": "2029-10-14",
        },
    )
    plan = EmergencyPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == plan.get_absolute_url()
    assert (plan.region_id, plan.created_by, plan.superseded_at) == ("510121", users["county"], None)
    assert plan.document.name.endswith(".pdf") and "预案" not in plan.document.name  # a random stored name
    assert plan.history.get().history_user == users["county"]

    page = as_user(users["township"]).get(plan.get_absolute_url())
    assert page.status_code == 200
    assert "金堂县寒潮应急预案" in page.content.decode()
    download = page.context["document_url"]
    assert download and download in page.content.decode()
    file = as_user(users["township"]).get(download)
    assert file.status_code == 200
    assert b"".join(file.streaming_content) == pdf_bytes()
    assert file["Content-Type"] == "application/pdf" and "attachment" in file["Content-Disposition"]
    reveal = PersonalDataReveal.objects.get()
    assert (reveal.user, reveal.subject_id, reveal.field) == (users["township"], str(plan.pk), "document")


def test_a_word_document_is_accepted_and_stored_as_docx(users, regions):
    plan = plan_create(
        actor=users["county"],
        region=regions["county"],
        title="预案",
        document=SimpleUploadedFile("plan.docx", docx_bytes()),
        approved_on=TODAY,
    )
    assert plan.document.name.endswith(".docx")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00 this is a program", "预案.pdf"),  # a program named .pdf
        (b"<html><script>alert(1)</script></html>", "预案.doc"),
        (None, "not-a-docx.docx"),  # a zip, but not a Word document
    ],
)
def test_a_file_that_is_no_document_is_refused_in_chinese(users, regions, as_user, content, name):
    if content is None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("hello.txt", "hi")
        content = buf.getvalue()
    response = as_user(users["county"]).post(
        reverse("coldwaves:plan-new"),
        {
            "region": regions["county"].code,
            "title": "预案",
            "document": upload(content, name),
            "approved_on": "2026-10-15",
        },
    )
    assert response.status_code == 400
    assert "只能上传 PDF、Word（.doc、.docx）或 OFD 格式的文件" in response.content.decode()
    assert not EmergencyPlan.objects.exists()


def test_a_file_over_the_size_limit_is_refused(users, regions, settings):
    settings.UPLOAD_DOCUMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="文件过大"):
        plan_create(
            actor=users["county"],
            region=regions["county"],
            title="预案",
            document=upload(),
            approved_on=TODAY,
        )
    assert not EmergencyPlan.objects.exists()


def test_a_new_plan_supersedes_the_current_one_and_carries_its_reserve_list(users, regions, plan):
    reserves_set(actor=users["county"], plan=plan, lines=_lines(quilt="120", coal="200"))
    newer = plan_create(
        actor=users["county"],
        region=regions["county"],
        title="2027年修订",
        document=upload(),
        approved_on=TODAY,
    )
    plan.refresh_from_db()
    assert plan.superseded_at is not None and plan.superseded_by == newer
    assert list(EmergencyPlan.objects.current()) == [newer]
    assert {(r.item.code, r.required) for r in newer.reserves.all()} == {
        ("quilt", Decimal("120.00")),
        ("coal", Decimal("200.00")),
    }
    with pytest.raises(ValidationError, match="已被新预案替代"):
        reserves_set(actor=users["county"], plan=plan, lines=_lines(quilt="1"))


def test_only_county_writers_keep_plans(users, regions, plan):
    for who in ("township", "village"):
        with pytest.raises(PermissionDenied, match="县（区）民政部门"):
            plan_create(
                actor=users[who], region=regions["county"], title="x", document=upload(), approved_on=TODAY
            )
    with pytest.raises(PermissionDenied):
        plan_create(
            actor=users["other_county"],
            region=regions["county"],
            title="x",
            document=upload(),
            approved_on=TODAY,
        )
    with pytest.raises(PermissionDenied):
        reserves_set(actor=users["province"], plan=plan, lines=_lines(quilt="5"))
    assert EmergencyPlan.objects.count() == 1 and not PlanReserve.objects.exists()


# --- Reserves against the stock ----------------------------------------------------------------------


def test_the_reserve_check_counts_every_warehouse_of_the_county_and_nothing_else(
    users, plan, stock, django_assert_num_queries
):
    reserves_set(
        actor=users["county"], plan=plan, lines=_lines(quilt="120", cotton_clothing="50", coal="200")
    )
    with django_assert_num_queries(1):
        lines = {r.item.code: (r.required, r.held, r.shortfall) for r in reserve_check(plan)}
    assert lines == {
        "quilt": (Decimal("120.00"), Decimal("90.00"), Decimal("30.00")),  # 60 county + 30 township
        "cotton_clothing": (
            Decimal("50.00"),
            Decimal("0"),
            Decimal("50.00"),
        ),  # the other county's do not count
        "coal": (Decimal("200.00"), Decimal("500.00"), Decimal("0")),
    }


def test_the_plan_page_highlights_the_shortfalls(users, plan, stock, as_user):
    reserves_set(actor=users["county"], plan=plan, lines=_lines(quilt="120", coal="200"))
    page = as_user(users["county"]).get(plan.get_absolute_url())
    html = page.content.decode()
    assert page.context["short_lines"] == 1
    assert 'data-item="quilt" class="table-danger"' in html
    assert 'data-item="coal">' in html  # held in full: not highlighted
    assert ">30床<" in html  # the shortfall, in the item's unit


def test_the_reserve_list_is_edited_on_its_page(users, plan, as_user):
    client = as_user(users["county"])
    url = reverse("coldwaves:plan-reserves", args=[plan.pk])
    quilt, coal = item("quilt"), item("coal")
    assert client.get(url).status_code == 200
    response = client.post(url, {f"qty_{quilt.pk}": "120", f"qty_{coal.pk}": "200.5"})
    assert response.status_code == 302
    assert {r.item_id: r.required for r in plan.reserves.all()} == {
        quilt.pk: Decimal("120.00"),
        coal.pk: Decimal("200.50"),
    }
    response = client.post(url, {f"qty_{quilt.pk}": "0", f"qty_{coal.pk}": "许多"})
    assert response.status_code == 400
    assert "数量格式不正确" in response.content.decode()
    assert plan.reserves.count() == 2  # nothing changed
    client.post(url, {f"qty_{quilt.pk}": "0", f"qty_{coal.pk}": "200.5"})
    assert [r.item_id for r in plan.reserves.all()] == [coal.pk]  # 0 removes the line


# --- Drills --------------------------------------------------------------------------------------------


def test_a_township_records_a_drill_on_its_county_plan(users, plan, as_user):
    client = as_user(users["township"])
    page = client.get(plan.get_absolute_url())
    assert page.context["may_drill"] and not page.context["may_edit"]
    response = client.post(
        reverse("coldwaves:plan-drill", args=[plan.pk]),
        {
            "held_on": "2026-11-20",
            "kind": "field",
            "participants": "36",
            "participant_note": "街道民政办、派出所、社区网格员",
            "findings": "夜间巡查路线未覆盖桥洞",
            "follow_up": "增加桥洞巡查点",
        },
    )
    assert response.status_code == 302
    drill = Drill.objects.get()
    assert (drill.region_id, drill.kind, drill.participants, drill.created_by) == (
        "510121001",
        "field",
        36,
        users["township"],
    )
    assert "夜间巡查路线未覆盖桥洞" in as_user(users["county"]).get(plan.get_absolute_url()).content.decode()


def test_a_drill_in_the_future_or_by_a_village_is_refused(users, plan, as_user):
    with pytest.raises(ValidationError, match="不能晚于今天"):
        drill_record(
            actor=users["county"],
            plan=plan,
            held_on=timezone.localdate() + datetime.timedelta(days=1),
            kind="tabletop",
            participants=10,
        )
    with pytest.raises(PermissionDenied, match="县（区）或乡镇（街道）"):
        drill_record(actor=users["village"], plan=plan, held_on=TODAY, kind="tabletop", participants=10)
    response = as_user(users["village"]).post(
        reverse("coldwaves:plan-drill", args=[plan.pk]),
        {"held_on": "2026-11-20", "kind": "tabletop", "participants": "5"},
    )
    assert response.status_code == 403
    assert not Drill.objects.exists()


# --- Who sees and who writes --------------------------------------------------------------------------


def test_the_other_county_gets_404_everywhere(users, plan, as_user, api):
    client = as_user(users["other_county"])
    for url in [
        plan.get_absolute_url(),
        reverse("coldwaves:plan-edit", args=[plan.pk]),
        reverse("coldwaves:plan-reserves", args=[plan.pk]),
        reverse("file-download", args=["coldwaves.emergencyplan", plan.pk, "document"]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("coldwaves:plan-drill", args=[plan.pk]), {"kind": "field"}).status_code == 404
    assert plan.pk not in [p.pk for p in client.get(reverse("coldwaves:plans")).context["plans"]]
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/emergency-plans/{plan.pk}/").status_code == 404
    assert api.get("/api/v1/emergency-plans/").json()["count"] == 0
    assert not PersonalDataReveal.objects.exists() and not Drill.objects.exists()


def test_a_read_only_official_sees_but_cannot_write(users, plan, as_user, api):
    client = as_user(users["province"])
    assert client.get(plan.get_absolute_url()).status_code == 200
    assert not client.get(plan.get_absolute_url()).context["may_edit"]
    assert client.get(reverse("coldwaves:plan-new")).status_code == 403
    quilt = item("quilt")
    assert (
        client.post(reverse("coldwaves:plan-reserves", args=[plan.pk]), {f"qty_{quilt.pk}": "9"}).status_code
        == 403
    )
    drill = {"held_on": "2026-11-20", "kind": "tabletop", "participants": "5"}
    assert client.post(reverse("coldwaves:plan-drill", args=[plan.pk]), drill).status_code == 403
    assert client.post(reverse("coldwaves:plan-edit", args=[plan.pk]), {"title": "x"}).status_code == 403
    api.force_authenticate(users["api_read"])
    assert api.post("/api/v1/emergency-plans/", {"title": "x"}, format="json").status_code in (403, 405)
    plan.refresh_from_db()
    assert plan.title == "金堂县寒潮应急预案（2026年修订）"
    assert not PlanReserve.objects.exists() and not Drill.objects.exists()


def test_the_county_corrects_its_plan_on_the_edit_page(users, plan, as_user):
    response = as_user(users["county"]).post(
        reverse("coldwaves:plan-edit", args=[plan.pk]),
        {"title": "金堂县寒潮应急预案（定稿）", "approved_on": "2026-10-16", "valid_until": "2027-10-15"},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.title, plan.valid_until) == ("金堂县寒潮应急预案（定稿）", datetime.date(2027, 10, 15))
    assert plan.history.count() == 2


# --- The API ---------------------------------------------------------------------------------------------


def test_the_api_lists_plans_with_reserves_shortfalls_and_drills(
    users, regions, plan, stock, api, django_assert_num_queries
):
    reserves_set(actor=users["county"], plan=plan, lines=_lines(quilt="120", coal="200"))
    drill_record(actor=users["township"], plan=plan, held_on=TODAY, kind="tabletop", participants=12)
    plan_create(
        actor=users["other_county"],
        region=regions["other_county"],
        title="大邑县预案",
        document=upload(),
        approved_on=TODAY,
    )
    api.force_authenticate(users["county"])
    with django_assert_num_queries(4):  # count, plans, reserves with their stock, drills
        body = api.get("/api/v1/emergency-plans/", {"current": "true"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["region"], row["current"], row["shortfall_items"]) == (plan.pk, "510121", True, 1)
    reserves = {r["item_code"]: (r["required"], r["held"], r["shortfall"]) for r in row["reserves"]}
    assert reserves == {"quilt": ("120.00", "90.00", "30.00"), "coal": ("200.00", "500.00", "0.00")}
    assert [(d["region"], d["kind"], d["participants"]) for d in row["drills"]] == [
        ("510121001", "tabletop", 12)
    ]
    assert row["document_url"] == reverse(
        "file-download", args=["coldwaves.emergencyplan", plan.pk, "document"]
    )
    assert api.get("/api/v1/emergency-plans/", {"current": "maybe"}).status_code == 400


# --- The alert ---------------------------------------------------------------------------------------------


def _warning(regions, key="city", **kwargs):
    return ColdWaveWarning.objects.create(
        region=regions[key], level=3, starts_at=timezone.now() - datetime.timedelta(hours=1), **kwargs
    )


def _open_gaps():
    return list(
        Alert.objects.filter(kind=PLAN_GAP)
        .exclude(status=AlertStatus.RESOLVED)
        .values_list("region_id", "dedup_key", "message")
    )


def test_a_county_under_a_warning_without_a_plan_or_with_reserves_short_is_alerted(users, regions, stock):
    assert sweep_county(PLAN_GAP, "510121").raised == 0  # no warning in force: nothing to say
    _warning(regions)  # the city's orange warning is in force over the county
    assert sweep_county(PLAN_GAP, "510121").raised == 1
    ((region, key, message),) = _open_gaps()
    assert (region, key) == ("510121", "coldwaves.plan_gap:510121:missing")
    assert message.startswith("金堂县寒潮预警生效中，但没有有效的寒潮应急预案")
    assert sweep_county(PLAN_GAP, "510121").raised == 0  # a second run raises nothing new

    plan = plan_create(
        actor=users["county"], region=regions["county"], title="预案", document=upload(), approved_on=TODAY
    )
    reserves_set(actor=users["county"], plan=plan, lines=_lines(quilt="120", coal="200"))
    result = sweep_county(PLAN_GAP, "510121")
    assert (result.raised, result.resolved) == (1, 1)
    ((_region, key, message),) = _open_gaps()
    assert key == "coldwaves.plan_gap:510121:short"
    assert "有 1 种物资储备不足" in message

    stock_receive(actor=users["county"], warehouse=stock, item=item("quilt"), quantity=Decimal("30"))
    assert sweep_county(PLAN_GAP, "510121").resolved == 1
    assert _open_gaps() == []


def test_an_expired_plan_is_no_plan_and_the_tick_sweeps_the_counties_under_a_warning(users, regions):
    plan_create(
        actor=users["county"],
        region=regions["county"],
        title="旧预案",
        document=upload(),
        approved_on=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2024, 12, 31),
    )
    warning = _warning(regions, key="county")
    counts = rollcall_tick()
    assert counts["plan_alerts_raised"] == 1
    assert [key for _r, key, _m in _open_gaps()] == ["coldwaves.plan_gap:510121:missing"]
    ColdWaveWarning.objects.filter(pk=warning.pk).update(
        ends_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert rollcall_tick()["plan_alerts_resolved"] == 1  # the warning lifted: the alert clears itself
    assert _open_gaps() == []
