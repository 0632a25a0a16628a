"""Department data as ingest (exchange part A) leaves it: a source, its rules, a batch and its matched
records, written directly."""

from __future__ import annotations

import datetime
import hashlib
import itertools
from decimal import Decimal

from exchange.models import (
    DataSource,
    ExchangeBatch,
    ExchangeRecord,
    RecordStatus,
    RuleKind,
    WarningRule,
)
from people.models import Person
from tests.factories import region

_n = itertools.count(1)

KINDS = {
    RuleKind.MEDICAL_SHARE: ("medical_insurance", "medical_cost", "rigid_expense"),
    RuleKind.EVENT: ("disabled_federation", "disability", "dibao"),
    RuleKind.SOLE_EARNER: ("human_resources", "unemployment", "visit"),
    RuleKind.DEATH: ("funeral", "death", "death"),
}


def source(kind: str = RuleKind.MEDICAL_SHARE, region_code: str = "51", **extra) -> DataSource:
    department, record_kind, _s = KINDS[kind]
    n = next(_n)
    return DataSource.objects.create(
        code=f"src-{kind}-{n}".replace("_", "-"),
        name=extra.pop("name", f"数据{n}"),
        department=department,
        record_kind=record_kind,
        region=region(region_code),
        columns={"id_number": "身份证号"},
        **extra,
    )


def rule(
    src: DataSource, kind: str = RuleKind.MEDICAL_SHARE, region_code: str = "51", **extra
) -> WarningRule:
    defaults = {
        "code": f"rule-{kind}".replace("_", "-"),
        "name": {
            "medical_share": "医疗费用过高",
            "event": "新办重度残疾证",
            "sole_earner": "唯一劳动力失业",
            "death": "死亡",
        }[kind],
        "suggestion": KINDS[kind][2],
        "valid_from": datetime.date(2020, 1, 1),
        "due_days": 10,
    }
    if kind == RuleKind.MEDICAL_SHARE:
        defaults["share"] = Decimal("0.5")
    defaults.update(extra)
    return WarningRule.objects.create(source=src, region=region(region_code), kind=kind, **defaults)


def batch(src: DataSource, region_code: str = "510121", **extra) -> ExchangeBatch:
    n = next(_n)
    return ExchangeBatch.objects.create(
        source=src,
        region=region(region_code),
        via="upload",
        checksum=hashlib.sha256(str(n).encode()).hexdigest(),
        status="done",
        **extra,
    )


def record(
    b: ExchangeBatch,
    person: Person | None,
    *,
    amount: Decimal | str | None = None,
    occurred_on: datetime.date | None = None,
    event_type: str = "",
    id_number: str = "",
) -> ExchangeRecord:
    """A matched line about `person` (None: an unmatched line)."""
    line = b.records.count() + 1
    if person is None:
        return ExchangeRecord.objects.create(
            batch=b,
            source=b.source,
            line=line,
            id_number=id_number or "110101199001011234",
            status=RecordStatus.UNMATCHED,
            region_id=b.region_id,
            amount=amount,
            occurred_on=occurred_on,
        )
    rec = ExchangeRecord.objects.create(
        batch=b,
        source=b.source,
        line=line,
        id_number=id_number or person.id_number,
        name=person.name,
        amount=Decimal(str(amount)) if amount is not None else None,
        occurred_on=occurred_on,
        event_type=event_type,
        status=RecordStatus.MATCHED,
        region_id=person.region_id,
        person=person,
        household_id=person.household_id,
        monitored=True,
    )
    b.received = b.matched = line
    b.save(update_fields=["received", "matched"])
    return rec
