"""One line's cells as departments write them: amounts, dates and ID numbers normalised, or refused
with the reason a person reads."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from exchange.ingest import Normaliser, copy_text
from tests.exchange import data


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1234.5", "1234.5"),
        ("1,234.50", "1234.50"),
        ("￥88元", "88.00"),
        (120, "120"),
        (80.456, "80.46"),
        (Decimal("3.1"), "3.10"),
        (None, ""),
        ("", ""),
    ],
)
def test_amounts(raw, expected):
    assert Normaliser.amount(raw) == expected


@pytest.mark.parametrize("raw", ["约三百元", "1e999", True, "12.3.4", 10**13])
def test_amounts_refused(raw):
    with pytest.raises(ValueError):
        Normaliser.amount(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime.date(2026, 11, 3), "2026-11-03"),
        (datetime.datetime(2026, 11, 3, 8, 30), "2026-11-03"),
        ("2026/11/5", "2026-11-05"),
        ("2026.11.05", "2026-11-05"),
        ("20261107", "2026-11-07"),
        ("2026年11月8日", "2026-11-08"),
        ("2026-11-09 14:03:00", "2026-11-09"),
    ],
)
def test_dates(raw, expected):
    assert Normaliser().date(raw) == (expected, "")


def test_dates_refused():
    n = Normaliser()
    assert n.date("2026-13-45")[1] == "日期“2026-13-45”无法识别，请写成 2026-11-03"
    assert "晚于今天" in n.date("2099-01-01")[1]
    assert "早于1900年" in n.date(datetime.date(1899, 12, 31))[1]


def test_id_numbers():
    n = Normaliser()
    assert n.id_number(data.RETIRED_CODE) == (data.RETIRED_CODE, "", "")
    assert n.id_number(" " + data.OLD_15 + " ") == (data.OLD_15_AS_18, "", "")
    assert n.id_number(data.MONITORED[:-1] + "x")[1] == "id_number_invalid"
    assert n.id_number(None)[1:] == ("id_number_missing", "缺少身份证号")
    _number, code, message = n.id_number(5.10121195003070e17)
    assert code == "id_number_invalid" and "科学计数法" in message


def test_text_too_long_and_copy_escaping():
    n = Normaliser()
    line = n.line(5, data.PLAIN, "张\t三\\", "1", "2026-11-01", "x" * 65)
    assert line.error_code == "text_too_long" and line.error == "“类型”超过64个字"
    ok = n.line(6, data.PLAIN, "张\t三\\", None, None, "门诊")
    assert "".join(copy_text([ok])) == f"6\t{data.PLAIN}\t张\\t三\\\\\t\\N\t\\N\t门诊\t\t\n"
