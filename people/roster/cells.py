"""Reading one cell of a roster: text as the county typed it, into the value the register stores.

Full-width digits and letters become ASCII (NFKC); ID numbers are validated with the services' rules
(python-stdnum) and an ID stored as a number is reported as lost (Excel keeps 15 significant digits),
never guessed; dates come as text in several spellings, as date cells or as Excel serial numbers;
amounts with 元, thousands separators or 万. A value that cannot be read raises `CellError`, whose
message is shown to the user on the row.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from openpyxl.utils.datetime import from_excel

from people import services
from people.choices import (
    Category,
    DibaoClass,
    HeatingType,
    HousingCondition,
    MonitoringType,
    Relation,
    TekunMode,
)
from people.roster import vocabulary


class CellError(ValueError):
    """A value that cannot be read; the message is shown to the user, `code` says what is wrong
    (people/roster/errors.py: CODES)."""

    def __init__(self, message: Any, code: str = "other") -> None:
        super().__init__(message)
        self.code = code


def text(value: Any) -> str:
    """A cell as text: full-width to ASCII, trimmed; whole numbers without '.0'."""
    if type(value) is str:  # most cells; ASCII is its own NFKC form
        return (value if value.isascii() else unicodedata.normalize("NFKC", value)).strip()
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
    return parse_id_check(value).number


_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


def parse_id_check(value: Any) -> services.IdNumberCheck:
    """The ID number of a cell with what to flag (a 15-digit number converted, an unknown address
    code); a number Excel stored as a number is refused, never guessed."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        shown = f"{int(value)}" if float(value).is_integer() else str(value)
        raise CellError(
            _(
                "身份证号被存成了数字（%(v)s）：Excel 只保留15位有效数字，后几位已丢失，无法还原。"
                "请将该列设为“文本”格式后重新录入"
            )
            % {"v": shown},
            "id_number_stored_as_number",
        )
    raw = text(value)
    if not raw:
        raise CellError(_("缺少身份证号"), "id_number_missing")
    if ("e" in raw or "E" in raw) and _SCIENTIFIC.fullmatch(raw):
        raise CellError(
            _("身份证号显示为科学计数法（%(v)s），后几位已丢失，无法还原。请将该列设为“文本”格式后重新录入")
            % {"v": raw},
            "id_number_stored_as_number",
        )
    try:
        return services.check_id_number(raw)
    except ValidationError as exc:
        raise CellError("；".join(exc.messages), "id_number_invalid") from None


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
    raise CellError(_("日期“%(v)s”无法识别，请写成 2024-01-05 的形式") % {"v": raw}, "date_invalid")


