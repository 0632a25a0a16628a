"""Labels stored in Chinese in the database (programme names, material items and their units,
checklist items, scheduled jobs' descriptions) shown in the chosen language where a translation
exists: `stored(value)` (and the `stored` template filter) looks the stored text up in the
translation catalogue, under the context "stored label" (a unit 件 is "pieces", not the "cases" of
a count), and gives it back unchanged when there is none (a label an administrator typed). The
labels the project seeds are listed here, so their English is kept in
locale/en/LC_MESSAGES/django.po like every other string."""

from __future__ import annotations

from django.utils.translation import pgettext, pgettext_lazy

CONTEXT = "stored label"


def stored(value: object) -> str:
    """The stored label in the active language, where the catalogue has it."""
    if not isinstance(value, str) or not value:
        return "" if value is None else str(value)
    return pgettext(CONTEXT, value)


#: the seeded labels (funds/migrations/0002, institutions/migrations/0002, relief/schedules.py…)
SEEDED = (
    # the first version of a record (people/assistance_services.py)
    pgettext_lazy("stored label", "登记"),
    # programmes
    pgettext_lazy("stored label", "低保金"),
    pgettext_lazy("stored label", "特困供养金"),
    pgettext_lazy("stored label", "一次性生活补贴"),
    pgettext_lazy("stored label", "取暖补贴"),
    pgettext_lazy("stored label", "高龄补贴"),
    pgettext_lazy("stored label", "临时救助"),
    pgettext_lazy("stored label", "过冬物资（煤炭、棉被、棉衣、食品）"),
    # material items and units
    pgettext_lazy("stored label", "煤炭"),
    pgettext_lazy("stored label", "棉被"),
    pgettext_lazy("stored label", "棉衣"),
    pgettext_lazy("stored label", "食品（米面油）"),
    pgettext_lazy("stored label", "吨"),
    pgettext_lazy("stored label", "床"),
    pgettext_lazy("stored label", "件"),
    pgettext_lazy("stored label", "份"),
    # the default winter checklist
    pgettext_lazy("stored label", "民政服务机构冬季安全检查清单（默认）"),
    pgettext_lazy("stored label", "明确机构主要负责人为安全第一责任人，逐级签订安全责任书"),
    pgettext_lazy("stored label", "设立安全管理人员，落实24小时值班和夜间巡查"),
    pgettext_lazy("stored label", "建立严寒、雨雪、停电停暖等冬季应急预案并明确责任人"),
    pgettext_lazy("stored label", "取暖设施运行正常，室内温度达标"),
    pgettext_lazy("stored label", "燃煤、燃气取暖场所通风良好，安装一氧化碳（煤气）报警器"),
    pgettext_lazy("stored label", "电取暖器具、电热毯使用规范，无私拉乱接电线、超负荷用电"),
    pgettext_lazy("stored label", "消防设施器材完好有效，疏散通道、安全出口畅通"),
    pgettext_lazy("stored label", "屋顶、雨棚、彩钢板等构筑物积雪荷载安全，及时清扫积雪"),
    pgettext_lazy("stored label", "院内及周边电力线路、变压器安全，无断线、倒杆风险"),
    pgettext_lazy("stored label", "食品、药品、饮用水和燃料储备充足，可满足极端天气下至少7天需要"),
    pgettext_lazy("stored label", "厨房燃气管道、灶具和食品安全管理符合要求"),
    pgettext_lazy("stored label", "房屋建筑无裂缝、沉降、墙体倾斜等危房迹象"),
    pgettext_lazy("stored label", "无使用易燃可燃彩钢板搭建居室、厨房或通道"),
    pgettext_lazy("stored label", "电梯、锅炉、压力容器等特种设备持证并按期检验"),
    pgettext_lazy("stored label", "对失能、半失能、高龄等重点人员落实防寒保暖和防跌倒措施"),
    pgettext_lazy("stored label", "上次检查发现的隐患已按期整改并验收销号"),
    pgettext_lazy("stored label", "重大隐患已制定整改方案，落实资金、责任人和期限"),
    pgettext_lazy("stored label", "建立并执行安全检查、隐患排查治理和台账管理制度"),
    pgettext_lazy("stored label", "冬季开展消防和应急疏散演练，工作人员会用灭火器、会疏散"),
    pgettext_lazy("stored label", "开展冬季安全教育培训，做好用火用电用气安全提示"),
    # scheduled jobs (relief/schedules.py and the apps' schedules)
    pgettext_lazy("stored label", "标记后台进程已停止响应的任务"),
    pgettext_lazy("stored label", "每晚运行全部主动发现监测（按县拆分）"),
    pgettext_lazy("stored label", "每晚核对等待办理的记录都有待办事项（审批、验收、公示等时限）"),
    pgettext_lazy("stored label", "逾期未处理的预警提级督办"),
    pgettext_lazy("stored label", "刷新数据看板汇总指标"),
    pgettext_lazy("stored label", "每晚为在享的低保、特困、低保边缘、刚性支出困难家庭安排下次定期复核"),
    pgettext_lazy("stored label", "每晚核对督查问题都有整改或验收待办"),
    pgettext_lazy("stored label", "寒潮点名：按生效的寒潮预警启动、调整、结束点名，并对未联系的对象发出预警"),
    pgettext_lazy(
        "stored label", "每晚按预警规则重新比对部门数据：新的预警建立核实处置，情况已消除的预警自动解除"
    ),
    pgettext_lazy("stored label", "每晚按探访规则重新计算每个人的下次应探访日期（探访逾期监测之前）"),
)
