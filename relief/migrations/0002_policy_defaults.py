"""National default values of the policy parameters (../shared/DOMAIN.md). Administrators override
them per region and date; these rows only make sure no rule runs without a value."""

import datetime
from decimal import Decimal

from django.db import migrations

DEFAULTS = {
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
