"""Viewsets of /api/v1/exchange/ (see exchange/api/__init__.py)."""

from __future__ import annotations

import json

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, parsers, status, viewsets
from rest_framework.exceptions import Throttled
from rest_framework.response import Response

from exchange import services
from exchange.api.serializers import (
    ExchangeBatchInput,
    ExchangeBatchSerializer,
    ExchangeRecordSerializer,
    ExchangeSourceSerializer,
)
from exchange.models import DataSource, ExchangeBatch, ExchangeRecord, RecordStatus, Via
from exchange.selectors import record_search
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.parsers import JSONParser
from relief.idempotency import HEADER, MAX_LENGTH
from relief.models import Region
from relief.privacy import NumberSearchLimited


class NDJSONParser(parsers.BaseParser):
    """`application/x-ndjson`: one JSON object a line; the records of a batch."""

    media_type = "application/x-ndjson"

    def parse(self, stream, media_type=None, parser_context=None):
        records = []
        for number, raw in enumerate(stream.read().decode("utf-8", errors="replace").splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                raise exceptions.ParseError(_("第%(n)d行不是有效的 JSON") % {"n": number}) from None
            if not isinstance(record, dict):
                raise exceptions.ParseError(_("第%(n)d行不是 JSON 对象") % {"n": number})
            records.append(record)
        return {"records": records}


class ExchangeSourceViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Data sources in, above or below your region (a province's source is used by its counties)."""

    queryset = DataSource.objects.select_related("region")
    serializer_class = ExchangeSourceSerializer
    filterset_fields = ["department", "record_kind", "active"]
    ordering_fields = ["code", "id"]
    ordering = ["code"]


class ExchangeBatchFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    source = filters.CharFilter(field_name="source__code", label=gettext_lazy("数据来源编码"))

    class Meta:
        model = ExchangeBatch
        fields = ["status", "via"]


class ExchangeBatchViewSet(
    ScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Batches of department data in your region: send one, follow its processing, read its counts."""

    queryset = ExchangeBatch.objects.select_related("source", "job", "created_by")
    serializer_class = ExchangeBatchSerializer
    parser_classes = [JSONParser, parsers.MultiPartParser, NDJSONParser]
    filterset_class = ExchangeBatchFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]

    @extend_schema(
        request={
            "application/json": ExchangeBatchInput,
            "multipart/form-data": ExchangeBatchInput,
            "application/x-ndjson": {"type": "string", "description": "one JSON object a line"},
        },
        parameters=[
            OpenApiParameter(HEADER, str, OpenApiParameter.HEADER, description="the sender's batch key"),
            OpenApiParameter("source", str, description="with application/x-ndjson"),
            OpenApiParameter("region", str, description="with application/x-ndjson"),
            OpenApiParameter("period", str, description="with application/x-ndjson"),
        ],
        responses={
            200: OpenApiResponse(ExchangeBatchSerializer, description="a re-send: the batch received before"),
            201: ExchangeBatchSerializer,
            202: OpenApiResponse(ExchangeBatchSerializer, description="received; processing as a job"),
        },
    )
    def create(self, request, *args, **kwargs):
        """Send a batch. A small one is matched at once (201); a large one is matched as a job
        (202: poll the batch). The same key or the same content again answers 200 with the batch
        received before."""
        data = request.data
        if request.content_type.startswith(NDJSONParser.media_type):
            data = {**request.query_params.dict(), **data}
        given = ExchangeBatchInput(data=data)
        given.is_valid(raise_exception=True)
        values = given.validated_data
        key = (request.headers.get(HEADER) or "").strip()
        if len(key) > MAX_LENGTH:
            raise exceptions.ValidationError({HEADER: [_("最长 %(n)d 个字符") % {"n": MAX_LENGTH}]})
        source = DataSource.objects.visible_to(request.user).filter(code=values["source"]).first()
        if source is None:
            raise exceptions.ValidationError({"source": [_("数据来源不存在")]})
        # lint: allow-unscoped (region codes are public; the service refuses one outside the caller's scope)
        region = Region.objects.filter(code=values["region"]).first()
        if region is None:
            raise exceptions.ValidationError({"region": [_("区划代码不存在")]})
        try:
            batch, created = services.batch_receive(
                actor=request.user,
                source=source,
                region=region,
                file=values.get("file"),
                records=values.get("records"),
                period=values.get("period", ""),
                key=key,
                via=Via.API,
            )
        except services.KeyReused as exc:
            body = {"status": 422, "code": services.KEY_REUSED, "message": "；".join(exc.messages)}
            return Response({"error": body}, status=422)
        batch = self.get_queryset().get(pk=batch.pk)
        code = status.HTTP_200_OK if not created else (status.HTTP_202_ACCEPTED if batch.job_id else 201)
        return Response(self.get_serializer(batch).data, status=code)


ID_PREFIX = r"^\d{1,17}[\dXx]?$"


class IdNumberSearchField(forms.CharField):
    refuse_empty = True  # StrictFilterForm: sent empty is a 400, as the schema's pattern says


@extend_schema_field({"type": "string", "pattern": ID_PREFIX})
class IdNumberSearchFilter(filters.CharFilter):
    """`?id_number=`: a whole ID number or its first digits. A role that sees numbers masked may send
    a whole number or at most the 6-digit address code: a longer prefix is 403 for it."""

    field_class = IdNumberSearchField

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "validators", [RegexValidator(ID_PREFIX, gettext_lazy("身份证号只能包含数字和末位X"))]
        )
        super().__init__(**kwargs)


class ExchangeRecordFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    status = filters.ChoiceFilter(choices=RecordStatus.choices, label=gettext_lazy("比对结果"))
    id_number = IdNumberSearchFilter(method="filter_search", label=gettext_lazy("身份证号（完整或开头）"))
    name = filters.CharFilter(method="filter_search", label=gettext_lazy("姓名（开头）"))
    monitored = filters.BooleanFilter(label=gettext_lazy("监测对象"))

    class Meta:
        model = ExchangeRecord
        fields = ["batch", "error_code"]

    def filter_search(self, qs, name, value):
        user = getattr(self.request, "user", None)
        try:
            return record_search(qs, actor=user, **{name: value})
        except NumberSearchLimited as exc:
            raise Throttled(detail=str(exc)) from None
        except ValidationError as exc:
            if exc.code == "id_number_prefix":  # allowed to others, not to this role
                raise exceptions.PermissionDenied(exc.messages[0]) from None
            raise exceptions.ValidationError({name: exc.messages}) from None


class ExchangeRecordViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Lines of the batches in your region: matched ones in the region of the person matched,
    unmatched and invalid ones in the batch's region."""

    queryset = ExchangeRecord.objects.all()
    serializer_class = ExchangeRecordSerializer
    filterset_class = ExchangeRecordFilter
    ordering_fields = ["line", "id"]
    ordering = ["batch_id", "line"]
