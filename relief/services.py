"""Writes of the shared core: policy parameters and regions. One transaction each.

Jobs and alerts have their own wings: relief/jobs/services.py and relief/alerts/services.py."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from relief.models import PolicyParameter, Region, User
from relief.policy import PARAMETERS
from relief.regions import stdnum_divisions


@transaction.atomic
def policy_set(
    *, actor: User, key: str, value: Decimal, region: Region | None, valid_from: datetime.date, note: str = ""
) -> PolicyParameter:
    if not actor.is_region_admin:
        raise PermissionDenied(_("只有管理员可以修改政策参数"))
    if key not in PARAMETERS:
        raise ValidationError(_("未知的政策参数"))
    row, _created = PolicyParameter.objects.update_or_create(
        key=key,
        region=region,
        valid_from=valid_from,
        defaults={"value": value, "note": note, "updated_by": actor},
    )
    return row


def regions_load_stdnum(*, provinces: list[str] | None = None) -> int:
    """Insert or update the current provinces, cities and counties from python-stdnum's table.
    Safe to run again. Returns the number of rows written."""
    entries = [e for e in stdnum_divisions() if not provinces or e.code[:2] in provinces]
    names = {e.code: e.name for e in entries}
    rows = []
    for e in entries:
        full = " ".join(
            names[c] for c in (e.code[:2], e.code[:4], e.code) if c in names and len(c) <= len(e.code)
        )
        rows.append(
            Region(
                code=e.code,
                name=e.name,
                level=e.level,
                parent_id=e.parent,
                full_name=" ".join(dict.fromkeys(full.split())),
            )
        )
    with transaction.atomic():
        Region.objects.bulk_create(
            sorted(rows, key=lambda r: len(r.code)),
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["name", "level", "parent", "full_name"],
            batch_size=2000,
        )
    return len(rows)
