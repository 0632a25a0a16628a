"""Revealing a masked ID or phone number: allowed only for a record the user can see, and logged
(who, which record, which field, when). Apps register which fields of which models can be revealed."""

from __future__ import annotations

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from relief.models import PersonalDataReveal

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
