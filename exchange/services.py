"""Writes of department data: a batch received (page upload or API), and processed (read, matched,
handed to the rules).

- `batch_receive`: the file or the records stored as a batch, once: the same key (the sender's
  Idempotency-Key) or the same content (its SHA-256) for the same source and region is the batch
  already received, returned as it is (`created` False), and nothing changes. A small batch is
  processed at once; a large one as a background job (relief/jobs) with progress.
- `batch_process`: read every line (exchange/ingest.py), COPY them into PostgreSQL and match them
  in one statement (exchange/matching.py), keep the counts, then `exchange.hooks.after_match` (the
  warning rules) in a transaction of its own. Safe to run twice: a batch already done is left alone,
  and a crash rolls its records back with the transaction.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from exchange import hooks, ingest, matching
from exchange.models import BatchStatus, DataSource, ExchangeBatch, RecordStatus, Via
from relief.jobs.registry import JobContext, JobError, job_handler
from relief.models import Region, User
from relief.scoping import require_actor
from relief.sheet_reader import check_table

logger = logging.getLogger(__name__)

BATCH_PROCESS_JOB = "exchange.batch_process"
KEY_REUSED = "idempotency_key_reused"


class KeyReused(ValidationError):
    """The sender's key names a batch already received with other content."""


def _existing(source: DataSource, region: Region, key: str, digest: str) -> ExchangeBatch | None:
    same = Q(checksum=digest) | Q(external_key=key) if key else Q(checksum=digest)
    # lint: allow-unscoped (the actor's own source and region, checked by the caller)
    found = list(ExchangeBatch.objects.filter(same, source=source, region=region)[:2])
    if key:
        by_key = next((b for b in found if b.external_key == key), None)
        if by_key is not None and by_key.checksum != digest:
            raise KeyReused(_("该批次标识（Idempotency-Key）已用于内容不同的另一批数据"), code=KEY_REUSED)
        if by_key is not None:
            return by_key
    return found[0] if found else None


def _check(actor: User, source: DataSource, region: Region) -> None:
    require_actor(actor, region.code)
    if not DataSource.objects.visible_to(actor).active().filter(pk=source.pk).exists():
        raise ValidationError({"source": _("数据来源不存在或未启用")})
    if not region.code.startswith(source.region_id):
        raise ValidationError({"region": _("该区划不在数据来源的覆盖范围内")})


