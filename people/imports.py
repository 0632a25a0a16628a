"""Roster import from Excel (.xlsx): real county rosters in, every bad row explained.

Flow: the user uploads a file (`roster_upload_create`), which stores it on a `RosterUpload` and starts
a dry run; the dry run does exactly what the commit does inside one transaction and then rolls it
back, listing every bad row with its row number and a Chinese reason. The user then commits
(`roster_commit_start`): the same file is read again and written in one transaction; any error
writes nothing. Importing the same file again changes nothing: households are matched by household
number (or by a member's ID number), people by ID number, and only differing values are updated.

Set-based, so that a 100,000-row county roster takes a minute or two, not an hour (the first
version went through the per-record services, ~20 round trips a row):
1. every row is read (streamed: `load_workbook(read_only=True, data_only=True)`) and checked in
   Python: ID numbers with `services.validate_id_number` (stdnum), dates, amounts, categories;
2. the database is asked a few questions for the whole file: the villages it names (one query),
   the active persons with its ID numbers and the households with its household numbers (one query
   per 10,000), their assistance records;
3. each row is decided in memory, in file order, with the services' rules and messages (an ID
   active in another household, two heads, a household without a head, …);
4. new households, persons, their django-simple-history rows and assistance records are written
   with COPY; changed existing records are locked and bulk-updated with history rows. The database
   constraints (one active ID number, household number unique in its region, deferred foreign
   keys) stay the final guard: a violation rolls everything back and is reported in Chinese.

What real rosters look like, and what is done about it:
- title rows above the header, one or two header rows (merged group cells such as 家庭成员 over
  姓名 / 身份证号 / 与户主关系): the header row is found by matching known column names (SYNONYMS);
- column names in several spellings, full-width characters, units in brackets (月收入（元）);
- ID numbers with spaces or full-width digits (normalised), stored as numbers (Excel keeps only 15
  significant digits: reported as lost, never guessed), 15-digit old numbers (reported);
- dates as text (2024-01-05, 2024/1/5, 2024年1月5日, 20240105) or as date cells; amounts with 元 or
  thousands separators;
- a 合计 row and signature lines (制表人/审核人/负责人/签字/盖章) at the bottom: skipped.
"""

from __future__ import annotations

import datetime
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import from_excel
from simple_history.utils import bulk_update_with_history

from people import services
from people.demo import check_digit
from people.models import (
    Assistance,
    Category,
    DibaoClass,
    HeatingType,
    Household,
    HousingCondition,
    MonitoringType,
    Person,
    Relation,
    RosterUpload,
    TekunMode,
)
from relief.jobs import JobContext, JobError, job_handler
from relief.models import Job, JobState, Region, User
from relief.regions import Level
from relief.scoping import in_scope, require_in_scope, require_writer

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
HEADER_SCAN_ROWS = 30
LOOKUP_CHUNK = 10_000  # values per `IN (...)` look-up
WRITE_BATCH = 5_000  # rows per bulk insert or update
PROGRESS_EVERY = 2_000  # rows between progress reports while reading

# --- Columns -------------------------------------------------------------------------------------

# field -> the canonical header (template and export) and the spellings found in county rosters.
# Matching is on normalised text (NFKC, no spaces or asterisks); a bracketed suffix such as （元）
# or （18位） is also tried without the brackets.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "household_number": (
        "户编号",
        ("户编号", "户号", "家庭编号", "家庭户号", "户籍编号", "家庭编码", "户编码"),
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
    "heating_type": ("取暖方式", ("取暖方式", "取暖类型", "供暖方式")),
    "housing_condition": ("住房状况", ("住房状况", "住房情况", "住房类型", "房屋状况")),
    "note": ("备注", ("备注", "说明")),
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


def _norm(text: Any) -> str:
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
        _SYNONYMS.setdefault(_norm(_spelling), _field)


def match_column(text: Any) -> str | None:
    """The field a header cell names, or None."""
    norm = _norm(text)
    if not norm:
        return None
    return _SYNONYMS.get(norm) or _SYNONYMS.get(_without_brackets(norm))


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
        if _norm(t):
            group = _norm(t)
        if _norm(s):
            name = match_column(group + _norm(s)) or match_column(s)
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


# --- Cell parsing --------------------------------------------------------------------------------


class CellError(ValueError):
    """A value that cannot be read; the message is shown to the user."""


