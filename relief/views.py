"""Pages of the core: home, regions, policy parameters (jobs: relief/jobs/views.py; alerts:
relief/alerts/views.py)."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relief.exports import EXPORT_KIND
from relief.jobs.services import job_start
from relief.models import Region
from relief.policy import effective_parameters
from relief.region_sections import sections_for
from relief.scoping import get_visible_or_404
from relief.workdays import add_working_days


@login_required
def region_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.region_id:
        return redirect("region-detail", code=user.region_id)
    return render(
        request,
        "relief/region_detail.html",
        {
            "region": None,
            "children": Region.objects.visible_to(user).filter(level=1).order_by("code"),
            "ancestors": [],
        },
    )


@login_required
def region_detail(request: HttpRequest, code: str) -> HttpResponse:
    region = get_visible_or_404(Region.objects.all(), request.user, code=code)
    ancestors = Region.objects.visible_to(request.user).filter(code__in=region.ancestor_codes()[:-1])
    children = Region.objects.visible_to(request.user).filter(parent=region).order_by("code")
    return render(
        request,
        "relief/region_detail.html",
        {
            "region": region,
            "ancestors": ancestors,
            "children": children,
            "former_names": list(region.former_names.all()),
            "sections": sections_for(request.user, region.code),
        },
    )


@login_required
@require_POST
def region_export(request: HttpRequest) -> HttpResponse:
    """Export the regions the user can see, as a job. Exports are reads: every role may export what
    it may see, here and in the API (relief.api.views.RegionViewSet.export) alike; the workbook holds
    only the regions visible to the job's owner (relief/exports.py)."""
    job = job_start(actor=request.user, kind=EXPORT_KIND, title=_("导出行政区划"))
    return redirect("job-detail", pk=job.pk)


@login_required
def policy(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("region") or request.user.scope_code
    region = get_visible_or_404(Region.objects.all(), request.user, code=code) if code else None
    today = datetime.date.today()
    rows = effective_parameters(region.code if region else None, today)
    sample = add_working_days(today, 15)
    return render(
        request,
        "relief/policy.html",
        {
            "region": region,
            "rows": rows,
            "today": today,
            "sample_deadline": sample,
        },
    )


@login_required
@require_POST
def reveal(request: HttpRequest, model_label: str, pk: str, field: str) -> HttpResponse:
    """htmx: swap a masked number for the full one, after logging who looked."""
    from django.utils.html import format_html

    from relief.privacy import personal_data_reveal

    value = personal_data_reveal(actor=request.user, model_label=model_label, pk=pk, field=field)
    return HttpResponse(format_html('<span class="code" data-revealed="1">{}</span>', value))


@login_required
def file_download(request: HttpRequest, model_label: str, pk: str, field: str) -> FileResponse:
    """An uploaded file (hazard evidence, inspection photo) of a record the user can see, logged, and
    always as an attachment the browser will not sniff or render on our origin."""
    from relief.uploads import attachment_download, content_type_of

    stored = attachment_download(actor=request.user, model_label=model_label, pk=pk, field=field)
    name = stored.name.rsplit("/", 1)[-1]
    response = FileResponse(
        stored.open("rb"), as_attachment=True, filename=name, content_type=content_type_of(name)
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
