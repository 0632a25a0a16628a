"""/api/v1/roster-imports/: other systems upload rosters as the page does.

`POST /roster-imports/` (multipart: `file`, `dry_run` true by default) stores the file and starts the
dry run (or, `dry_run=false`, the commit) as a job through the page's service
(`services.roster_upload_create`: the same formats, bounds and region); it answers 202 with the
import, whose `id` the client polls at `GET /roster-imports/{id}/`: the state and progress of the
job, and once it is done the report (`summary`, and `errors`: every problem of every bad row, each
`{"row", "column", "code", "message"}` with a code of people/roster/errors.py). `POST
/roster-imports/{id}/commit/` writes a dry run without errors (409 with a code otherwise). Imports
outside the caller's region answer 404, as on the page.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import IntegerField
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from people import services
from people.models import RosterUpload
from people.roster.error_report import api_errors
from people.roster.errors import CODES
from relief.api.mixins import ScopedViewSetMixin
from relief.idempotency import api_once
from relief.models import Job, JobState
from relief.privacy import text_for

COMMIT_REFUSALS = {
    services.ROSTER_DRY_RUN_UNFINISHED: "The dry run has not finished (or failed): wait, or upload again.",
    services.ROSTER_DRY_RUN_HAS_ERRORS: "The dry run found bad rows: fix the file and upload it again.",
}


# --- serializers ---------------------------------------------------------------------------------


class RosterImportInput(serializers.Serializer):
    file = serializers.FileField(help_text=_("花名册文件（.xlsx）"))
    dry_run = serializers.BooleanField(
        default=True,
        help_text=_("true（默认）：只预检，不写入；false：直接导入，有任何错误行则不写入任何数据"),
    )


class RosterErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("表格中的行号（0：无法确定行）"))
    column = serializers.CharField(allow_null=True, help_text=_("文件中该列的表头；整行的问题为 null"))
    code = serializers.ChoiceField(choices=sorted(CODES.items()), help_text=_("问题代码（稳定不变）"))
    message = serializers.CharField(help_text=_("中文说明"))


class RosterWarningSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    message = serializers.CharField()


class RosterCountsSerializer(serializers.Serializer):
    create = serializers.IntegerField()
    update = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class RosterSummarySerializer(serializers.Serializer):
    rows = serializers.IntegerField(help_text=_("数据行数"))
    households = RosterCountsSerializer()
    persons = RosterCountsSerializer()
    assistances_created = serializers.IntegerField()
    skipped_rows = serializers.ListField(child=serializers.IntegerField())


class RosterReportSerializer(serializers.Serializer):
    committed = serializers.BooleanField(help_text=_("是否已写入"))
    sheet = serializers.CharField()
    header_row = serializers.IntegerField()
    summary = RosterSummarySerializer()
    error_count = serializers.IntegerField()
    error_rows = serializers.IntegerField()
    errors = RosterErrorSerializer(many=True)
    warnings = RosterWarningSerializer(many=True)


class RosterProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


def _report(result: dict[str, Any] | None, user: Any) -> dict[str, Any] | None:
    if not result or "rows" not in result:
        return None
    return {
        "committed": bool(result.get("committed")),
        "sheet": result.get("sheet", ""),
        "header_row": result.get("header_row", 0),
        "summary": {
            "rows": result.get("rows", 0),
            "households": {
                "create": result.get("households_created", 0),
                "update": result.get("households_updated", 0),
                "unchanged": result.get("households_unchanged", 0),
            },
            "persons": {
                "create": result.get("persons_created", 0),
                "update": result.get("persons_updated", 0),
                "unchanged": result.get("persons_unchanged", 0),
            },
            "assistances_created": result.get("assistances_created", 0),
            "skipped_rows": result.get("skipped_rows", []),
        },
        "error_count": result.get("error_count", 0),
        "error_rows": result.get("error_rows", 0),
        "errors": api_errors(result.get("errors", []), user),
        "warnings": [
            {"row": w["row"], "message": text_for(user, w.get("reason", ""))}
            for w in result.get("warnings", [])
        ],
    }


class RosterImportSerializer(serializers.ModelSerializer):
    file_name = serializers.CharField(source="original_name", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    dry_run = serializers.SerializerMethodField(help_text=_("是否以预检开始"))
    stage = serializers.SerializerMethodField(help_text=_("dry_run：预检；commit：导入"))
    state = serializers.SerializerMethodField()
    job = serializers.SerializerMethodField(help_text=_("当前任务的编号（/api/v1/jobs/{id}/）"))
    progress = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField(help_text=_("任务失败的原因"))
    can_commit = serializers.SerializerMethodField()

    class Meta:
        model = RosterUpload
        fields = [
            "id",
            "file_name",
            "region",
            "uploaded_by",
            "created_at",
            "dry_run",
            "stage",
            "state",
            "job",
            "progress",
            "error",
            "can_commit",
        ]
        read_only_fields = fields

    @staticmethod
    def _active(upload: RosterUpload) -> Job | None:
        return upload.commit_job or upload.dry_run_job

    def get_dry_run(self, upload: RosterUpload) -> bool:
        return upload.dry_run_job_id is not None

    def get_stage(self, upload: RosterUpload) -> str:
        return "commit" if upload.commit_job_id else "dry_run"

    @extend_schema_field(serializers.ChoiceField(choices=JobState.choices))
    def get_state(self, upload: RosterUpload) -> str:
        job = self._active(upload)
        return job.state if job else JobState.FAILED

    def get_job(self, upload: RosterUpload) -> int | None:
        job = self._active(upload)
        return job.pk if job else None

    @extend_schema_field(RosterProgressSerializer)
    def get_progress(self, upload: RosterUpload) -> dict[str, Any]:
        job = self._active(upload)
        if job is None:
            return {"done": 0, "total": None, "percent": None, "message": ""}
        return {
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": job.percent,
            "message": job.message,
        }

    def get_error(self, upload: RosterUpload) -> str:
        job = self._active(upload)
        user = getattr(self.context.get("request"), "user", None)
        return text_for(user, job.error) if job else ""

    def get_can_commit(self, upload: RosterUpload) -> bool:
        """A dry run done without errors, not committed (or its commit failed)."""
        dry, commit = upload.dry_run_job, upload.commit_job
        return bool(
            dry is not None
            and dry.state == JobState.SUCCEEDED
            and not self._error_count(dry)
            and (commit is None or commit.state in (JobState.FAILED, JobState.LOST))
        )

    def _error_count(self, job: Job) -> int:
        counts = self.context.get("error_counts")
        if counts is not None:
            return counts.get(job.pk, 0)
        return (job.result or {}).get("error_count", 0)


class RosterImportDetailSerializer(RosterImportSerializer):
    report = serializers.SerializerMethodField(
        help_text=_("任务完成后的报告（导入失败时也有，列出全部错误行）；未完成时为 null")
    )

    class Meta(RosterImportSerializer.Meta):
        fields = [*RosterImportSerializer.Meta.fields, "report"]
        read_only_fields = fields

    @extend_schema_field(RosterReportSerializer(allow_null=True))
    def get_report(self, upload: RosterUpload) -> dict[str, Any] | None:
        user = getattr(self.context.get("request"), "user", None)
        for job in (upload.commit_job, upload.dry_run_job):
            if job is not None and job.is_finished and (report := _report(job.result, user)):
                return report
        return None


class RosterCommitRefusalSerializer(serializers.Serializer):
    """The error body of a refused commit (relief/api/errors.py's shape, its codes listed)."""

    class Body(serializers.Serializer):
        status = serializers.IntegerField()
        code = serializers.ChoiceField(choices=sorted(COMMIT_REFUSALS.items()))
        message = serializers.CharField()

    error = Body()


# --- the viewset ---------------------------------------------------------------------------------


def _job_error_counts(uploads: list[RosterUpload]) -> dict[int, int]:
    """The error count of each upload's dry run, in one query (the results themselves stay unread)."""
    ids = [u.dry_run_job_id for u in uploads if u.dry_run_job_id]
    if not ids:
        return {}
    rows = (
        # lint: allow-unscoped (the dry runs of uploads already read through visible_to)
        Job.objects.filter(pk__in=ids)
        .annotate(n=Cast(KeyTextTransform("error_count", "result"), IntegerField()))
        .values_list("pk", "n")
    )
    return {pk: n or 0 for pk, n in rows}


class RosterImportViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Roster imports in your region: upload (a dry run, or a commit with `dry_run=false`), follow
    its state and report, commit a clean dry run."""

    queryset = RosterUpload.objects.select_related("dry_run_job", "commit_job", "uploaded_by")
    serializer_class = RosterImportSerializer
    parser_classes = [MultiPartParser]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "retrieve":  # a list never reads the reports (up to 100,000 errors each)
            qs = qs.defer("dry_run_job__result", "commit_job__result")
        return qs

    def get_serializer_class(self):
        return RosterImportDetailSerializer if self.action == "retrieve" else RosterImportSerializer

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "error_counts": _job_error_counts(page)}
        data = RosterImportSerializer(page, many=True, context=context).data
        return self.get_paginated_response(data)

    def _answer(self, upload: RosterUpload, code: int) -> Response:
        upload = self.get_queryset().get(pk=upload.pk)
        context = {**self.get_serializer_context(), "error_counts": _job_error_counts([upload])}
        return Response(RosterImportSerializer(upload, context=context).data, status=code)

    @extend_schema(request=RosterImportInput, responses={202: RosterImportSerializer})
    def create(self, request, *args, **kwargs):
        """Upload a roster: its dry run (or, `dry_run=false`, its commit) starts as a job; poll
        `GET /roster-imports/{id}/` for its state and report."""

        def run() -> Response:
            data = RosterImportInput(data=request.data)
            data.is_valid(raise_exception=True)
            upload = services.roster_upload_create(
                actor=request.user,
                file=data.validated_data["file"],
                commit=not data.validated_data["dry_run"],
            )
            return self._answer(upload, status.HTTP_202_ACCEPTED)

        return api_once(request, run)

    @extend_schema(
        request=None,
        responses={
            202: RosterImportSerializer,
            409: OpenApiResponse(
                RosterCommitRefusalSerializer,
                description="The dry run has not finished or found bad rows (`code`: "
                + "; ".join(f"`{c}`: {d}" for c, d in COMMIT_REFUSALS.items())
                + ").",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        """Write a dry run without errors, as a job. A commit already started is answered as it is
        (sending it twice writes once)."""
        upload = self.get_object()

        def run() -> Response:
            try:
                services.roster_commit_start(actor=request.user, upload=upload)
            except ValidationError as exc:
                code = exc.error_list[0].code or services.ROSTER_DRY_RUN_UNFINISHED
                message = "；".join(exc.messages)
                return Response(
                    {"error": {"status": 409, "code": code, "message": message}},
                    status=status.HTTP_409_CONFLICT,
                )
            return self._answer(upload, status.HTTP_202_ACCEPTED)

        return api_once(request, run)
