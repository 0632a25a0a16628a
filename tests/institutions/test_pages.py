"""Browser pages: what a user sees and what a form does."""

from __future__ import annotations

import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook

from institutions import services
from institutions.models import Hazard, HazardState, Inspection
from tests.institutions.factories import evidence, move_to, today


def test_institution_list_shows_own_region_only(as_user, users, institution, other_institution):
    html = as_user(users["county"]).get(reverse("institutions:index")).content.decode()
    assert "赵镇敬老院" in html and "晋原敬老院" not in html


def test_institution_detail(as_user, users, hazard):
    resp = as_user(users["county"]).get(
        reverse("institutions:institution-detail", args=[hazard.institution_id])
    )
    html = resp.content.decode()
    assert "电线私拉乱接" in html and "开展安全检查" in html


def test_read_only_user_sees_no_write_buttons(as_user, users, hazard):
    html = (
        as_user(users["city"])
        .get(reverse("institutions:institution-detail", args=[hazard.institution_id]))
        .content.decode()
    )
    assert "开展安全检查" not in html


def test_institution_create_page(as_user, users, regions):
    client = as_user(users["county"])
    assert client.get(reverse("institutions:institution-create")).status_code == 200
    resp = client.post(
        reverse("institutions:institution-create"),
        {
            "name": "新登记敬老院",
            "type": "rural_home",
            "region": "510121001",
            "capacity": 40,
            "residents": 30,
            "nursing_beds": 10,
            "heating_type": "coal",
            "is_active": "on",
        },
    )
    assert resp.status_code == 302
    assert "新登记敬老院" in client.get(resp.url).content.decode()


def test_inspection_form_has_one_row_per_item_with_radios(as_user, users, institution, checklist):
    template, items = checklist
    html = (
        as_user(users["township"])
        .get(reverse("institutions:inspection-create", args=[institution.pk]) + f"?template={template.pk}")
        .content.decode()
    )
    for item in items:
        assert item.text in html
        for value in ("pass", "fail", "na"):
            assert f'name="result_{item.pk}" id="id_result_{item.pk}_' in html
            assert f'value="{value}"' in html
    assert "安全检查事项" in html and "安全制度标准" in html


def test_inspection_form_post_raises_hazard(as_user, users, institution, checklist):
    template, items = checklist
    client = as_user(users["township"])
    data = {"template": template.pk, "date": today().isoformat(), "note": ""}
    for item in items:
        data[f"result_{item.pk}"] = "pass"
    data[f"result_{items[0].pk}"] = "fail"
    data[f"note_{items[0].pk}"] = "暖气片漏水"
    data[f"photo_{items[0].pk}"] = evidence("leak.jpg")
    resp = client.post(reverse("institutions:inspection-create", args=[institution.pk]), data)
    assert resp.status_code == 302, resp.content.decode()[:2000]
    inspection = Inspection.objects.get()
    hazard = Hazard.objects.get(inspection=inspection)
    assert hazard.title == items[0].text and hazard.severity == "general"
    assert inspection.results.get(item=items[0]).photo
    html = client.get(resp.url).content.decode()
    assert "暖气片漏水" in html and "登记隐患 1 条" in html


def test_inspection_form_errors_shown(as_user, users, institution, checklist):
    template, items = checklist
    data = {"template": template.pk, "date": today().isoformat(), f"result_{items[0].pk}": "fail"}
    resp = as_user(users["township"]).post(
        reverse("institutions:inspection-create", args=[institution.pk]), data
    )
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "请选择检查结果" in html and "不合格项须填写情况说明" in html
    assert not Inspection.objects.exists()


def test_ledger_filters_and_overdue(as_user, users, institution):
    county = users["county"]
    services.hazard_raise(
        actor=county,
        institution=institution,
        title="逾期未改",
        severity="general",
        found_on=today() - datetime.timedelta(days=20),
    )
    services.hazard_raise(actor=county, institution=institution, title="刚发现", severity="major")
    client = as_user(county)
    html = client.get(reverse("institutions:hazard-list")).content.decode()
    assert "逾期未改" in html and "刚发现" in html and "已逾期" in html
    html = client.get(reverse("institutions:hazard-list"), {"overdue": "true"}).content.decode()
    assert "逾期未改" in html and "刚发现" not in html
    html = client.get(reverse("institutions:hazard-list"), {"severity": "major"}).content.decode()
    assert "逾期未改" not in html and "刚发现" in html
    html = client.get(reverse("institutions:hazard-list"), {"state": "closed"}).content.decode()
    assert "没有符合条件的隐患" in html


