"""Official early warnings in CAP 1.2 (GB/T 35965.1): `POST /api/v1/cold-alerts/cap/` with the XML
as the body sets, changes or lifts cold-wave levels (patrols.services.cap_messages.cap_receive); the GET lists the
messages received, with what each did per area."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from patrols.api.cold_waves import ColdWavePermission
from patrols.api.common import RegionPrefixFilterSet
from patrols.models import CapAreaAction, CapMessage
from patrols.services import cap_messages
from relief.api.mixins import ScopedViewSetMixin
from relief.api.parsers import XML_PARSERS


class CapUnprocessable(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unknown_area"
    default_detail = gettext_lazy("消息中的区域代码均不是已知的行政区划")


class CapAreaResultSerializer(serializers.Serializer):
    area = serializers.CharField(help_text=gettext_lazy("消息中的区域代码（geocode）"))
    region = serializers.CharField(help_text=gettext_lazy("预警所在区划代码"))
    action = serializers.ChoiceField(choices=CapAreaAction.choices)
    action_display = serializers.CharField()
    reason = serializers.CharField(help_text=gettext_lazy("未处理的原因代码"))
    reason_display = serializers.CharField()
    detail = serializers.CharField()
    warning = serializers.IntegerField(allow_null=True, help_text=gettext_lazy("寒潮预警 id"))
    level = serializers.IntegerField(allow_null=True)
    level_display = serializers.CharField()


class CapMessageSerializer(serializers.ModelSerializer):
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True, allow_null=True)
    results = CapAreaResultSerializer(source="area_results", many=True, read_only=True)
    unknown_areas = serializers.ListField(child=serializers.CharField(), read_only=True)
    warnings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = CapMessage
        fields = [
            "id",
            "identifier",
            "sender",
            "sent",
            "msg_type",
            "status",
            "event",
            "severity",
            "level",
            "level_display",
            "headline",
            "expires",
            "areas",
            "references",
            "region",
            "received_at",
            "received_by",
            "outcome",
            "outcome_display",
            "applied_at",
            "results",
            "unknown_areas",
            "warnings",
        ]
        read_only_fields = fields


class CapMessageDetailSerializer(CapMessageSerializer):
    class Meta(CapMessageSerializer.Meta):
        fields = [*CapMessageSerializer.Meta.fields, "raw_xml"]
        read_only_fields = fields


class CapMessageFilter(RegionPrefixFilterSet):
    class Meta:
        model = CapMessage
        fields = ["region", "msg_type", "status", "outcome", "sender", "identifier"]


CAP_EXAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>urn:oid:2.49.0.1.156.0.2026.1.10.08.00.00.510121</identifier>
  <sender>12379@cma.gov.cn</sender>
  <sent>2026-01-10T08:00:00+08:00</sent>
  <status>Actual</status><msgType>Alert</msgType><scope>Public</scope>
  <info><language>zh-CN</language><category>Met</category><event>寒潮</event>
    <urgency>Expected</urgency><severity>Moderate</severity><certainty>Likely</certainty>
    <expires>2026-01-12T08:00:00+08:00</expires><headline>金堂县气象台发布寒潮黄色预警</headline>
    <area><areaDesc>金堂县</areaDesc><geocode><valueName>GB/T 2260</valueName><value>510121</value></geocode></area>
  </info>
</alert>"""


class CapMessageViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """CAP 1.2 early-warning messages received (寒潮预警 from 12379 and provincial 预警发布中心). Listed
    by the region they applied to; the caller's region and below."""

    queryset = CapMessage.objects.select_related("region").prefetch_related("warnings")
    serializer_class = CapMessageSerializer
    permission_classes = [ColdWavePermission]
    filterset_class = CapMessageFilter
    ordering_fields = ["received_at", "sent"]
    parser_classes = XML_PARSERS

    def get_serializer_class(self):
        return CapMessageDetailSerializer if self.action == "retrieve" else CapMessageSerializer

    @extend_schema(
        summary=gettext_lazy("接收 CAP 预警消息"),
        description=gettext_lazy(
            "请求体为 CAP 1.2（GB/T 35965.1）XML 消息。寒潮类 Alert 发布预警，Update 调整等级和结束时间，"
            "Cancel 解除；同一 sender 与 identifier 的消息重复发送时返回首次处理结果（200），不再改变预警。"
            "status 不是 Actual 的消息和非寒潮类预警只保存、不改变预警等级。"
        ),
        request={
            "application/cap+xml": OpenApiTypes.STR,
            "application/xml": OpenApiTypes.STR,
            "text/xml": OpenApiTypes.STR,
        },
        examples=[
            OpenApiExample("alert", value=CAP_EXAMPLE, media_type="application/cap+xml", request_only=True)
        ],
        responses={
            201: CapMessageSerializer,
            200: OpenApiResponse(CapMessageSerializer, description=gettext_lazy("重复消息：首次处理结果")),
            400: OpenApiResponse(description=gettext_lazy("不是有效的 CAP 消息")),
            403: OpenApiResponse(description=gettext_lazy("无权发布寒潮预警，或区域均不在管辖范围内")),
            422: OpenApiResponse(description=gettext_lazy("区域代码均不是已知的行政区划")),
        },
    )
    def create(self, request, *args, **kwargs):
        data = request.data if isinstance(request.data, bytes) else b""
        try:
            receipt = cap_messages.cap_receive(actor=request.user, data=data)
        except cap_messages.CapAreaError as exc:
            raise CapUnprocessable("；".join(exc.messages)) from None
        # the message this call stored, or its first copy (the answer to a duplicate is its first outcome)
        message = CapMessage.objects.prefetch_related("warnings").get(
            pk=receipt.message.pk
        )  # lint: allow-unscoped (the caller's own receipt)
        code = status.HTTP_201_CREATED if receipt.created else status.HTTP_200_OK
        return Response(
            CapMessageSerializer(message, context=self.get_serializer_context()).data, status=code
        )
