"""The job pages: my jobs, one job (polled with htmx while it runs), its steps, its result file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relief.jobs.workflows import job_workflow
from relief.models import Job
from relief.pages import workflow_buttons, workflow_post
from relief.scoping import access


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.visible_to(request.user).select_related("started_by")[:100]
    return render(request, "relief/job_list.html", {"jobs": jobs})


@login_required
def job_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    job = access(Job, request.user, pk)
    template = "relief/_job_status.html" if request.headers.get("HX-Request") else "relief/job_detail.html"
    context = {
        "job": job,
        "steps": workflow_buttons(job_workflow, job, request.user, bound),
        "action_url": reverse("job-detail", args=[job.pk]),
    }
    return render(request, template, context)


@login_required
@require_POST
def job_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """A step of the job (retry) from its page: the job's owner or an administrator, whatever the
    role (the workflow's `who`); anyone else does not find the job (404)."""
    declared = job_workflow.steps.get(step)
    if declared is None or declared.system:
        raise Http404
    job = access(Job, request.user, pk)
    done, bound = workflow_post(request, job_workflow, job, declared.name, raise_denied=True)
    if done:
        return redirect("job-detail", pk=job.pk)
    return job_detail(request, pk, bound=bound)


@login_required
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = access(Job, request.user, pk)
    if not job.result_file:
        raise Http404(_("该任务没有结果文件"))
    name = job.result_file.name.rsplit("/", 1)[-1]
    response = FileResponse(job.result_file.open("rb"), as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response
