"""Resident ID numbers (GB 11643-1999): the one check the register, the roster import, funds and
patrols use, and what the number says (sex, birth date)."""

from __future__ import annotations

import datetime
import functools
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import numdb
from stdnum.cn import ric
from stdnum.util import isdigits

# --- ID numbers ----------------------------------------------------------------------------------


def normalize_id_number(value: str) -> str:
    """Full-width digits and letters to ASCII, spaces and dashes dropped, x upper-cased."""
    if value and value.isascii() and value.isalnum():  # already plain: nothing to drop
        return value if value.isdigit() else value.upper()  # (the same string when all digits)
    value = unicodedata.normalize("NFKC", value or "")
    return ric.compact(value.replace("-", "")).replace(" ", "")


@dataclass(frozen=True)
class IdNumberCheck:
    """A valid ID number, and what the caller should flag: `converted_from` is the 15-digit
    first-generation number it was converted from; `unknown_address` says the address code is not
    in the code table (a plausible code of a known province: accepted, to be checked)."""

    number: str
    converted_from: str = ""
    unknown_address: bool = False


OLDEST_BIRTH_YEAR = 1880


def check_id_number(value: str) -> IdNumberCheck:
    """The one validation of a resident ID number (GB 11643-1999), or a ValidationError that says in
    Chinese what is wrong.

    Valid when the check character, the birth date (a real date, not in the future) and the address
    code are right. The address code is right when it has existed at any time (python-stdnum's
    table of current and historical codes): a number carries the code in force when it was issued,
    so a code newer than the birth year is normal for anyone born before 1984. An unknown code of a
    known province is accepted and flagged (`unknown_address`). A 15-digit first-generation number
    is converted to 18 digits (19 before the 2-digit year, check character computed) and flagged."""
    number = normalize_id_number(value)
    if not number:
        raise ValidationError(_("请填写身份证号"), code="required")
    converted_from = ""
    if len(number) == 15 and isdigits(number):
        converted_from = number
        body = f"{number[:6]}19{number[6:]}"
        number = body + ric.calc_check_digit(body + "0")
        if _birth_date_or_none(number) is None:
            raise ValidationError(
                _("15位旧版身份证号中的出生日期无效（可能被 Excel 截断），请填写18位身份证号"),
                code="length",
            )
    if len(number) != 18:
        raise ValidationError(_("身份证号应为18位，当前为%(n)d位") % {"n": len(number)}, code="length")
    body = number[:-1]
    if not (body.isascii() and body.isdigit()) or not (number[-1].isdigit() or number[-1] == "X"):
        raise ValidationError(_("身份证号前17位必须是数字，最后一位是数字或X"), code="format")
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError(_("身份证号校验位不正确，请核对是否抄错"), code="checksum")
    birth = _birth_date_or_none(number)
    if birth is None or birth.year < OLDEST_BIRTH_YEAR or _in_future(birth):
        raise ValidationError(
            _("身份证号中的出生日期“%(d)s”无效，请核对") % {"d": number[6:14]}, code="birth_date"
        )
    status = address_code_status(number[:6])
    if status == ADDRESS_UNKNOWN:
        raise ValidationError(
            _("身份证号前6位地址码“%(c)s”不是有效的行政区划代码，请核对") % {"c": number[:6]},
            code="address_code",
        )
    return IdNumberCheck(number, converted_from, unknown_address=status == ADDRESS_PLAUSIBLE)


def validate_id_number(value: str) -> str:
    """The normalised 18-digit ID number (see `check_id_number`), or a ValidationError."""
    return check_id_number(value).number


# Days up to two days before this module was loaded are in the past in any time zone, for good.
_PAST_BEFORE = datetime.date.today() - datetime.timedelta(days=2)


def _in_future(day: datetime.date) -> bool:
    # today in the project's time zone only for the last days (a look-up costs ~10 µs a row):
    # it is within two days of the system's date in any time zone
    if day <= _PAST_BEFORE:
        return False
    return day > datetime.date.today() - datetime.timedelta(days=2) and day > timezone.localdate()


def _birth_date_or_none(number: str) -> datetime.date | None:
    try:
        return birth_date_from_id(number)
    except ValueError:
        return None


ADDRESS_KNOWN, ADDRESS_PLAUSIBLE, ADDRESS_UNKNOWN = "known", "plausible", "unknown"


@functools.lru_cache(maxsize=16384)
def address_code_status(code: str) -> str:
    """Whether a 6-digit address code is one that has existed at any time (python-stdnum's
    `cn/loc` table keeps every code with the years it was in force), a plausible one (a known
    province, the rest not in the table) or not an address code at all."""
    if len(code) != 6 or not isdigits(code):
        return ADDRESS_UNKNOWN
    levels = numdb.get("cn/loc").info(code)
    props = {k: v for _part, found in levels for k, v in found.items()}
    if "county" in props:
        return ADDRESS_KNOWN
    if "province" in props and code[2:] != "0000":
        return ADDRESS_PLAUSIBLE
    return ADDRESS_UNKNOWN


def sex_from_id(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def birth_date_from_id(number: str) -> datetime.date:
    """The birth date in a normalised 18-digit ID number (digits 7–14; ValueError if none)."""
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
