from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from people import services
from people.models import Assistance, Household, Person, Visit
from tests.people.factories import PersonFactory, household_with_head, make_id_number

pytestmark = pytest.mark.django_db

from people.demo import check_digit  # noqa: E402

BAD_MONTH = "51012119501307001" + check_digit("51012119501307001")
VALID_ID = "510121195003070013"  # a male born 1950-03-07; see test_valid_id_fixture


def test_valid_id_fixture():
    from people.demo import check_digit

    assert check_digit(VALID_ID[:17]) == VALID_ID[-1]


def _with_check(body: str) -> str:
    return body + check_digit(body)


ID_CASES = [
    (VALID_ID, VALID_ID),
    (BAD_MONTH, "birth_date"),
    (_with_check("51012119500230001"), "birth_date"),  # 30 February
    (_with_check("99999919500101001"), "address_code"),  # no such province
    (_with_check("11010320050101001"), "valid"),  # 崇文区 until 2010: born 2005
    (_with_check("11010320150101001"), "valid"),  # ... born 2015: the code had been in use
    (_with_check("11011119800101001"), "valid"),  # 房山区 from 1986: born 1980 (issued later)
    (VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1"), "checksum"),
    ("51012119500307001", "length"),  # 17 characters
    ("5101211950030700A3", "format"),  # a letter inside
    ("51012119500307001X", "checksum"),
]


@pytest.mark.parametrize(("number", "expected"), ID_CASES)
def test_id_validation_outcomes(number, expected):
    """The one check: the check character, the birth date and an address code that has existed at
    any time; the same answer again (the address look-up is cached)."""

    def outcome():
        try:
            return "valid" if services.validate_id_number(number) == number else "changed"
        except ValidationError as exc:
            return exc.error_list[0].code

    assert outcome() == (expected if expected != VALID_ID else "valid")
    assert outcome() == outcome()


def _household(users, regions, **kw):
    return services.household_create(
        actor=users["village"], region=regions["village"], address="滨河社区1组3号", **kw
    )


class TestIdNumbers:
    def test_derives_sex_and_birth_date(self, users, regions):
        household = _household(users, regions)
        person = services.person_add(
            actor=users["village"], household=household, name="王秀英", id_number=VALID_ID
        )
        assert person.sex == "M"
        assert person.birth_date == datetime.date(1950, 3, 7)
        assert person.region_id == "510121001001"
        female = make_id_number(birth=datetime.date(1940, 1, 1), male=False)
        p2 = services.person_add(actor=users["village"], household=household, name="李", id_number=female)
        assert p2.sex == "F"
        assert p2.is_aged_80

    def test_normalises_full_width_and_lower_x(self):
        number = make_id_number()
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in number)
        assert services.validate_id_number(f" {full_width} ") == number

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("51012119500307001", "18位"),
            ("510121195013070", "15位"),
            ("510121195003070016", "校验位"),
            (BAD_MONTH, "出生日期"),
            ("5101211950030700AX", "数字"),
            ("", "请填写"),
        ],
    )
    def test_invalid_id_numbers_are_explained_in_chinese(self, users, regions, value, message):
        household = _household(users, regions)
        with pytest.raises(ValidationError) as exc:
            services.person_add(actor=users["village"], household=household, name="王", id_number=value)
        assert message in str(exc.value)
        assert not Person.objects.exists()


class TestOneActiveHousehold:
    def test_service_refuses_an_id_active_elsewhere(self, users, regions):
        first = _household(users, regions)
        second = _household(users, regions)
        services.person_add(actor=users["village"], household=first, name="王", id_number=VALID_ID)
        with pytest.raises(ValidationError) as exc:
            services.person_add(actor=users["village"], household=second, name="王", id_number=VALID_ID)
        assert "已在另一户" in str(exc.value)
        assert Person.objects.filter(id_number=VALID_ID).count() == 1

    def test_database_constraint_itself(self, regions):
        person = PersonFactory()
        other = household_with_head()
        with pytest.raises(IntegrityError), transaction.atomic():
            Person.objects.create(
                household=other,
                region=other.region,
                name="重复",
                id_number=person.id_number,
                sex="M",
                birth_date=person.birth_date,
            )

    def test_race_is_turned_into_a_chinese_message(self, users, regions, monkeypatch):
        """Two requests pass the pre-check at the same time: the constraint decides."""
        first = _household(users, regions)
        second = _household(users, regions)
        services.person_add(actor=users["village"], household=first, name="王", id_number=VALID_ID)
        monkeypatch.setattr(
            services, "_prepare_person", lambda p, actor: setattr(p, "birth_date", datetime.date(1950, 3, 7))
        )
        with pytest.raises(ValidationError) as exc:
            services.person_add(
                actor=users["village"], household=second, name="王", id_number=VALID_ID, relation="head"
            )
        assert "已在另一户" in str(exc.value)

    def test_inactive_id_can_be_registered_again(self, users, regions):
        first = _household(users, regions)
        second = _household(users, regions)
        person = services.person_add(actor=users["village"], household=first, name="王", id_number=VALID_ID)
        services.person_deactivate(actor=users["village"], person=person, reason="迁出")
        again = services.person_add(actor=users["village"], household=second, name="王", id_number=VALID_ID)
        assert again.active
        assert Person.objects.filter(id_number=VALID_ID).count() == 2


