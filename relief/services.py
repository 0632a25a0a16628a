"""Writes of the shared core: policy parameters and regions. One transaction each.

Jobs and alerts have their own wings: relief/jobs/services.py and relief/alerts/services.py."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.divisions import SOURCE, DivisionPlan, plan_divisions, read_divisions
from relief.models import PolicyParameter, Region, RegionName, User
from relief.policy import PARAMETERS, check_value
from relief.regions import ancestor_codes, stdnum_divisions


@transaction.atomic
def policy_set(
    *, actor: User, key: str, value: Decimal, region: Region | None, valid_from: datetime.date, note: str = ""
) -> PolicyParameter:
    if not actor.is_region_admin:
        raise PermissionDenied(_("只有管理员可以修改政策参数"))
    if key not in PARAMETERS:
        raise ValidationError(_("未知的政策参数"))
    if message := check_value(key, Decimal(str(value))):
        raise ValidationError({"value": message})
    row, _created = PolicyParameter.objects.update_or_create(
        key=key,
        region=region,
        valid_from=valid_from,
        defaults={"value": value, "note": note, "updated_by": actor},
    )
    return row


def regions_load_stdnum(*, provinces: list[str] | None = None) -> int:
    """Insert or update the current provinces, cities and counties from python-stdnum's table.
    Safe to run again. Returns the number of rows written. A code the statistical division data
    has loaded (`source` set) is left as that data has it."""
    loaded = set(
        Region.objects.exclude(source="").filter(code__regex=r"^\d{2,6}$").values_list("code", flat=True)
    )
    entries = [
        e for e in stdnum_divisions() if (not provinces or e.code[:2] in provinces) and e.code not in loaded
    ]
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


_REGION_COLUMNS = ("code", "name", "level", "parent_id", "full_name")


def _copy_rows(table: str, rows: list[tuple]) -> None:
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(_REGION_COLUMNS)}, source) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((*row, SOURCE))


@transaction.atomic
def regions_load_divisions(
    *, prefixes: Sequence[str] = (), directory: Path | None = None, today: datetime.date | None = None
) -> DivisionPlan:
    """Bring the regions under `prefixes` (the whole country when empty) in line with the vendored
    statistical division data (see relief/divisions.py for the rules), in one transaction, with
    COPY. Running it again changes nothing (`plan.changes == 0`). Returns the plan with its counts."""
    today = today or timezone.localdate()
    prefixes = tuple(dict.fromkeys(prefixes))
    divisions = read_divisions(prefixes, directory)
    around = Q(code__in={a for p in prefixes for a in ancestor_codes(p)[:-1]})
    inside = Q()
    for p in prefixes:
        inside |= Q(code__startswith=p)
    existing = Region.objects.all() if not prefixes else Region.objects.filter(around | inside)
    columns = ("code", "name", "level", "parent_id", "full_name", "retired_on", "source")
    sql, params = existing.values_list(*columns).query.sql_with_params()
    with connection.cursor() as cursor:  # plain tuples: a whole-country load compares 665,000 rows
        cursor.execute(sql, params)
        plan = plan_divisions(divisions, cursor, prefixes)
    if plan.create:
        _copy_rows("relief_region", plan.create)
    if plan.update:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE region_load (code varchar(12), name varchar(64), level smallint, "
                "parent_id varchar(12), full_name varchar(255), source varchar(32)) ON COMMIT DROP"
            )
            _copy_rows("region_load", plan.update)
            cursor.execute(
                "UPDATE relief_region AS r SET name = t.name, level = t.level, parent_id = t.parent_id, "
                "full_name = t.full_name, source = t.source, retired_on = NULL "
                "FROM region_load AS t WHERE r.code = t.code"
            )
            cursor.execute("DROP TABLE region_load")
    if plan.retire:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE relief_region SET retired_on = %s WHERE code = ANY(%s)", [today, plan.retire]
            )
    RegionName.objects.bulk_create(
        [
            RegionName(region_id=code, name=name, full_name=full_name, until=today, source=SOURCE)
            for code, name, full_name in plan.renamed
        ],
        batch_size=5000,
    )
    return plan
