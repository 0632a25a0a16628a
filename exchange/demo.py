"""Demo data of department data exchange (relief/demo.py): a province 医保 source with its rule, a
殡葬 source with the death rule, one batch each in the demo county with some matches and an
unmatched line, the warnings they raise, and one disposition of each outcome (the township's)."""

from __future__ import annotations

import datetime
import hashlib
from decimal import Decimal

from django.utils import timezone

from exchange.models import (
    DataSource,
    Disposition,
    ExchangeBatch,
    ExchangeRecord,
    RecordStatus,
    RuleKind,
    WarningRule,
)
from relief.demo import DemoContext

ANSWERS = [
    ("enrol", {"kind": "rigid_expense", "note": ""}),
    ("temporary", {"note": ""}),
    ("refer", {"department": "health", "note": "大病救助"}),
    ("not_needed", {"reason": "已获商业保险赔付"}),
]


def _source(code, name, department, record_kind, province) -> DataSource:
    return DataSource.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "department": department,
            "record_kind": record_kind,
            "region_id": province,
            "columns": {
                "id_number": "身份证号",
                "name": "姓名",
                "amount": "个人自付金额",
                "date": "结算日期",
            },
        },
    )[0]


def _batch(source: DataSource, county: str, people, *, amount=None, event="") -> ExchangeBatch:
    today = timezone.localdate()
    batch, created = ExchangeBatch.objects.get_or_create(
        source=source,
        region_id=county,
        checksum=hashlib.sha256(f"demo:{source.code}:{county}".encode()).hexdigest(),
        defaults={"via": "upload", "status": "done", "period": f"{today:%Y-%m}", "file_name": "demo.xlsx"},
    )
    if not created:
        return batch
    rows = [
        ExchangeRecord(
            batch=batch,
            source=source,
            line=i,
            id_number=p.id_number,
            name=p.name,
            amount=amount,
            occurred_on=today - datetime.timedelta(days=3 + i),
            event_type=event,
            status=RecordStatus.MATCHED,
            region_id=p.region_id,
            person=p,
            household_id=p.household_id,
            monitored=True,
        )
        for i, p in enumerate(people, 1)
    ]
    rows.append(
        ExchangeRecord(
            batch=batch,
            source=source,
            line=len(rows) + 1,
            id_number="110101199001011237",
            name="外省人员",
            amount=amount,
            status=RecordStatus.UNMATCHED,
            region_id=county,
        )
    )
    ExchangeRecord.objects.bulk_create(rows)
    ExchangeBatch.objects.filter(pk=batch.pk).update(
        received=len(rows), matched=len(rows) - 1, unmatched=1, finished_at=timezone.now()
    )
    return batch


def seed_exchange(ctx: DemoContext) -> None:
    from exchange.dispositions import disposition_step
    from exchange.hooks import after_match
    from people.models import Household, Person

    county = ctx.users.get("county")
    township = ctx.users.get("township")
    if county is None or township is None or county.region_id is None:
        return
    province = county.region_id[:2]
    medical = _source(
        "demo-medical", "省医保局：个人自付医疗费用", "medical_insurance", "medical_cost", province
    )
    WarningRule.objects.get_or_create(
        region_id=province,
        code="medical-share",
        defaults={
            "source": medical,
            "name": "自付医疗费用过高",
            "kind": RuleKind.MEDICAL_SHARE,
            "share": Decimal("0.5"),
            "months": 12,
            "due_days": 10,
            "suggestion": "rigid_expense",
            "valid_from": datetime.date(2020, 1, 1),
        },
    )
    funeral = _source("demo-funeral", "殡葬管理所：火化记录", "funeral", "death", province)
    WarningRule.objects.get_or_create(
        region_id=province,
        code="death",
        defaults={
            "source": funeral,
            "name": "火化记录比中在册人员",
            "kind": RuleKind.DEATH,
            "due_days": 5,
            "severity": 3,
            "suggestion": "death",
            "valid_from": datetime.date(2020, 1, 1),
        },
    )
    heads = []
    for where in (township.region_id, county.region_id):
        heads = list(
            Person.objects.filter(region__code__startswith=where, active=True, relation="head").order_by(
                "pk"
            )[:7]
        )
        if len(heads) == 7:
            break
    if len(heads) < 7:
        return
    if where != township.region_id:
        township = county  # the demo township has too few households: the county answers
    Household.objects.filter(pk__in=[p.household_id for p in heads[:5]]).update(monthly_income=Decimal("800"))
    medical_batch = _batch(medical, county.region_id, heads[:5], amount=Decimal("8000.00"))
    death_batch = _batch(funeral, county.region_id, heads[5:7], event="火化")
    after_match(medical_batch)
    after_match(death_batch)
    medical_ds = list(Disposition.objects.filter(rule__source=medical, status="verifying").order_by("pk"))
    for d, (step, data) in zip(medical_ds, ANSWERS, strict=False):
        d = disposition_step(
            actor=township, disposition=d, step="verify", how="phone", findings="电话核实属实"
        )
        disposition_step(actor=township, disposition=d, step=step, **data)
    deaths = list(Disposition.objects.filter(rule__source=funeral, status="verifying").order_by("pk"))
    if len(deaths) == 2:
        d = disposition_step(
            actor=township, disposition=deaths[0], step="verify", how="visit", findings="家属确认"
        )
        disposition_step(
            actor=township,
            disposition=d,
            step="confirm_death",
            died_on=timezone.localdate() - datetime.timedelta(days=5),
        )
        d = disposition_step(
            actor=township, disposition=deaths[1], step="verify", how="visit", findings="本人健在"
        )
        disposition_step(actor=township, disposition=d, step="reject_death", reason="同名同姓，非本人")
    ctx.log(f"exchange: {Disposition.objects.count()} warnings from department data")
