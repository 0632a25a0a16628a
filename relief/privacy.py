"""Personal data for roles that do not need it in full (`user.sees_personal_data` false: city and
province officials, API clients), in one place:

- masks: `mask_id_number`, `mask_phone`, `mask_numbers_in_text` (ID and mobile numbers typed into free
  text), and `reduce_birth_date` (the year only: the hidden digits of a masked ID are the birth date);
- `MaskedFieldsMixin` for serializers: masks on the way out and, on the way in, keeps the stored value
  when a client writes back the mask it was shown ("masked values are a view, never data");
- `number_search`: a search by a whole ID or phone number, counted, limited per user and logged;
- `personal_data_reveal`: revealing a masked number, allowed only for a record the user can see, and
  logged (who, which record, which field, when). Apps register which fields of which models can be
  revealed.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.models import PersonalDataReveal


def mask_id_number(value: str | None) -> str:
    """510121198001010017 -> 510121********0017 (address code and last four kept)."""
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678."""
    if not value:
        return ""
    if len(value) < 7:
        return value[:1] + "*" * (len(value) - 1)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_account(value: str | None) -> str:
    """6228481234567890123 -> ***************0123 (the last four kept, as bank receipts show)."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


# An 18-digit ID (last character a digit or X) or a 15-digit one, not inside a longer run of digits.
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_numbers_in_text(text: str | None) -> str:
    """Mask every ID number (15 or 18 digits) and mobile number inside free text
    ("值班：张三 13812345678，身份证510121193112174250")."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m[0]), text or "")
    return _PHONE_IN_TEXT.sub(r"\1****\2", text)


mask_phones_in_text = mask_numbers_in_text  # the older name, for callers not yet moved


def sees_personal_data(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.sees_personal_data)


def id_for(user, value: str | None) -> str:
    """An ID number as this user may see it: in full for the roles whose work needs it, masked else."""
    return (value or "") if sees_personal_data(user) else mask_id_number(value)


def phone_for(user, value: str | None) -> str:
    """A phone number as this user may see it."""
    return (value or "") if sees_personal_data(user) else mask_phone(value)


def account_for(user, value: str | None) -> str:
    """A bank account number as this user may see it."""
    return (value or "") if sees_personal_data(user) else mask_account(value)


def reduce_birth_date(value: datetime.date | str | None) -> str:
    """The year of a birth date ("1931"): a masked ID hides exactly the date, so a masked view shows
    no more of it than the year."""
    if not value:
        return ""
    return str(value)[:4] if isinstance(value, str) else f"{value.year:04d}"


def birth_date_for(user, value: datetime.date | str | None) -> datetime.date | str | None:
    """The birth date in full for roles that see personal data, else its year."""
    return value if sees_personal_data(user) else reduce_birth_date(value)


def text_for(user, text: str | None) -> str:
    """Free text as written for roles that see personal data, else with its numbers masked."""
    return (text or "") if sees_personal_data(user) else mask_numbers_in_text(text)


# What mask_numbers_in_text leaves of an ID or mobile number ("510121********4250", "138****0001").
_MASK_IN_TEXT = re.compile(r"(?<![0-9A-Za-z*])(?:\d{6}\*{5,8}[\dXx]{4}|1\d{2}\*{4}\d{4})(?![0-9A-Za-z*])")


class MaskedWriteRefused(ValueError):
    """A text sent back holds a masked number that is not one of the stored text's numbers."""

    def __init__(self, field: str) -> None:
        self.field = field
        super().__init__(_("内容中含有被遮挡的号码（如 138****0001），无法还原：请删除该号码或填写完整号码"))


def restore_masked_text(value: str, stored: str) -> str:
    """`value` (free text a masked reader edited) with each masked number that stands for a number of
    the stored text put back in full, in order ("…510121********4250…" → the stored ID where its mask
    is unchanged). A masked number that stands for none of them is refused (MaskedWriteRefused's
    field is filled in by the caller), unless the stored text itself holds it as typed."""
    originals: dict[str, list[str]] = {}
    for match in _ID_IN_TEXT.finditer(stored):
        originals.setdefault(mask_id_number(match[0]), []).append(match[0])
    for match in _PHONE_IN_TEXT.finditer(_ID_IN_TEXT.sub("", stored)):
        originals.setdefault(f"{match[1]}****{match[2]}", []).append(match[0])
    literal = set(_MASK_IN_TEXT.findall(stored))

    def restore(match: re.Match) -> str:
        pending = originals.get(match[0])
        if pending:
            return pending.pop(0)
        if match[0] in literal:
            return match[0]
        raise MaskedWriteRefused("")

    return _MASK_IN_TEXT.sub(restore, value)


def keep_masked_writes(data: Any, instance: Any, masks: Mapping[str, Callable[[str], str]]) -> Any:
    """`data` (a request body) with every field whose value is the mask of the stored value
    replaced by the stored value: a client that reads "138****0001" and writes it back changes
    nothing. In free text (masked with mask_numbers_in_text) each masked number is put back where
    it stands for a stored one, and a masked number that cannot be put back is refused
    (MaskedWriteRefused): a mask is never written as data. Returns the same object when nothing is
    replaced."""
    if instance is None or not hasattr(data, "get"):
        return data
    replaced = {}
    for name, mask in masks.items():
        value = data.get(name)
        stored = getattr(instance, name, None) or ""
        if not isinstance(value, str) or value == stored:
            continue
        if mask is mask_numbers_in_text:
            try:
                restored = restore_masked_text(value, stored)
            except MaskedWriteRefused:
                raise MaskedWriteRefused(name) from None
            if restored != value:
                replaced[name] = restored
        elif stored and value == mask(stored):
            replaced[name] = stored
    if not replaced:
        return data
    data = data.copy() if hasattr(data, "copy") else dict(data)
    for name, stored in replaced.items():
        data[name] = stored
    return data