def text(value: Any) -> str:
    """A cell as text: full-width to ASCII, trimmed; whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime):
        value = value.date()
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_id_number(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = f"{int(value)}" if float(value).is_integer() else str(value)
        raise CellError(
            _(
                "身份证号被存成了数字（%(v)s）：Excel 只保留15位有效数字，后几位已丢失，无法还原。"
                "请将该列设为“文本”格式后重新录入"
            )
            % {"v": shown}
        )
    raw = text(value)
    if not raw:
        raise CellError(_("缺少身份证号"))
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", raw):
        raise CellError(
            _("身份证号显示为科学计数法（%(v)s），后几位已丢失，无法还原。请将该列设为“文本”格式后重新录入")
            % {"v": raw}
        )
    try:
        return services.validate_id_number(raw)
    except ValidationError as exc:
        raise CellError("；".join(exc.messages)) from None


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: Any) -> datetime.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = text(value)
    if not raw:
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if 19000101 <= value <= 21001231 and float(value).is_integer():
                raw = str(int(value))
            elif 1 <= value < 100000:  # an Excel serial date in a cell without a date format
                return from_excel(value).date()
        m = _DATE_RE.match(raw)
        if m:
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", raw)
        if m:
            return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except (ValueError, OverflowError):
        pass
    raise CellError(_("日期“%(v)s”无法识别，请写成 2024-01-05 的形式") % {"v": raw})


def parse_amount(value: Any, label: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = Decimal(str(value))
    else:
        raw = text(value)
        cleaned = re.sub(r"[元圆¥￥,，\s]|人民币", "", raw)
        if not cleaned:
            return None
        factor = Decimal(1)
        if cleaned.endswith("万"):
            cleaned, factor = cleaned[:-1], Decimal(10000)
        try:
            amount = Decimal(cleaned) * factor
        except InvalidOperation:
            raise CellError(_("%(label)s“%(v)s”不是有效金额") % {"label": label, "v": raw}) from None
    if not amount.is_finite():
        raise CellError(_("%(label)s不是有效金额") % {"label": label})
    if amount < 0:
        raise CellError(_("%(label)s不能为负数") % {"label": label})
    if amount >= Decimal("1e10"):
        raise CellError(_("%(label)s金额过大") % {"label": label})
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_RELATIONS: dict[str, str] = {}
for _rel, _words in {
    Relation.HEAD: "户主 本人 户主本人 本户主",
    Relation.SPOUSE: "配偶 妻 夫 妻子 丈夫 之妻 之夫 夫妻 爱人",
    Relation.CHILD: "子女 子 女 儿子 女儿 长子 次子 三子 四子 长女 次女 三女 四女 独生子 独生女 养子 养女 继子 继女 之子 之女",
    Relation.PARENT: "父母 父亲 母亲 父 母 继父 继母 养父 养母",
    Relation.GRANDCHILD: "孙子女 孙子 孙女 外孙子 外孙女 外孙 孙 外孙子女",
    Relation.GRANDPARENT: "祖父母 祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆",
    Relation.SIBLING: "兄弟姐妹 兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹",
    Relation.OTHER: "其他 儿媳 女婿 公公 婆婆 岳父 岳母 侄子 侄女 孙媳妇 其他亲属 亲属 非亲属",
}.items():
    for _w in _words.split():
        _RELATIONS[_w] = _rel


def parse_relation(value: Any) -> str | None:
    raw = text(value).replace(" ", "")
    if not raw:
        return None
    if raw in _RELATIONS:
        return _RELATIONS[raw]
    for rel, label in Relation.choices:
        if raw in (rel, str(label)):
            return rel
    raise CellError(
        _("与户主关系“%(v)s”无法识别（可填：户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他）")
        % {"v": raw}
    )


@dataclass(frozen=True)
class CategoryValue:
    category: str
    dibao_class: str = ""
    tekun_mode: str = ""
    monitoring_type: str = ""


_CLASS_WORDS = {
    "A": DibaoClass.A,
    "B": DibaoClass.B,
    "C": DibaoClass.C,
    "一": DibaoClass.A,
    "二": DibaoClass.B,
}
_CLASS_WORDS["三"] = DibaoClass.C


def parse_categories(value: Any) -> list[CategoryValue]:
    raw = text(value)
    result = []
    for part in re.split(r"[、,，;；/\s]+", raw):
        if not part:
            continue
        if "特困" in part or "五保" in part:
            if "集中" in part:
                result.append(CategoryValue(Category.TEKUN, tekun_mode=TekunMode.CENTRALIZED))
            elif "分散" in part:
                result.append(CategoryValue(Category.TEKUN, tekun_mode=TekunMode.DISPERSED))
            else:
                raise CellError(_("特困人员须注明集中供养或分散供养（如“特困分散供养”）"))
        elif any(w in part for w in ("监测", "返贫", "不稳定", "易致贫", "突发")):
            if "不稳定" in part:
                kind = MonitoringType.UNSTABLE
            elif "易致贫" in part:
                kind = MonitoringType.EDGE
            elif "突发" in part:
                kind = MonitoringType.SUDDEN
            else:
                raise CellError(_("防止返贫监测对象须注明类型：脱贫不稳定户、边缘易致贫户或突发严重困难户"))
            result.append(CategoryValue(Category.MONITORING, monitoring_type=kind))
        elif "边缘" in part:
            result.append(CategoryValue(Category.DIBAO_EDGE))
        elif "低保" in part:
            m = re.search(r"([ABC一二三])类|低保([ABC])", part.upper())
            klass = _CLASS_WORDS[(m[1] or m[2])] if m else ""
            result.append(CategoryValue(Category.DIBAO, dibao_class=klass))
        elif "刚性支出" in part or "支出型" in part:
            result.append(CategoryValue(Category.RIGID_EXPENSE))
        elif "低收入" in part or part == "其他":
            result.append(CategoryValue(Category.OTHER_LOW_INCOME))
        else:
            raise CellError(
                _(
                    "救助类别“%(v)s”无法识别（可填：低保、特困集中供养/特困分散供养、低保边缘、防止返贫监测、刚性支出困难、其他低收入）"
                )
                % {"v": part}
            )
    return result


def _choice(value: Any, kind: type[models.TextChoices], label: str) -> str | None:
    raw = text(value).replace(" ", "")
    if not raw:
        return None
    choices = kind.choices
    for key, name in choices:
        if raw in (key, str(name)):
            return key
    for key, name in choices:
        if raw in str(name) or str(name) in raw:
            return key
    options = "、".join(str(n) for _k, n in choices)
    raise CellError(
        _("%(label)s“%(v)s”无法识别（可填：%(options)s）") % {"label": label, "v": raw, "options": options}
    )


def parse_phone(value: Any) -> str:
    raw = text(value)
    return re.sub(r"[\s\-]", "", raw)


def parse_name(value: Any) -> str:
    # Rosters pad two-character names with a space ("张  三") to align them.
    return re.sub(r"\s+", "", text(value))


# --- Rows ----------------------------------------------------------------------------------------

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
    errors: list[str] = field(default_factory=list)
    # the village cell as written, resolved for the whole file at once (VillageResolver.load)
    village_text: str = ""
    township_text: str = ""
    village_error_at: int = 0  # where a village error goes among `errors` (the column order)


class VillageResolver:
    """Village (or township) of a row: a 12-digit (or 9-digit) code, or a name within the user's
    region; anything outside it is refused. `load` looks up every village the file names in one
    query; `resolve` then answers from memory."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.cache: dict[tuple[str, str], Region | str] = {}
        self.by_code: dict[str, Region] = {}
        self.by_name: dict[str, list[Region]] = {}

    def load(self, pairs: set[tuple[str, str]]) -> None:
        """Fetch, in one query, every region the (village, township) pairs can mean, in scope or
        not (an out-of-scope match is reported as such, not as unknown)."""
        scope = self.user.scope_code or ""
        codes = {v for v, _t in pairs if v.isdigit() and len(v) in (9, 12)}
        if any(not v for v, _t in pairs) and len(scope) in (9, 12):
            codes.add(scope)
        names = set()
        for value, _t in pairs:
            if value and not value.isdigit():
                names |= {value, value + "村", value + "社区"}
        if not codes and not names:
            return
        regions = Region.objects.filter(
            Q(code__in=codes) | Q(name__in=names, level__in=[Level.VILLAGE, Level.TOWNSHIP])
        ).select_related("parent")
        for region in regions:
            self.by_code[region.code] = region
            if region.level in (Level.VILLAGE, Level.TOWNSHIP):
                self.by_name.setdefault(region.name, []).append(region)

    def resolve(self, value: str, township: str) -> Region:
        key = (value, township)
        if key not in self.cache:
            self.cache[key] = self._resolve(value, township)
        found = self.cache[key]
        if isinstance(found, str):
            raise CellError(found)
        return found

    def _resolve(self, value: str, township: str) -> Region | str:
        if not value:
            scope = self.user.scope_code or ""
            if len(scope) in (9, 12) and scope in self.by_code:
                return self.by_code[scope]
            return _("缺少村（社区）")
        if value.isdigit():
            if len(value) not in (9, 12):
                return _("区划代码“%(v)s”应为12位（村/社区）或9位（乡镇/街道）") % {"v": value}
            region = self.by_code.get(value)
            if region is None:
                return _("区划代码“%(v)s”不存在") % {"v": value}
            if not in_scope(self.user, region.code):
                return _("村（社区）“%(v)s”不在您的管辖范围内") % {"v": value}
            return region
        candidates = [r for n in (value, value + "村", value + "社区") for r in self.by_name.get(n, ())]
        if township:
            if township.isdigit():
                candidates = [r for r in candidates if r.parent_id == township]
            else:
                parents = {township, township + "镇", township + "乡"}
                candidates = [r for r in candidates if r.parent is not None and r.parent.name in parents]
        mine = sorted(
            (r for r in candidates if in_scope(self.user, r.code)), key=lambda r: (-r.level, r.code)
        )[:3]
        if not mine:
            if candidates:
                return _("村（社区）“%(v)s”不在您的管辖范围内") % {"v": value}
            return _("未找到名为“%(v)s”的村（社区）") % {"v": value}
        villages = [r for r in mine if r.level == Level.VILLAGE] or mine
        if len(villages) > 1:
            return _("有多个名为“%(v)s”的村（社区），请填写乡镇或12位区划代码") % {"v": value}
        return villages[0]

    def apply(self, row: RosterRow) -> None:
        """Set the row's village, or put the reason among its errors where the column stands."""
        try:
            row.village = self.resolve(row.village_text, row.township_text)
        except CellError as exc:
            row.errors.insert(row.village_error_at, str(exc))