def test_hazard_detail_and_actions(as_user, users, hazard):
    owner, second = users["township"], users["county"]
    client = as_user(second)
    url = reverse("institutions:hazard-detail", args=[hazard.pk])
    assert "开始整改" in client.get(url).content.decode()
    resp = client.post(
        reverse("institutions:hazard-action", args=[hazard.pk, "start"]),
        {"start-owner": owner.pk, "start-measures": "更换电线", "start-funds": "300"},
    )
    assert resp.status_code == 302
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFYING and hazard.owner == owner

    client = as_user(owner)
    resp = client.post(
        reverse("institutions:hazard-action", args=[hazard.pk, "rectify"]), {"rectify-evidence": evidence()}
    )
    assert resp.status_code == 302
    # The owner tries to verify: refused with a message, nothing changes.
    resp = client.post(reverse("institutions:hazard-action", args=[hazard.pk, "verify"]), follow=True)
    assert "整改责任人以外" in resp.content.decode()
    hazard.refresh_from_db()
    assert hazard.state == HazardState.RECTIFIED

    client = as_user(second)
    ledger = reverse("institutions:hazard-list")
    resp = client.post(reverse("institutions:hazard-action", args=[hazard.pk, "verify"]), {"next": ledger})
    assert resp.status_code == 302 and resp.url == ledger
    client.post(reverse("institutions:hazard-action", args=[hazard.pk, "close"]))
    html = client.get(url).content.decode()
    for label in ("登记隐患", "开始整改", "整改完成", "验收通过", "销号"):
        assert label in html
    hazard.refresh_from_db()
    assert hazard.state == HazardState.CLOSED


def test_action_form_errors_rerender(as_user, users, hazard):
    resp = as_user(users["county"]).post(reverse("institutions:hazard-action", args=[hazard.pk, "start"]), {})
    assert resp.status_code == 400
    assert "该字段是必填项" in resp.content.decode()


def test_unknown_action_404(as_user, users, hazard):
    resp = as_user(users["county"]).post(reverse("institutions:hazard-action", args=[hazard.pk, "explode"]))
    assert resp.status_code == 404


def test_excel_export_content(as_user, users, institution, other_hazard):
    county, township = users["county"], users["township"]
    h = services.hazard_raise(actor=county, institution=institution, title="屋顶积雪过厚", severity="major")
    h = services.hazard_start(actor=county, hazard=h, owner=township, measures="清扫积雪并加固", funds=5000)
    services.hazard_rectify(actor=township, hazard=h, evidence=evidence())
    services.hazard_verify(actor=county, hazard=h)
    resp = as_user(county).get(reverse("institutions:hazard-export"))
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(resp.content)).active
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    for col in ("隐患", "整改期限", "整改责任人", "整改措施", "整改资金（元）", "验收人"):
        assert col in header
    assert len(rows) == 2  # the other county's hazard is not exported
    row = dict(zip(header, rows[1], strict=True))
    assert row["隐患"] == "屋顶积雪过厚"
    assert row["隐患等级"] == "重大"
    assert row["整改措施"] == "清扫积雪并加固"
    assert row["整改资金（元）"] == 5000
    assert row["整改责任人"] == str(township)
    assert row["验收人"] == str(county)
    assert row["机构"] == "赵镇敬老院"


def test_excel_export_follows_filters(as_user, users, institution):
    county = users["county"]
    services.hazard_raise(actor=county, institution=institution, title="一般的", severity="general")
    services.hazard_raise(actor=county, institution=institution, title="重大的", severity="major")
    resp = as_user(county).get(reverse("institutions:hazard-export"), {"severity": "major"})
    rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["重大的"]


def test_closed_hazard_rectify_evidence_link(as_user, users, hazard):
    move_to(hazard, "closed", owner=users["township"], second=users["county"])
    html = (
        as_user(users["county"]).get(reverse("institutions:hazard-detail", args=[hazard.pk])).content.decode()
    )
    assert "整改佐证材料" in html and "已销号" in html