def parse_amount(value: Any, label: str | Promise) -> Decimal | None:
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
            raise CellError(
                _("%(label)s“%(v)s”不是有效金额") % {"label": label, "v": raw}, "amount_invalid"
            ) from None
    if not amount.is_finite():
        raise CellError(_("%(label)s不是有效金额") % {"label": label}, "amount_invalid")
    if amount < 0:
        raise CellError(_("%(label)s不能为负数") % {"label": label}, "amount_invalid")
    if amount >= Decimal("1e10"):
        raise CellError(_("%(label)s金额过大") % {"label": label}, "amount_invalid")
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_relation(value: Any) -> str | None:
    raw = text(value).replace(" ", "")
    if not raw:
        return None
    if raw in vocabulary.RELATIONS:
        return vocabulary.RELATIONS[raw]
    for rel, label in Relation.choices:
        if raw in (rel, str(label)):
            return rel
    raise CellError(
        _("与户主关系“%(v)s”无法识别（可填：户主、配偶、子女、父母、孙子女、祖父母、兄弟姐妹、其他）")
        % {"v": raw},
        "relation_unknown",
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


def _category_value(category: str, subtype: str) -> CategoryValue:
    if category == Category.TEKUN:
        return CategoryValue(category, tekun_mode=subtype)
    if category == Category.MONITORING:
        return CategoryValue(category, monitoring_type=subtype)
    return CategoryValue(category, dibao_class=subtype)


def parse_tekun_mode(value: Any) -> str | None:
    """供养方式 (a column of its own) as a `TekunMode`; None for an empty cell."""
    raw = text(value).replace(" ", "")
    if not raw:
        return None
    if raw in vocabulary.TEKUN_MODES:
        return vocabulary.TEKUN_MODES[raw]
    raise CellError(
        _("供养方式“%(v)s”无法识别（可填：集中供养、分散供养）") % {"v": raw}, "tekun_mode_unknown"
    )


def parse_categories(value: Any) -> list[CategoryValue]:
    """救助类别, one or more (separated by 、，；/): a word of `vocabulary.CATEGORIES`, else a word
    naming its subtype (低保A类, 特困分散供养, …). A 特困 or 监测 word naming no subtype gets the
    subtype UNKNOWN (the import lists the row as to complete)."""
    raw = text(value)
    result: list[CategoryValue] = []
    for part in re.split(r"[、,，;；/\s]+", raw):
        if not part:
            continue
        if result and (subtype := _subtype_of_previous(result[-1], part)):
            result[-1] = subtype  # "特困 分散供养", "低保 A类": the subtype written after a space
            continue
        if part in vocabulary.CATEGORIES:
            result.append(_category_value(*vocabulary.CATEGORIES[part]))
        elif "特困" in part or "五保" in part:
            rest = re.sub(r"^(特困人员|特困供养|特困|五保户|五保)", "", part).strip("()（）-—·")
            mode = vocabulary.TEKUN_MODES.get(rest)
            if mode is None:
                mode = next(
                    (m for w, m in vocabulary.TEKUN_MODES.items() if len(w) > 1 and w in part),
                    TekunMode.UNKNOWN,
                )
            result.append(CategoryValue(Category.TEKUN, tekun_mode=mode))
        elif any(w in part for w in ("监测", "返贫", "不稳定", "易致贫", "突发")):
            if "不稳定" in part:
                kind = MonitoringType.UNSTABLE
            elif "易致贫" in part:
                kind = MonitoringType.EDGE
            elif "突发" in part:
                kind = MonitoringType.SUDDEN
            else:
                kind = MonitoringType.UNKNOWN
            result.append(CategoryValue(Category.MONITORING, monitoring_type=kind))
        elif "边缘" in part:
            result.append(CategoryValue(Category.DIBAO_EDGE))
        elif "低保" in part:
            m = re.search(r"([ABC一二三])类|低保([ABC])", part.upper())
            klass = _CLASS_WORDS[(m[1] or m[2])] if m else ""
            result.append(CategoryValue(Category.DIBAO, dibao_class=klass))
        elif "刚性支出" in part or "支出型" in part:
            result.append(CategoryValue(Category.RIGID_EXPENSE))
        elif "低收入" in part:
            result.append(CategoryValue(Category.OTHER_LOW_INCOME))
        else:
            raise CellError(
                _(
                    "救助类别“%(v)s”无法识别（可填：低保、特困集中供养/特困分散供养、低保边缘、防止返贫监测、刚性支出困难、其他低收入）"
                )
                % {"v": part},
                "category_unknown",
            )
    return result


def _subtype_of_previous(previous: CategoryValue, part: str) -> CategoryValue | None:
    """The subtype of the category before it, written as a word of its own ("特困 分散供养",
    "低保 A类"); None when `part` is not a subtype that category still lacks."""
    if previous.category == Category.TEKUN and previous.tekun_mode == TekunMode.UNKNOWN:
        mode = vocabulary.TEKUN_MODES.get(part)
        return dataclasses.replace(previous, tekun_mode=mode) if mode else None
    if previous.category == Category.DIBAO and not previous.dibao_class:
        m = re.fullmatch(r"([ABC一二三])类?", part.upper())
        return dataclasses.replace(previous, dibao_class=_CLASS_WORDS[m[1]]) if m else None
    return None


def parse_housing(value: Any, label: str | Promise) -> str | None:
    """住房状况: a word of `vocabulary.HOUSING`, else a `HousingCondition` label. A 危房 that names
    no grade is refused: C级 and D级 call for different action, and the import never guesses."""
    raw = text(value).replace(" ", "").upper()
    if not raw:
        return None
    if raw in vocabulary.HOUSING:
        return vocabulary.HOUSING[raw]
    if "危" in raw and not re.search(r"[CD]级|[CD]类", raw):
        raise CellError(
            _("%(label)s“%(v)s”未注明危房等级，请填写“C级危房”或“D级危房”") % {"label": label, "v": raw},
            "housing_grade_missing",
        )
    return parse_choice(raw, HousingCondition, label)


def parse_heating(value: Any, label: str | Promise) -> str | None:
    """取暖方式: a word of `vocabulary.HEATING`, else a `HeatingType` label (`parse_choice`)."""
    raw = text(value).replace(" ", "")
    if raw in vocabulary.HEATING:
        return vocabulary.HEATING[raw]
    return parse_choice(raw, HeatingType, label)


def parse_choice(value: Any, kind: type[models.TextChoices], label: str | Promise) -> str | None:
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
        _("%(label)s“%(v)s”无法识别（可填：%(options)s）") % {"label": label, "v": raw, "options": options},
        "choice_unknown",
    )


_SEXES = {"男": "M", "男性": "M", "M": "M", "女": "F", "女性": "F", "F": "F"}
SEX_LABELS = {"M": _lazy("男"), "F": _lazy("女")}


def parse_sex(value: Any) -> str | None:
    """性别 as "M" or "F"; None for an empty cell."""
    raw = text(value).replace(" ", "").upper()
    if not raw:
        return None
    if raw in _SEXES:
        return _SEXES[raw]
    raise CellError(_("性别“%(v)s”无法识别（可填：男、女）") % {"v": raw}, "sex_invalid")


_YEAR_MONTH_RE = re.compile(r"^(\d{4})\s*(?:[-/.年]\s*)?(\d{1,2})\s*月?$")


def parse_birth(value: Any) -> tuple[int, int, int | None] | None:
    """出生日期 (or 出生年月) as (year, month, day or None); None for an empty cell."""
    if value is None or value == "":
        return None
    try:
        date = parse_date(value)
    except CellError:
        m = _YEAR_MONTH_RE.match(text(value))
        if m and 1 <= int(m[2]) <= 12:
            return int(m[1]), int(m[2]), None
        raise CellError(
            _("出生日期“%(v)s”无法识别，请写成 1950-01-05 的形式") % {"v": text(value)}, "birth_date_invalid"
        ) from None
    return (date.year, date.month, date.day) if date else None


_PHONE_NOISE = re.compile(r"[\s\-]")
_SPACES = re.compile(r"\s+")


def parse_phone(value: Any) -> str:
    raw = text(value)
    return raw if raw.isdigit() else _PHONE_NOISE.sub("", raw)  # digits: no space or dash to drop


def parse_name(value: Any) -> str:
    # Rosters pad two-character names with a space ("张  三") to align them.
    raw = text(value)
    return raw if raw.isalnum() else _SPACES.sub("", raw)  # letters and digits: no space to drop