def _cell(row: tuple, columns: dict[str, int], name: str) -> Any:
    i = columns.get(name)
    if i is None or i >= len(row):
        return None
    return row[i]


def parse_row(number: int, row: tuple, header: Header) -> RosterRow | None:
    """One data row; None for a row to skip (blank, 合计, signature lines). The village is resolved
    later for the whole file (`VillageResolver.apply`)."""
    cols = header.columns
    values = [v for v in row if v is not None and text(v) != ""]
    if not values:
        return None
    raw_id = _cell(row, cols, "id_number")
    raw_name = _cell(row, cols, "name")
    footer = any(_FOOTER_RE.search(re.sub(r"\s", "", text(v))) for v in values)
    has_id = isinstance(raw_id, (int, float)) or bool(re.search(r"\d{6}", text(raw_id)))
    if not has_id and (footer or (text(raw_name) == "" and all(text(v).isdigit() for v in values))):
        return None
    r = RosterRow(number=number)

    def read(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except CellError as exc:
            r.errors.append(str(exc))
            return None

    r.name = parse_name(raw_name)
    if not r.name:
        r.errors.append(_("缺少姓名"))
    elif len(r.name) > 50:
        r.errors.append(_("姓名过长"))
    r.id_number = read(lambda: parse_id_number(raw_id)) or ""
    r.relation = read(lambda: parse_relation(_cell(row, cols, "relation")))
    r.phone = parse_phone(_cell(row, cols, "phone"))
    if len(r.phone) > 20:
        r.errors.append(_("联系电话“%(v)s”过长") % {"v": r.phone})
    r.head_name = parse_name(_cell(row, cols, "head_name"))
    r.household_number = text(_cell(row, cols, "household_number"))[:40]
    r.village_text = text(_cell(row, cols, "region_code")) or text(_cell(row, cols, "village"))
    r.township_text = text(_cell(row, cols, "township"))
    r.village_error_at = len(r.errors)
    r.address = text(_cell(row, cols, "address"))[:255]
    r.categories = read(lambda: parse_categories(_cell(row, cols, "category"))) or []
    r.category_start = read(lambda: parse_date(_cell(row, cols, "category_start")))
    label = header.labels.get("monthly_income", _("月收入"))
    r.monthly_income = read(lambda: parse_amount(_cell(row, cols, "monthly_income"), _norm(label)))
    r.heating_type = read(lambda: _choice(_cell(row, cols, "heating_type"), HeatingType, _("取暖方式")))
    r.housing_condition = read(
        lambda: _choice(_cell(row, cols, "housing_condition"), HousingCondition, _("住房状况"))
    )
    r.note = text(_cell(row, cols, "note"))
    return r


# --- The import ----------------------------------------------------------------------------------


@dataclass
class Report:
    dry_run: bool
    sheet: str = ""
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    households_created: int = 0
    households_updated: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    assistances_created: int = 0
    skipped_rows: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: RosterRow | int, reasons: list[str] | str) -> None:
        number = row if isinstance(row, int) else row.number
        name = "" if isinstance(row, int) else row.name
        if isinstance(reasons, str):
            reasons = [reasons]
        self.errors.append({"row": number, "name": name, "reason": "；".join(reasons)})

    def as_dict(self) -> dict[str, Any]:
        errors = sorted(self.errors, key=lambda e: e["row"])
        return {
            "dry_run": self.dry_run,
            "committed": not self.dry_run and not errors,
            "sheet": self.sheet,
            "header_row": self.header_row,
            "columns": self.columns,
            "rows": self.rows,
            "households_created": self.households_created,
            "households_updated": self.households_updated,
            "persons_created": self.persons_created,
            "persons_updated": self.persons_updated,
            "persons_unchanged": self.persons_unchanged,
            "assistances_created": self.assistances_created,
            "skipped_rows": self.skipped_rows,
            "error_count": len(errors),
            "error_rows": len({e["row"] for e in errors}),
            "errors": errors,
        }


