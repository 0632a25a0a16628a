"""Assistance categories: ended, corrected and replaced with a reason and history; categories that
cannot hold at once refused by the database, with a message naming the record in the way (page,
API, enrolment decision)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from people import services
from people.models import Assistance
from tests.people.factories import PersonFactory, household_with_head

pytestmark = pytest.mark.django_db

D = datetime.date
JAN = D(2025, 1, 1)


@pytest.fixture
def home(users):
    household = household_with_head("510121001001", name="张桂兰")
    PersonFactory(household=household, name="张小明")  # two members: household 低保 beside a 特困 member
    return household


def _add(users, household, category, start=JAN, **kw):
    return services.assistance_add(
        actor=users["township"], household=household, category=category, start_date=start, **kw
    )


def _tekun(users, household, mode="dispersed", start=JAN, **kw):
    return _add(users, household, "tekun", start, person=household.head, tekun_mode=mode, **kw)


class TestRefused:
    def test_a_person_is_not_tekun_twice(self, users, home):
        _tekun(users, home)
        with pytest.raises(ValidationError) as exc:
            _tekun(users, home, "centralized", D(2025, 6, 1))
        message = exc.value.messages[0]
        assert "特困·分散供养 · 张桂兰" in message and "2025-01-01 — " in message and "更换" in message

    def test_dibao_and_tekun_for_one_person(self, users, home):
        _tekun(users, home)
        with pytest.raises(ValidationError) as exc:
            _add(users, home, "dibao", D(2025, 3, 1), person=home.head)
        assert "同一人不能同时是特困人员和低保对象" in exc.value.messages[0]

    def test_household_dibao_and_dibao_edge(self, users, home):
        _add(users, home, "dibao_edge", D(2024, 1, 1), end_date=D(2024, 12, 31))
        _add(users, home, "dibao", D(2025, 1, 1))  # after the edge ended: fine
        with pytest.raises(ValidationError) as exc:
            _add(users, home, "rigid_expense", D(2025, 2, 1))
        assert "一户在同一时期只能是低保、低保边缘、刚性支出困难中的一类" in exc.value.messages[0]

    def test_what_can_hold_together(self, users, home):
        _add(users, home, "dibao")
        _add(users, home, "monitoring", monitoring_type="edge")
        _tekun(users, home)  # a member 特困 in a household of two on 低保
        assert Assistance.objects.filter(household=home).count() == 3

    def test_single_member_household_is_not_dibao_and_tekun(self, users):
        alone = household_with_head("510121001001", name="李老汉")
        _tekun(users, alone)
        with pytest.raises(ValidationError) as exc:
            _add(users, alone, "dibao", D(2025, 5, 1))
        assert "只有一名成员" in exc.value.messages[0]

    def test_the_database_refuses_without_the_service(self, users, home):
        _tekun(users, home)
        record = Assistance(
            household=home,
            person=home.head,
            region_id=home.region_id,
            category="tekun",
            tekun_mode="centralized",
            start_date=D(2025, 3, 1),
        )
        with pytest.raises(IntegrityError, match="assistance_one_at_a_time"), transaction.atomic():
            record.save()


class TestChanges:
    def test_end_keeps_the_reason_and_history(self, users, home):
        record = _add(users, home, "dibao", D(2024, 1, 1))
        services.assistance_end(
            actor=users["township"], assistance=record, end_date=D(2025, 3, 31), reason="家庭收入超过低保标准"
        )
        record.refresh_from_db()
        assert (record.end_date, record.end_reason) == (D(2025, 3, 31), "家庭收入超过低保标准")
        reasons = list(record.history.order_by("history_id").values_list("history_change_reason", flat=True))
        assert reasons == ["登记", "终止：家庭收入超过低保标准"]
        _add(users, home, "dibao_edge", D(2025, 4, 1))  # the next tier, after the end

    def test_correct_a_mistaken_record(self, users, home):
        record = _add(users, home, "dibao_edge", D(2025, 1, 1))
        services.assistance_correct(
            actor=users["township"],
            assistance=record,
            reason="录入错误，应为低保",
            category="dibao",
            dibao_class="B",
        )
        record.refresh_from_db()
        assert record.label == "低保·B类"
        before, after = record.history.order_by("history_id")
        assert before.category == "dibao_edge" and after.history_change_reason == "更正：录入错误，应为低保"

    def test_correct_needs_a_reason_and_respects_the_constraints(self, users, home):
        _add(users, home, "dibao", D(2025, 1, 1))
        edge = _add(users, home, "dibao_edge", D(2024, 1, 1), end_date=D(2024, 12, 31))
        with pytest.raises(ValidationError):
            services.assistance_correct(actor=users["township"], assistance=edge, reason="", end_date=None)
        with pytest.raises(ValidationError) as exc:
            services.assistance_correct(
                actor=users["township"], assistance=edge, reason="延长", end_date=None
            )
        assert "低保" in exc.value.messages[0]
        edge.refresh_from_db()
        assert edge.end_date == D(2024, 12, 31)

    def test_replace_dispersed_by_centralized(self, users, home):
        old = _tekun(users, home, monthly_amount=800)
        new = services.assistance_replace(
            actor=users["township"],
            assistance=old,
            on=D(2025, 11, 1),
            reason="入住敬老院",
            tekun_mode="centralized",
        )
        old.refresh_from_db()
        assert (old.end_date, old.end_reason) == (D(2025, 10, 31), "入住敬老院")
        assert (new.label, new.person_id, new.start_date, new.end_date) == (
            "特困·集中供养",
            home.head_id,
            D(2025, 11, 1),
            None,
        )
        assert new.monthly_amount == 800

    def test_replace_on_the_start_day_is_a_correction(self, users, home):
        old = _tekun(users, home)
        with pytest.raises(ValidationError) as exc:
            services.assistance_replace(
                actor=users["township"],
                assistance=old,
                on=old.start_date,
                reason="x",
                tekun_mode="centralized",
            )
        assert "更正" in exc.value.messages[0]
        assert Assistance.objects.count() == 1

    def test_village_cannot_change_another_region(self, users):
        other = household_with_head("510129001001")
        record = services.assistance_add(
            actor=users["other_county"], household=other, category="dibao", start_date=D(2025, 1, 1)
        )
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            services.assistance_end(
                actor=users["village"], assistance=record, end_date=D(2025, 2, 1), reason="x"
            )


class TestPage:
    def test_end_from_the_page(self, users, home, as_user):
        record = _add(users, home, "dibao", D(2024, 1, 1))
        client = as_user(users["township"])
        page = client.get(f"/people/households/{home.pk}/")
        assert f"/people/assistances/{record.pk}/" in page.content.decode()
        response = client.post(
            f"/people/assistances/{record.pk}/",
            {"action": "end", "end-end_date": "2025-06-30", "end-reason": "死亡"},
            follow=True,
        )
        assert "已终止救助类别" in response.content.decode()
        record.refresh_from_db()
        assert (record.end_date, record.end_reason) == (D(2025, 6, 30), "死亡")
        page = client.get(f"/people/assistances/{record.pk}/").content.decode()
        assert "终止：死亡" in page  # the history

    def test_a_clash_is_shown_on_the_form_with_what_was_typed(self, users, home, as_user):
        _add(users, home, "dibao", D(2025, 1, 1))
        edge = _add(users, home, "dibao_edge", D(2024, 1, 1), end_date=D(2024, 12, 31))
        client = as_user(users["township"])
        response = client.post(
            f"/people/assistances/{edge.pk}/",
            {
                "action": "correct",
                "correct-category": "dibao_edge",
                "correct-start_date": "2024-01-01",
                "correct-end_date": "2025-03-01",
                "correct-reason": "延长",
            },
        )
        text = response.content.decode()
        assert response.status_code == 200
        assert "一户在同一时期只能是低保、低保边缘、刚性支出困难中的一类" in text
        assert 'value="延长"' in text

    def test_other_region_is_not_found(self, users, as_user):
        other = household_with_head("510129001001")
        record = services.assistance_add(
            actor=users["other_county"], household=other, category="dibao", start_date=D(2025, 1, 1)
        )
        client = as_user(users["county"])
        assert client.get(f"/people/assistances/{record.pk}/").status_code == 404
        assert client.post(f"/people/assistances/{record.pk}/", {"action": "end"}).status_code == 404

    def test_reader_sees_no_forms(self, users, home, as_user):
        record = _add(users, home, "dibao")
        client = as_user(users["api_read"])
        response = client.get(f"/people/assistances/{record.pk}/")
        if response.status_code == 200:
            assert 'name="action"' not in response.content.decode()


class TestApi:
    def test_replace_and_clash_in_json(self, users, home, api):
        old = _tekun(users, home)
        api.force_authenticate(users["township"])
        response = api.post(
            f"/api/v1/assistances/{old.pk}/replace/",
            {"on": "2025-11-01", "reason": "入住敬老院", "tekun_mode": "centralized"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert response.json()["label"] == "特困·集中供养"
        response = api.post(
            f"/api/v1/assistances/{old.pk}/correct/", {"reason": "误录", "end_date": None}, format="json"
        )
        assert response.status_code == 400
        assert "特困·集中供养" in str(response.json())

    def test_end_in_json_and_scoping(self, users, home, api):
        record = _add(users, home, "dibao")
        api.force_authenticate(users["other_county"])
        assert api.get(f"/api/v1/assistances/{record.pk}/").status_code == 404
        assert api.post(f"/api/v1/assistances/{record.pk}/end/", {}, format="json").status_code == 404
        api.force_authenticate(users["township"])
        response = api.post(
            f"/api/v1/assistances/{record.pk}/end/",
            {"end_date": "2025-06-30", "reason": "迁出"},
            format="json",
        )
        assert response.status_code == 200, response.json()
        assert response.json()["end_reason"] == "迁出"
        listed = api.get("/api/v1/assistances/", {"household": home.pk}).json()
        assert [r["id"] for r in listed["results"]] == [record.pk]


def test_the_migration_ends_older_overlapping_records(users, home):
    """Existing overlaps (seeded before the constraints): the older record ends the day before the
    newer starts; a same-day duplicate nothing refers to is removed."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("people.migrations.0012_assistance_history_and_exclusions")
    with connection.cursor() as cursor:
        for name in (
            "assistance_one_at_a_time",
            "assistance_person_dibao_or_tekun",
            "assistance_household_one_tier",
        ):
            cursor.execute(f"ALTER TABLE people_assistance DROP CONSTRAINT {name}")  # undone with the test
    rows = [
        ("tekun", home.head, "dispersed", D(2024, 1, 1)),
        ("tekun", home.head, "centralized", D(2025, 3, 1)),
        ("dibao_edge", None, "", D(2024, 6, 1)),
        ("dibao", None, "", D(2025, 1, 1)),
        ("monitoring", None, "", D(2025, 1, 1)),
        ("monitoring", None, "", D(2025, 1, 1)),
    ]
    made = [
        Assistance.objects.create(
            household=home,
            person=person,
            region_id=home.region_id,
            category=category,
            tekun_mode=mode,
            monitoring_type="edge" if category == "monitoring" else "",
            start_date=start,
        )
        for category, person, mode, start in rows
    ]
    with connection.schema_editor() as editor:
        migration.resolve_overlaps(apps, editor)
    ends = {a.pk: a.end_date for a in Assistance.objects.all()}
    assert ends[made[0].pk] == D(2025, 2, 28) and ends[made[1].pk] is None
    assert ends[made[2].pk] == D(2024, 12, 31) and ends[made[3].pk] is None
    assert made[4].pk not in ends and ends[made[5].pk] is None
    assert Assistance.objects.get(pk=made[0].pk).end_reason.startswith("数据整理")


def test_a_roster_row_with_a_tier_the_household_cannot_hold_is_a_row_error(users):
    """The roster import: H001 on 低保 from the first file; a second file saying 低保边缘 for it is
    refused on its row (the database would refuse it), the rest of the file's checks unchanged."""
    from tests.people.test_imports import GOOD_ROWS, roster, run

    run(users["county"], roster(GOOD_ROWS), commit=True)
    changed = dict(GOOD_ROWS)
    changed[5] = (*GOOD_ROWS[5][:7], "低保边缘", *GOOD_ROWS[5][8:])
    report = run(users["county"], roster(changed), commit=False)
    errors = [e for e in report["errors"] if e["row"] == 5]
    assert errors and "不能同时享受" in errors[0]["reason"], report["errors"]