class MaskedFieldsMixin:
    """For a serializer: `masked_fields` (field -> mask function, e.g. `{"id_number": mask_id_number,
    "phone": mask_phone, "note": mask_numbers_in_text}`) are masked for roles that do not see personal data and
    `birth_date_fields` reduced to the year; a write that sends back the mask of a stored value keeps
    the stored value (for every caller: a mask is never data)."""

    masked_fields: Mapping[str, Callable[[str], str]] = {}
    birth_date_fields: tuple[str, ...] = ()

    def _privacy_user(self):
        return getattr(self.context.get("request"), "user", None)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not sees_personal_data(self._privacy_user()):
            for name, mask in self.masked_fields.items():
                if data.get(name):
                    data[name] = mask(data[name])
            for name in self.birth_date_fields:
                if name in data:
                    data[name] = reduce_birth_date(data[name])
        return data

    def to_internal_value(self, data):
        from rest_framework import serializers

        try:
            data = keep_masked_writes(data, self.instance, self.masked_fields)
        except MaskedWriteRefused as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from None
        return super().to_internal_value(data)


# --- searches by a personal number ---------------------------------------------------------------

SEARCH_FIELD_PREFIX = "search:"
_ID_SHAPED = re.compile(r"\d{17}[\dX]|\d{15}")
# A phone search: an 11-digit mobile (1[3-9]…, +86 allowed) or a landline of 7 or 8 digits (never
# starting 0 or 1) with or without its area code (0 and 2 or 3 digits), separators "-" or " ".
_MOBILE_SHAPED = re.compile(r"(?:\+?86[- ]?)?1[3-9]\d{9}")
_LANDLINE_SHAPED = re.compile(r"(?:0\d{2,3}[- ]?)?[2-9]\d{6,7}")


class NumberSearchLimited(Exception):
    """Too many searches by ID or phone number in the last hour."""


def number_kind(value: str | None) -> str | None:
    """ "id_number" for a whole ID number, "phone" for a mobile or landline number, else None (a
    name, a household number of other lengths, a part of a number)."""
    value = (value or "").strip().upper()
    if _ID_SHAPED.fullmatch(value):
        return "id_number"
    if _MOBILE_SHAPED.fullmatch(value) or _LANDLINE_SHAPED.fullmatch(value):
        return "phone"
    return None


def number_digest(value: str) -> str:
    """A keyed hash of a searched number (never the number itself in the log)."""
    key = settings.SECRET_KEY.encode()
    return hashlib.blake2b(value.strip().upper().encode(), key=key[:64], digest_size=32).hexdigest()


@transaction.atomic
def number_search(*, actor, kind: str, value: str, model_label: str) -> None:
    """Record a search by a personal number by a role that sees masked numbers (others: nothing),
    refusing it past `PERSONAL_NUMBER_SEARCHES_PER_HOUR`. The log row holds who, which kind of number,
    when, and a keyed hash of the number."""
    if sees_personal_data(actor) or not (actor and actor.is_authenticated):
        return
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()  # one count at a time per user
    since = timezone.now() - datetime.timedelta(hours=1)
    done = PersonalDataReveal.objects.filter(
        user=actor, field__startswith=SEARCH_FIELD_PREFIX, at__gte=since
    ).count()
    if done >= settings.PERSONAL_NUMBER_SEARCHES_PER_HOUR:
        raise NumberSearchLimited(
            _("按身份证号或电话查询过于频繁（每小时最多%(n)d次），请稍后再试")
            % {"n": settings.PERSONAL_NUMBER_SEARCHES_PER_HOUR}
        )
    PersonalDataReveal.objects.create(
        user=actor,
        subject_type=ContentType.objects.get_for_model(apps.get_model(model_label)),
        subject_id=number_digest(value),
        subject_label=_("按%(kind)s查询") % {"kind": _("身份证号") if kind == "id_number" else _("电话")},
        field=f"{SEARCH_FIELD_PREFIX}{kind}"[:32],
        region_id=getattr(actor, "region_id", None),
    )


# "people.person" -> {"id_number": "身份证号", "phone": "手机号"}
REVEALABLE: dict[str, dict[str, str]] = {}


def register(model_label: str, fields: dict[str, str]) -> None:
    REVEALABLE.setdefault(model_label.lower(), {}).update(fields)


def _region_code(obj: models.Model) -> str | None:
    """The record's region code, following its QuerySet's scope_field ("region", "household__region")."""
    *relations, last = getattr(type(obj).objects.all(), "scope_field", "region").split("__")
    for part in relations:
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


@transaction.atomic
def personal_data_reveal(*, actor, model_label: str, pk: str, field: str) -> str:
    """The full value of `field`, logged. 404 for a record the actor cannot see."""
    label = model_label.lower()
    if field not in REVEALABLE.get(label, {}):
        raise Http404(_("未找到该记录"))
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("请先登录"))
    model = apps.get_model(label)
    try:
        obj = model.objects.visible_to(actor).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到该记录")) from None
    PersonalDataReveal.objects.create(
        user=actor,
        subject_type=ContentType.objects.get_for_model(model),
        subject_id=str(obj.pk),
        subject_label=str(obj)[:200],
        field=field,
        region_id=_region_code(obj),
    )
    return getattr(obj, field) or ""