def _messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# The household values a roster row can set, compared to decide whether anything changed.
HOUSEHOLD_VALUES = ("address", "monthly_income", "heating_type", "housing_condition", "contact_phone")


@dataclass(slots=True, eq=False)
class _HouseholdState:
    """A household as the import leaves it: an existing one (pk) or a new one (pk None until written)."""

    region_id: str
    values: dict[str, Any]
    head: _Member | int | None = None  # an int: an existing head the file does not name
    pk: int | None = None
    household_number: str = ""
    row: int = 0  # the row that creates it (new households)
    changed: set[str] = field(default_factory=set)  # fields of an existing household to update
    # assistance records: (category, person (pk, _Member or None), start, end)
    assistances: list[tuple[str, Any, datetime.date, datetime.date | None]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _Member:
    """A person as the import leaves them: existing (pk) or new (pk None until written)."""

    household: _HouseholdState | int  # an int: an existing household not (yet) in the file
    name: str
    id_number: str
    relation: str
    phone: str
    pk: int | None = None
    row: int = 0
    note: str = ""
    changed: set[str] = field(default_factory=set)  # fields of an existing person to update
    demoted: bool = False  # lost 户主 to another member (set without a history row, as the service)
    other_region: str = ""  # existing: the name of their household's region (for messages)
    household_region: str = ""  # existing: their household's region code


@dataclass(slots=True)
class _Entry:
    """A household key of the file (household number, or head within a village)."""

    household: _HouseholdState | None  # None: could not be registered (see error_row)
    created: bool = False
    first_row: int = 0
    head_row: int | None = None
    error_row: int | None = None


class RosterImporter:
    """Applies parsed rows, set-based: `load` fetches what the file refers to in a few queries,
    `add` decides each row in memory (the same rules and messages as the services), `write` stores
    the outcome with bulk inserts and updates. The dry run and the commit run the same code; the
    dry run's writes are rolled back."""

    def __init__(
        self, actor: User, header: Header, report: Report, progress: Callable[..., None] | None = None
    ) -> None:
        self.actor = actor
        self.header = header
        self.report = report
        self.progress = progress or (lambda *a, **k: None)
        self.households: dict[tuple, _Entry] = {}
        self.seen_ids: dict[str, int] = {}
        self.current_sequential: tuple | None = None
        self.today = timezone.localdate()
        # filled by load()
        self.members: dict[str, _Member] = {}  # active persons by ID number: existing, then new
        self.existing: dict[int, _HouseholdState] = {}  # existing households by pk
        self.by_number: dict[tuple[str, str], int] = {}  # (region, household number) -> pk
        self.new_households: list[_HouseholdState] = []
        self.new_members: list[_Member] = []
        self.new_assistances: list[tuple[_HouseholdState, _Member | None, CategoryValue, datetime.date]] = []
        self.demote: set[int] = set()  # existing heads (not in the file) that lose 户主
        self.loaded: list[_Member] = []  # the existing persons the file names

    # --- bulk look-ups ---

    def load(self, rows: list[RosterRow]) -> None:
        """What the file refers to, in a few queries whatever its length: the active persons with
        its ID numbers, households by (village, household number) and by those persons, and their
        assistance records."""
        ids = sorted({r.id_number for r in rows if not r.errors and r.id_number})
        by_pk: dict[int, _Member] = {}
        for chunk in _chunks(ids, LOOKUP_CHUNK):
            found = Person.objects.filter(active=True, id_number__in=chunk).values_list(
                "pk",
                "id_number",
                "household_id",
                "name",
                "phone",
                "relation",
                "household__region_id",
                "household__region__name",
            )
            for pk, id_number, household_id, name, phone, relation, region_id, region_name in found:
                member = _Member(
                    household=household_id,
                    name=name,
                    id_number=id_number,
                    relation=relation,
                    phone=phone,
                    pk=pk,
                    household_region=region_id,
                    other_region=region_name,
                )
                self.members[id_number] = by_pk[pk] = member
                self.loaded.append(member)

        numbers = sorted({r.household_number for r in rows if not r.errors and r.household_number})
        regions = sorted({r.village.code for r in rows if r.village is not None})
        columns = ("pk", "region_id", "household_number", "head_id", *HOUSEHOLD_VALUES)
        for chunk in _chunks(numbers, LOOKUP_CHUNK):
            found = Household.objects.filter(region_id__in=regions, household_number__in=chunk)
            for values in found.values_list(*columns):
                self._existing_household(values, by_pk)
        wanted = sorted({m.household for m in self.members.values()} - self.existing.keys())
        for chunk in _chunks(wanted, LOOKUP_CHUNK):
            for values in Household.objects.filter(pk__in=chunk).values_list(*columns):
                self._existing_household(values, by_pk)
        for member in self.members.values():
            member.household = self.existing.get(member.household, member.household)

        categories = sorted({c.category for r in rows for c in r.categories})
        if categories:
            for chunk in _chunks(sorted(self.existing), LOOKUP_CHUNK):
                found = Assistance.objects.filter(household_id__in=chunk, category__in=categories)
                for household_id, person_id, category, start, end in found.values_list(
                    "household_id", "person_id", "category", "start_date", "end_date"
                ):
                    self.existing[household_id].assistances.append((category, person_id, start, end))

    def _existing_household(self, values: tuple, by_pk: dict[int, _Member]) -> None:
        pk, region_id, number, head_id, *rest = values
        if pk in self.existing:
            return
        head = by_pk.get(head_id, head_id) if head_id else None
        state = _HouseholdState(
            region_id=region_id,
            values=dict(zip(HOUSEHOLD_VALUES, rest, strict=True)),
            head=head,
            pk=pk,
            household_number=number,
        )
        self.existing[pk] = state
        if number:
            self.by_number[(region_id, number)] = pk

    # --- rows, in file order ---

    # household key: by household number, else by the head named on the row, else by position
    def key_for(self, row: RosterRow) -> tuple | None:
        village = row.village.code if row.village else ""
        cols = self.header.columns
        if row.household_number:
            return (village, "n", row.household_number)
        if "head_name" in cols:
            head = row.head_name or (row.name if row.relation == Relation.HEAD else "")
            return (village, "h", head) if head else None
        if row.relation in (None, Relation.HEAD):
            self.current_sequential = (village, "s", row.number)
            return self.current_sequential
        return self.current_sequential

    def relation_of(self, row: RosterRow, key: tuple) -> str:
        if row.relation:
            return row.relation
        if row.head_name:
            return Relation.HEAD if row.head_name == row.name else Relation.OTHER
        if key[1] == "n":
            return Relation.HEAD if key not in self.households else Relation.OTHER
        return Relation.HEAD

    def household_values(self, row: RosterRow, is_head: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if row.address:
            values["address"] = row.address
        if row.monthly_income is not None:
            values["monthly_income"] = row.monthly_income
        if row.heating_type:
            values["heating_type"] = row.heating_type
        if row.housing_condition:
            values["housing_condition"] = row.housing_condition
        if is_head and row.phone:
            values["contact_phone"] = row.phone
        return values

    def add(self, row: RosterRow) -> None:
        report = self.report
        report.rows += 1
        if row.errors:
            report.error(row, row.errors)
            return
        key = self.key_for(row)
        if key is None:
            report.error(row, _("无法确定所属家庭：请填写户编号或户主姓名"))
            return
        if row.id_number in self.seen_ids:
            report.error(row, _("身份证号与第%(n)d行重复") % {"n": self.seen_ids[row.id_number]})
            return
        self.seen_ids[row.id_number] = row.number
        relation = self.relation_of(row, key)
        is_head = relation == Relation.HEAD
        entry = self.households.get(key)
        if entry is None:
            entry = self.households[key] = self.open_household(row, is_head)
        if entry.household is None:
            if entry.error_row != row.number:
                report.error(row, _("所在家庭无法登记（见第%(n)d行）") % {"n": entry.error_row})
            return
        if is_head:
            if entry.head_row is not None:
                report.error(
                    row,
                    _("同一户有两个户主（另见第%(n)d行）；同村户主同名的不同家庭请填写户编号区分")
                    % {"n": entry.head_row},
                )
                return
            entry.head_row = row.number
        household = entry.household
        if is_head and not (entry.created and entry.first_row == row.number):
            self.update_household(household, self.household_values(row, True))
        person = self.upsert_person(household, row, relation)
        if person is not None:
            self.add_categories(household, person, row)

    def open_household(self, row: RosterRow, is_head: bool) -> _Entry:
        assert row.village is not None
        pk = None
        if row.household_number:
            pk = self.by_number.get((row.village.code, row.household_number))
        if pk is None:
            existing = self.members.get(row.id_number)
            if existing and existing.pk and existing.household_region == row.village.code:
                pk = existing.household.pk if isinstance(existing.household, _HouseholdState) else None
        if pk is not None:
            household = self.existing[pk]
            household.row = household.row or row.number
            return _Entry(household=household, first_row=row.number)
        if not in_scope(self.actor, row.village.code):  # the resolver refuses these; kept as a guard
            self.report.error(row, _("该区划不在您的管辖范围内"))
            return _Entry(household=None, first_row=row.number, error_row=row.number)
        values = {
            "address": row.village.full_name or row.village.name,
            "monthly_income": Decimal("0"),
            "heating_type": HeatingType.COAL,
            "housing_condition": HousingCondition.SAFE,
            "contact_phone": "",
        }
        values.update(self.household_values(row, is_head))
        household = _HouseholdState(
            region_id=row.village.code,
            values=values,
            household_number=row.household_number.strip(),
            row=row.number,
        )
        self.new_households.append(household)
        self.report.households_created += 1
        return _Entry(household=household, created=True, first_row=row.number)

    def update_household(self, household: _HouseholdState, values: dict[str, Any]) -> None:
        changes = {k: v for k, v in values.items() if household.values[k] != v}
        if changes:
            household.values.update(changes)
            if household.pk is not None:
                household.changed.update(changes)
            self.report.households_updated += 1

    def set_head(self, household: _HouseholdState, person: _Member) -> None:
        """As services.household_set_head: the previous head, if still 户主, becomes 其他."""
        old = household.head
        if old is not None and old is not person:
            if isinstance(old, _Member):
                if old.relation == Relation.HEAD:
                    old.relation = Relation.OTHER
                    old.demoted = True
            else:
                self.demote.add(old)
        household.head = person
        if household.pk is not None:
            household.changed.add("head")
        if person.relation != Relation.HEAD:
            person.relation = Relation.HEAD
            if person.pk is not None:
                person.changed.add("relation")

    def upsert_person(self, household: _HouseholdState, row: RosterRow, relation: str) -> _Member | None:
        existing = self.members.get(row.id_number)
        if existing is not None and existing.household is not household:
            # services._prepare_person: an ID number is active in at most one household
            self.report.error(
                row,
                _("身份证号 %(id)s 已在另一户（%(region)s）登记为有效成员，请先在原户注销后再添加")
                % {"id": row.id_number, "region": existing.other_region},
            )
            return None
        if existing is None:
            person = _Member(
                household=household,
                name=row.name.strip(),
                id_number=row.id_number,
                relation=relation,
                phone=row.phone.strip(),
                row=row.number,
                note=row.note,
            )
            self.members[row.id_number] = person
            self.new_members.append(person)
            if relation == Relation.HEAD:
                self.set_head(household, person)
            self.report.persons_created += 1
            return person
        changes: set[str] = set()
        if existing.name != row.name:
            existing.name = row.name
            changes.add("name")
        if row.phone and existing.phone != row.phone:
            existing.phone = row.phone
            changes.add("phone")
        if (row.relation or relation == Relation.HEAD) and existing.relation != relation:
            existing.relation = relation
            changes.add("relation")
        existing.changed |= changes
        existing.row = existing.row or row.number
        if relation == Relation.HEAD and household.head is not existing:
            self.set_head(household, existing)
            changes.add("head")
        if changes:
            self.report.persons_updated += 1
        else:
            self.report.persons_unchanged += 1
        return existing

    def add_categories(self, household: _HouseholdState, person: _Member, row: RosterRow) -> None:
        on = row.category_start or self.today
        for value in row.categories:
            per_person = value.category == Category.TEKUN
            current = any(
                category == value.category
                and start <= on
                and (end is None or end >= on)
                and (not per_person or who is person or (person.pk is not None and who == person.pk))
                for category, who, start, end in household.assistances
            )
            if current:
                continue
            who = person if per_person else None
            household.assistances.append((value.category, who, on, None))
            self.new_assistances.append((household, who, value, on))
            self.report.assistances_created += 1

    def finish(self) -> None:
        for entry in self.households.values():
            if entry.created and entry.household is not None and entry.head_row is None:
                self.report.error(
                    entry.first_row, _("该户没有户主：请在“与户主关系”中标明户主，或填写户主姓名")
                )

    # --- writes ---

    def write(self) -> None:
        """Store the outcome in bulk: new households, persons (with their history rows) and
        assistance records; changed existing households and persons (locked, with history rows).
        The database constraints stay the final guard: an IntegrityError becomes a row error."""
        try:
            with transaction.atomic():
                self._write()
        except IntegrityError as exc:
            self.report.error(*self._integrity_error(exc))
        except DataError as exc:  # a value the parser let through but a column refuses
            self.report.error(0, _("数据超出字段允许范围，未写入任何数据：%(e)s") % {"e": exc})
        except ValidationError as exc:  # a model's own validation (full_clean) refused a change
            row = getattr(exc, "roster_row", 0)
            self.report.error(row, _messages(exc))

    def _write(self) -> None:
        for region_id in {h.region_id for h in self.new_households} | {
            h.region_id for h in self.existing.values() if h.changed
        }:
            require_in_scope(self.actor, region_id)
        now = timezone.now()
        reason = _("花名册导入")
        # Ids for new rows come from the tables' sequences first, so that a household's head and a
        # person's household are set before either is inserted (the foreign keys are deferred).
        for model, items in ((Household, self.new_households), (Person, self.new_members)):
            for item, pk in zip(items, _next_ids(model, len(items)), strict=True):
                item.pk = pk
        self.written, self.to_write = 0, len(self.new_households) + len(self.new_members)
        # New rows and their history rows go in with COPY, streamed: no model instances (at
        # 100,000 rows Django's bulk_create spent most of the import building and binding them).
        history = {"history_date": now, "history_change_reason": reason, "history_type": "+"}
        history["history_user_id"] = self.actor.pk
        for model, rows in (
            (Household, lambda: (self._household_row(h, now) for h in self.new_households)),
            (Person, lambda: (self._person_row(m, now) for m in self.new_members)),
        ):
            _copy(model, rows())
            _copy(model.history.model, ({**row, **history} for row in rows()), skip_pk=True)
        _copy(Assistance, (self._assistance_row(*item, now) for item in self.new_assistances), skip_pk=True)
        self._update_households(now, reason)
        self._update_persons(now, reason)
        if self.demote:
            Person.objects.filter(pk__in=sorted(self.demote), relation=Relation.HEAD).update(
                relation=Relation.OTHER
            )
        # Check the deferred foreign keys now: a dry run is rolled back and would never check them.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def _count_written(self) -> None:
        self.written += 1
        if self.written % PROGRESS_EVERY == 0:
            self.progress(self.written, self.to_write, _("正在写入"))

    def _household_row(self, h: _HouseholdState, now: datetime.datetime) -> dict[str, Any]:
        self._count_written()
        return {
            "id": h.pk,
            "region_id": h.region_id,
            "household_number": h.household_number,
            "head_id": _pk(h.head),
            "address": h.values["address"],
            "monthly_income": h.values["monthly_income"],
            "heating_type": str(h.values["heating_type"]),
            "housing_condition": str(h.values["housing_condition"]),
            "contact_phone": h.values["contact_phone"],
            "note": _("花名册导入"),
            "created_by_id": self.actor.pk,
            "created_at": now,
            "updated_at": now,
        }

    def _person_row(self, m: _Member, now: datetime.datetime) -> dict[str, Any]:
        assert isinstance(m.household, _HouseholdState)
        self._count_written()
        return {
            "id": m.pk,
            "household_id": m.household.pk,
            "region_id": m.household.region_id,
            "name": m.name,
            "id_number": m.id_number,
            "sex": services.sex_from_id(m.id_number),
            "birth_date": services.birth_date_from_id(m.id_number),
            "relation": str(m.relation),
            "phone": m.phone,
            "active": True,
            "note": m.note,
            "created_at": now,
            "updated_at": now,
        }

    def _assistance_row(
        self,
        h: _HouseholdState,
        who: _Member | None,
        value: CategoryValue,
        start: datetime.date,
        now: datetime.datetime,
    ) -> dict[str, Any]:
        return {
            "household_id": h.pk,
            "person_id": _pk(who),
            "region_id": h.region_id,
            "category": str(value.category),
            "start_date": start,
            "end_date": None,
            "dibao_class": str(value.dibao_class),
            "tekun_mode": str(value.tekun_mode),
            "monitoring_type": str(value.monitoring_type),
            "note": _("花名册导入"),
            "created_by_id": self.actor.pk,
            "created_at": now,
        }

    def _update_households(self, now: datetime.datetime, reason: str) -> None:
        changed = [h for h in self.existing.values() if h.changed]
        for chunk in _chunks(changed, WRITE_BATCH):
            locked = Household.objects.select_for_update().in_bulk([h.pk for h in chunk])
            objs, fields = [], {"updated_at"}
            for h in chunk:
                obj = locked[h.pk]
                for name in h.changed:
                    if name == "head":
                        obj.head_id = _pk(h.head)
                    else:
                        setattr(obj, name, h.values[name])
                obj.updated_at = now
                _validate(obj, h.row, exclude=["region", "head", "created_by"])
                fields |= h.changed
                objs.append(obj)
            bulk_update_with_history(
                objs,
                Household,
                sorted(fields),
                batch_size=WRITE_BATCH,
                default_user=self.actor,
                default_change_reason=reason,
            )

    def _update_persons(self, now: datetime.datetime, reason: str) -> None:
        changed = [m for m in self.loaded if m.changed]
        for chunk in _chunks(changed, WRITE_BATCH):
            locked = Person.objects.select_for_update().in_bulk([m.pk for m in chunk])
            objs, fields = [], {"updated_at"}
            for m in chunk:
                obj = locked[m.pk]
                names = m.changed | ({"relation"} if m.demoted else set())
                for name in names:
                    setattr(obj, name, getattr(m, name))
                obj.updated_at = now
                _validate(obj, m.row, exclude=["household", "region"])
                fields |= names
                objs.append(obj)
            bulk_update_with_history(
                objs,
                Person,
                sorted(fields),
                batch_size=WRITE_BATCH,
                default_user=self.actor,
                default_change_reason=reason,
            )
        demoted = [m.pk for m in self.loaded if m.demoted and not m.changed and m.relation != Relation.HEAD]
        if demoted:  # as household_set_head: a plain UPDATE, no history row
            Person.objects.filter(pk__in=demoted, relation=Relation.HEAD).update(relation=Relation.OTHER)

    def _integrity_error(self, exc: IntegrityError) -> tuple[int, str]:
        """A constraint that stopped the write (someone registered the same person or household
        number between the check and the write): the row, and what to do, in Chinese."""
        diag = getattr(exc.__cause__, "diag", None)
        constraint = getattr(diag, "constraint_name", "") or ""
        detail = getattr(diag, "message_detail", "") or ""
        if constraint == services.ID_CONSTRAINT:
            m = re.search(r"=\(([0-9X]{18})\)", detail)
            number = m[1] if m else ""
            return (
                self.seen_ids.get(number, 0),
                _("身份证号 %(id)s 已在另一户登记为有效成员（可能是预检之后由他人登记），请核对后重新上传")
                % {"id": number},
            )
        if constraint == services.HOUSEHOLD_NUMBER_CONSTRAINT:
            m = re.search(r"=\((\d+), (.*)\)", detail)
            row = next(
                (
                    h.row
                    for h in self.new_households
                    if m and (h.region_id, h.household_number) == (m[1], m[2])
                ),
                0,
            )
            return row, _("户编号“%(n)s”在本区划已被使用（可能是预检之后由他人登记），请核对后重新上传") % {
                "n": m[2] if m else ""
            }
        return 0, _("写入数据库时违反约束（%(c)s），未写入任何数据，请联系管理员") % {"c": constraint or exc}


def _pk(item: _Member | _HouseholdState | int | None) -> int | None:
    if item is None or isinstance(item, int):
        return item
    return item.pk


def _next_ids(model: type[models.Model], n: int) -> list[int]:
    """`n` fresh primary keys from the model's id sequence, in one query."""
    if not n:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, n],
        )
        return [r[0] for r in cursor.fetchall()]


