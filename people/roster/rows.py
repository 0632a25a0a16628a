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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
from people.roster.columns import COLUMNS, HEADER_SCAN_ROWS, Header, find_header, match_column, norm
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
    # shared between rows that wrote the same words (never changed in place)
    categories: Sequence[CategoryValue] = ()
    category_start: datetime.date | None = None
    monthly_income: Decimal | None = None
    heating_type: str | None = None
    housing_condition: str | None = None
    note: str = ""
    # the payment account, where the roster has the columns (people/payment_accounts.py)
    bank: str = ""
    account_number: str = ""
    account_holder: str = ""
    # RowError: each with its code and column; a row without errors shares the empty tuple
    errors: list[str] | tuple[()] = ()
    # the village cell as written, resolved for the whole file at once (VillageResolver.load)
    village_text: str = ""
    township_text: str = ""
    county_text: str = ""  # the 县（市、区） cell as written
    village_error_at: int = 0  # where a village error goes among `errors` (the column order)
    village_field: str = "village"  # the column the village was read from (for its errors)
    id_converted_from: str = ""  # the 15-digit number the ID number was converted from
    id_unknown_address: bool = False  # the address code is not in the code table (a warning)

    def add_error(self, error: RowError, at: int | None = None) -> None:
        errors = self.errors if isinstance(self.errors, list) else list(self.errors)
        errors.append(error) if at is None else errors.insert(at, error)
        self.errors = errors


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
_INSTRUCTION_FIRST = frozenset("必选填说示样例(")  # the first characters _INSTRUCTION_RE can match
# every spelling of the 姓名 column has this character: a name cell without it is no header
_NAME_MARK = "名"
assert all(_NAME_MARK in spelling for spelling in (COLUMNS["name"][0], *COLUMNS["name"][1]))


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


def _may_be_instruction(cells: tuple[str, ...]) -> bool:
    """Whether `is_instruction_row` can say yes: a cell starting with a character an instruction
    starts with (the cells are stripped text, so the first character is the one `_INSTRUCTION_RE`
    sees after the whitespace is dropped)."""
    return any(t and t[0] in _INSTRUCTION_FIRST for t in cells)


def is_header_row(row: tuple, header: Header) -> bool:
    """The header repeated (a roster pasted together from several sheets, a header on every
    printed page): its 姓名 and 身份证号 cells name those columns again."""
    cols = header.columns
    return all(match_column(_cell(row, cols, f)) == f for f in ("name", "id_number"))


def parse_row(number: int, row: tuple, header: Header) -> RosterRow | None:
    """One data row; None for a row to skip (blank, 合计, signature lines, instruction rows, the
    header repeated). The village is resolved later for the whole file (`VillageResolver.apply`).
    (`RowParser` reads a whole file the same way, remembering the cells it has read.)"""
    return RowParser(header).parse(number, row)


_MISSING = object()
MEMO_SIZE = 4096  # distinct values remembered per column (a column of all-different values stops there)


class _Memo:
    """The outcome of reading a cell value in one column (a value, or the RowError of that column),
    remembered per distinct value: rosters repeat the same words, dates and amounts on most rows.
    Only text and whole numbers are remembered (1, 1.0 and True are equal keys in a dict)."""

    __slots__ = ("column", "fn", "seen")

    def __init__(self, column: str, fn: Callable[[Any], Any]) -> None:
        self.column = column
        self.fn = fn
        self.seen: dict[Any, tuple[Any, RowError | None]] = {}

    def __call__(self, value: Any) -> tuple[Any, RowError | None]:
        kind = type(value)
        key = value if kind is str else (kind, value)
        found = self.seen.get(key, _MISSING)
        if found is _MISSING:
            try:
                found = (self.fn(value), None)
            except CellError as exc:
                found = (None, RowError(str(exc), exc.code, self.column))
            if len(self.seen) < MEMO_SIZE and (kind is str or kind is int or value is None):
                self.seen[key] = found
        return found


