"""Policy parameters: the numbers the rules read, set per region and per date by administrators.

This module names the known parameters (label, unit, meaning). Their values live only in the
database (`PolicyParameter`); the national defaults from ../shared/DOMAIN.md are loaded by the
migration `0002_policy_defaults` and can be changed in the admin like any other value.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.db.models.functions import Coalesce, Length
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.models import PolicyParameter
from relief.regions import ancestor_codes


@dataclass(frozen=True)
class Parameter:
    key: str
    label: str
    unit: str
    help: str = ""


PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in [
        Parameter("dibao_standard_urban", _("城市低保标准"), _("元/人·月")),
        Parameter("dibao_standard_rural", _("农村低保标准"), _("元/人·月")),
        Parameter("dibao_edge_multiple", _("低保边缘认定倍数"), _("倍低保标准")),
        Parameter(
            "rigid_expense_share",
            _("刚性支出占收入比例"),
            _("比例"),
            _("近12个月刚性支出超过家庭收入的该比例"),
        ),
        Parameter("ta_township_limit_multiple", _("乡镇审批临时救助上限（低保标准倍数）"), _("倍月低保标准")),
        Parameter("ta_township_limit_amount", _("乡镇审批临时救助上限（金额）"), _("元")),
        Parameter("ta_emergency_hours", _("先行救助时限"), _("小时")),
        Parameter("ta_paperwork_working_days", _("先行救助补办手续时限"), _("工作日")),
        Parameter("ta_notice_working_days", _("临时救助公示期"), _("工作日")),
        Parameter("ta_decision_working_days", _("支出型临时救助办理时限"), _("工作日")),
        Parameter("ta_reject_notice_working_days", _("不予救助告知时限"), _("工作日")),
        Parameter("ta_expense_months_max", _("支出型救助最多月数"), _("月")),
        Parameter(
            "funds_separation_of_duties",
            _("资金发放岗位分离"),
            _("1是/0否"),
            _("生成批次者不得审批、审批者不得登记发放；临时救助受理者不得审批、审批者不得登记发放"),
        ),
        Parameter("recovery_due_working_days", _("错发资金追回时限"), _("工作日")),
        Parameter(
            "supervision_rectify_working_days",
            _("督查问题整改时限"),
            _("工作日"),
            _("督查反馈问题后，被督查地区报送整改情况的期限（督查组可逐条另定）"),
        ),
        Parameter("supervision_review_working_days", _("督查整改验收时限"), _("工作日")),
        Parameter("rollcall_hours_level_1", _("寒潮点名时限（蓝色预警）"), _("小时")),
        Parameter("rollcall_hours_level_2", _("寒潮点名时限（黄色预警）"), _("小时")),
        Parameter("rollcall_hours_level_3", _("寒潮点名时限（橙色预警）"), _("小时")),
        Parameter("rollcall_hours_level_4", _("寒潮点名时限（红色预警）"), _("小时")),
        Parameter("rollcall_visit_hours", _("寒潮点名未联系上对象上门查看时限"), _("小时")),
        Parameter("visit_interval_high_risk_days", _("高风险老人探访间隔"), _("天")),
        Parameter("visit_interval_key_days", _("重点对象探访间隔"), _("天")),
        Parameter("visit_interval_general_days", _("一般对象探访间隔"), _("天")),
        Parameter("visit_interval_cold_wave_days", _("寒潮预警期间探访间隔"), _("天")),
        Parameter("station_stay_limit_days", _("救助站站内救助期限"), _("天")),
        Parameter("station_search_notice_hours", _("寻亲公告发布时限"), _("小时")),
        Parameter("station_dna_working_days", _("DNA采样时限"), _("工作日")),
        Parameter("station_settlement_months", _("落户安置启动期限"), _("月")),
        Parameter("clue_response_minutes", _("街面线索响应时限"), _("分钟")),
        Parameter("hazard_deadline_general_days", _("一般隐患整改期限"), _("天")),
        Parameter("hazard_deadline_major_days", _("重大隐患整改期限"), _("天")),
        Parameter("alert_due_days", _("预警处理时限"), _("天")),
        Parameter("need_due_working_days", _("探访需求跟进时限"), _("工作日")),
        Parameter("charity_delivery_due_working_days", _("慈善救助对接后送达时限"), _("工作日")),
        Parameter("charity_match_working_days", _("慈善需求对接时限"), _("工作日")),
        Parameter("volunteer_review_working_days", _("志愿服务审核时限"), _("工作日")),
        Parameter("child_alone_due_hours", _("儿童无人监护处置时限"), _("小时")),
        Parameter("hazard_verify_working_days", _("隐患验收、延期审批时限"), _("工作日")),
        Parameter("enrol_accept_working_days", _("救助申请受理时限"), _("工作日")),
        Parameter("enrol_check_working_days", _("家庭经济状况核对时限"), _("工作日")),
        Parameter("enrol_investigate_working_days", _("入户调查时限"), _("工作日")),
        Parameter("enrol_township_working_days", _("乡镇审核意见时限"), _("工作日")),
        Parameter(
            "enrol_notice_days", _("救助申请公示期"), _("天"), _("届满日为节假日的顺延至节后第一个工作日")
        ),
        Parameter("enrol_county_decision_working_days", _("县级审核确认时限"), _("工作日")),
        Parameter("enrol_refusal_notice_working_days", _("不予确认书面告知时限"), _("工作日")),
        Parameter("enrol_total_working_days", _("救助申请办结总时限"), _("工作日")),
        Parameter("enrol_extension_working_days", _("救助申请延期"), _("工作日"), _("限延期一次")),
        Parameter("enrol_democratic_review", _("实行民主评议"), _("1是/0否")),
        Parameter("enrol_review_months_stable", _("收入稳定家庭复核周期"), _("月")),
        Parameter("enrol_review_months_irregular", _("收入不固定家庭复核周期"), _("月")),
        Parameter("enrol_review_months_class_a", _("A类低保复核周期"), _("月")),
        Parameter("enrol_review_months_class_b", _("B类低保复核周期"), _("月")),
        Parameter("enrol_review_months_class_c", _("C类低保复核周期"), _("月")),
        Parameter("enrol_review_months_tekun", _("特困人员复核周期"), _("月")),
        Parameter("enrol_validity_months", _("低保边缘、刚性支出困难认定有效期"), _("月")),
        Parameter("enrol_review_lead_days", _("复核提前提醒"), _("天")),
        Parameter("enrol_cohort_months", _("退出或不予确认后动态监测期"), _("月")),
        Parameter("appeal_window_days", _("申请复查期限"), _("天"), _("自决定之日起")),
        Parameter("appeal_review_working_days", _("复查复核答复时限"), _("工作日")),
        Parameter("complaint_answer_working_days", _("投诉举报答复时限"), _("工作日")),
        Parameter("target_visit_coverage_pct", _("看板目标：本周走访覆盖率"), _("%")),
        Parameter("target_visits_overdue", _("看板目标：探访逾期人员"), _("人")),
        Parameter("target_alerts_open", _("看板目标：未解除预警"), _("条")),
        Parameter("target_rollcall_reached_pct", _("看板目标：寒潮点名进度"), _("%")),
        Parameter("target_hazards_overdue", _("看板目标：逾期未整改隐患"), _("处")),
        Parameter("target_funds_paid_pct", _("看板目标：本年资金发放进度"), _("%")),
        Parameter("tekun_basic_multiple", _("特困基本生活标准（低保标准倍数）"), _("倍")),
        Parameter("tekun_care_self", _("特困照料护理标准（全自理）"), _("元/人·月")),
        Parameter("tekun_care_partial", _("特困照料护理标准（半失能）"), _("元/人·月")),
        Parameter("tekun_care_full", _("特困照料护理标准（全失能）"), _("元/人·月")),
    ]
}


class MissingPolicyParameter(LookupError):
    pass


# Apps that store something computed from policy values (people: each person's next visit due,
# from the visit_interval_* values) are told when a value is saved or deleted, so relief never
# imports them: key prefix -> fn(key, region_code or None for a national value).
CHANGE_LISTENERS: list[tuple[str, Callable[[str, str | None], None]]] = []


def on_change(key_prefix: str, fn: Callable[[str, str | None], None]) -> None:
    CHANGE_LISTENERS.append((key_prefix, fn))


#: the 1/0 switches among the parameters
SWITCHES = {"funds_separation_of_duties", "enrol_democratic_review"}
#: name endings of the durations (a whole number, at least 1)
DURATIONS = ("_days", "_hours", "_minutes", "_months", "_max", *(f"_level_{n}" for n in range(1, 5)))


def check_value(key: str, value: Decimal) -> str | None:
    """Why `value` cannot apply to the parameter `key` (a Chinese sentence), or None when it can:
    an unknown key, a switch that is not 1 or 0, a duration that is not a whole number of at least
    1, a share outside (0, 1], a percentage outside 0–100, a multiple or an amount below zero."""
    param = PARAMETERS.get(key)
    if param is None:
        return _("未知的政策参数“%(key)s”：请从列表中选择") % {"key": key}
    label = param.label
    if value is None:
        return _("请填写取值")
    if key in SWITCHES:
        return None if value in (0, 1) else _("“%(label)s”只能取1（是）或0（否）") % {"label": label}
    if key.endswith(DURATIONS):
        if value != value.to_integral_value() or value < 1:
            return _("“%(label)s”须为不小于1的整数（%(unit)s）") % {"label": label, "unit": param.unit}
        return None
    if key.endswith("_share"):
        return None if 0 < value <= 1 else _("“%(label)s”须大于0且不超过1") % {"label": label}
    if key.endswith("_pct"):
        return None if 0 <= value <= 100 else _("“%(label)s”须在0到100之间") % {"label": label}
    if value < 0:
        return _("“%(label)s”不能为负数") % {"label": label}
    if key.endswith("_multiple") and value == 0:
        return _("“%(label)s”须大于0") % {"label": label}
    return None


def value_changed(key: str, region_code: str | None) -> None:
    """Call after a PolicyParameter row of `key` for `region_code` is saved or deleted."""
    for prefix, fn in CHANGE_LISTENERS:
        if key.startswith(prefix):
            fn(key, region_code)


def policy_value(key: str, region_code: str | None, on: datetime.date | None = None) -> Decimal:
    """The value of `key` in force on `on` for a region: the nearest enclosing region's newest
    value that has taken effect, else the national default. Raises MissingPolicyParameter when
    none is set, so a rule never runs on a guessed number."""
    if key not in PARAMETERS:
        raise KeyError(f"unknown policy parameter {key!r}")
    on = on or timezone.localdate()
    codes = ancestor_codes(region_code) if region_code else []
    row = (
        PolicyParameter.objects.filter(key=key, valid_from__lte=on)
        .filter(Q(region__isnull=True) | Q(region_id__in=codes))
        .annotate(depth=Coalesce(Length("region_id"), 0))
        .order_by("-depth", "-valid_from")
        .values_list("value", flat=True)
        .first()
    )
    if row is None:
        raise MissingPolicyParameter(
            _("未设置政策参数“%(label)s”，请管理员在政策参数中设置。") % {"label": PARAMETERS[key].label}
        )
    return row


def effective_parameters(region_code: str | None, on: datetime.date | None = None) -> list[dict]:
    """Every known parameter as it applies to a region on a date, with where its value comes from.
    One query for all keys."""
    on = on or timezone.localdate()
    codes = ancestor_codes(region_code) if region_code else []
    rows = (
        PolicyParameter.objects.filter(valid_from__lte=on)
        .filter(Q(region__isnull=True) | Q(region_id__in=codes))
        .annotate(depth=Coalesce(Length("region_id"), 0))
        .order_by("key", "-depth", "-valid_from")
        .distinct("key")
        .values("key", "value", "region_id", "valid_from")
    )
    found = {r["key"]: r for r in rows}
    result = []
    for key, param in PARAMETERS.items():
        row = found.get(key)
        result.append(
            {
                "key": key,
                "label": str(param.label),
                "unit": str(param.unit),
                "value": row["value"] if row else None,
                "source_region": row["region_id"] if row else None,
                "valid_from": row["valid_from"] if row else None,
            }
        )
    return result


def duties_separated(region_code: str | None, on: datetime.date | None = None) -> bool:
    """Whether separation of duties applies to money in a region (the policy value
    `funds_separation_of_duties`): on unless a value of 0 is in force, so a missing value never
    lets one person generate, approve and pay alone."""
    try:
        return policy_value("funds_separation_of_duties", region_code, on) != 0
    except MissingPolicyParameter:
        return True