def _copy(model: type[models.Model], rows: Iterable[dict[str, Any]], *, skip_pk: bool = False) -> None:
    """COPY `rows` (attname -> value) into the model's table, streamed. A field a row leaves out
    takes the model field's default, as a new instance would; with `skip_pk` the table's identity
    column numbers the rows. Database errors come out as Django's (IntegrityError, DataError)."""
    fields = [f for f in model._meta.concrete_fields if not (skip_pk and f.primary_key)]
    defaults = [(f.attname, f.get_default()) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row.get(name, default) for name, default in defaults])


def _validate(obj: models.Model, row: int, exclude: list[str]) -> None:
    """For changes to existing records: the model's field and clean() checks, as the services'
    full_clean, without the foreign-key queries. New records are not passed through it (100,000
    full_clean calls cost a third of the write): the row parser already enforces what it would
    (lengths, choices, amounts), and the database enforces column sizes and check constraints."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        exc.roster_row = row  # type: ignore[attr-defined]
        raise


def _open_workbook(f) -> Workbook:
    try:
        return load_workbook(f, read_only=True, data_only=True)
    except Exception:
        raise JobError(
            _("无法读取文件：请上传 Excel 2007 及以上（.xlsx）格式的文件，.xls 请先另存为 .xlsx")
        ) from None


def _rows(ws) -> Iterator[tuple[int, tuple]]:
    yield from enumerate(ws.iter_rows(values_only=True), start=1)


def roster_import(
    *,
    actor: User,
    source,
    commit: bool,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Read a roster and apply it (commit) or check it (dry run: the same writes, rolled back).

    `source`: a path or a binary file object. Returns the report (see `Report.as_dict`); a commit
    with any bad row writes nothing and raises JobError listing the first bad rows.
    """
    try:
        require_writer(actor)
    except PermissionDenied as exc:
        raise JobError(str(exc)) from None
    progress = progress or (lambda *a, **k: None)
    report = Report(dry_run=not commit)
    wb = _open_workbook(source)
    try:
        ws, header, head_rows = None, None, []
        for sheet in wb.worksheets:
            rows_iter = _rows(sheet)
            head_rows = []
            for _number, row in rows_iter:
                head_rows.append(row)
                if len(head_rows) >= HEADER_SCAN_ROWS:
                    break
            header = find_header(head_rows)
            if header and {"name", "id_number"} <= header.columns.keys():
                ws = sheet
                break
        if ws is None or header is None:
            raise JobError(_("没有找到表头：表格前30行中须有“姓名”和“身份证号”列"))
        if not ({"village", "region_code"} & header.columns.keys()) and len(actor.scope_code or "") not in (
            9,
            12,
        ):
            raise JobError(_("表格中没有“村（社区）”或“区划代码”列"))
        report.sheet = ws.title
        report.header_row = header.last_row
        report.columns = {COLUMNS[f][0]: label for f, label in header.labels.items()}
        total = ws.max_row if isinstance(ws.max_row, int) else None
        progress(0, total, _("正在读取") if not commit else _("正在读取并导入"), force=True)
        # 1. Read and check every row in Python (the workbook is streamed).
        rows: list[RosterRow] = []
        for number, row in _rows(ws):
            if number <= header.last_row:
                continue
            parsed = parse_row(number, row, header)
            if parsed is None:
                if any(v is not None and text(v) != "" for v in row):
                    report.skipped_rows.append(number)
            else:
                rows.append(parsed)
            if number % PROGRESS_EVERY == 0:
                progress(number, total)
    finally:
        wb.close()
    # 2. Villages, existing persons and households: a few queries for the whole file.
    progress(total or 0, total, _("正在核对已登记的家庭和人员"), force=True)
    villages = VillageResolver(actor)
    villages.load({(r.village_text, r.township_text) for r in rows})
    for r in rows:
        villages.apply(r)
    with transaction.atomic():
        importer = RosterImporter(actor, header, report, progress)
        importer.load(rows)
        # 3. Decide every row in memory, in file order.
        for r in rows:
            importer.add(r)
        importer.finish()
        del rows
        # 4. Write in bulk (the dry run too, then rolled back: the constraints check it).
        if not report.errors:
            importer.write()
        if report.dry_run or report.errors:
            transaction.set_rollback(True)
    progress(total or 0, total, force=True)
    result = report.as_dict()
    if commit and report.errors:
        shown = "；".join(_("第%(row)d行：%(reason)s") % e for e in result["errors"][:10])
        more = _("等共%(n)d处") % {"n": len(result["errors"])} if len(result["errors"]) > 10 else ""
        raise JobError(_("发现错误，未写入任何数据。%(shown)s%(more)s") % {"shown": shown, "more": more})
    return result


