"""The background job's steps, declared once (relief/workflow.py): the job page's buttons, the API's
`available_actions` and its actions, and the services come from here.

pending → running → succeeded | failed are the runner's own moves, inside the worker
(relief/jobs/runner.py). Declared here:

- retry (重试), by the job's owner or an administrator, whatever their role: a job is its owner's
  work, and retrying repeats what they were allowed to start (a province official retries the
  export they started: exports are reads). Failed, lost, or running with a worker that stopped
  reporting → pending, queued again after commit.
- mark_lost (标记中断), by the watchdog: running and stalled → lost.

A job has no log of its own (`log_model=None`): its attempts, error and times are on the row.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.jobs.runner import enqueue
from relief.models import Job, JobState
from relief.workflow import Step, StepContext, Workflow

NOT_RETRYABLE = gettext_lazy("只有失败或中断的任务可以重试")
LOST_ERROR = gettext_lazy(
    "后台进程在处理过程中停止响应（可能已重启或被终止）。数据未做部分修改，可以点击“重试”。"
)


def _retryable(job: Job) -> str | None:
    if job.state == JobState.RUNNING and not job.is_stalled:
        return NOT_RETRYABLE
    return None


def _owner_or_admin(user, job: Job) -> str | None:
    if user.is_region_admin or (job.started_by_id is not None and job.started_by_id == user.pk):
        return None
    return gettext_lazy("只有任务的发起人或管理员可以重试")


def _requeue(ctx: StepContext) -> None:
    job: Job = ctx.obj
    job.error = ""
    job.message = _("已由 %(user)s 重新提交") % {"user": ctx.actor}
    job.progress_done = 0
    job.heartbeat_at = None
    job.finished_at = None
    job.enqueue_failed = False
    ctx.fields |= {"error", "message", "progress_done", "heartbeat_at", "finished_at", "enqueue_failed"}
    ctx.after_commit.append(lambda: enqueue(job.pk))


def _stalled(job: Job) -> str | None:
    return None if job.is_stalled else gettext_lazy("任务仍在正常进行")


def _lost(ctx: StepContext) -> None:
    job: Job = ctx.obj
    job.finished_at = timezone.now()
    job.error = str(LOST_ERROR)
    ctx.fields |= {"finished_at", "error"}


job_workflow = Workflow(
    name="relief.job",
    model=Job,
    log_model=None,
    state_field="state",
    # a job is its owner's (JobQuerySet.visible_to): the region checked is the owner's own
    region_path="started_by__region_id",
    lock_related=("started_by",),
    writers_only=False,
    steps=[
        Step(
            "retry",
            gettext_lazy("重试"),
            sources=(JobState.FAILED, JobState.LOST, JobState.RUNNING),
            target=JobState.PENDING,
            when=_retryable,
            who=_owner_or_admin,
            apply=_requeue,
            state_message=NOT_RETRYABLE,
            style="outline-danger",
        ),
        Step(
            "mark_lost",
            gettext_lazy("标记中断"),
            sources=(JobState.RUNNING,),
            target=JobState.LOST,
            when=_stalled,
            apply=_lost,
            system=True,
        ),
    ],
)
