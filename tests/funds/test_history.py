"""History of payments and applications (django-simple-history): who changed what and when, shown on
the application and batch pages with a query count that does not grow with the rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from funds import selectors, services
from funds.models import Payment
from tests.funds.factories import make_id_number

pytestmark = pytest.mark.django_db


def generate(users, allocation, period="2026"):
    return services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period=period,
        run_in_background=False,
    )


def submit(users, regions, **kw):
    data = {
        "region": regions["township"],
        "kind": "urgent",
        "cause": "fire",
        "place": "赵镇某村民房",
        "applicant_name": "外地务工人员",
        "id_number": make_id_number("110101"),
    }
    data.update(kw)
    return services.application_submit(actor=users["township"], **data)


def test_batch_generation_records_one_history_row_per_payment(users, county_people, allocation):
    batch = generate(users, allocation)
    payments = list(batch.payments.all())
    assert len(payments) == 3
    rows = Payment.history.filter(batch_id=batch.pk)
    assert rows.count() == 3
    assert set(rows.values_list("id", flat=True)) == {p.pk for p in payments}
    assert set(rows.values_list("history_type", "history_user_id")) == {("+", users["county"].pk)}


def test_cancelled_batch_keeps_the_history_of_its_payments(users, county_people, allocation):
    batch = generate(users, allocation)
    services.batch_cancel(actor=users["county"], batch=batch, comment="名单有误")
    assert not Payment.objects.exists()
    deleted = Payment.history.filter(batch_id=batch.pk, history_type="-")
    assert deleted.count() == 3
    assert set(deleted.values_list("history_user_id", flat=True)) == {users["county"].pk}


def test_editing_an_application_records_who_and_when_and_the_page_shows_it(users, regions, as_user):
    app = submit(users, regions)
    services.application_emergency_pay(actor=users["township"], application=app, amount="500")
    services.application_review(actor=users["county"], application=app, amount="1000")
    rows = list(app.history.order_by("history_date", "history_id"))
    assert [(h.history_type, h.history_user_id) for h in rows] == [
        ("+", users["township"].pk),
        ("~", users["township"].pk),
        ("~", users["county"].pk),
    ]
    page = as_user(users["county"]).get(f"/funds/applications/{app.pk}/").content.decode()
    history = page.split('data-testid="history"')[1].split("</table>")[0]
    assert "变更记录" in page
    assert history.count("<tr>") == 4  # the header and three changes
    assert str(users["county"]) in history and str(users["township"]) in history
    assert "乡镇审核金额" in history and "先行救助金额" in history and "状态" in history
    assert "新建" in history
    assert rows[-1].history_date.astimezone().strftime("%Y-%m-%d %H:%M") in history


def test_application_page_queries_do_not_grow_with_history(users, regions, as_user):
    app = submit(users, regions)
    c = as_user(users["county"])
    c.get(f"/funds/applications/{app.pk}/")  # warm caches (policy, content types)
    with CaptureQueriesContext(connection) as few:
        c.get(f"/funds/applications/{app.pk}/")
    for i in range(10):
        app.description = f"补充情况{i}"
        app._history_user = users["township"]
        app.save()
    app.refresh_from_db()
    with CaptureQueriesContext(connection) as many:
        page = c.get(f"/funds/applications/{app.pk}/").content.decode()
    assert "困难情况" in page.split('data-testid="history"')[1]
    assert len(many) == len(few)


def test_batch_page_shows_payment_history_with_constant_queries(users, county_people, allocation, as_user):
    batch = generate(users, allocation)
    c = as_user(users["county"])
    c.get(f"/funds/batches/{batch.pk}/")
    with CaptureQueriesContext(connection) as few:
        page = c.get(f"/funds/batches/{batch.pk}/").content.decode()
    history = page.split('data-testid="history"')[1].split("</table>")[0]
    assert "变更记录" in page and history.count("新建") == 3 and "张大山" in history
    for p in batch.payments.all():  # a later correction of each line, as an import would do it
        p.phone = "13900000000"
        p._history_user = users["county"]
        p.save()
    with CaptureQueriesContext(connection) as many:
        page = c.get(f"/funds/batches/{batch.pk}/").content.decode()
    history = page.split('data-testid="history"')[1].split("</table>")[0]
    assert history.count("联系电话") == 3
    assert len(many) == len(few)


def test_batch_history_is_scoped_like_the_payments(users, county_people, allocation):
    batch = generate(users, allocation)
    assert len(selectors.batch_payment_history(batch, users["county"])) == 3
    township = selectors.batch_payment_history(batch, users["township"])
    assert {h.id for h in township} == set(
        Payment.objects.visible_to(users["township"]).values_list("id", flat=True)
    )
    assert selectors.batch_payment_history(batch, users["other_county"]) == []
