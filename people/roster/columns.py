"""The roster's columns: the canonical headers (template and export), the spellings county rosters
use for them, finding the header among the first rows, and the template workbook.

Matching is on normalised text (NFKC, no spaces, asterisks or colons); a bracketed suffix such as
（元） or （18位） is also tried without the brackets. A header may be one row or two (a merged group
cell such as 家庭成员 over 姓名 / 身份证号 / 与户主关系).
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from relief.spreadsheets import safe_sheet

HEADER_SCAN_ROWS = 30  # the header is looked for among the first rows of a sheet

# field -> the canonical header (template and export) and the spellings found in county rosters.
# Matching is on normalised text (NFKC, no spaces or asterisks); a bracketed suffix such as （元）
# or （18位） is also tried without the brackets.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household_number": (
        "户编号",
        ("户编号", "户号", "家庭编号", "家庭户号", "户籍编号", "家庭编码", "户编码"),
    ),
    "county": (
        "县（市、区）",
        (
            "县(市、区)",
            "县(市,区)",
            "县(区)",
            "县(市)",
            "县市区",
            "区县",
            "县区",
            "县",
            "所属县",
            "所属县(市、区)",
        ),
    ),
    "township": (
        "乡镇（街道）",
        ("乡镇(街道)", "乡镇", "乡(镇)", "乡镇街道", "街道", "所属乡镇", "乡镇名称"),
    ),
    "region_code": ("区划代码", ("区划代码", "村级区划代码", "村代码", "统计用区划代码", "行政区划代码")),
    "village": (
        "村（社区）",
        (
            "村(社区)",
            "村/社区",
            "村社区",
            "村",
            "社区",
            "社区(村)",
            "所属村",
            "所在村",
            "所属村(社区)",
            "村(居)",
            "村居",
            "村名",
            "村委会",
            "村(居)委会",
            "村(社区)名称",
        ),
    ),
    "address": (
        "住址",
        ("住址", "家庭住址", "地址", "居住地址", "现住址", "家庭地址", "详细地址", "现居住地址"),
    ),
    "head_name": ("户主姓名", ("户主姓名", "户主", "户主名")),
    "name": ("姓名", ("姓名", "成员姓名", "家庭成员姓名", "人员姓名", "救助对象姓名", "对象姓名")),
    "id_number": (
        "身份证号",
        (
            "身份证号",
            "身份证号码",
            "公民身份号码",
            "公民身份证号码",
            "居民身份证号码",
            "身份证件号码",
            "证件号码",
            "身份证",
            "成员身份证号码",
            "成员身份证号",
        ),
    ),
    "sex": ("性别", ("性别",)),
    "birth_date": ("出生日期", ("出生日期", "出生年月日", "出生年月", "出生时间", "生日")),
    "relation": ("与户主关系", ("与户主关系", "与户主的关系", "关系", "家庭关系")),
    "phone": (
        "联系电话",
        ("联系电话", "手机号", "手机号码", "电话", "联系方式", "电话号码", "联系电话(手机)"),
    ),
    "category": (
        "救助类别",
        ("救助类别", "保障类别", "人员类别", "救助类型", "对象类别", "保障类型", "类别"),
    ),
    "category_start": (
        "认定日期",
        (
            "认定日期",
            "认定时间",
            "纳入日期",
            "纳入时间",
            "保障起始日期",
            "享受起始日期",
            "批准日期",
            "审批日期",
        ),
    ),
    "monthly_income": (
        "家庭月收入（元）",
        ("家庭月收入", "月收入", "家庭月总收入", "月均收入", "家庭月均收入"),
    ),
    "tekun_mode": ("供养方式", ("供养方式", "特困供养方式", "供养形式")),
    "heating_type": ("取暖方式", ("取暖方式", "取暖类型", "供暖方式")),
    "housing_condition": ("住房状况", ("住房状况", "住房情况", "住房类型", "房屋状况")),
    "note": ("备注", ("备注", "说明")),
    # optional: the payment account (people/payment_accounts.py), where the roster has it
    "bank": ("开户银行", ("开户银行", "开户行", "代发银行", "银行", "开户银行名称", "发放银行")),
    "account_number": (
        "银行账号",
        ("银行账号", "账号", "银行卡号", "卡号", "一卡通账号", "一卡通卡号", "社保卡银行账号", "存折账号"),
    ),
    "account_holder": ("账户名", ("账户名", "开户名", "账户姓名", "持卡人", "持卡人姓名", "开户人")),
}
TEMPLATE_FIELDS = [
    "household_number",
    "township",
    "village",
    "address",
    "head_name",
    "name",
    "id_number",
    "relation",
    "phone",
    "category",
    "category_start",
    "monthly_income",
    "heating_type",
    "housing_condition",
    "note",
]
#: the payment account columns: in the template (and read by the import), never in the export (the
#: account number leaves the system in full only in a batch's bank file)
ACCOUNT_FIELDS = ["bank", "account_number", "account_holder"]
TEMPLATE_COLUMNS = [*TEMPLATE_FIELDS, *ACCOUNT_FIELDS]


def norm(text: Any) -> str:
    """Header text for matching: NFKC (full-width to ASCII), no whitespace, no asterisks."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"[\s*:：]", "", text)


