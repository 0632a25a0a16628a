"""Reading department data: the search of a batch's records (by ID number or name), shared by the
pages and the API."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from exchange.models import RecordQuerySet
from people.id_numbers import normalize_id_number
from relief.privacy import number_kind, number_search, sees_personal_data

#: what a role that sees masked numbers may search by other than a whole number: the address code
MASKED_PREFIX_MAX = 6


def record_search(qs: RecordQuerySet, *, actor, id_number: str = "", name: str = "") -> RecordQuerySet:
    """Records whose ID number starts with `id_number` and whose name starts with `name`. A role
    that sees masked numbers searches by a whole number (counted and logged: relief/privacy.py) or
    by the address code at most, never by the hidden digits. Raises ValidationError (a prefix it
    may not search by) or relief.privacy.NumberSearchLimited."""
    number = normalize_id_number((id_number or "").strip())
    if number:
        if number_kind(number) == "id_number":
            number_search(actor=actor, kind="id_number", value=number, model_label="exchange.exchangerecord")
            qs = qs.filter(id_number=number)
        elif sees_personal_data(actor) or len(number) <= MASKED_PREFIX_MAX:
            qs = qs.filter(id_number__startswith=number)
        else:
            raise ValidationError(
                _("按身份证号查询请输入完整号码，或前%(n)d位地址码") % {"n": MASKED_PREFIX_MAX},
                code="id_number_prefix",
            )
    name = (name or "").strip()
    if name:
        qs = qs.filter(name__startswith=name)
    return qs