def batch_receive(
    *,
    actor: User,
    source: DataSource,
    region: Region,
    file: Any = None,
    records: Iterable[dict] | None = None,
    period: str = "",
    key: str = "",
    via: str = Via.UPLOAD,
) -> tuple[ExchangeBatch, bool]:
    """Store a batch (a spreadsheet `file`, or `records` from the API) and start its processing;
    (the batch, True). A re-send — the same `key` or the same content — is (the batch received
    before, False) and changes nothing. ValidationError in Chinese for what cannot be taken."""
    _check(actor, source, region)
    key = (key or "").strip()[:100]
    if records is not None:
        content = ingest.records_bytes(records)
        if not content:
            raise ValidationError({"records": _("没有数据记录")})
        file = ContentFile(content, name=f"{source.code}{ingest.RECORDS_SUFFIX}")
        size = len(content)
    else:
        if file is None:
            raise ValidationError({"file": _("请选择要上传的文件")})
        size = file.size or 0
        try:
            check_table(file, stream=False, limits=ingest.limits(), max_bytes=settings.EXCHANGE_MAX_BYTES)
        except ValidationError as exc:
            raise ValidationError({"file": exc.messages}) from None
    digest = ingest.checksum(file)
    if (found := _existing(source, region, key, digest)) is not None:
        if found.status == BatchStatus.FAILED:  # it could not be read: once the mapping is fixed, again
            _retry(actor, found)
        elif found.status == BatchStatus.DONE and found.finished_at is None and found.job_id is None:
            found = batch_process(batch_id=found.pk) or found  # matched, its rules not finished
        return found, False
    try:
        with transaction.atomic():
            batch = ExchangeBatch(
                source=source,
                region=region,
                via=via,
                external_key=key,
                checksum=digest,
                file_name=(getattr(file, "name", "") or "")[:255],
                period=(period or "").strip()[:32],
                created_by=actor,
            )
            batch.file.save(batch.file_name or f"{source.code}.dat", File(file), save=False)
            batch.save()
            if size > settings.EXCHANGE_INLINE_BYTES:
                _start_job(actor, batch)
    except IntegrityError:  # the same batch sent twice at once: the other one won
        found = _existing(source, region, key, digest)
        if found is None:
            raise
        return found, False
    if batch.job_id is None:
        batch_process(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch, True


def _retry(actor: User, batch: ExchangeBatch) -> None:
    with transaction.atomic():
        # lint: allow-unscoped (the batch found for the actor's own source and region)
        updated = ExchangeBatch.objects.filter(pk=batch.pk, status=BatchStatus.FAILED).update(
            status=BatchStatus.RECEIVED, error="", finished_at=None, job=None
        )
        if not updated:
            return
        batch.refresh_from_db()
        if batch.file.size > settings.EXCHANGE_INLINE_BYTES:
            _start_job(actor, batch)
    if batch.job_id is None:
        batch_process(batch_id=batch.pk)
    batch.refresh_from_db()


def _start_job(actor: User, batch: ExchangeBatch) -> None:
    from relief.jobs.services import job_start

    batch.job = job_start(
        actor=actor,
        kind=BATCH_PROCESS_JOB,
        title=_("数据比对：%(source)s %(name)s") % {"source": batch.source.name, "name": batch.file_name},
        params={"batch_id": batch.pk},
        region=batch.region,
    )
    batch.save(update_fields=["job"])


def _counts(found: dict[tuple[str, str], int]) -> dict[str, Any]:
    by_status: Counter[str] = Counter()
    reasons: dict[str, int] = {}
    for (status, code), n in found.items():
        by_status[status] += n
        if code:
            reasons[code] = reasons.get(code, 0) + n
    return {
        "received": sum(by_status.values()),
        "matched": by_status[RecordStatus.MATCHED],
        "unmatched": by_status[RecordStatus.UNMATCHED],
        "invalid": by_status[RecordStatus.INVALID],
        "invalid_reasons": dict(sorted(reasons.items())),
    }


def batch_process(
    *, batch_id: int, progress: Callable[..., None] | None = None, timings: dict[str, float] | None = None
) -> ExchangeBatch | None:
    """Read, match and count a received batch, then run the rules on it (`hooks.after_match`), each
    in a transaction of its own. Safe to run again: a batch gone, failed or finished is left as it
    is (None or the batch); one matched whose rules did not finish (`finished_at` still empty: the
    rules raised, the worker stopped) runs the rules again, not the match. `timings`
    (bench/exchange.py) gets each phase's seconds: load (read, normalise, COPY: streamed
    together), match, after_match."""
    timings = {} if timings is None else timings
    clock = time.perf_counter()
    failed = ""
    with transaction.atomic():
        # lint: allow-unscoped (a task by id: the batch was checked when it was received)
        batch = ExchangeBatch.objects.select_for_update().select_related("source").filter(pk=batch_id).first()
        if batch is None or batch.status == BatchStatus.FAILED or batch.finished_at is not None:
            return batch
        if batch.status != BatchStatus.DONE:
            try:
                counts = _match(batch, progress, timings)
            except ValidationError as exc:
                failed = "；".join(exc.messages)[:2000] or _("无法读取文件")
                transaction.set_rollback(True)  # no record of a batch that could not be read
            else:
                for field, value in counts.items():
                    setattr(batch, field, value)
                batch.status = BatchStatus.DONE
                batch.save(update_fields=[*counts, "status"])
    if failed:
        # lint: allow-unscoped (as above)
        ExchangeBatch.objects.filter(pk=batch_id).update(
            status=BatchStatus.FAILED, error=failed, finished_at=timezone.now()
        )
        batch.refresh_from_db()
        return batch
    if batch.received >= ANALYZE_LINES and not connection.in_atomic_block:
        # the planner must see the batch before the rules read it: the table's statistics still
        # described it without these lines (a million estimated as one row: 15 s rather than 2 s a
        # county for the 医保 rule, bench/README.md); committed, so every connection plans with it
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE exchange_exchangerecord")
    timings["match"] = time.perf_counter() - clock - timings.get("load", 0.0)
    clock = time.perf_counter()
    if progress is not None:
        progress(batch.received, batch.received, _("正在生成预警"), force=True)
    # each county's sweep is a transaction of its own (relief/alerts/sweeps.py), so the rules of a
    # large batch can run on several connections; stopped half-way, the batch is not finished and
    # runs them again (they raise nothing twice)
    warnings_raised = hooks.after_match(batch)
    with transaction.atomic():
        batch.warnings_raised = warnings_raised
        batch.finished_at = timezone.now()
        batch.save(update_fields=["warnings_raised", "finished_at"])
    timings["after_match"] = time.perf_counter() - clock
    return batch


#: a batch of at least this many lines has the records' statistics refreshed once it is matched
ANALYZE_LINES = 10_000


def _match(batch: ExchangeBatch, progress: Callable[..., None] | None, timings: dict[str, float]) -> dict:
    clock = time.perf_counter()
    with batch.file.open("rb") as f, connection.cursor() as cursor:
        lines = ingest.read_lines(batch.source, f, batch.file.name, progress)
        matching.create_incoming(cursor)
        matching.load(cursor, ingest.copy_text(lines))
        timings["load"] = time.perf_counter() - clock
        return _counts(matching.match(cursor, batch))


@job_handler(BATCH_PROCESS_JOB)
def batch_process_job(ctx: JobContext) -> dict[str, Any]:
    batch = batch_process(batch_id=ctx.params.get("batch_id"), progress=ctx.progress)
    if batch is None:
        raise JobError(_("比对批次已不存在"))
    if batch.status == BatchStatus.FAILED:
        raise JobError(batch.error)
    return {
        "batch": batch.pk,
        "received": batch.received,
        "matched": batch.matched,
        "unmatched": batch.unmatched,
        "invalid": batch.invalid,
        "warnings_raised": batch.warnings_raised,
    }
