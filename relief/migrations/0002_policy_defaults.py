"""National default values of the policy parameters (../shared/DOMAIN.md). Administrators override
them per region and date; these rows only make sure no rule runs without a value."""

import datetime
from decimal import Decimal

from django.db import migrations

DEFAULTS = {
    "funds_separation_of_duties": ("1", "资金发放岗位分离：生成、审批、登记发放由不同人员办理"),
    "recovery_due_working_days": ("20", "错发资金自登记追回起20个工作日内追回"),
    # 督查 (supervision, 0018): the region visited answers a finding, the supervisor accepts it
    "supervision_rectify_working_days": ("10", "督查反馈问题后10个工作日内报送整改情况"),
    "supervision_review_working_days": ("5", "收到整改情况后5个工作日内验收销号或退回"),
    # 寒潮点名 (coldwaves, 0017): hours to reach every high-risk person once a level is in force
    "rollcall_hours_level_1": ("48", "蓝色预警发布后48小时内联系到每一名高风险对象"),
    "rollcall_hours_level_2": ("24", "黄色预警发布后24小时内联系到每一名高风险对象"),
    "rollcall_hours_level_3": ("12", "橙色预警发布后12小时内联系到每一名高风险对象"),
    "rollcall_hours_level_4": ("6", "红色预警发布后6小时内联系到每一名高风险对象"),
    # 慈善 (charity, its 0002): working days for the township to deliver a need assigned to a project
    "charity_delivery_due_working_days": ("5", "需求对接慈善项目后5个工作日内送达"),
    # charity's 0003: working days for the county coordinator to match an open need to a project
    "charity_match_working_days": ("5", "慈善需求登记后5个工作日内对接项目或说明原因关闭"),
    # volunteers' 0002: working days for the township to review an assignment recorded as done
    "volunteer_review_working_days": ("3", "志愿服务登记完成后3个工作日内审核"),
    "rollcall_visit_hours": ("2", "寒潮点名超时或未联系上的对象，乡镇2小时内上门查看"),
    # dashboard targets (0019): the "who is behind" ranking and the map's legend measure against them
    "target_visit_coverage_pct": ("100", "全国目标：特殊困难老年人每月探访率100%；本周走访覆盖率目标"),
    "target_visits_overdue": ("0", "探访逾期人员目标：0人"),
    "target_alerts_open": ("0", "未解除预警目标：0条"),
    "target_rollcall_reached_pct": ("100", "寒潮点名须在时限内联系到每一名高风险对象：100%"),
    "target_hazards_overdue": ("0", "逾期未整改隐患目标：0处"),
    "target_funds_paid_pct": ("100", "示例值：本年下达资金发放进度目标"),
    # Sample standards: every province sets its own; change them in the admin for your region.
    "dibao_standard_urban": ("800", "示例值：城市低保标准因地而异，请按本地标准设置"),
    "dibao_standard_rural": ("600", "示例值：农村低保标准因地而异，请按本地标准设置"),
    "dibao_edge_multiple": ("1.5", "低保边缘：人均收入低于低保标准的1.5倍"),
    "rigid_expense_share": ("0.6", "刚性支出超过家庭收入的60%"),
    "ta_township_limit_multiple": ("4", "乡镇可审批不超过4倍月低保标准"),
    "ta_township_limit_amount": ("3000", "乡镇可审批不超过3000元"),
    "ta_emergency_hours": ("24", "先行救助24小时内"),
    "ta_paperwork_working_days": ("10", "先行救助后5-20个工作日内补办手续"),
    "ta_notice_working_days": ("5", "公示5个工作日"),
    "ta_decision_working_days": ("15", "支出型约15个工作日办结"),
    "ta_reject_notice_working_days": ("3", "不予救助3个工作日内告知"),
    "ta_expense_months_max": ("6", "低保标准×人数×月数，最多6个月"),
    "visit_interval_high_risk_days": ("7", "高风险老人每周至少探访一次"),
    "visit_interval_key_days": ("30", "重点对象每月探访"),
    "visit_interval_general_days": ("90", "一般对象每季度探访"),
    "visit_interval_cold_wave_days": ("7", "寒潮预警期间每周探访"),
    "station_stay_limit_days": ("10", "一般不超过10天"),
    "station_search_notice_hours": ("24", "24小时内发布寻亲公告"),
    "station_dna_working_days": ("7", "7个工作日内采集DNA"),
    "station_settlement_months": ("3", "3个月仍无法查明身份的落户安置"),
    "clue_response_minutes": ("30", "线索30分钟内响应"),
    "hazard_deadline_general_days": ("7", "一般隐患即知即改，最长7天"),
    "hazard_deadline_major_days": ("30", "重大隐患挂牌督办，30天"),
    "alert_due_days": ("3", "预警3天内处理"),
    # added with the tasks (0011): loaded there for databases migrated before
    "need_due_working_days": ("3", "探访发现的需求3个工作日内跟进"),
    "child_alone_due_hours": ("4", "儿童无人监护：当日处置，最迟4小时内"),
    "hazard_verify_working_days": ("3", "整改完成、申请延期后3个工作日内验收或审批"),
    # added with the enrolments (0014): loaded there for databases migrated before
    "enrol_accept_working_days": ("3", "线上申请、主动发现3个工作日内受理"),
    "enrol_check_working_days": ("10", "示例值：核对机构出具家庭经济状况核对报告的时限"),
    "enrol_investigate_working_days": ("10", "示例值：收到核对报告后完成入户调查的时限"),
    "enrol_township_working_days": ("5", "示例值：调查（评议）后乡镇提出审核意见的时限"),
    "enrol_notice_days": ("7", "审核意见公示7天，届满日为节假日的顺延至节后第一个工作日"),
    "enrol_county_decision_working_days": ("10", "县级民政部门10个工作日内作出审核确认决定"),
    "enrol_refusal_notice_working_days": ("3", "不予确认的3个工作日内书面告知并说明理由"),
    "enrol_total_working_days": ("30", "自受理之日起30个工作日内办结"),
    "enrol_extension_working_days": ("15", "特殊情况可延长15个工作日（至45个工作日），限一次"),
    "enrol_democratic_review": ("0", "1：本地实行民主评议；0：不实行"),
    "enrol_review_months_stable": ("12", "收入稳定的低保家庭每年核查一次"),
    "enrol_review_months_irregular": ("6", "收入不固定的低保家庭每半年核查一次"),
    "enrol_review_months_class_a": ("12", "分类管理：A类每年核查"),
    "enrol_review_months_class_b": ("6", "分类管理：B类每半年核查"),
    "enrol_review_months_class_c": ("3", "分类管理：C类每季度核查"),
    "enrol_review_months_tekun": ("12", "特困人员每年核查"),
    "enrol_validity_months": ("12", "低保边缘、刚性支出困难认定有效期12个月"),
    "enrol_review_lead_days": ("30", "复核事项提前30天进入乡镇待办"),
    "enrol_cohort_months": ("24", "退出低保、特困不满两年及不予确认的，纳入动态监测24个月"),
    "appeal_window_days": ("30", "对决定有异议的，30日内可申请复查"),
    "appeal_review_working_days": ("20", "示例值：复查复核答复时限"),
    "complaint_answer_working_days": ("15", "示例值：投诉举报答复时限"),
    "tekun_basic_multiple": ("1.3", "特困人员基本生活标准不低于当地低保标准的1.3倍"),
    "tekun_care_self": ("100", "示例值：全自理特困人员照料护理标准（元/月）"),
    "tekun_care_partial": ("400", "示例值：半失能特困人员照料护理标准（元/月）"),
    "tekun_care_full": ("800", "示例值：全失能特困人员照料护理标准（元/月）"),
}


def load(apps, schema_editor):
    PolicyParameter = apps.get_model("relief", "PolicyParameter")
    since = datetime.date(2020, 1, 1)
    for key, (value, note) in DEFAULTS.items():
        PolicyParameter.objects.get_or_create(
            key=key, region=None, valid_from=since, defaults={"value": Decimal(value), "note": note}
        )


def unload(apps, schema_editor):
    PolicyParameter = apps.get_model("relief", "PolicyParameter")
    PolicyParameter.objects.filter(region=None, key__in=DEFAULTS, valid_from=datetime.date(2020, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("relief", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
