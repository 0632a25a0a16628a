"""The people and the 医保 file of the exchange tests: one province's medical-cost settlement file
of 金堂县 (510121), in the formats departments send (tests/fixtures/exchange/README.md)."""

from __future__ import annotations

import datetime

from people.demo import check_digit


def _id(body: str) -> str:
    return body + check_digit(body)


MONITORED = _id("51012119500307002")  # 王秀英: 低保 in force
PLAIN = _id("51012119800512013")  # 张建国: on the register, not monitored
RETIRED_CODE = _id("11010319520101004")  # 李桂兰: issued by 崇文区 (a code retired in 2010)
OLD_15 = "510121620815031"  # 赵国强's first-generation number, as the department still has it
OLD_15_AS_18 = "51012119620815031" + check_digit("51012119620815031")
NOT_REGISTERED = _id("51012119900101057")  # 钱小梅: no one on the register
OTHER_COUNTY = _id("51012919700202006")  # 孙立: lives in 大邑县
COHORT = _id("51012119600606055")  # 冯春: left 低保 last year, still watched (cohort_until)
INACTIVE = _id("51012119550505066")  # 陈老汉: moved out (inactive)
BAD_CHECK = "51012119851010011" + ("0" if check_digit("51012119851010011") != "0" else "1")
DATE_BAD = _id("51012119751111022")
AMOUNT_BAD = _id("51012119761212033")
NAME_LONG = _id("51012119771212044")

TITLE = "金堂县医疗保障局 2026年11月 医疗费用个人自付结算明细"
HEADER = ["序号", "参保人姓名", "公民身份号码", "结算日期", "个人自付金额（元）", "就诊类别"]
COLUMNS = {
    "id_number": "公民身份号码",
    "name": "参保人姓名",
    "amount": "个人自付金额（元）",
    "date": "结算日期",
    "type": "就诊类别",
}
# (name, ID number, date, amount, type); the file's line = index + 3 (title, header)
ROWS = [
    ("王秀英", MONITORED, datetime.date(2026, 11, 3), 3200.5, "住院"),
    ("张建国", PLAIN, "2026/11/5", 120, "门诊"),
    ("李桂兰", RETIRED_CODE, "20261107", "1,500.00", "住院"),
    ("赵国强", OLD_15, "2026年11月8日", 80.5, "门诊"),
    ("钱小梅", NOT_REGISTERED, "2026-11-09", 99, "门诊"),
    ("孙立", OTHER_COUNTY, "2026-11-10", 500, "住院"),
    ("周九", "", "2026-11-10", 10, "门诊"),
    ("吴十", BAD_CHECK, "2026-11-11", 20, "门诊"),
    ("郑一", DATE_BAD, "2026-13-45", 30, "门诊"),
    ("王二", AMOUNT_BAD, "2026-11-12", "约三百元", "门诊"),
    ("欧阳" + "长" * 58, NAME_LONG, "2026-11-12", 40, "门诊"),
    ("冯春", COHORT, "2026-11-13", 2600, "住院"),
    ("陈老汉", INACTIVE, "2026-11-14", 15, "门诊"),
]
FIRST_LINE = 3
LINE = {number: i + FIRST_LINE for i, (_n, number, *_r) in enumerate(ROWS) if number}

EXPECTED = {"received": 13, "matched": 6, "unmatched": 2, "invalid": 5}
EXPECTED_REASONS = {
    "amount_invalid": 1,
    "date_invalid": 1,
    "id_number_invalid": 1,
    "id_number_missing": 1,
    "text_too_long": 1,
}
