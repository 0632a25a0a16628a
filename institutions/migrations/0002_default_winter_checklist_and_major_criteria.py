"""Default data an administrator edits afterwards: the winter safety checklist grouped by Hebei's
five lists, and a selection of the ministry's 2023 criteria for major hazards in elderly-care
institutions (养老机构重大事故隐患判定标准)."""

from django.db import migrations

TEMPLATE_NAME = "民政服务机构冬季安全检查清单（默认）"

# (section, text, guidance, default severity)
ITEMS = [
    ("responsibility", "明确机构主要负责人为安全第一责任人，逐级签订安全责任书", "查看责任书、岗位安全职责", "general"),
    ("responsibility", "设立安全管理人员，落实24小时值班和夜间巡查", "查看值班表、巡查记录，夜间至少两人值守", "general"),
    ("responsibility", "建立严寒、雨雪、停电停暖等冬季应急预案并明确责任人", "预案有分工、有联系方式", "general"),
    ("inspection", "取暖设施运行正常，室内温度达标", "老年人/儿童居室温度一般不低于18℃；锅炉、暖气片无漏水", "general"),
    ("inspection", "燃煤、燃气取暖场所通风良好，安装一氧化碳（煤气）报警器", "逐间查看报警器是否有效，烟道是否通畅", "major"),
    ("inspection", "电取暖器具、电热毯使用规范，无私拉乱接电线、超负荷用电", "查看插线板、线路老化情况", "general"),
    ("inspection", "消防设施器材完好有效，疏散通道、安全出口畅通", "灭火器在有效期内，应急照明和疏散指示正常，通道无堆物、未上锁", "major"),
    ("inspection", "屋顶、雨棚、彩钢板等构筑物积雪荷载安全，及时清扫积雪", "大雪后检查屋面变形、渗漏，清除冰挂", "general"),
    ("inspection", "院内及周边电力线路、变压器安全，无断线、倒杆风险", "冰冻天气重点查看架空线路", "general"),
    ("inspection", "食品、药品、饮用水和燃料储备充足，可满足极端天气下至少7天需要", "查看库存台账、保质期", "general"),
    ("inspection", "厨房燃气管道、灶具和食品安全管理符合要求", "燃气软管无老化，留样和索证索票记录齐全", "general"),
    ("risk", "房屋建筑无裂缝、沉降、墙体倾斜等危房迹象", "发现疑似危房立即停止使用并申请鉴定", "major"),
    ("risk", "无使用易燃可燃彩钢板搭建居室、厨房或通道", "泡沫夹芯彩钢板属重大隐患", "major"),
    ("risk", "电梯、锅炉、压力容器等特种设备持证并按期检验", "查看使用登记证和检验报告", "major"),
    ("risk", "对失能、半失能、高龄等重点人员落实防寒保暖和防跌倒措施", "被褥、衣物充足，地面防滑", "general"),
    ("rectification", "上次检查发现的隐患已按期整改并验收销号", "对照隐患台账逐条核实", "general"),
    ("rectification", "重大隐患已制定整改方案，落实资金、责任人和期限", "查看整改方案和资金安排", "general"),
    ("rules", "建立并执行安全检查、隐患排查治理和台账管理制度", "查看制度文本和台账", "general"),
    ("rules", "冬季开展消防和应急疏散演练，工作人员会用灭火器、会疏散", "本季度至少一次演练，有记录和照片", "general"),
    ("rules", "开展冬季安全教育培训，做好用火用电用气安全提示", "查看培训记录", "general"),
]

# (aspect, text)
CRITERIA = [
    ("建筑安全", "使用经鉴定属于C级、D级危险房屋的建筑作为老年人生活用房"),
    ("建筑安全", "未经批准擅自改变建筑主体结构或承重结构"),
    ("消防安全", "建筑未依法通过消防验收或备案抽查不合格仍投入使用"),
    ("消防安全", "疏散通道、安全出口被占用、堵塞、封闭，或安全出口数量不足"),
    ("消防安全", "老年人居室、休息室设置在地下室或半地下室"),
    ("消防安全", "未按规定设置自动喷水灭火系统、火灾自动报警系统，或系统不能正常使用"),
    ("彩钢板", "使用易燃可燃材料为芯材的彩钢板搭建老年人居室、厨房或疏散通道"),
    ("特种设备", "电梯、锅炉、压力容器等特种设备未经使用登记或未经检验、检验不合格仍继续使用"),
    ("食品与医疗", "未取得食品经营许可证擅自开办食堂或厨房"),
    ("食品与医疗", "内设医疗机构未取得执业许可证或未备案擅自开展诊疗活动"),
]


def load(apps, schema_editor):
    Template = apps.get_model("institutions", "ChecklistTemplate")
    Item = apps.get_model("institutions", "ChecklistItem")
    Criterion = apps.get_model("institutions", "MajorHazardCriterion")
    template, created = Template.objects.get_or_create(
        name=TEMPLATE_NAME,
        defaults={
            "description": "按河北省“五个清单”（安全责任体系、安全检查事项、安全风险隐患、问题整改措施、"
            "安全制度标准）编排的冬季安全检查默认清单，管理员可在系统管理中修改。",
            "is_active": True,
        },
    )
    if created:
        Item.objects.bulk_create(
            Item(template=template, section=s, order=i, text=t, guidance=g, default_severity=sev)
            for i, (s, t, g, sev) in enumerate(ITEMS, 1)
        )
    if not Criterion.objects.exists():
        Criterion.objects.bulk_create(
            Criterion(aspect=a, text=t, order=i) for i, (a, t) in enumerate(CRITERIA, 1)
        )


def unload(apps, schema_editor):
    apps.get_model("institutions", "ChecklistTemplate").objects.filter(
        name=TEMPLATE_NAME, inspections__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("institutions", "0001_registry_inspections_hazards")]

    operations = [migrations.RunPython(load, unload)]
