"""Background job of funds: generating a disbursement batch for a large county."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from relief.jobs.registry import JobContext, JobError, job_handler


@job_handler("funds.batch_generate")
def batch_generate_job(ctx: JobContext) -> dict:
    """Fill the batch's payments in one transaction. Safe to run again: a batch already generated is
    left alone. A batch that cannot be generated (e.g. over its allocation) is marked failed with the
    reason, which the job shows too."""
    from funds import services

    batch_id = ctx.params["batch_id"]
    try:
        batch = services.batch_fill(batch_id=batch_id, progress=ctx.progress)
    except ValidationError as exc:
        message = "；".join(exc.messages)
        services.batch_mark_failed(batch_id=batch_id, error=message)
        raise JobError(message) from None
    if batch is None:
        return {"batch": batch_id, "missing": True}
    return {"batch": batch.pk, "payments": batch.payment_count, "total": str(batch.total_amount)}
