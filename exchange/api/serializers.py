"""Serializers of /api/v1/exchange/ (schema names prefixed Exchange*, so none clashes with funds'
batches)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from exchange.ingest import CODES
from exchange.models import BatchStatus, DataSource, ExchangeBatch, ExchangeRecord
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text, text_for


class ExchangeSourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataSource
        fields = [
            "id",
            "code",
            "name",
            "department",
            "record_kind",
            "region",
            "columns",
            "header_row",
            "active",
        ]
        read_only_fields = fields


class ExchangeRecordInput(serializers.Serializer):
    id_number = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    name = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    amount = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    date = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    type = serializers.CharField(required=False, allow_blank=True, allow_null=True)


class ExchangeBatchInput(serializers.Serializer):
    """One of `file` (multipart) or `records` (JSON); with `application/x-ndjson` the body is the
    records, one JSON object a line, and source/region/period are query parameters."""

    source = serializers.CharField(help_text=_("数据来源编码"))
    region = serializers.CharField(help_text=_("本批数据所属区划代码"))
    period = serializers.CharField(required=False, allow_blank=True, max_length=32, default="")
    file = serializers.FileField(required=False, help_text=_("表格文件（.xlsx、.xls、.ods、.csv）"))
    records = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        allow_empty=False,
        help_text=_("记录：字段名（id_number、name、amount、date、type）或数据来源的表头为键"),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("records" in attrs):
            raise serializers.ValidationError(_("请提供 file（文件）或 records（记录）之一"))
        return attrs


class ExchangeProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(allow_null=True)
    percent = serializers.IntegerField(allow_null=True)
    message = serializers.CharField(allow_blank=True)


class ExchangeBatchSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, default=None)
    invalid_reasons = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("无效原因编码与条数：") + "、".join(CODES)
    )
    progress = serializers.SerializerMethodField(help_text=_("后台比对的进度（小批次当场比对，为 null）"))
    error = serializers.SerializerMethodField()

    class Meta:
        model = ExchangeBatch
        fields = [
            "id",
            "source",
            "source_name",
            "region",
            "via",
            "external_key",
            "file_name",
            "period",
            "status",
            "received",
            "matched",
            "unmatched",
            "invalid",
            "invalid_reasons",
            "warnings_raised",
            "error",
            "job",
            "progress",
            "created_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ExchangeProgressSerializer(allow_null=True))
    def get_progress(self, batch: ExchangeBatch) -> dict[str, Any] | None:
        job = batch.job
        if job is None:
            return None
        done = batch.status == BatchStatus.DONE
        return {
            "done": job.progress_done,
            "total": job.progress_total,
            "percent": 100 if done else job.percent,
            "message": job.message,
        }

    def get_error(self, batch: ExchangeBatch) -> str:
        return text_for(getattr(self.context.get("request"), "user", None), batch.error)


class ExchangeRecordSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"id_number": mask_id_number, "error": mask_numbers_in_text}

    class Meta:
        model = ExchangeRecord
        fields = [
            "id",
            "batch",
            "line",
            "id_number",
            "name",
            "amount",
            "occurred_on",
            "event_type",
            "status",
            "error_code",
            "error",
            "region",
            "person",
            "household",
            "monitored",
        ]
        read_only_fields = fields
