"""Revealing a masked ID or phone number: allowed only for a record the user can see, and logged
(who, which record, which field, when). Apps register which fields of which models can be revealed."""

from __future__ import annotations

import re

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
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


_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")


def mask_phones_in_text(text: str | None) -> str:
    """Mask every mobile number inside free text ("值班：张三 13812345678")."""
    return _PHONE_IN_TEXT.sub(r"\1****\2", text or "")


def sees_personal_data(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.sees_personal_data)


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
