"""Real ID numbers of elderly people (an address code newer than the birth year, 15-digit
first-generation numbers, unknown but plausible codes), 性别 and 出生日期 columns that must agree with
the number, an ID number registered under another name (never a silent rename), and messages about
numbers registered outside the user's region that never say where."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook
from stdnum.cn import ric

from people import services
from people.demo import check_digit
from people.models import Person
from people.roster import roster_import
from relief.jobs.registry import JobError
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

# 大邑县 has the code 510129 since 1983 (python-stdnum: "[1983-]大邑县"): a woman born in 1950 whose
# card was issued there carries it. stdnum's own check refuses her.
ELDERLY_DAYI = "51012919500101000X"
ELDER_MAN = "510129" + "19380512" + "011"
ELDER_MAN += check_digit(ELDER_MAN)
# 四川省, city 99 / county 99: no such code in the table, but the province is known
UNKNOWN_CODE = "519999" + "19450101" + "021"
UNKNOWN_CODE += check_digit(UNKNOWN_CODE)

ELSEWHERE = "该身份证号已在其他地区登记为有效成员，请联系县级民政部门核实"


def sheet(*rows: tuple, header=("户编号", "村（社区）", "姓名", "身份证号", "与户主关系")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(user, data: bytes, commit: bool = False) -> dict:
    return roster_import(actor=user, source=io.BytesIO(data), commit=commit)


def reasons(report: dict) -> dict[int, str]:
    return {e["row"]: e["reason"] for e in report["errors"]}


# --- the one validation --------------------------------------------------------------------------


def test_the_fixture_codes_are_what_the_tests_say():
    assert not ric.is_valid(ELDERLY_DAYI)  # stdnum refuses: 510129 did not exist in 1950
    assert services.address_code_status("510129") == services.ADDRESS_KNOWN
    assert services.address_code_status("519999") == services.ADDRESS_PLAUSIBLE
    assert services.address_code_status("990101") == services.ADDRESS_UNKNOWN


def test_an_address_code_newer_than_the_birth_year_is_valid():
    assert services.validate_id_number(ELDERLY_DAYI) == ELDERLY_DAYI
    assert services.validate_id_number(ELDER_MAN) == ELDER_MAN
    # a code that has since been retired (崇文区 until 2010) is valid for someone born later, too
    retired = "110103" + "20150101" + "001"
    assert services.validate_id_number(retired + check_digit(retired))


def test_elderly_person_added_in_a_county_whose_code_postdates_their_birth(users, regions):
    household = services.household_create(actor=users["village"], region=regions["village"], address="1号")
    person = services.person_add(
        actor=users["village"], household=household, name="王秀英", id_number=ELDERLY_DAYI
    )
    assert (person.sex, person.birth_date) == ("F", datetime.date(1950, 1, 1))


def test_an_unknown_code_of_a_known_province_is_accepted_and_flagged():
    check = services.check_id_number(UNKNOWN_CODE)
    assert check.number == UNKNOWN_CODE and check.unknown_address


def test_a_code_of_no_province_is_refused():
    body = "990101" + "19500101" + "001"
    with pytest.raises(ValidationError) as exc:
        services.validate_id_number(body + check_digit(body))
    assert "地址码“990101”" in exc.value.messages[0]


def test_a_birth_date_in_the_future_is_refused():
    future = datetime.date.today().year + 1
    body = f"510121{future}0101001"
    with pytest.raises(ValidationError) as exc:
        services.validate_id_number(body + check_digit(body))
    assert f"“{future}0101”" in exc.value.messages[0]


def test_a_15_digit_number_is_converted_to_18_digits():
    check = services.check_id_number("510129500101001")
    assert check.converted_from == "510129500101001"
    assert check.number == "510129195001010018" and ric.calc_check_digit(check.number) == "8"


# --- the roster ----------------------------------------------------------------------------------


def test_roster_accepts_elderly_ids_whose_code_postdates_the_birth_year(users, regions):
    data = sheet(
        ("H1", "滨河社区", "王秀英", ELDERLY_DAYI, "户主"),
        ("H1", "滨河社区", "李大爷", ELDER_MAN, "配偶"),
    )
    report = run(users["county"], data, commit=True)
    assert report["errors"] == [] and report["committed"]
    assert set(Person.objects.values_list("id_number", flat=True)) == {ELDERLY_DAYI, ELDER_MAN}


def test_roster_converts_a_15_digit_number_and_says_so(users, regions):
    report = run(users["county"], sheet(("H1", "滨河社区", "王秀英", "510129500101002", "户主")), commit=True)
    assert report["errors"] == []
    (warning,) = report["warnings"]
    assert warning["row"] == 2
    assert "510129500101002" in warning["reason"] and "510129195001010026" in warning["reason"]
    assert Person.objects.get().id_number == "510129195001010026"


def test_roster_dry_run_page_shows_the_conversion_warning(
    client, users, regions, django_capture_on_commit_callbacks
):
    from tests.people.test_imports import _upload, login

    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, sheet(("H1", "滨河社区", "王秀英", "510129500101002", "户主")))
    page = client.get(response.url).content.decode()
    assert 'data-testid="warning-table"' in page and "510129195001010026" in page
    assert 'data-testid="commit-form"' in page  # a warning does not stop the import


def test_roster_flags_an_unknown_but_plausible_code(users, regions):
    report = run(users["county"], sheet(("H1", "滨河社区", "王秀英", UNKNOWN_CODE, "户主")))
    assert report["errors"] == []
    assert [w["row"] for w in report["warnings"]] == [2]
    assert "519999" in report["warnings"][0]["reason"]


@pytest.mark.parametrize("cell", [5.10121195001e17, 510121195001010017])
def test_roster_reports_ids_excel_stored_as_numbers(users, regions, cell):
    report = run(users["county"], sheet(("H1", "滨河社区", "王秀英", cell, "户主")))
    assert "被存成了数字" in reasons(report)[2]
    assert report["persons_created"] == 0


def test_sex_and_birth_date_columns_must_agree_with_the_number(users, regions):
    header = ("户编号", "村（社区）", "姓名", "身份证号", "与户主关系", "性别", "出生日期")
    data = sheet(
        ("H1", "滨河社区", "王秀英", ELDERLY_DAYI, "户主", "女", "1950-01-01"),  # agrees
        ("H2", "滨河社区", "李大爷", ELDER_MAN, "户主", "女", "1938年5月12日"),  # sex wrong
        ("H3", "滨河社区", "张三", "510121195003070013", "户主", "男", "1950-03-08"),  # date wrong
        ("H4", "滨河社区", "赵四", "510121194006010011", "户主", "男", "1940.06"),  # 出生年月: agrees
        header=header,
    )
    report = run(users["county"], data)
    errors = reasons(report)
    assert sorted(errors) == [3, 4]
    assert "性别“女”" in errors[3] and "身份证号为男性" in errors[3]
    assert "“1950-03-08”" in errors[4] and "“1950-03-07”" in errors[4]


# --- an ID number with a different name ----------------------------------------------------------


def test_a_different_name_is_a_conflict_never_a_silent_rename(users, regions):
    head = household_with_head("510121001001").head
    data = sheet(("H9", "滨河社区", "改了名", head.id_number, "户主"))
    report = run(users["county"], data)
    assert report["persons_updated"] == 0
    assert "与花名册中的姓名“改了名”不一致" in reasons(report)[2]
    (conflict,) = report["conflicts"]
    assert (conflict["row"], conflict["stored_name"], conflict["roster_name"]) == (2, head.name, "改了名")
    with pytest.raises(JobError):
        run(users["county"], data, commit=True)
    head.refresh_from_db()
    assert head.name != "改了名"


def test_the_dry_run_page_shows_both_names(client, users, regions, django_capture_on_commit_callbacks):
    from tests.people.test_imports import _upload, login

    head = household_with_head("510121001001").head
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, sheet(("H9", "滨河社区", "改了名", head.id_number, "户主")))
    page = client.get(response.url).content.decode()
    assert 'data-testid="conflict-table"' in page
    assert f"<td>{head.name}</td><td>改了名</td>" in page
    assert 'data-testid="commit-form"' not in page


# --- registered elsewhere: say so, never where ---------------------------------------------------


@pytest.fixture
def elsewhere(regions):
    """A person in 东街社区 (大邑县), outside the home county's users' region."""
    return household_with_head("510129001001").head


def test_page_says_elsewhere_without_the_place(client, as_user, users, regions, elsewhere):
    home = household_with_head("510121001001")
    client = as_user(users["village"])
    response = client.post(
        reverse("people:person-create", args=[home.pk]),
        {"name": "李", "id_number": elsewhere.id_number, "relation": "spouse"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and ELSEWHERE in page
    assert "东街社区" not in page and elsewhere.household.address not in page
    assert Person.objects.filter(id_number=elsewhere.id_number).count() == 1


def test_api_says_elsewhere_without_the_place(api, users, regions, elsewhere):
    home = household_with_head("510121001001")
    api.force_authenticate(users["county"])
    response = api.post(
        "/api/v1/persons/", {"household": home.pk, "name": "李", "id_number": elsewhere.id_number}
    )
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert ELSEWHERE in message and "东街社区" not in message


def test_roster_says_elsewhere_without_the_place(users, regions, elsewhere):
    report = run(users["village"], sheet(("H1", "滨河社区", elsewhere.name, elsewhere.id_number, "户主")))
    assert reasons(report)[2] == ELSEWHERE
    assert report["conflicts"] == []  # the stored name of someone elsewhere is not shown either