@job_handler("people.roster_import")
def roster_import_job(ctx: JobContext) -> dict[str, Any]:
    upload = RosterUpload.objects.filter(pk=ctx.params.get("upload_id")).first()
    if upload is None or not upload.file:
        raise JobError(_("上传的花名册文件已不存在，请重新上传"))
    with upload.file.open("rb") as f:
        return roster_import(
            actor=ctx.user, source=f, commit=bool(ctx.params.get("commit")), progress=ctx.progress
        )


# --- Services: upload, commit --------------------------------------------------------------------


@transaction.atomic
def roster_upload_create(*, actor: User, file: UploadedFile) -> RosterUpload:
    """Store an uploaded roster and start its dry run."""
    from relief.services import job_start

    require_writer(actor)
    name = file.name or "roster.xlsx"
    if not name.lower().endswith(".xlsx"):
        raise ValidationError({"file": _("请上传 .xlsx 格式的 Excel 文件（.xls 请先另存为 .xlsx）")})
    if file.size and file.size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": _("文件过大（上限 50MB）")})
    upload = RosterUpload(original_name=name[:255], region=actor.region, uploaded_by=actor)
    upload.file.save(name, file, save=False)
    upload.save()
    upload.dry_run_job = job_start(
        actor=actor,
        kind="people.roster_import",
        title=_("花名册预检：%(name)s") % {"name": upload.original_name},
        params={"upload_id": upload.pk, "commit": False},
    )
    upload.save(update_fields=["dry_run_job"])
    return upload


