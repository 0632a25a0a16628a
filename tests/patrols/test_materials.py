"""Materials handed out on the street from a county warehouse's stock (issue 5, issue 4 point 5)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse

from funds.models import MovementKind, Stock, StockMovement
from patrols import services
from patrols.models import Encounter
from tests.funds.factories import WarehouseFactory, item
from tests.patrols.factories import EncounterFactory, PatrolShiftFactory

pytestmark = pytest.mark.django_db


def _stock(region, code="quilt", quantity="10") -> Stock:
    warehouse = WarehouseFactory(region=region)
    return Stock.objects.create(
        warehouse=warehouse, item=item(code), region=region, quantity=Decimal(quantity)
    )


@pytest.fixture
def quilts(regions) -> Stock:
    return _stock(regions["county"])


@pytest.fixture
def other_quilts(regions) -> Stock:
    return _stock(regions["other_county"])


def _record(actor, shift, materials, **kwargs):
    return services.encounter_record(
        actor=actor, shift=shift, place="东门桥洞", description="灰色棉衣", materials=materials, **kwargs
    )


# --- Service ------------------------------------------------------------------------------------


def test_giving_two_quilts_decreases_stock_and_links_the_encounter(users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    enc = _record(
        users["county"], shift, [{"stock": quilts, "quantity": Decimal("2")}], materials_given="面包2个"
    )
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("8")
    movement = StockMovement.objects.get()
    assert movement.kind == MovementKind.DISTRIBUTED and movement.quantity == Decimal("2")
    assert movement.recipient == enc
    assert movement.recipient_type == ContentType.objects.get_for_model(Encounter)
    assert movement.recipient_description == "街面救助：东门桥洞"
    assert movement.actor == users["county"]
    assert enc.materials_given == "面包2个"


def test_repeated_rows_of_one_stock_are_added_up(users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    _record(
        users["county"],
        shift,
        [{"stock": quilts, "quantity": Decimal("1")}, {"stock": quilts, "quantity": Decimal("2")}],
    )
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("7")
    assert StockMovement.objects.get().quantity == Decimal("3")


def test_more_than_in_stock_fails_and_saves_nothing(users, team, quilts):
    coats = _stock(quilts.region, "cotton_clothing", "5")
    shift = PatrolShiftFactory(team=team)
    with pytest.raises(ValidationError) as exc:
        _record(
            users["county"],
            shift,
            [{"stock": coats, "quantity": Decimal("1")}, {"stock": quilts, "quantity": Decimal("11")}],
        )
    assert "库存不足" in exc.value.message_dict["materials"][0]
    assert not Encounter.objects.exists() and not StockMovement.objects.exists()
    quilts.refresh_from_db()
    coats.refresh_from_db()
    assert quilts.quantity == Decimal("10") and coats.quantity == Decimal("5")


def test_stock_of_another_county_is_refused(users, team, other_quilts):
    shift = PatrolShiftFactory(team=team)
    # Even an administrator, who sees every warehouse, gives only from the shift's county.
    with pytest.raises(ValidationError) as exc:
        _record(users["admin"], shift, [{"stock": other_quilts, "quantity": Decimal("1")}])
    assert "本县（区）仓库" in exc.value.message_dict["materials"][0]
    assert not Encounter.objects.exists()
    other_quilts.refresh_from_db()
    assert other_quilts.quantity == Decimal("10")


# --- Phone form and detail page -----------------------------------------------------------------


def test_form_offers_only_own_county_stock_that_is_not_empty(
    as_user, users, regions, team, quilts, other_quilts
):
    empty = _stock(regions["county"], "cotton_clothing", "0")
    shift = PatrolShiftFactory(team=team)
    html = as_user(users["county"]).get(reverse("patrols:encounter-create", args=[shift.pk])).content.decode()
    assert 'data-testid="stock-materials"' in html
    assert 'name="material_stock_3"' in html and 'name="material_quantity_3"' in html
    assert f'<option value="{quilts.pk}"' in html
    assert f'<option value="{other_quilts.pk}"' not in html
    assert f'<option value="{empty.pk}"' not in html
    assert "form-select-lg" in html


def test_form_without_stock_has_no_material_rows(as_user, users, team):
    shift = PatrolShiftFactory(team=team)
    html = as_user(users["county"]).get(reverse("patrols:encounter-create", args=[shift.pk])).content.decode()
    assert "material_stock_1" not in html


def _post(client, shift, **extra):
    return client.post(
        reverse("patrols:encounter-create", args=[shift.pk]),
        {"place": "东门桥洞", "description": "灰色棉衣", "actions": ["bedding_given"], **extra},
    )


def test_form_gives_from_stock_and_detail_shows_it(as_user, users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    client = as_user(users["county"])
    r = _post(client, shift, material_stock_1=quilts.pk, material_quantity_1="2", materials_given="面包2个")
    assert r.status_code == 302, r.content.decode()
    enc = Encounter.objects.get()
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("8")
    html = client.get(reverse("patrols:encounter-detail", args=[enc.pk])).content.decode()
    assert "棉被 2床" in html and "面包2个" in html


def test_form_shows_not_enough_stock_and_saves_nothing(as_user, users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    r = _post(as_user(users["county"]), shift, material_stock_1=quilts.pk, material_quantity_1="12")
    assert r.status_code == 200
    assert "库存不足：棉被 现有 10床，不能发放 12床" in r.content.decode()
    assert not Encounter.objects.exists()
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("10")


def test_form_refuses_stock_of_another_county(as_user, users, team, quilts, other_quilts):
    shift = PatrolShiftFactory(team=team)
    r = _post(as_user(users["county"]), shift, material_stock_1=other_quilts.pk, material_quantity_1="1")
    assert r.status_code == 200
    assert not Encounter.objects.exists() and not StockMovement.objects.exists()


def test_form_row_needs_both_item_and_quantity(as_user, users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    r = _post(as_user(users["county"]), shift, material_stock_1=quilts.pk)
    assert r.status_code == 200 and "请填写数量" in r.content.decode()
    r = _post(as_user(users["county"]), shift, material_quantity_2="1")
    assert r.status_code == 200 and "请选择物资" in r.content.decode()
    assert not Encounter.objects.exists()


# --- API ----------------------------------------------------------------------------------------


def _api_body(shift, materials):
    return {"shift": shift.pk, "place": "站前广场", "description": "男，灰色棉袄", "materials": materials}


def test_api_create_with_materials(api, users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/encounters/", _api_body(shift, [{"stock": quilts.pk, "quantity": "2"}]), format="json"
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert [(m["stock"], m["item"], m["unit"], m["quantity"]) for m in body["materials"]] == [
        (quilts.pk, "棉被", "床", "2.00")
    ]
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("8")
    assert StockMovement.objects.get().recipient_id == str(body["id"])
    assert api.get(f"/api/v1/encounters/{body['id']}/").json()["materials"] == body["materials"]


def test_api_not_enough_stock_is_400_in_chinese(api, users, team, quilts):
    shift = PatrolShiftFactory(team=team)
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/encounters/", _api_body(shift, [{"stock": quilts.pk, "quantity": "11"}]), format="json"
    )
    assert r.status_code == 400
    assert "库存不足" in r.json()["error"]["message"]
    assert not Encounter.objects.exists()
    quilts.refresh_from_db()
    assert quilts.quantity == Decimal("10")


def test_api_stock_of_another_county_is_400(api, users, team, other_quilts):
    shift = PatrolShiftFactory(team=team)
    for user in (users["county"], users["admin"]):  # invisible, or visible but of another county
        api.force_authenticate(user)
        r = api.post(
            "/api/v1/encounters/",
            _api_body(shift, [{"stock": other_quilts.pk, "quantity": "1"}]),
            format="json",
        )
        assert r.status_code == 400, r.json()
        assert "materials" in r.json()["error"]["fields"]
    assert not Encounter.objects.exists()
    other_quilts.refresh_from_db()
    assert other_quilts.quantity == Decimal("10")


def _fill(users, team, quilts, n):
    for _ in range(n):
        enc = EncounterFactory(shift=PatrolShiftFactory(team=team))
        services._distribute_materials(users["county"], enc, [(quilts, Decimal("1"))])


def test_encounter_list_query_count_does_not_grow(api, users, team, quilts, django_assert_num_queries):
    _fill(users, team, quilts, 2)
    api.force_authenticate(users["county"])
    with django_assert_num_queries(2):  # count, page (materials come in a subquery)
        r = api.get("/api/v1/encounters/")
    assert r.status_code == 200
    _fill(users, team, quilts, 4)
    with django_assert_num_queries(2):
        r = api.get("/api/v1/encounters/")
    results = r.json()["results"]
    assert len(results) == 6
    assert all(m["item"] == "棉被" and m["quantity"] == "1.00" for e in results for m in e["materials"])
    assert all(len(e["materials"]) == 1 for e in results)
