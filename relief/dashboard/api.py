"""/api/v1/dashboard/: the dashboard's figures for a region, with its direct sub-regions, the
weekly trends of the winter, the map of one target figure and the "who is behind" ranking. Region
scoped: a region outside the caller's answers 404."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from relief.dashboard import board, registry, selectors


@extend_schema_field(OpenApiTypes.NUMBER)
class NumberField(serializers.Field):
    """A count (integer), an amount in yuan, a share (0–1), hours or a level; null when undefined."""

    def to_representation(self, value):
        if isinstance(value, Decimal):
            return (
                int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else value
            )
        return value


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    gb_code = serializers.CharField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    level = serializers.IntegerField()


class DimValueSerializer(serializers.Serializer):
    dim = serializers.CharField(help_text=_("分项代码：救助类别、项目编号、预警类型、隐患等级等"))
    label = serializers.CharField()
    value = NumberField(allow_null=True)


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    section = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField(help_text="count | money | ratio | hours | level")
    value = NumberField(allow_null=True)
    value_label = serializers.CharField(help_text=_("等级类指标的名称（如“橙色”）"))
    help = serializers.CharField()
    dims = DimValueSerializer(many=True)


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()


class SubRegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    is_own_level = serializers.BooleanField(
        help_text=_("本级直属记录（如下达到本县的资金），不属于任何下级区划")
    )
    figures = serializers.DictField(
        child=NumberField(allow_null=True), help_text=_("指标键 → 数值（见 columns）")
    )


class LiveAsOfMixin(serializers.Serializer):
    """When the figures computed when read (寒潮点名、集中慰问 and the like) were computed: they are
    kept a minute per region (settings.DASHBOARD_LIVE_SECONDS) unless `live=true`."""

    live_computed_at = serializers.DateTimeField(
        help_text=_(
            "实时指标（寒潮点名、集中慰问、寒潮预警等级等）的计算时间：按区划缓存约1分钟，"
            "live=true 时为本次请求实时计算"
        )
    )
    live_cached = serializers.BooleanField(
        help_text=_("true：实时指标取自缓存（计算时间见 live_computed_at）；false：本次请求计算")
    )


class SummarySerializer(LiveAsOfMixin):
    region = RegionRefSerializer(allow_null=True, help_text=_("空表示全国（仅管理员）"))
    computed_at = serializers.DateTimeField(help_text=_("数据计算时间（汇总表刷新时间，或实时计算时间）"))
    source = serializers.CharField(help_text=_("rollup：汇总表；live：实时计算"))
    figures = FigureSerializer(many=True)
    columns = ColumnSerializer(many=True)
    subregions = SubRegionSerializer(many=True)


class TrendSeriesSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    values = serializers.ListField(child=NumberField())


class TrendsSerializer(serializers.Serializer):
    region = RegionRefSerializer(allow_null=True)
    computed_at = serializers.DateTimeField()
    source = serializers.CharField(help_text=_("rollup：汇总表；live：实时计算"))
    weeks = serializers.ListField(
        child=serializers.DateField(), help_text=_("每周周一的日期，自10月1日所在周起")
    )
    series = TrendSeriesSerializer(many=True)


REGION_PARAM = OpenApiParameter(
    "region", str, description=_("区划代码（2/4/6/9/12位有效位）；默认本人管辖区划。超出管辖范围返回404。")
)
LIVE_PARAM = OpenApiParameter(
    "live", bool, description=_("为 true 时不读汇总表和实时指标缓存，全部实时计算（较慢）")
)


def _region_ref(region):
    if region is None:
        return None
    return {
        "code": region.code,
        "gb_code": region.gb_code,
        "name": region.name,
        "full_name": region.full_name or region.name,
        "level": region.level,
    }


def _live_as_of(summary: selectors.Summary) -> dict:
    return {"live_computed_at": summary.live_computed_at, "live_cached": summary.live_cached}


def _live(request) -> bool:
    """The `live` flag, as strict as every boolean filter of the API (relief/api/filters.py):
    true/false/1/0, or left out; anything else is a 400."""
    value = request.query_params.get("live")
    if value is None:
        return False
    if value.lower() in ("1", "true"):
        return True
    if value.lower() in ("0", "false"):
        return False
    raise serializers.ValidationError({"live": [_("请填写 true 或 false")]})


class SummaryView(APIView):
    """Every dashboard figure of a region, and the table by direct sub-region."""

    @extend_schema(parameters=[REGION_PARAM, LIVE_PARAM], responses=SummarySerializer, tags=["dashboard"])
    def get(self, request):
        region = selectors.region_for(request.user, request.query_params.get("region"))
        summary = selectors.summary(region, live=_live(request))
        columns = [
            {"key": f.key, "label": str(f.label), "unit": str(f.unit), "kind": f.kind}
            for f in selectors.table_figures()
        ]
        data = {
            "region": _region_ref(region),
            "computed_at": summary.computed_at,
            "source": summary.source,
            **_live_as_of(summary),
            "figures": selectors.figure_rows(summary.totals),
            "columns": columns,
            "subregions": selectors.table_rows(summary),
        }
        return Response(SummarySerializer(data).data)


class TrendsView(APIView):
    """Weekly series over the winter (visits, payments, encounters) for a region."""

    @extend_schema(parameters=[REGION_PARAM, LIVE_PARAM], responses=TrendsSerializer, tags=["dashboard"])
    def get(self, request):
        region = selectors.region_for(request.user, request.query_params.get("region"))
        data = selectors.trends(region, live=_live(request))
        data["region"] = _region_ref(region)
        return Response(TrendsSerializer(data).data)


class TargetFigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField(help_text="count | ratio")
    target = NumberField(allow_null=True, help_text=_("目标值（政策参数；比例为0–1），未设置时为空"))
    target_parameter = serializers.CharField(help_text=_("目标所在的政策参数键"))
    lower_is_better = serializers.BooleanField(help_text=_("为 true 时数值越小越好（逾期、未解除）"))


class BoardRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text=_("落后排名：1 为离目标最远"))
    code = serializers.CharField()
    name = serializers.CharField()
    value = NumberField(allow_null=True, help_text=_("与 summary 的 subregions 中同一指标的数值相同"))
    target = NumberField(allow_null=True)
    gap = NumberField(allow_null=True, help_text=_("距目标的差距：正数为落后，0或负数为已达标"))
    behind = serializers.BooleanField()
    change = NumberField(allow_null=True, help_text=_("较上周（上周最后一次汇总）的变化，无快照时为空"))
    url = serializers.CharField(help_text=_("该区划的数据看板（下钻）"))
    list_url = serializers.CharField(help_text=_("该数字背后的名单"))


class BoardSerializer(serializers.Serializer):
    figure = TargetFigureSerializer()
    region_value = NumberField(allow_null=True, help_text=_("本区划的数值"))
    region_change = NumberField(allow_null=True, help_text=_("本区划较上周的变化"))
    subregions = BoardRowSerializer(many=True, help_text=_("按落后程度排序"))


class MapSerializer(LiveAsOfMixin, BoardSerializer):
    region = RegionRefSerializer(allow_null=True)
    computed_at = serializers.DateTimeField()
    source = serializers.CharField(help_text=_("rollup：汇总表；live：实时计算"))
    figures = TargetFigureSerializer(many=True, help_text=_("可在地图上选择的指标"))
    boundaries = serializers.CharField(
        allow_null=True,
        help_text=_("下级区划边界 GeoJSON 的地址（要素属性 code 为区划代码）；乡镇级无边界时为空"),
    )


class RankingSerializer(LiveAsOfMixin):
    region = RegionRefSerializer(allow_null=True)
    computed_at = serializers.DateTimeField()
    source = serializers.CharField(help_text=_("rollup：汇总表；live：实时计算"))
    boards = BoardSerializer(many=True)


def _board_data(b: board.Board) -> dict:
    return {
        "figure": board.figure_info(b.figure, b.target),
        "region_value": b.region_value,
        "region_change": b.region_change,
        "subregions": b.rows,
    }


def _figure_param(request):
    keys = [f.key for f in registry.target_figures()]
    key = request.query_params.get("figure") or keys[0]
    if key not in keys:
        raise serializers.ValidationError({"figure": [_("请选择地图可显示的指标")]})
    return registry.FIGURES[key]


FIGURE_PARAM = OpenApiParameter(
    "figure",
    str,
    description=_("指标键（带目标的指标，见 figures）；默认第一个"),
    enum=[
        "people.visit_coverage",
        "people.visits_overdue",
        "coldwaves.reached_share",
        "funds.paid_share",
        "hazards.overdue",
        "alerts.open",
    ],
)


class MapView(APIView):
    """One target figure for the region's direct sub-regions, worst first, with the boundary file
    that draws them: what the dashboard's map colours and its tooltip shows."""

    @extend_schema(
        parameters=[REGION_PARAM, FIGURE_PARAM, LIVE_PARAM], responses=MapSerializer, tags=["dashboard"]
    )
    def get(self, request):
        region = selectors.region_for(request.user, request.query_params.get("region"))
        fig = _figure_param(request)
        summary = selectors.summary(region, live=_live(request))
        figs = registry.target_figures()
        targets = board.targets_for(figs, summary.code)
        b = board.figure_board(summary, fig, target=targets.get(fig.key))
        data = {
            "region": _region_ref(region),
            "computed_at": summary.computed_at,
            "source": summary.source,
            **_live_as_of(summary),
            "figures": [board.figure_info(f, targets[f.key]) for f in figs],
            "boundaries": board.boundary_url(summary.code),
            **_board_data(b),
        }
        return Response(MapSerializer(data).data)


class RankingView(APIView):
    """Who is behind: for every figure with a target, the direct sub-regions worst first, with the
    gap to the target and the change since last week."""

    @extend_schema(parameters=[REGION_PARAM, LIVE_PARAM], responses=RankingSerializer, tags=["dashboard"])
    def get(self, request):
        region = selectors.region_for(request.user, request.query_params.get("region"))
        summary = selectors.summary(region, live=_live(request))
        data = {
            "region": _region_ref(region),
            "computed_at": summary.computed_at,
            "source": summary.source,
            **_live_as_of(summary),
            "boards": [_board_data(b) for b in board.boards(summary)],
        }
        return Response(RankingSerializer(data).data)