@transaction.atomic
def roster_commit_start(*, actor: User, upload: RosterUpload) -> Job:
    """Start writing a checked roster. Only after a dry run without errors; a commit already queued,
    running or done is returned as it is (pressing the button twice imports once)."""
    from relief.services import job_start

    require_writer(actor)
    upload = (
        RosterUpload.objects.select_for_update(of=("self",))
        .select_related("dry_run_job", "commit_job")
        .get(pk=upload.pk)
    )
    dry = upload.dry_run_job
    if dry is None or dry.state != JobState.SUCCEEDED:
        raise ValidationError(_("预检尚未完成，请稍候"))
    if dry.result.get("error_count"):
        raise ValidationError(_("预检发现错误，请修改文件后重新上传"))
    if upload.commit_job and upload.commit_job.state in (
        JobState.PENDING,
        JobState.RUNNING,
        JobState.SUCCEEDED,
    ):
        return upload.commit_job
    upload.commit_job = job_start(
        actor=actor,
        kind="people.roster_import",
        title=_("花名册导入：%(name)s") % {"name": upload.original_name},
        params={"upload_id": upload.pk, "commit": True},
    )
    upload.save(update_fields=["commit_job"])
    return upload.commit_job


# --- Template ------------------------------------------------------------------------------------


def template_workbook() -> bytes:
    """The roster template: expected headers, one example household, ID and phone columns as text."""
    wb = Workbook()
    ws = wb.active
    ws.title = _("花名册")
    headers = [COLUMNS[f][0] for f in TEMPLATE_FIELDS]
    ws.append(headers)
    body = "51012119850307001"
    head_id = body + check_digit(body)
    body2 = "51012120100612002"
    child_id = body2 + check_digit(body2)
    example = {
        "household_number": "JT-0001",
        "township": "赵镇街道",
        "village": "滨河社区",
        "address": "滨河社区3组12号",
        "head_name": "张大山",
        "category": "低保A类",
        "category_start": "2024-01-05",
        "monthly_income": "1200元",
        "heating_type": str(HeatingType.COAL.label),
        "housing_condition": str(HousingCondition.SAFE.label),
    }
    ws.append(
        [
            {
                **example,
                "name": "张大山",
                "id_number": head_id,
                "relation": "户主",
                "phone": "13800000001",
            }.get(f, "")
            for f in TEMPLATE_FIELDS
        ]
    )
    ws.append(
        [
            {**example, "name": "张小花", "id_number": child_id, "relation": "子女", "phone": ""}.get(f, "")
            for f in TEMPLATE_FIELDS
        ]
    )
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for i, f in enumerate(TEMPLATE_FIELDS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font, cell.fill = bold, fill
        letter = cell.column_letter
        ws.column_dimensions[letter].width = 22 if f in ("id_number", "address", "category") else 14
        if f in ("id_number", "phone", "household_number"):
            for r in range(2, 2002):
                ws.cell(row=r, column=i).number_format = "@"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet(_("填写说明"))
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
    ):
        notes.append([line])
    notes.column_dimensions["A"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