def _without_brackets(text: str) -> str:
    return re.sub(r"\([^)]*\)$", "", text)


_SYNONYMS: dict[str, str] = {}
for _field, (_canonical, _spellings) in COLUMNS.items():
    for _spelling in (_canonical, *_spellings):
        _SYNONYMS.setdefault(norm(_spelling), _field)


def match_column(text: Any) -> str | None:
    """The field a header cell names, or None."""
    key = norm(text)
    if not key:
        return None
    return _SYNONYMS.get(key) or _SYNONYMS.get(_without_brackets(key))


# --- Header detection ----------------------------------------------------------------------------


@dataclass
class Header:
    columns: dict[str, int]  # field -> column index (0-based)
    labels: dict[str, str]  # field -> header text as found
    last_row: int  # the last header row (1-based); data starts below it


def _single(row: tuple) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, value in enumerate(row):
        name = match_column(value)
        if name and name not in found:
            found[name] = i
    return found


def _combined(top: tuple, sub: tuple) -> dict[str, int]:
    """Two header rows: a group cell (merged across, so only its first column holds the text) above
    sub-columns; a cell merged down holds its text in the top row only."""
    found: dict[str, int] = {}
    group = ""
    for i in range(max(len(top), len(sub))):
        t = top[i] if i < len(top) else None
        s = sub[i] if i < len(sub) else None
        if norm(t):
            group = norm(t)
        if norm(s):
            name = match_column(group + norm(s)) or match_column(s)
        else:
            name = match_column(t)
            group = "" if name else group
        if name and name not in found:
            found[name] = i
    return found


def find_header(rows: list[tuple]) -> Header | None:
    """The header among the first rows: the row naming most known columns, joined with the row above
    or below when together they name more (a two-row merged header)."""
    best, best_row = {}, -1
    for r, row in enumerate(rows):
        found = _single(row)
        if len(found) > len(best):
            best, best_row = found, r
    if len(best) < 2:
        return None
    last = best_row
    if best_row + 1 < len(rows):
        below = _combined(rows[best_row], rows[best_row + 1])
        if len(below) > len(best):
            best, last = below, best_row + 1
    if last == best_row and best_row > 0:
        above = _combined(rows[best_row - 1], rows[best_row])
        if len(above) > len(best):
            best = above
    labels = {}
    for name, col in best.items():
        parts = [
            rows[r][col] for r in range(max(0, last - 1), last + 1) if col < len(rows[r]) and rows[r][col]
        ]
        labels[name] = str(parts[-1]) if parts else COLUMNS[name][0]
    return Header(columns=best, labels=labels, last_row=last + 1)


# --- Template -------------------------------------------------------------------------------------

# The template's drop-down lists: words the import reads (people/roster/vocabulary.py and the
# choices' labels), the specific ones first. Other spellings stay allowed (the list warns only).
TEMPLATE_LISTS: dict[str, list[str]] = {
    "category": [
        "低保A类",
        "低保B类",
        "低保C类",
        "低保",
        "特困集中供养",
        "特困分散供养",
        "低保边缘",
        "脱贫不稳定户",
        "边缘易致贫户",
        "突发严重困难户",
        "刚性支出困难",
        "其他低收入",
    ],
    "relation": ["户主", "配偶", "子女", "父母", "孙子女", "祖父母", "兄弟姐妹", "其他"],
    "heating_type": ["集中供暖", "燃煤取暖", "电取暖", "燃气取暖", "火炕/火墙", "柴草/生物质", "无取暖设施"],
    "housing_condition": ["安全住房", "C级危房", "D级危房", "临时住所/借住", "其他"],
}
TEMPLATE_ROWS = 2000  # rows below the header given text format and the drop-down lists
# The example rows' 户编号 starts with this: the import skips them as instruction rows
# (rows.is_instruction_row: an instruction word first and no valid ID number, the last four
# digits of the example numbers being XXXX).
EXAMPLE_MARK = "示例"


@dataclass(frozen=True)
class ExamplePlace:
    """Where the template's example rows live: one of the uploader's own villages, named as the
    import reads it (the village's name, its township's name)."""

    code: str = ""
    village: str = ""
    township: str = ""


