"""A roster's report as the page and the API read it, and its bad rows as a file to fix.

The report is the job's result (`Report.as_dict`), errors included: a file of 100,000 bad rows keeps
about 40 MB of JSON there. Loading that into Python costs seconds (4.4 s measured for 100,000 rows),
so nothing here does it on a page view: the summary is read without its error list (`result -
'errors'`, 0.04 s) and the errors a page at a time, sliced by PostgreSQL (`jsonb_path_query_array`,
0.1 s for the last page of 100,000). The file of bad rows (`error_workbook`) reads the upload again
and copies the bad rows exactly as they are, header rows above them and a 错误原因 column after
them, so the clerk fixes that file and uploads it again. It is a job (`ERROR_FILE_JOB`), like every
export: 100,000 bad rows take about as long as the dry run (bench/roster_errors.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from people.roster.columns import Header
from people.roster.errors import problems_of
from people.roster.rows import find_sheet, numbered_rows, open_workbook
from relief.jobs.registry import JobContext, JobError, job_handler
from relief.models import Job
from relief.privacy import mask_id_number, mask_phone, sees_personal_data, text_for
from relief.spreadsheets import safe_sheet

ERRORS_PAGE_SIZE = 100
ERROR_FILE_JOB = "people.roster_error_file"
_JOB_TABLE = Job._meta.db_table


def report_of(job: Job | None) -> dict[str, Any]:
    """The job's report without its error list (empty for no job or no result)."""
    if job is None:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (result - 'errors')::text FROM {_JOB_TABLE} WHERE id = %s", [job.pk])  # noqa: S608
        found = cursor.fetchone()
    return json.loads(found[0]) if found and found[0] else {}


def errors_slice(job: Job, start: int, stop: int) -> list[dict[str, Any]]:
    """Errors `start` to `stop - 1` of the job's report, in row order, sliced by the database."""
    if stop <= start:
        return []
    path = f"$[{int(start)} to {int(stop) - 1}]"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT jsonb_path_query_array(result->'errors', %s::jsonpath)::text FROM {_JOB_TABLE} WHERE id = %s",  # noqa: S608
            [path, job.pk],
        )
        found = cursor.fetchone()
    return json.loads(found[0]) if found and found[0] else []


class StoredErrors:
    """A report's errors as a sequence for Django's Paginator: its length from the report's
    `error_count`, each page read from the database on its own (`errors_slice`)."""

    def __init__(self, job: Job | None, count: int) -> None:
        self.job, self.count = job, count if job is not None else 0

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        if self.job is None:
            return []
        start, stop, _step = index.indices(self.count)
        return errors_slice(self.job, start, stop)


def all_errors(job: Job) -> list[dict[str, Any]]:
    """Every error of the job's report, in row order."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (result->'errors')::text FROM {_JOB_TABLE} WHERE id = %s", [job.pk])  # noqa: S608
        found = cursor.fetchone()
    return (json.loads(found[0]) or []) if found and found[0] else []


def api_errors(entries: list[dict[str, Any]], user: Any) -> list[dict[str, Any]]:
    """The report's errors as the API gives them: one item a problem, {"row", "column", "code",
    "message"}, the message with its numbers masked for roles that see them masked."""
    return [
        {
            "row": entry["row"],
            "column": problem["column"],
            "code": problem["code"],
            "message": text_for(user, problem["message"]),
        }
        for entry in entries
        for problem in problems_of(entry)
    ]


def report_job(dry: Job | None, commit: Job | None, commit_report: dict[str, Any]) -> Job | None:
    """The job whose errors the upload shows: a commit that found errors (a commit started without
    a dry run, or refused by the database), else the dry run."""
    if commit is not None and commit_report.get("error_count"):
        return commit
    return dry


# --- the file of bad rows ------------------------------------------------------------------------


def _sheet_rows(source) -> tuple[str, Header, Iterator[tuple[int, tuple]], Any]:
    """The sheet the import reads, its header and its rows numbered from 1, as the import read
    them (people/roster/rows.py), and the open table to close."""
    table = open_workbook(source)
    try:
        index, header = find_sheet(table)
    except JobError:
        table.close()
        raise
    return table.sheet_names[index], header, numbered_rows(table, index), table


def error_workbook(source, errors: list[dict[str, Any]], user: Any) -> bytes:
    """The bad rows of the file `source`, as they are in it, under its header row(s), each with
    every reason of the row in a last column 错误原因. ID and phone numbers (cells and reasons)
    are masked for roles that see them masked."""
    reasons: dict[int, list[str]] = {}
    for entry in errors:
        reasons.setdefault(int(entry["row"]), []).append(entry.get("reason") or "")
    title, header, rows, wb = _sheet_rows(source)
    masked = not sees_personal_data(user)
    masks = {}
    if masked:
        masks = {
            header.columns[f]: fn
            for f, fn in (("id_number", mask_id_number), ("phone", mask_phone))
            if f in header.columns
        }
    out = Workbook(write_only=True)
    ws = safe_sheet(out.create_sheet(title[:31] or _("错误行")))
    try:
        head_rows: list[tuple] = []
        bad_rows: list[tuple[int, tuple]] = []
        width, last = 0, max(reasons, default=0)
        for number, row in rows:
            if number <= header.last_row:
                head_rows.append(row)
            elif number in reasons:
                bad_rows.append((number, row))
            else:
                continue
            width = max(width, _width(row))
            if number >= last and number > header.last_row:
                break
    finally:
        wb.close()
    ws.column_dimensions[get_column_letter(width + 1)].width = 60
    for i, row in enumerate(head_rows, start=1):
        cells = list(row[:width]) + [None] * (width - len(row[:width]))
        ws.append([*cells, _("错误原因") if i == len(head_rows) else None])
    for number, row in bad_rows:
        cells = list(row[:width]) + [None] * (width - len(row[:width]))
        for col, mask in masks.items():
            if col < len(cells) and cells[col] not in (None, ""):
                cells[col] = mask(str(cells[col]))
        reason = _("第%(row)d行：%(reason)s") % {"row": number, "reason": "；".join(reasons[number])}
        ws.append([*cells, text_for(user, reason)])
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


def _width(row: tuple) -> int:
    """The number of cells up to the last one holding something."""
    for i in range(len(row), 0, -1):
        if row[i - 1] not in (None, ""):
            return i
    return 0


@job_handler(ERROR_FILE_JOB)
def error_file_job(ctx: JobContext) -> dict[str, Any]:
    """The file of bad rows of an upload the job's user can see (else: as if it did not exist)."""
    from people.models import RosterUpload

    upload = (
        RosterUpload.objects.visible_to(ctx.user)
        .select_related("dry_run_job", "commit_job")
        .defer("dry_run_job__result", "commit_job__result")
        .filter(pk=ctx.params.get("upload_id"))
        .first()
    )
    if upload is None or not upload.file:
        raise JobError(_("上传的花名册文件已不存在或无法读取，请重新上传"))
    job = report_job(upload.dry_run_job, upload.commit_job, report_of(upload.commit_job))
    errors = all_errors(job) if job is not None else []
    if not errors:
        raise JobError(_("没有错误行可下载"))
    ctx.progress(0, None, _("正在生成错误行文件"), force=True)
    try:
        with upload.file.open("rb") as f:
            content = error_workbook(f, errors, ctx.user)
    except OSError:
        raise JobError(_("上传的花名册文件已不存在或无法读取，请重新上传")) from None
    stem = upload.original_name.rsplit(".", 1)[0] or "roster"
    ctx.save_file(_("%(name)s-错误行.xlsx") % {"name": stem}, content)
    return {"rows": len({e["row"] for e in errors})}
