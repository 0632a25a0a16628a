"""Id filters are no existence oracle: every API filter on a foreign key answers an id outside the
caller's region exactly as it answers an id that does not exist (200, an empty list)."""

from __future__ import annotations

import datetime

import pytest
from django.db import models
from django_filters import filters as df

from relief.api.filters import FilterBackend, RelatedIdFilter
from relief.api.urls import router
from tests.factories import UserFactory
from tests.funds.factories import AllocationFactory, ApplicationFactory, BatchFactory, WarehouseFactory, item
from tests.institutions.factories import InstitutionFactory
from tests.patrols.factories import PatrolShiftFactory
from tests.people.factories import VisitFactory, household_with_head

pytestmark = pytest.mark.django_db


def id_filters() -> list[tuple[str, str, type[models.Model]]]:
    """(list url, query parameter, target model) for every foreign-key filter of the API."""
    found = []
    for prefix, viewset, _basename in router.registry:
        filterset = FilterBackend().get_filterset_class(viewset(), viewset.queryset)
        if filterset is None:
            continue
        model = filterset._meta.model
        for name, flt in filterset.base_filters.items():
            assert not isinstance(flt, df.ModelChoiceFilter | df.ModelMultipleChoiceFilter), (
                f"{prefix}?{name}: a model choice filter tells a foreign id from a missing one"
            )
            if isinstance(flt, RelatedIdFilter):
                target = model._meta.get_field(flt.field_name.split("__")[0]).related_model
                found.append((f"/api/v1/{prefix}/", name, target))
    return found


ID_FILTERS = id_filters()


def test_the_known_id_filters_are_covered():
    names = {(url, name) for url, name, _m in ID_FILTERS}
    for expected in [
        ("/api/v1/persons/", "household"),
        ("/api/v1/payments/", "batch"),
        ("/api/v1/hazards/", "institution"),
        ("/api/v1/batches/", "program"),
        ("/api/v1/assistance-applications/", "person"),
        ("/api/v1/exchange/records/", "batch"),
    ]:
        assert expected in names


@pytest.fixture
def foreign(regions):
    """One record of every model an id filter points to, all in the other county."""
    household = household_with_head("510129001001", name="李四海")
    VisitFactory(household=household)
    allocation = AllocationFactory(region=regions["other_county"])
    batch = BatchFactory(allocation=allocation)
    from funds.models import Payment

    Payment.objects.create(
        batch=batch,
        program=batch.program,
        region_id=household.region_id,
        household=household,
        person=household.head,
        recipient_name=household.head.name,
        id_number=household.head.id_number,
        amount="300.00",
    )
    ApplicationFactory(region=regions["other_township"])
    WarehouseFactory(region=regions["other_county"])
    item()
    PatrolShiftFactory(team__region=regions["other_county"])
    InstitutionFactory(region=regions["other_township"])
    UserFactory(username="t-foreign-worker", region=regions["other_county"])
    from enrolments.models import Enrolment
    from people.models import Assistance

    Assistance.objects.create(
        household=household,
        region_id=household.region_id,
        category="dibao",
        start_date=datetime.date(2026, 1, 1),
    )
    Enrolment.objects.create(household=household, region_id=household.region_id, kind="dibao")
    from exchange.models import DataSource, ExchangeBatch

    source = DataSource.objects.create(
        code="t-foreign",
        name="医保",
        department="medical_insurance",
        record_kind="medical_cost",
        region=regions["other_county"],
    )
    ExchangeBatch.objects.create(source=source, region=regions["other_county"], via="api", checksum="0" * 64)
    from coldwaves.services import rollcall_open
    from patrols.models import ColdWaveWarning

    warning = ColdWaveWarning.objects.create(
        region=regions["other_county"], level=2, starts_at=datetime.datetime.now(datetime.UTC)
    )
    rollcall_open(warning=warning, county_code=regions["other_county"].code)
    from campaigns.models import Campaign, CampaignHousehold

    campaign = Campaign.objects.create(
        region=regions["other_county"],
        name="两节慰问",
        starts_on=datetime.date(2026, 12, 20),
        ends_on=datetime.date(2027, 2, 28),
        cash_amount="300.00",
        state="listed",
    )
    CampaignHousehold.objects.create(campaign=campaign, household=household, region_id=household.region_id)
    from supervision.models import SupervisionTrip, TripRegion

    trip = SupervisionTrip.objects.create(
        region=regions["other_county"],
        title="冬季救助督查",
        leader="王",
        planned_start=datetime.date(2026, 12, 1),
        planned_end=datetime.date(2026, 12, 2),
    )
    TripRegion.objects.create(trip=trip, region=regions["other_township"])
    from charity.models import CharityProject, Donor

    Donor.objects.create(region=regions["other_county"], kind="charity_org", name="大邑县慈善会")
    CharityProject.objects.create(
        region=regions["other_county"],
        name="爱心助暖",
        need_kinds=["heating"],
        budget="1000.00",
        starts_on=datetime.date(2026, 11, 1),
        ends_on=datetime.date(2027, 3, 15),
    )
    from volunteers.models import Volunteer, VolunteerAssignment

    volunteer = Volunteer.objects.create(region=regions["other_county"], name="李志愿", phone="13900000099")
    assignment = VolunteerAssignment.objects.create(
        volunteer=volunteer,
        region_id=household.region_id,
        kind="visit",
        household=household,
        date=datetime.date(2026, 12, 1),
        planned_hours="2",
    )
    from volunteers.models import VolunteerRecord

    VolunteerRecord.objects.create(
        volunteer=volunteer,
        assignment=assignment,
        region_id=household.region_id,
        kind="visit",
        visit=VisitFactory(household=household),
    )


def _foreign_id(model, user) -> str:
    """An existing record the caller may not see (for what everyone sees, programs and material
    items, any existing record: its existence is no secret, and it must still answer alike)."""
    manager = model._default_manager
    qs = manager.all()
    if hasattr(qs, "visible_to"):
        hidden = qs.exclude(pk__in=manager.all().visible_to(user).values("pk"))
        qs = hidden if hidden.exists() else qs
    obj = qs.order_by("-pk").first()
    assert obj is not None, f"the fixture has no {model.__name__}"
    return str(obj.pk)


def _missing_id(model) -> str:
    if isinstance(model._meta.pk, models.IntegerField):
        return str((model._default_manager.aggregate(m=models.Max("pk"))["m"] or 0) + 100_000)
    return "999999999999"


@pytest.mark.parametrize(("url", "param", "model"), ID_FILTERS, ids=[f"{u}?{p}" for u, p, _m in ID_FILTERS])
def test_a_foreign_id_and_a_missing_id_answer_alike(api, users, foreign, url, param, model):
    user = users["county"]
    api.force_authenticate(user)
    foreign_response = api.get(url, {param: _foreign_id(model, user)})
    missing_response = api.get(url, {param: _missing_id(model)})
    assert foreign_response.status_code == missing_response.status_code == 200
    assert foreign_response.json() == missing_response.json()
    body = foreign_response.json()
    assert body.get("count", len(body) if isinstance(body, list) else None) == 0


def test_a_malformed_id_is_a_400_in_the_api_format(api, users):
    api.force_authenticate(users["county"])
    response = api.get("/api/v1/persons/", {"household": "abc"})
    assert response.status_code == 400
    assert "household" in response.json()["error"]["fields"]
