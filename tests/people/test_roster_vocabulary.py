"""Roster import, issue 15 point 3: the words real county rosters use (categories, 供养方式,
relations, heating), a plain 特困 accepted and listed to complete, instruction rows and repeated
headers skipped, and the 县（市、区） / 乡镇（街道） columns bounding where a row may land."""

from __future__ import annotations

import datetime
import io

import pytest
from openpyxl import Workbook

from people.choices import HeatingType, Relation, TekunMode
from people.models import Assistance, Household, Person
from people.roster import roster_import
from people.roster.cells import CellError, parse_categories, parse_heating, parse_housing, parse_relation
from relief.models import Region
from relief.regions import Level
from tests.people.factories import make_id_number

pytestmark = pytest.mark.django_db

HEADER = (
    "户编号",
    "县（市、区）",
    "乡镇（街道）",
    "村（社区）",
    "户主姓名",
    "姓名",
    "身份证号",
    "与户主关系",
    "救助类别",
    "认定时间",
    "取暖方式",
)


def sheet(rows: list[tuple], header: tuple = HEADER) -> bytes:
    """A roster as counties keep it: a title row, the header, then the rows as given (rows 3 on)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["金堂县2024年冬季困难群众花名册"])
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def ids(n: int) -> list[str]:
    return [make_id_number("510121", datetime.date(1950 + i, 1 + i % 12, 1 + i)) for i in range(n)]


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("天然气", HeatingType.GAS),
        ("燃气", HeatingType.GAS),
        ("气", HeatingType.GAS),
        ("电", HeatingType.ELECTRIC),
        ("电暖", HeatingType.ELECTRIC),
        ("空调", HeatingType.ELECTRIC),
        ("煤", HeatingType.COAL),
        ("燃煤", HeatingType.COAL),
        ("蜂窝煤", HeatingType.COAL),
        ("柴", HeatingType.BIOMASS),
        ("柴火", HeatingType.BIOMASS),
        ("薪柴", HeatingType.BIOMASS),
        (" 天然气 ", HeatingType.GAS),
        ("暖气", HeatingType.CENTRAL),
        ("燃气取暖", HeatingType.GAS),
    ],
)
def test_heating_words(word, expected):
    assert parse_heating(word, "取暖方式") == expected


@pytest.mark.parametrize(
    ("word", "category", "subtype"),
    [
        ("低保户", "dibao", ""),
        ("城市低保", "dibao", ""),
        ("农村低保", "dibao", ""),
        ("低保Ｂ类", "dibao", "B"),
        ("特困供养", "tekun", "unknown"),
        ("五保", "tekun", "unknown"),
        ("五保户", "tekun", "unknown"),
        ("特困", "tekun", "unknown"),
        ("特困分散供养", "tekun", "dispersed"),
        ("特困（集中供养）", "tekun", "centralized"),
        ("低保边缘户", "dibao_edge", ""),
        ("监测户", "monitoring", "unknown"),
        ("防返贫监测户", "monitoring", "unknown"),
        ("脱贫不稳定户", "monitoring", "unstable"),
        ("边缘易致贫户", "monitoring", "edge"),
    ],
)
def test_category_words(word, category, subtype):
    (value,) = parse_categories(word)
    assert value.category == category
    assert subtype in (value.dibao_class, value.tekun_mode, value.monitoring_type)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("特困 分散供养", [("tekun", "dispersed")]),
        ("特困　集中供养", [("tekun", "centralized")]),  # an ideographic space
        ("五保户 分散", [("tekun", "dispersed")]),
        ("低保 A类", [("dibao", "A")]),
        ("低保 b类、特困 分散供养", [("dibao", "B"), ("tekun", "dispersed")]),
        ("特困 低保边缘", [("tekun", "unknown"), ("dibao_edge", "")]),
    ],
)
def test_a_subtype_written_after_a_space_belongs_to_the_category_before_it(cell, expected):
    values = parse_categories(cell)
    got = [(v.category, v.tekun_mode or v.dibao_class or v.monitoring_type) for v in values]
    assert got == expected


def test_a_subtype_on_its_own_is_still_refused():
    with pytest.raises(CellError, match="分散供养"):
        parse_categories("分散供养")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("安全住房", "safe"),
        ("安全", "safe"),
        ("砖混", "safe"),
        ("B级", "safe"),
        ("c级", "grade_c"),
        ("C级危房", "grade_c"),
        ("局部危房", "grade_c"),
        ("D级", "grade_d"),
        ("整栋危房", "grade_d"),
        ("借住", "temporary"),
        ("投亲靠友", "temporary"),
        ("租房", "other"),
        ("", None),
    ],
)
def test_housing_words(word, expected):
    assert parse_housing(word, "住房状况") == expected


@pytest.mark.parametrize("word", ["危房", "是危房", "危"])
def test_a_dangerous_house_without_its_grade_is_refused_not_guessed(word):
    with pytest.raises(CellError, match=r"C级危房.*D级危房"):
        parse_housing(word, "住房状况")


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("户主本人", Relation.HEAD),
        ("本人", Relation.HEAD),
        ("配偶", Relation.SPOUSE),
        ("妻", Relation.SPOUSE),
        ("夫", Relation.SPOUSE),
        ("子", Relation.CHILD),
        ("女", Relation.CHILD),
        ("儿子", Relation.CHILD),
        ("女儿", Relation.CHILD),
        ("父", Relation.PARENT),
        ("母亲", Relation.PARENT),
        ("孙子", Relation.GRANDCHILD),
        ("孙女", Relation.GRANDCHILD),
        ("　本人　", Relation.HEAD),  # full-width spaces
    ],
)
def test_relation_words(word, expected):
    assert parse_relation(word) == expected


def test_a_roster_in_county_words_imports(users):
    a, b, c, d = ids(4)
    rows = [
        (
            "H1",
            "金堂县",
            "赵镇街道",
            "滨河社区",
            "张大",
            "张大",
            a,
            "户主本人",
            "低保户",
            "2024-01-05",
            "天然气",
        ),
        ("H1", "金堂县", "赵镇街道", "滨河社区", "张大", "李二", b, "妻", None, None, None),
        ("H1", "金堂县", "赵镇街道", "滨河社区", "张大", "张三", c, "孙女", None, None, None),
        ("H2", "金堂县", "赵镇", "滨河社区", "王五", "王五", d, "本人", "五保户", "2024-01-05", "蜂窝煤"),
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=True)
    assert report["errors"] == []
    h1 = Household.objects.get(household_number="H1")
    assert (h1.heating_type, h1.region_id) == (HeatingType.GAS, "510121001001")
    assert Person.objects.get(id_number=b).relation == Relation.SPOUSE
    assert Person.objects.get(id_number=c).relation == Relation.GRANDCHILD
    assert Household.objects.get(household_number="H2").heating_type == HeatingType.COAL
    tekun = Assistance.objects.get(household__household_number="H2")
    assert (tekun.category, tekun.tekun_mode) == ("tekun", TekunMode.UNKNOWN)


def test_a_spaced_tekun_mode_and_a_housing_word_import(users):
    """The two cells the issue named: "特困 分散供养" written with a space, and 住房状况 in county
    words; a 危房 without its grade is the row's error, naming the cell."""
    a, b = ids(2)
    header = (*HEADER, "住房状况")
    rows = [
        (
            "H1",
            "金堂县",
            "赵镇街道",
            "滨河社区",
            "张大",
            "张大",
            a,
            "户主",
            "特困 分散供养",
            None,
            "柴火",
            "c级",
        ),
        ("H2", "金堂县", "赵镇街道", "滨河社区", "王五", "王五", b, "户主", "低保", None, "电", "危房"),
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows, header)), commit=False)
    assert [(e["row"], "危房" in e["reason"]) for e in report["errors"]] == [(4, True)]
    rows.pop()
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows, header)), commit=True)
    assert report["errors"] == [] and report["warnings"] == []
    tekun = Assistance.objects.get(household__household_number="H1")
    assert (tekun.category, tekun.tekun_mode) == ("tekun", TekunMode.DISPERSED)
    assert Household.objects.get(household_number="H1").housing_condition == "grade_c"


