"""A department's file comes in through the project's reader and is matched: every line counted as
matched, unmatched or invalid with its reason; matched lines get the person, the household, the
person's village and whether the household is monitored. The same in every format departments send."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exchange import services
from exchange.models import BatchStatus, ExchangeBatch, ExchangeRecord, RecordStatus, Via
from tests.exchange import data
from tests.exchange.conftest import fixture_file

pytestmark = pytest.mark.django_db

FILES = ["medical-openpyxl.xlsx", "medical-libreoffice.xls", "medical-gbk.csv"]


def receive(users, regions, source, name, **kwargs):
    return services.batch_receive(
        actor=users["county"], source=source, region=regions["county"], file=fixture_file(name), **kwargs
    )


def by_line(batch) -> dict[int, ExchangeRecord]:
    return {r.line: r for r in ExchangeRecord.objects.filter(batch=batch)}


@pytest.mark.parametrize("name", FILES)
def test_every_format_gives_the_same_counts_and_reasons(users, regions, source, register, name):
    batch, created = receive(users, regions, source, name, period="2026-11")
    assert created and batch.status == BatchStatus.DONE, batch.error
    counts = {f: getattr(batch, f) for f in data.EXPECTED}
    assert counts == data.EXPECTED
    assert batch.invalid_reasons == data.EXPECTED_REASONS
    assert batch.finished_at is not None and batch.period == "2026-11"
    records = by_line(batch)
    assert sorted(records) == list(range(data.FIRST_LINE, data.FIRST_LINE + len(data.ROWS)))
    first = records[data.LINE[data.MONITORED]]
    assert (first.amount, first.occurred_on.isoformat(), first.event_type, first.name) == (
        Decimal("3200.50"),
        "2026-11-03",
        "住院",
        "王秀英",
    )
    assert records[data.LINE[data.RETIRED_CODE]].amount == Decimal("1500.00")
    assert [r.occurred_on.day for r in records.values() if r.occurred_on][:4] == [3, 5, 7, 8]


def test_matching_sets_person_household_region_and_monitored(users, regions, source, register):
    batch, _created = receive(users, regions, source, "medical-openpyxl.xlsx")
    records = by_line(batch)

    def record(number):
        return records[data.LINE[number]]

    for number in (data.MONITORED, data.PLAIN, data.RETIRED_CODE, data.COHORT):
        r = record(number)
        person = register[number]
        assert (r.status, r.person_id, r.household_id, r.region_id) == (
            RecordStatus.MATCHED,
            person.pk,
            person.household_id,
            "510121001001",
        )
    # a 15-digit number is converted and matches the person registered with the 18-digit one
    old = record(data.OLD_15)
    assert (old.id_number, old.person_id) == (data.OLD_15_AS_18, register[data.OLD_15_AS_18].pk)
    # the region of the match is the person's village, wherever the batch came from
    assert record(data.OTHER_COUNTY).region_id == "510129001001"
    # monitored: a category in force, or the cohort still watched
    assert {n for n in data.LINE if record(n).monitored} == {data.MONITORED, data.COHORT}
    # unmatched (nobody, or an inactive person) keep the batch's region and no person
    for number in (data.NOT_REGISTERED, data.INACTIVE):
        r = record(number)
        assert (r.status, r.person_id, r.region_id) == (RecordStatus.UNMATCHED, None, "510121")


def test_each_invalid_line_keeps_its_reason(users, regions, source, register):
    batch, _created = receive(users, regions, source, "medical-gbk.csv")
    invalid = {
        r.line: (r.error_code, r.error)
        for r in ExchangeRecord.objects.filter(batch=batch, status=RecordStatus.INVALID)
    }
    line = {i + data.FIRST_LINE: row for i, row in enumerate(data.ROWS)}
    by_name = {line[n][0][:2]: v for n, v in invalid.items()}
    assert by_name["周九"] == ("id_number_missing", "缺少身份证号")
    assert by_name["吴十"][0] == "id_number_invalid" and "校验位" in by_name["吴十"][1]
    assert by_name["郑一"] == ("date_invalid", "日期“2026-13-45”无法识别，请写成 2026-11-03")
    assert by_name["王二"] == ("amount_invalid", "金额“约三百元”无法识别")
    assert by_name["欧阳"] == ("text_too_long", "“姓名”超过50个字")
    assert all(r.region_id == "510121" for r in ExchangeRecord.objects.filter(status=RecordStatus.INVALID))


def test_resending_the_same_content_or_key_changes_nothing(users, regions, source, register):
    batch, created = receive(users, regions, source, "medical-openpyxl.xlsx", key="MI-2026-11")
    assert created
    rows = ExchangeRecord.objects.count()
    again, created = receive(users, regions, source, "medical-openpyxl.xlsx")
    assert (again.pk, created) == (batch.pk, False)
    same_key, created = receive(users, regions, source, "medical-openpyxl.xlsx", key="MI-2026-11")
    assert (same_key.pk, created) == (batch.pk, False)
    assert ExchangeBatch.objects.count() == 1 and ExchangeRecord.objects.count() == rows
    # the same key with other content is refused, and nothing is written
    with pytest.raises(services.KeyReused):
        receive(users, regions, source, "medical-gbk.csv", key="MI-2026-11")
    assert ExchangeBatch.objects.count() == 1
    # other content without a key is another batch
    other, created = receive(users, regions, source, "medical-gbk.csv")
    assert created and other.pk != batch.pk


def test_records_from_the_api_are_matched_like_a_file(users, regions, source, register):
    records = [
        {"id_number": data.MONITORED, "name": "王秀英", "amount": "3200.50", "date": "2026-11-03"},
        {"公民身份号码": data.OLD_15, "参保人姓名": "赵国强", "个人自付金额（元）": 80.5},
        {"id_number": "123", "name": "某某"},
    ]
    batch, created = services.batch_receive(
        actor=users["api_write"], source=source, region=regions["county"], records=records, via=Via.API
    )
    assert created and (batch.received, batch.matched, batch.invalid) == (3, 2, 1)
    assert batch.invalid_reasons == {"id_number_invalid": 1}
    again, created = services.batch_receive(
        actor=users["api_write"], source=source, region=regions["county"], records=records, via=Via.API
    )
    assert (again.pk, created) == (batch.pk, False)


def test_a_file_without_the_mapped_columns_fails_with_a_reason(users, regions, source, register):
    source.columns = {**data.COLUMNS, "type": "医疗类别"}
    source.save()
    batch, _created = receive(users, regions, source, "medical-gbk.csv")
    assert batch.status == BatchStatus.FAILED
    assert batch.error == "第2行表头中没有这些列：医疗类别（请核对数据来源的列对应）"
    assert not ExchangeRecord.objects.exists()
    # fixed in the admin, the same file sent again is read
    source.columns = data.COLUMNS
    source.save()
    again, created = receive(users, regions, source, "medical-gbk.csv")
    assert (again.pk, created, again.status, again.received) == (batch.pk, False, BatchStatus.DONE, 13)


def test_after_match_runs_and_its_warnings_are_kept(users, regions, source, register, monkeypatch):
    from exchange import hooks

    seen = []

    def runner(batch):
        seen.append((batch.pk, batch.matched))
        return 4

    monkeypatch.setattr(hooks, "AFTER_MATCH", [runner])
    batch, _created = receive(users, regions, source, "medical-openpyxl.xlsx")
    assert seen == [(batch.pk, 6)]
    batch.refresh_from_db()
    assert batch.warnings_raised == 4


def test_a_source_of_another_province_or_a_region_outside_is_refused(users, regions, source):
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        services.batch_receive(
            actor=users["county"], source=source, region=regions["other_county"], records=[{"id_number": "1"}]
        )
    with pytest.raises(PermissionDenied):  # officials read only
        services.batch_receive(
            actor=users["city"], source=source, region=regions["county"], records=[{"id_number": "1"}]
        )
    source.region = regions["other_province"]
    source.save()
    with pytest.raises(ValidationError):
        services.batch_receive(
            actor=users["county"], source=source, region=regions["county"], records=[{"id_number": "1"}]
        )
    assert not ExchangeBatch.objects.exists()


def test_rules_that_failed_run_again_without_matching_again(users, regions, source, register, monkeypatch):
    from exchange import hooks

    def broken(batch):
        raise RuntimeError("rules down")

    monkeypatch.setattr(hooks, "AFTER_MATCH", [broken])
    with pytest.raises(RuntimeError):
        receive(users, regions, source, "medical-gbk.csv")
    batch = ExchangeBatch.objects.get()
    assert (batch.status, batch.finished_at, batch.matched) == (BatchStatus.DONE, None, 6)
    monkeypatch.setattr(hooks, "AFTER_MATCH", [lambda b: 2])
    again, created = receive(users, regions, source, "medical-gbk.csv")  # sent again: the rules run
    assert (again.pk, created) == (batch.pk, False)
    batch.refresh_from_db()
    assert (batch.warnings_raised, batch.finished_at is not None) == (2, True)
    assert ExchangeRecord.objects.filter(batch=batch).count() == 13
