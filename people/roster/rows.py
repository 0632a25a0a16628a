"""One data row of a roster into a `RosterRow`: every cell read (people/roster/cells.py), every
problem of the row kept in `errors` in column order, in Chinese. Blank rows, a 合计 row and signature
lines (制表人/审核人/负责人/签字/盖章) are skipped. The village is resolved later, for the whole file
at once (people/roster/villages.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.choices import TekunMode
from people.id_numbers import birth_date_from_id, sex_from_id
from people.roster.cells import (
    SEX_LABELS,
    CategoryValue,
    CellError,
    parse_amount,
    parse_birth,
    parse_categories,
    parse_date,
    parse_heating,
    parse_housing,
    parse_id_check,
    parse_name,
    parse_phone,
    parse_relation,
    parse_sex,
    parse_tekun_mode,
    text,
)
from people.roster.columns import HEADER_SCAN_ROWS, Header, find_header, match_column, norm
from people.roster.errors import RowError
from relief.jobs.registry import JobError
from relief.models import Region
from relief.sheet_reader import Table, open_table
from relief.uploads import Deadline

PROGRESS_EVERY = 2_000  # rows between progress reports while reading
DEADLINE_EVERY = 500  # rows between looks at the clock

_FOOTER_RE = re.compile(
    r"^(合计|总计|小计|共计)|制表人|填表人|审核人|负责人|经办人|签字|签名|盖章|制表日期|填报日期|填表日期|审核日期|^注[:：]|^说明[:：]"
)


@dataclass(slots=True)
class RosterRow:
    number: int  # the Excel row number
    name: str = ""
    id_number: str = ""
    relation: str | None = None
    phone: str = ""
    head_name: str = ""
    household_number: str = ""
    village: Region | None = None
    address: str = ""
    categories: list[CategoryValue] = field(default_factory=list)
    category_start: datetime.date | None = None
    monthly_income: Decimal | None = None
    heating_type: str | None = None
    housing_condition: str | None = None
    note: str = ""
    errors: list[str] = field(default_factory=list)  # RowError: each with its code and column
    # the village cell as written, resolved for the whole file at once (VillageResolver.load)
    village_text: str = ""
    township_text: str = ""
    county_text: str = ""  # the 县（市、区） cell as written
    village_error_at: int = 0  # where a village error goes among `errors` (the column order)
    village_field: str = "village"  # the column the village was read from (for its errors)
    id_converted_from: str = ""  # the 15-digit number the ID number was converted from
    id_unknown_address: bool = False  # the address code is not in the code table (a warning)


_SIX_DIGITS = re.compile(r"\d{6}")
_WHITESPACE = re.compile(r"\s")
# Labels for messages, translated only when a message is shown (not 3 gettext calls a row).
_INCOME = gettext_lazy("月收入")
_HEATING = gettext_lazy("取暖方式")
_HOUSING = gettext_lazy("住房状况")


@functools.lru_cache(maxsize=64)
def _label(header_text: str) -> str:
    return norm(header_text)


def _cell(row: tuple, columns: dict[str, int], name: str) -> Any:
    i = columns.get(name)
    if i is None or i >= len(row):
        return None
    return row[i]


# An instruction row under the header ("必填", "填写说明：…", "示例", "（18位，文本格式）"): its first
# cell, or its 姓名 or 身份证号 cell, starts with one of these (after NFKC: "（" is "(").
_INSTRUCTION_RE = re.compile(r"^(必填|选填|填写说明|填表说明|说明|示例|样例|例[:：如]|\()")


def _valid_id(value: Any) -> bool:
    try:
        parse_id_check(value)
    except CellError:
        return False
    return True


def is_instruction_row(values: list[str], raw_id: Any, raw_name: Any) -> bool:
    """A row explaining how to fill the sheet in, not data: an instruction cell and no valid ID."""
    cells = [values[0], text(raw_name), text(raw_id)]
    if not any(_INSTRUCTION_RE.match(_WHITESPACE.sub("", t)) for t in cells if t):
        return False
    return not _valid_id(raw_id)


def is_header_row(row: tuple, header: Header) -> bool:
    """The header repeated (a roster pasted together from several sheets, a header on every
    printed page): its 姓名 and 身份证号 cells name those columns again."""
    cols = header.columns
    return all(match_column(_cell(row, cols, f)) == f for f in ("name", "id_number"))


def parse_row(number: int, row: tuple, header: Header) -> RosterRow | None:
    """One data row; None for a row to skip (blank, 合计, signature lines, instruction rows, the
    header repeated). The village is resolved
    later for the whole file (`VillageResolver.apply`)."""
    cols = header.columns
    values = [t for v in row if v is not None and (t := text(v))]
    if not values:
        return None
    raw_id = _cell(row, cols, "id_number")
    raw_name = _cell(row, cols, "name")
    if is_instruction_row(values, raw_id, raw_name) or is_header_row(row, header):
        return None
    has_id = isinstance(raw_id, (int, float)) or bool(_SIX_DIGITS.search(text(raw_id)))
    if not has_id:
        footer = any(_FOOTER_RE.search(_WHITESPACE.sub("", t)) for t in values)
        if footer or (text(raw_name) == "" and all(t.isdigit() for t in values)):
            return None
    r = RosterRow(number=number)

    def read(column: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except CellError as exc:
            r.errors.append(RowError(str(exc), exc.code, column))
            return None

    r.name = parse_name(raw_name)
    if not r.name:
        r.errors.append(RowError(_("缺少姓名"), "name_missing", "name"))
    elif len(r.name) > 50:
        r.errors.append(RowError(_("姓名过长"), "name_too_long", "name"))
    checked = read("id_number", lambda: parse_id_check(raw_id))
    if checked is not None:
        r.id_number = checked.number
        r.id_converted_from = checked.converted_from
        r.id_unknown_address = checked.unknown_address
    sex = read("sex", lambda: parse_sex(_cell(row, cols, "sex")))
    birth = read("birth_date", lambda: parse_birth(_cell(row, cols, "birth_date")))
    if r.id_number:
        r.errors.extend(_agreement_errors(r.id_number, sex, birth))
    r.relation = read("relation", lambda: parse_relation(_cell(row, cols, "relation")))
    r.phone = parse_phone(_cell(row, cols, "phone"))
    if len(r.phone) > 20:
        r.errors.append(RowError(_("联系电话“%(v)s”过长") % {"v": r.phone}, "phone_too_long", "phone"))
    r.head_name = parse_name(_cell(row, cols, "head_name"))
    r.household_number = text(_cell(row, cols, "household_number"))[:40]
    code_text = text(_cell(row, cols, "region_code"))
    r.village_text = code_text or text(_cell(row, cols, "village"))
    r.village_field = "region_code" if code_text or "village" not in cols else "village"
    r.township_text = text(_cell(row, cols, "township"))
    r.county_text = text(_cell(row, cols, "county"))
    r.village_error_at = len(r.errors)
    r.address = text(_cell(row, cols, "address"))[:255]
    r.categories = read("category", lambda: parse_categories(_cell(row, cols, "category"))) or []
    r.category_start = read("category_start", lambda: parse_date(_cell(row, cols, "category_start")))
    label = header.labels.get("monthly_income")
    income = _label(label) if label else _INCOME
    r.monthly_income = read(
        "monthly_income", lambda: parse_amount(_cell(row, cols, "monthly_income"), income)
    )
    if "tekun_mode" in cols:
        mode = read("tekun_mode", lambda: parse_tekun_mode(_cell(row, cols, "tekun_mode")))
        if mode:
            r.categories = [
                dataclasses.replace(c, tekun_mode=mode) if c.tekun_mode == TekunMode.UNKNOWN else c
                for c in r.categories
            ]
    r.heating_type = read("heating_type", lambda: parse_heating(_cell(row, cols, "heating_type"), _HEATING))
    r.housing_condition = read(
        "housing_condition", lambda: parse_housing(_cell(row, cols, "housing_condition"), _HOUSING)
    )
    r.note = text(_cell(row, cols, "note"))
    return r


def _agreement_errors(
    number: str, sex: str | None, birth: tuple[int, int, int | None] | None
) -> list[RowError]:
    """性别 and 出生日期 columns, where filled, must say what the ID number says."""
    errors = []
    if sex is not None and sex != (id_sex := sex_from_id(number)):
        errors.append(
            RowError(
                _("性别“%(cell)s”与身份证号不符（身份证号为%(id)s性）")
                % {"cell": SEX_LABELS[sex], "id": SEX_LABELS[id_sex]},
                "sex_mismatch",
                "sex",
            )
        )
    if birth is not None:
        year, month, day = birth
        in_id = birth_date_from_id(number)
        if (year, month) != (in_id.year, in_id.month) or day not in (None, in_id.day):
            shown = f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day is not None else "")
            errors.append(
                RowError(
                    _("出生日期“%(cell)s”与身份证号中的出生日期“%(id)s”不符")
                    % {"cell": shown, "id": in_id.isoformat()},
                    "birth_date_mismatch",
                    "birth_date",
                )
            )
    return errors


# --- The sheet -----------------------------------------------------------------------------------


@dataclass
class Sheet:
    """A roster as read: the sheet holding the header, the parsed rows in file order, and the rows
    skipped as not data (合计, signatures, notes)."""

    title: str
    header: Header
    rows: list[RosterRow]
    skipped_rows: list[int]
    total: int | None  # the sheet's row count, as the file declares it (for progress)


def import_deadline() -> Deadline:
    """The wall-clock budget of one roster import (settings.ROSTER_IMPORT_SECONDS)."""
    seconds = settings.ROSTER_IMPORT_SECONDS
    message = _("导入超时：处理超过 %(min)d 分钟仍未完成，已停止且未写入任何数据，请将表格拆分后分批上传") % {
        "min": max(1, round(seconds / 60))
    }
    return Deadline(seconds, message, every=DEADLINE_EVERY, error=JobError)


def open_workbook(source) -> Table:
    """The roster file, after it passed the limits of relief/uploads.py (sizes, ratio, declared
    and real rows and columns): .xlsx, .xlsm, .xls, .ods or .csv, told by its content
    (relief/sheet_reader.py); no parser sees a file that would run away with the worker."""
    try:
        return open_table(source)
    except ValidationError as exc:
        raise JobError("；".join(exc.messages)) from None


def _numbered(table: Table, index: int) -> Iterator[tuple[int, tuple]]:
    try:
        yield from enumerate(table.rows(index), start=1)
    except ValidationError as exc:  # a limit found while reading (a CSV's rows, an .xls's extent)
        raise JobError("；".join(exc.messages)) from None


def find_sheet(table: Table) -> tuple[int, Header]:
    """The roster's sheet: the first with a 姓名 and a 身份证号 column among its first rows, and its
    header; JobError when none has."""
    for candidate in range(len(table.sheet_names)):
        head_rows = []
        for _number, row in _numbered(table, candidate):
            head_rows.append(row)
            if len(head_rows) >= HEADER_SCAN_ROWS:
                break
        header = find_header(head_rows)
        if header and {"name", "id_number"} <= header.columns.keys():
            return candidate, header
    raise JobError(_("没有找到表头：表格前30行中须有“姓名”和“身份证号”列"))


def numbered_rows(table: Table, index: int) -> Iterator[tuple[int, tuple]]:
    """The rows of sheet `index`, numbered from 1 as the spreadsheet program shows them."""
    return _numbered(table, index)


def read_roster(
    source,
    progress: Callable[..., None],
    message: str,
    check_header: Callable[[Header], None] = lambda header: None,
    deadline: Deadline | None = None,
) -> Sheet:
    """Every data row of the first sheet with a 姓名 and a 身份证号 column among its first rows,
    read through relief/sheet_reader.py, each parsed and checked. `check_header` may refuse the header (raise
    JobError) before any row is read. `deadline` (a wall-clock budget) is checked every few rows."""
    deadline = deadline or import_deadline()
    table = open_workbook(source)
    try:
        index, header = find_sheet(table)
        check_header(header)
        total = table.row_count(index)
        progress(0, total, message, force=True)
        rows: list[RosterRow] = []
        skipped: list[int] = []
        for number, row in _numbered(table, index):
            deadline.check()
            if number <= header.last_row:
                continue
            parsed = parse_row(number, row, header)
            if parsed is None:
                if any(v is not None and text(v) != "" for v in row):
                    skipped.append(number)
            else:
                rows.append(parsed)
            if number % PROGRESS_EVERY == 0:
                progress(number, total)
        return Sheet(
            title=table.sheet_names[index], header=header, rows=rows, skipped_rows=skipped, total=total
        )
    finally:
        table.close()