def _example_rows(places: list[ExamplePlace]) -> list[dict[str, str]]:
    first = places[0] if places else ExamplePlace()
    second = places[1] if len(places) > 1 else first

    def id_number(place: ExamplePlace, birth: str) -> str:
        return (place.code[:6] or "510121") + birth + "XXXX"

    def place_of(place: ExamplePlace) -> dict[str, str]:
        return {"township": place.township, "village": place.village, "address": place.village + "3组12号"}

    household = {
        **place_of(first),
        "household_number": EXAMPLE_MARK + "1",
        "head_name": "张大山",
        "category": "低保A类",
        "category_start": "2024-01-05",
        "monthly_income": "1200元",
        "heating_type": "燃煤取暖",
        "housing_condition": "安全住房",
    }
    return [
        {
            **household,
            "name": "张大山",
            "id_number": id_number(first, "19850307"),
            "relation": "户主",
            "phone": "13800000001",
            "bank": "中国农业银行",
            "account_number": "6228480000000000001",
        },
        {**household, "name": "张小花", "id_number": id_number(first, "20100612"), "relation": "子女"},
        {
            **place_of(second),
            "household_number": EXAMPLE_MARK + "2",
            "head_name": "李秀英",
            "name": "李秀英",
            "id_number": id_number(second, "19420915"),
            "relation": "户主",
            "category": "特困分散供养",
            "category_start": "2023-11-20",
            "heating_type": "电取暖",
            "housing_condition": "C级危房",
            "note": _("独居老人"),
        },
    ]


def template_workbook(places: list[ExamplePlace] | None = None) -> bytes:
    """The roster template: expected headers, example rows in the uploader's villages (`places`,
    marked 示例: the import skips them), drop-down lists for the columns with fixed words (their
    values on a hidden sheet), ID, phone and household-number columns as text."""
    wb = Workbook()
    ws = safe_sheet(wb.active)
    ws.title = _("花名册")
    headers = [COLUMNS[f][0] for f in TEMPLATE_COLUMNS]
    ws.append(headers)
    for example in _example_rows(places or []):
        ws.append([example.get(f, "") for f in TEMPLATE_COLUMNS])
    grey = Font(color="808080", italic=True)
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.font = grey
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, f in enumerate(TEMPLATE_COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 22 if f in ("id_number", "address", "category") else 14
        if f in ("id_number", "phone", "household_number", "account_number"):
            for r in range(2, TEMPLATE_ROWS + 2):
                ws.cell(row=r, column=i).number_format = "@"
    _add_lists(wb, ws)
    ws.freeze_panes = "A2"
    notes = safe_sheet(wb.create_sheet(_("填写说明")))
    for line in (
        _("1. 每位家庭成员一行；同一户的成员填写相同的户编号（没有户编号时填写相同的户主姓名）。"),
        _("2. 身份证号请以文本格式填写18位号码，不要存成数字（Excel 只保留15位有效数字）。"),
        _("3. 村（社区）可填名称或12位区划代码；同名村请同时填写乡镇（街道）。"),
        _("4. 救助类别可填：低保（可注明A/B/C类）、特困集中供养、特困分散供养、低保边缘、"),
        _("   防止返贫监测（注明脱贫不稳定户/边缘易致贫户/突发严重困难户）、刚性支出困难、其他低收入。"),
        _("5. 日期可写成 2024-01-05、2024/1/5、2024年1月5日 或 20240105；金额可带“元”。"),
        _(
            "6. 上传后系统先预检并列出全部有问题的行；确认无误后再点击“确认导入”，导入要么全部成功，要么不写入任何数据。"
        ),
        _("7. 同一文件重复导入不会产生重复记录。"),
        _("8. 救助类别、与户主关系、取暖方式、住房状况可从下拉列表中选择（也可填写其他常见写法）。"),
        _("9. 灰色的示例行（户编号以“示例”开头）导入时自动跳过，可以保留或删除；请从示例行下方开始填写。"),
        _(
            "10. 开户银行、银行账号、账户名可不填；填写时银行账号须以文本格式填写，账户不是本人的（如监护人代领）填写账户名。"
        ),
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _add_lists(wb: Workbook, ws) -> None:
    """A drop-down list on each column of TEMPLATE_LISTS, its words on a hidden sheet (a list
    written into the rule itself is limited to 255 characters)."""
    lists = wb.create_sheet(_("选项"))
    lists.sheet_state = "hidden"
    for n, (field, words) in enumerate(TEMPLATE_LISTS.items(), start=1):
        letter = get_column_letter(n)
        lists.cell(row=1, column=n, value=COLUMNS[field][0])
        for r, word in enumerate(words, start=2):
            lists.cell(row=r, column=n, value=word)
        column = get_column_letter(TEMPLATE_COLUMNS.index(field) + 1)
        rule = DataValidation(
            type="list",
            formula1=f"'{lists.title}'!${letter}$2:${letter}${len(words) + 1}",
            allow_blank=True,
            errorStyle="warning",
            errorTitle=_("不在列表中"),
            error=_("不是列表中的写法：系统会尽量识别，无法识别时预检会列出该行。"),
        )
        rule.add(f"{column}2:{column}{TEMPLATE_ROWS + 1}")
        ws.add_data_validation(rule)