class TestHouseholds:
    def test_create_with_head_and_money(self, users, regions):
        household = _household(
            users, regions, monthly_income=Decimal("850.50"), expense_medical=Decimal("12000")
        )
        head = services.person_add(
            actor=users["village"], household=household, name="王", id_number=VALID_ID, relation="head"
        )
        household.refresh_from_db()
        assert household.head == head
        assert household.monthly_income == Decimal("850.50")
        assert household.rigid_expense_total == Decimal("12000.00")
        assert household.history.count() >= 2  # simple-history keeps every change

    def test_household_number_unique_in_region(self, users, regions):
        _household(users, regions, household_number="HH-1")
        with pytest.raises(ValidationError) as exc:
            _household(users, regions, household_number="HH-1")
        assert "户编号" in str(exc.value)
        # the same number in another village is fine
        from tests.factories import region

        services.household_create(
            actor=users["township"], region=region("510121001002"), address="x", household_number="HH-1"
        )

    def test_region_must_be_township_or_village(self, users, regions):
        with pytest.raises(ValidationError):
            services.household_create(actor=users["county"], region=regions["county"], address="x")

    def test_roles_and_scope(self, users, regions):
        with pytest.raises(PermissionDenied):
            services.household_create(actor=users["city"], region=regions["village"], address="x")
        with pytest.raises(PermissionDenied):
            services.household_create(actor=users["other_county"], region=regions["village"], address="x")
        assert not Household.objects.exists()

    def test_moving_a_household_moves_its_records(self, users, regions):
        from tests.factories import region

        household = _household(users, regions)
        person = services.person_add(
            actor=users["county"], household=household, name="王", id_number=VALID_ID
        )
        services.visit_record(actor=users["county"], household=household, person=person)
        new_village = region("510121001002")
        services.household_update(actor=users["county"], household=household, region=new_village)
        assert Person.objects.get().region_id == new_village.code
        assert Visit.objects.get().region_id == new_village.code

    def test_cannot_move_out_of_scope(self, users, regions):
        household = _household(users, regions)
        with pytest.raises(PermissionDenied):
            services.household_update(
                actor=users["county"], household=household, region=regions["other_village"]
            )
        household.refresh_from_db()
        assert household.region_id == "510121001001"


class TestAssistance:
    def test_category_dates(self, users, regions):
        household = _household(users, regions)
        today = timezone.localdate()
        record = services.assistance_add(
            actor=users["village"],
            household=household,
            category="dibao",
            dibao_class="B",
            start_date=today - datetime.timedelta(days=30),
        )
        assert Household.objects.with_category("dibao").count() == 1
        services.assistance_end(
            actor=users["village"], assistance=record, end_date=today - datetime.timedelta(days=1)
        )
        assert Household.objects.with_category("dibao").count() == 0
        assert Household.objects.with_category("dibao", on=today - datetime.timedelta(days=10)).count() == 1

    def test_end_before_start_refused(self, users, regions):
        household = _household(users, regions)
        with pytest.raises(ValidationError) as exc:
            services.assistance_add(
                actor=users["village"],
                household=household,
                category="dibao_edge",
                start_date=datetime.date(2025, 5, 1),
                end_date=datetime.date(2025, 4, 1),
            )
        assert "终止日期" in str(exc.value)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"category": "tekun"}, "供养方式"),
            ({"category": "monitoring"}, "监测对象类型"),
            ({"category": "dibao_edge", "dibao_class": "A"}, "低保类别"),
        ],
    )
    def test_subtypes(self, users, regions, kwargs, message):
        household = _household(users, regions)
        with pytest.raises(ValidationError) as exc:
            services.assistance_add(
                actor=users["village"], household=household, start_date=datetime.date(2025, 1, 1), **kwargs
            )
        assert message in str(exc.value)
        assert not Assistance.objects.exists()

    def test_tekun_per_person(self, users, regions):
        household = _household(users, regions)
        person = services.person_add(
            actor=users["village"], household=household, name="王", id_number=VALID_ID
        )
        record = services.assistance_add(
            actor=users["village"],
            household=household,
            person=person,
            category="tekun",
            tekun_mode="dispersed",
            start_date=datetime.date(2025, 1, 1),
        )
        assert record.label == "特困·分散供养"


class TestVisits:
    def test_record_visit(self, users, regions):
        household = _household(users, regions)
        person = services.person_add(
            actor=users["village"], household=household, name="王", id_number=VALID_ID
        )
        visit = services.visit_record(
            actor=users["township"],
            household=household,
            person=person,
            kind="elderly",
            channel="phone",
            heating_ok=False,
            food_ok=True,
            needs="煤不够",
            follow_up="material",
            next_visit_due=timezone.localdate() + datetime.timedelta(days=7),
        )
        assert visit.visitor == users["township"]
        assert visit.region_id == household.region_id
        assert visit.problems == ["取暖有困难"]  # what was found, not the name of the check

    def test_person_must_belong_to_household(self, users, regions):
        first = _household(users, regions)
        second = _household(users, regions)
        person = services.person_add(actor=users["village"], household=first, name="王", id_number=VALID_ID)
        with pytest.raises(ValidationError):
            services.visit_record(actor=users["village"], household=second, person=person)

    def test_follow_up_needs_a_reason(self, users, regions):
        household = _household(users, regions)
        with pytest.raises(ValidationError) as exc:
            services.visit_record(actor=users["village"], household=household, follow_up="temp_assistance")
        assert "困难和需求" in str(exc.value)

    def test_read_only_role_cannot_record(self, users, regions):
        household = _household(users, regions)
        with pytest.raises(PermissionDenied):
            services.visit_record(actor=users["province"], household=household)
        assert not Visit.objects.exists()