class _Same:
    """A text column's values shared between rows (the household number, village, head's name
    repeat down a household's rows): the same string object for the same text."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        if len(value) < 2:
            return value
        found = self.seen.get(value)
        if found is None:
            if len(self.seen) >= 4 * MEMO_SIZE:
                self.seen.clear()
            self.seen[value] = found = value
        return found


def _tekun_applied(categories: Sequence[CategoryValue], mode: str) -> tuple[CategoryValue, ...]:
    return tuple(
        dataclasses.replace(c, tekun_mode=mode) if c.tekun_mode == TekunMode.UNKNOWN else c
        for c in categories
    )


class RowParser:
    """Reads the data rows of one file (`parse`), with the header's columns looked up once and
    the cells of the columns whose values repeat (relations, categories, dates, amounts, heating,
    housing, sex) read once per distinct value; a column the file does not have is read once, as
    empty. The same checks, messages and column order as cell by cell (`parse_row`)."""

    def __init__(self, header: Header) -> None:
        self.header = header
        cols = header.columns
        # a row is padded to `width` cells (the last one empty): a missing column reads that one
        self.width = max(cols.values(), default=0) + 2
        self.at = {f: cols.get(f, self.width - 1) for f in COLUMNS}
        self.has_tekun_mode = "tekun_mode" in cols
        self.has_village = "village" in cols
        self.has_account = "bank" in cols or "account_number" in cols
        label = header.labels.get("monthly_income")
        income = _label(label) if label else _INCOME
        self.memos = {
            "sex": _Memo("sex", parse_sex),
            "birth_date": _Memo("birth_date", parse_birth),
            "relation": _Memo("relation", parse_relation),
            "category": _Memo("category", lambda v: tuple(parse_categories(v))),
            "category_start": _Memo("category_start", parse_date),
            "monthly_income": _Memo("monthly_income", lambda v: parse_amount(v, income)),
            "tekun_mode": _Memo("tekun_mode", parse_tekun_mode),
            "heating_type": _Memo("heating_type", lambda v: parse_heating(v, _HEATING)),
            "housing_condition": _Memo("housing_condition", lambda v: parse_housing(v, _HOUSING)),
        }
        self.with_mode: dict[tuple, tuple[CategoryValue, ...]] = {}
        self.same = {
            f: _Same() for f in ("household_number", "village", "township", "county", "head_name", "address")
        }

    def parse(self, number: int, row: tuple) -> RosterRow | None:
        at, width = self.at, self.width
        # the header's columns, and an empty cell last (where a missing column points)
        cells = (*row[: width - 1], None) if len(row) >= width else (*row, *(None,) * (width - len(row)))
        raw_id = cells[at["id_number"]]
        raw_name = cells[at["name"]]
        first = next((t for v in row if v is not None and (t := text(v))), None)
        if first is None:
            return None  # blank
        id_text = text(raw_id)
        name_text = text(raw_name)
        if (
            (
                _may_be_instruction((first, name_text, id_text))
                and is_instruction_row([first], raw_id, raw_name)
            )
            # the header repeated (text() gives the cell after NFKC, as match_column reads it)
            or (_NAME_MARK in name_text and is_header_row(row, self.header))
        ):
            return None
        if not (isinstance(raw_id, (int, float)) or _SIX_DIGITS.search(id_text)):
            values = [t for v in row if v is not None and (t := text(v))]
            footer = any(_FOOTER_RE.search(_WHITESPACE.sub("", t)) for t in values)
            if footer or (name_text == "" and all(t.isdigit() for t in values)):
                return None
        r = RosterRow(number=number)
        errors: list[str] = []
        memos = self.memos

        name = parse_name(raw_name)
        r.name = name
        if not name:
            errors.append(RowError(_("缺少姓名"), "name_missing", "name"))
        elif len(name) > 50:
            errors.append(RowError(_("姓名过长"), "name_too_long", "name"))
        try:
            checked = parse_id_check(raw_id)
        except CellError as exc:
            errors.append(RowError(str(exc), exc.code, "id_number"))
        else:
            r.id_number = checked.number
            if checked.converted_from:
                r.id_converted_from = checked.converted_from
            if checked.unknown_address:
                r.id_unknown_address = True
        sex, error = memos["sex"](cells[at["sex"]])
        if error:
            errors.append(error)
        birth, error = memos["birth_date"](cells[at["birth_date"]])
        if error:
            errors.append(error)
        if r.id_number and (sex is not None or birth is not None):
            errors.extend(_agreement_errors(r.id_number, sex, birth))
        r.relation, error = memos["relation"](cells[at["relation"]])
        if error:
            errors.append(error)
        phone = cells[at["phone"]]
        if phone is not None:
            phone = parse_phone(phone)
            if len(phone) > 20:
                errors.append(RowError(_("联系电话“%(v)s”过长") % {"v": phone}, "phone_too_long", "phone"))
            r.phone = phone
        same = self.same
        value = cells[at["head_name"]]
        if value is not None:
            r.head_name = same["head_name"](parse_name(value))
        value = cells[at["household_number"]]
        if value is not None:
            r.household_number = same["household_number"](text(value)[:40])
        code_text = text(cells[at["region_code"]])
        r.village_text = same["village"](code_text or text(cells[at["village"]]))
        if code_text or not self.has_village:
            r.village_field = "region_code"
        value = cells[at["township"]]
        if value is not None:
            r.township_text = same["township"](text(value))
        value = cells[at["county"]]
        if value is not None:
            r.county_text = same["county"](text(value))
        r.village_error_at = len(errors)
        value = cells[at["address"]]
        if value is not None:
            r.address = same["address"](text(value)[:255])
        categories, error = memos["category"](cells[at["category"]])
        if error:
            errors.append(error)
        r.category_start, error = memos["category_start"](cells[at["category_start"]])
        if error:
            errors.append(error)
        r.monthly_income, error = memos["monthly_income"](cells[at["monthly_income"]])
        if error:
            errors.append(error)
        if self.has_tekun_mode:
            mode, error = memos["tekun_mode"](cells[at["tekun_mode"]])
            if error:
                errors.append(error)
            if mode and categories:
                key = (categories, mode)
                if key not in self.with_mode:
                    self.with_mode[key] = _tekun_applied(categories, mode)
                categories = self.with_mode[key]
        if categories:
            r.categories = categories
        r.heating_type, error = memos["heating_type"](cells[at["heating_type"]])
        if error:
            errors.append(error)
        r.housing_condition, error = memos["housing_condition"](cells[at["housing_condition"]])
        if error:
            errors.append(error)
        value = cells[at["note"]]
        if value is not None:
            r.note = text(value)
        if self.has_account:
            errors.extend(
                _account(r, cells[at["bank"]], cells[at["account_number"]], cells[at["account_holder"]])
            )
        if errors:
            r.errors = errors
        return r


def _account(r: RosterRow, bank: Any, number: Any, holder: Any) -> list[RowError]:
    """开户银行 / 银行账号 / 账户名 into the row: both or neither of bank and number; the number as
    text of 8 to 30 digits (a number Excel kept as a number beyond 15 digits has lost its last ones)."""
    from people.payment_accounts import BANK_WORDS, normalise_account_number

    bank_text, holder_text = (
        text(bank) if bank is not None else "",
        text(holder) if holder is not None else "",
    )
    if isinstance(number, float) or (isinstance(number, int) and len(str(number)) > 15):
        return [RowError(_("银行账号被存成了数字，请以文本格式填写"), "account_invalid", "account_number")]
    number_text = normalise_account_number(text(number)) if number is not None else ""
    if not bank_text and not number_text:
        return []
    if not bank_text or not number_text:
        return [
            RowError(
                _("开户银行和银行账号须同时填写"),
                "account_incomplete",
                "bank" if not bank_text else "account_number",
            )
        ]
    code = BANK_WORDS.get(bank_text) or BANK_WORDS.get(bank_text.replace("股份有限公司", ""))
    if code is None:
        return [RowError(_("开户银行“%(v)s”无法识别") % {"v": bank_text}, "bank_unknown", "bank")]
    if not (number_text.isdigit() and 8 <= len(number_text) <= 30):
        return [
            RowError(
                _("银行账号“%(v)s”须为8至30位数字") % {"v": number_text}, "account_invalid", "account_number"
            )
        ]
    if len(holder_text) > 50:
        return [RowError(_("账户名过长"), "account_invalid", "account_holder")]
    r.bank, r.account_number, r.account_holder = code, number_text, holder_text
    return []


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
        parser = RowParser(header)
        for number, row in _numbered(table, index):
            deadline.check()
            if number <= header.last_row:
                continue
            parsed = parser.parse(number, row)
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
