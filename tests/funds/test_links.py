"""Records are linked (issue 14, point 6): a temporary-assistance application with the ID number of an
active person on the register inside the user's scope belongs to that person and household, shows
"在册家庭" on its page and shows on the household page with its amounts and payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funds import services
from funds.models import AssistanceApplication
from people.models import Person
from tests.funds.factories import make_id_number

pytestmark = pytest.mark.django_db


def _form(id_number: str, region: str = "510121001", **extra) -> dict:
    return {
        "kind": "urgent",
        "cause": "fire",
        "region": region,
        "place": "赵镇滨河路12号",
        "applicant_name": "张大山",
        "id_number": id_number,
        "household_size": 2,
        "amount_requested": "2000",
        **extra,
    }


def _submit(actor, region, id_number, **kwargs) -> AssistanceApplication:
    return services.application_submit(
        actor=actor,
        region=region,
        kind="urgent",
        cause=kwargs.pop("cause", "fire"),
        place="滨河路",
        applicant_name="张大山",
        id_number=id_number,
        amount_requested=Decimal("2000"),
        **kwargs,
    )


def test_page_application_of_a_registered_person_is_linked_and_shown_both_ways(users, as_user, county_people):
    household = county_people["dibao"]
    c = as_user(users["township"])
    r = c.post("/funds/applications/new/", _form(household.head.id_number.lower()))
    assert r.status_code == 302, r.content.decode()
    app = AssistanceApplication.objects.get()
    assert app.person == household.head and app.household == household
    page = c.get(r.url).content.decode()
    assert "在册家庭" in page and f"/people/households/{household.pk}/" in page
    # paid: the household page shows the application, its amounts and the payment
    township = users["township"]
    services.application_emergency_pay(actor=township, application=app, amount=Decimal("500"))
    services.application_review(actor=township, application=app, amount=Decimal("1000"))
    services.application_approve(actor=township, application=app, amount=Decimal("1000"))
    services.application_pay(actor=township, application=app)
    html = c.get(f"/people/households/{household.pk}/").content.decode()
    section = html[html.index('data-testid="household-chain"') :]
    section = section[: section.index("</ul>")]
    assert f"/funds/applications/{app.pk}/" in section and "火灾" in section and "已发放" in section
    assert "申请 2,000.00" in section and "审批 1,000.00" in section
    assert "合计 1,500.00 元（含先行救助 500.00 元）" in section  # 先行救助 500 + 1000 approved


def test_api_application_is_linked(api, users, county_people):
    head = county_people["tekun"].head
    api.force_authenticate(users["township"])
    data = _form(head.id_number)
    r = api.post("/api/v1/assistance-applications/", data)
    assert r.status_code == 201, r.json()
    assert r.json()["household"] == county_people["tekun"].pk and r.json()["person"] == head.pk


def test_applicant_not_on_the_register_stays_unlinked_and_the_page_says_so(users, as_user, regions):
    c = as_user(users["township"])
    r = c.post("/funds/applications/new/", _form(make_id_number("110101")))
    app = AssistanceApplication.objects.get()
    assert app.person is None and app.household is None
    assert "不在册" in c.get(r.url).content.decode()


def test_person_outside_the_users_scope_is_not_linked(users, regions, county_people):
    """The other county's register is not the township's to search: the application stays unlinked
    and says nothing about that household."""
    other = county_people["other"].head
    app = _submit(users["township"], regions["township"], other.id_number)
    assert app.person is None and app.household is None


def test_inactive_person_is_not_linked(users, regions, county_people):
    head = county_people["none"].head
    Person.objects.filter(pk=head.pk).update(active=False)  # moved away (set-up)
    app = _submit(users["township"], regions["township"], head.id_number)
    assert app.household is None


def test_household_page_shows_only_applications_the_reader_may_see(users, as_user, regions, county_people):
    """Aid is given where the emergency happened: an application registered in another county for a
    household of ours is linked, but is not shown to those who cannot open it."""
    household = county_people["dibao"]
    elsewhere = _submit(users["admin"], regions["other_township"], household.head.id_number, cause="accident")
    ours = _submit(users["township"], regions["township"], household.head.id_number)
    assert elsewhere.household == household and ours.household == household
    html = as_user(users["county"]).get(f"/people/households/{household.pk}/").content.decode()
    assert f"/funds/applications/{ours.pk}/" in html and f"/funds/applications/{elsewhere.pk}/" not in html
    html = as_user(users["admin"]).get(f"/people/households/{household.pk}/").content.decode()
    assert f"/funds/applications/{elsewhere.pk}/" in html
    # and the other county, which registered it, sees it unlinked from a household it may not open
    page = as_user(users["other_county"]).get(f"/funds/applications/{elsewhere.pk}/").content.decode()
    assert "在册（家庭在您辖区之外）" in page and f"/people/households/{household.pk}/" not in page