def test_a_plain_tekun_is_a_warning_to_complete_not_an_error(users):
    a, b = ids(2)
    rows = [
        ("H1", "金堂县", "赵镇街道", "滨河社区", "张大", "张大", a, "户主", "特困", "2024-01-05", None),
        (
            "H2",
            "金堂县",
            "赵镇街道",
            "滨河社区",
            "王五",
            "王五",
            b,
            "户主",
            "特困分散供养",
            "2024-01-05",
            None,
        ),
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    assert report["errors"] == []
    (warning,) = report["warnings"]
    assert warning["row"] == 3
    assert "待补充供养方式" in warning["reason"]
    assert Assistance.objects.count() == 0  # a dry run


def test_a_tekun_mode_column_completes_a_plain_tekun(users):
    (a,) = ids(1)
    header = (*HEADER, "供养方式")
    rows = [
        (
            "H1",
            "金堂县",
            "赵镇街道",
            "滨河社区",
            "张大",
            "张大",
            a,
            "户主",
            "特困",
            "2024-01-05",
            None,
            "分散",
        )
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows, header)), commit=True)
    assert (report["errors"], report["warnings"]) == ([], [])
    assert Assistance.objects.get().tekun_mode == TekunMode.DISPERSED


def test_instruction_rows_and_repeated_headers_are_skipped_and_counted(users, client):
    a, b = ids(2)
    rows = [
        (
            "必填",
            "必填",
            "必填",
            "必填，名称或12位代码",
            "必填",
            "必填",
            "必填，18位",
            "必填",
            "选填",
            "选填",
            "选填",
        ),
        ("填写说明：每位家庭成员一行",),
        ("示例", None, None, "滨河社区", None, "张某", "（18位，文本格式）", "户主"),
        ("（同一户填写相同户编号）",),
        ("H1", "金堂县", "赵镇街道", "滨河社区", "张大", "张大", a, "户主", "低保", "2024-01-05", None),
        HEADER,
        ("H2", "金堂县", "赵镇街道", "滨河社区", "王五", "王五", b, "户主", "低保", "2024-01-05", None),
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    assert report["errors"] == []
    assert report["skipped_rows"] == [3, 4, 5, 6, 8]
    assert report["skipped_count"] == 5
    assert (report["rows"], report["persons_created"]) == (2, 2)


def test_an_instruction_looking_row_with_a_valid_id_is_data(users):
    (a,) = ids(1)
    rows = [
        (
            "H1",
            "金堂县",
            "赵镇街道",
            "滨河社区",
            "（张大）",
            "（张大）",
            a,
            "户主",
            "低保",
            "2024-01-05",
            None,
        )
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    assert report["skipped_rows"] == []
    assert report["rows"] == 1


@pytest.fixture
def same_names(regions):
    """金堂县 has a 晋原街道 with a 东街社区 too: the names of 大邑县's township and village."""
    township = Region.objects.create(
        code="510121002", name="晋原街道", level=Level.TOWNSHIP, parent=regions["county"]
    )
    return Region.objects.create(code="510121002001", name="东街社区", level=Level.VILLAGE, parent=township)


def test_a_row_for_another_county_is_refused_naming_it_not_put_in_a_same_named_village(users, same_names):
    a, b = ids(2)
    rows = [
        ("H1", "大邑县", "晋原街道", "东街社区", "张大", "张大", a, "户主", "低保", "2024-01-05", None),
        ("H2", "金堂县", "晋原街道", "东街社区", "王五", "王五", b, "户主", "低保", "2024-01-05", None),
    ]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    (error,) = report["errors"]
    assert error["row"] == 3
    assert "大邑县" in error["reason"]
    assert "不是您所在的县" in error["reason"]
    assert Household.objects.count() == 0


def test_the_uploaders_own_county_lands_in_its_village(users, same_names):
    (b,) = ids(1)
    rows = [("H2", "金堂", "晋原街道", "东街社区", "王五", "王五", b, "户主", "低保", "2024-01-05", None)]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=True)
    assert report["errors"] == []
    assert Household.objects.get().region_id == same_names.code


def test_a_user_over_both_counties_gets_the_village_of_the_written_county(users, same_names):
    """Both counties are in an administrator's region: the county column picks the village."""
    (b,) = ids(1)
    other = make_id_number("510129", datetime.date(1960, 1, 1))
    rows = [
        ("H1", "大邑县", "晋原街道", "东街社区", "张大", "张大", other, "户主", "低保", "2024-01-05", None),
        ("H2", "金堂县", "晋原街道", "东街社区", "王五", "王五", b, "户主", "低保", "2024-01-05", None),
    ]
    report = roster_import(actor=users["admin"], source=io.BytesIO(sheet(rows)), commit=True)
    assert report["errors"] == []
    regions = dict(Household.objects.values_list("household_number", "region_id"))
    assert regions == {"H1": "510129001001", "H2": "510121002001"}


def test_a_village_code_outside_the_written_county_is_refused(users):
    (a,) = ids(1)
    rows = [("H1", "成华区", None, "510121001001", "张大", "张大", a, "户主", "低保", "2024-01-05", None)]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    (error,) = report["errors"]
    assert "成华区" in error["reason"]


def test_a_township_column_keeps_the_village_in_that_township(users, same_names):
    """金堂县's 东街社区 lies in 晋原街道: a row written under 赵镇街道 is not put there."""
    (a,) = ids(1)
    rows = [("H1", "金堂县", "赵镇街道", "东街社区", "张大", "张大", a, "户主", "低保", "2024-01-05", None)]
    report = roster_import(actor=users["county"], source=io.BytesIO(sheet(rows)), commit=False)
    (error,) = report["errors"]
    assert "东街社区" in error["reason"]
