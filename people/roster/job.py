"""The roster import as a background job: the handler that runs a dry run or a commit of an
uploaded roster (started by `services.roster_upload_create` and `services.roster_commit_start`), and
`roster_import`, which does the work:

1. read and check every row in Python (streamed workbook; people/roster/rows.py);
2. ask the database a few questions for the whole file: the villages it names (villages.py), the
   persons and households it refers to (loader.py);
3. decide every row in memory, in file order (planner.py: no I/O);
4. write in bulk (writer.py). The dry run writes into temporary tables of the same columns and
   checks and looks the unique and foreign keys up (dry_run.py), then rolls back, so the database
   refuses there what it would refuse in the commit; a commit with any bad row writes nothing.

Progress is one scale for the whole import (`Phases`): reading, checking and writing each fill
their own stretch of it, so the count never runs past its total or backwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from people import services
from people.models import Person, RosterUpload
from people.payment_accounts import payment_accounts_from_roster
from people.roster import loader, planner, writer
from people.roster.columns import COLUMNS, Header
from people.roster.rows import import_deadline, read_roster
from people.roster.villages import resolve_villages
from relief.jobs.registry import JobContext, JobError, job_handler
from relief.models import Job, User
from relief.scoping import require_writer

# Where each step ends on the scale (reading 0 → READ_END, checking → CHECK_END, writing → 1).
READ_END, CHECK_END = 0.45, 0.5


class Phases:
    """One progress scale for the steps of an import: the sheet's rows (as the file declares them,
    or as read when it declares none). Each step reports its own count against its own total
    (`step(start, end)`); the job sees the same total throughout and a count that only grows."""

    def __init__(self, report: Callable[..., None]) -> None:
        self.report = report
        self.total: int | None = None
        self.done = 0

    def step(self, start: float, end: float, *, sets_total: bool = False) -> Callable[..., None]:
        def progress(done: int, total: int | None = None, message: str = "", force: bool = False) -> None:
            if sets_total and total and self.total is None:
                self.total = total
            fraction = min(1.0, max(0.0, done / total)) if total else 0.0
            self.at(start + (end - start) * fraction, message, force=force)

        return progress

    def at(self, position: float, message: str = "", force: bool = False) -> None:
        if self.total:
            self.done = max(self.done, min(self.total, round(self.total * position)))
        self.report(self.done, self.total, message, force=force)


def roster_import(
    *,
    actor: User,
    source,
    commit: bool,
    progress: Callable[..., None] | None = None,
) -> dict[str, Any]:
    """Read a roster and apply it (commit) or check it (dry run: rolled back, see writer.write).

    `source`: a path or a binary file object. Returns the report (see `Report.as_dict`); a commit
    with any bad row writes nothing and raises JobError listing the first bad rows.
    """
    with gc_paused():
        return _import(actor=actor, source=source, commit=commit, progress=progress)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the import builds its rows, register and plan: each
    full collection walks every object alive, and at 100,000 rows the collections Python runs
    as the objects pile up cost about a quarter of the parsing (bench/README.md). The import
    makes little cyclic garbage; what there is goes at the next collection after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import(*, actor: User, source, commit: bool, progress: Callable[..., None] | None) -> dict[str, Any]:
    try:
        require_writer(actor)
    except PermissionDenied as exc:
        raise JobError(str(exc)) from None
    phases = Phases(progress or (lambda *a, **k: None))
    report = planner.Report(dry_run=not commit)

    def check_header(header: Header) -> None:
        # a file without a village column is for a township or village user's own place only
        own_place = len(actor.scope_code or "") in (9, 12)
        if not own_place and not {"village", "region_code"} & header.columns.keys():
            raise JobError(_("表格中没有“村（社区）”或“区划代码”列"))

    message = _("正在读取") if not commit else _("正在读取并导入")
    deadline = import_deadline()

    def timed(report_progress: Callable[..., None]) -> Callable[..., None]:
        def checked(*args: Any, **kwargs: Any) -> None:
            deadline.check(now=True)  # a commit over budget rolls back with the transaction
            report_progress(*args, **kwargs)

        return checked

    sheet = read_roster(source, phases.step(0, READ_END, sets_total=True), message, check_header, deadline)
    phases.total = phases.total or max((row.number for row in sheet.rows), default=0) or None
    report.sheet = sheet.title
    report.header_row = sheet.header.last_row
    report.columns = {COLUMNS[f][0]: label for f, label in sheet.header.labels.items()}
    report.labels = dict(sheet.header.labels)
    report.skipped_rows = sheet.skipped_rows
    rows = sheet.rows
    phases.at(READ_END, _("正在核对已登记的家庭和人员"), force=True)
    resolve_villages(actor, rows)
    accounts = [(r.id_number, r.bank, r.account_number, r.account_holder) for r in rows if r.account_number]
    with transaction.atomic():
        register = loader.load_register(rows)
        plan = planner.plan(
            rows,
            actor=actor,
            columns=sheet.header.columns.keys(),
            register=register,
            report=report,
            today=timezone.localdate(),
        )
        del rows, sheet, register
        deadline.check(now=True)
        phases.at(CHECK_END, force=True)
        if not report.errors:
            writer.write(
                plan, actor=actor, report=report, progress=timed(phases.step(CHECK_END, 1)), commit=commit
            )
        if commit and not report.errors:
            refresh_next_visits(plan)
            report.accounts = payment_accounts_from_roster(actor=actor, accounts=accounts)
        deadline.check(now=True)
        if report.dry_run or report.errors:
            transaction.set_rollback(True)
    phases.at(1, force=True)
    result = report.as_dict()
    if commit and report.errors:
        shown = "；".join(_("第%(row)d行：%(reason)s") % e for e in result["errors"][:10])
        more = _("等共%(n)d处") % {"n": len(result["errors"])} if len(result["errors"]) > 10 else ""
        raise RosterErrors(
            _("发现错误，未写入任何数据。%(shown)s%(more)s") % {"shown": shown, "more": more}, result
        )
    return result


class RosterErrors(JobError):
    """A commit that found bad rows and wrote nothing; `report` lists every one."""

    def __init__(self, message: str, report: dict[str, Any]) -> None:
        super().__init__(message)
        self.report = report


def refresh_next_visits(plan: planner.Plan) -> None:
    """The next visit due of the people whose schedule the import can change, set-based. The visit
    rules read a person's flags, birth date and region and the household's assistance records and
    visits (people/visit_rules.py); of these an import sets only new persons and new assistance
    records. The new persons' dates are stored as they are inserted (writer.write with `commit`,
    after the assistance records), so what is left is the members of existing households given a
    new assistance record; a county's other people keep their dates (refreshing whole counties
    took longer than the rest of a 100,000-row commit: bench/README.md)."""
    new = {h.pk for h in plan.new_households}
    households = sorted({h.pk for h, _who, _value, _start in plan.new_assistances} - new)
    if not households:
        return
    services.person_refresh_next_visit(persons=Person.objects.filter(household_id__in=households))


@job_handler(services.ROSTER_IMPORT_JOB)
def roster_import_job(ctx: JobContext) -> dict[str, Any]:
    upload = RosterUpload.objects.filter(pk=ctx.params.get("upload_id")).first()
    if upload is None or not upload.file:
        raise JobError(_("上传的花名册文件已不存在，请重新上传"))
    with upload.file.open("rb") as f:
        try:
            return roster_import(
                actor=ctx.user, source=f, commit=bool(ctx.params.get("commit")), progress=ctx.progress
            )
        except RosterErrors as exc:
            # the job fails with the first rows in its message; its result keeps the whole report
            # (every bad row), for the page and the API (relief/jobs/runner.py leaves it in place)
            Job.objects.filter(pk=ctx.job.pk).update(result=exc.report)
            raise
