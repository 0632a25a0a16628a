"""The words county rosters use, one table per field, each mapping a word as written (after NFKC and
with spaces removed) to the register's value.

A cell is looked up here first; only a word not in its table falls back to the looser rules of
people/roster/cells.py (a category containing 低保 with a class, 特困 with 集中/分散, a choice's own
label). Add a county's spelling to its table, never a rule to the code.

- `HEATING`: 取暖方式 -> `HeatingType`.
- `CATEGORIES`: 救助类别 -> (`Category`, its subtype): 低保 class, 供养方式 or 监测对象类型; a word
  that names no subtype where the register keeps one (a plain 特困, a plain 监测户) gets the
  subtype `UNKNOWN`, and the import lists the row as to complete.
- `TEKUN_MODES`: 供养方式 (a column of its own, or the rest of a 特困 cell) -> `TekunMode`.
- `RELATIONS`: 与户主关系 -> `Relation`.
- `HOUSING`: 住房状况 -> `HousingCondition` (latin letters upper-cased: "c级" is "C级"). A 危房 that
  names no grade is not in the table and is refused (people/roster/cells.py `parse_housing`).
"""

from __future__ import annotations

from people.choices import Category, HeatingType, HousingCondition, MonitoringType, Relation, TekunMode


def _table(words: dict[str, str]) -> dict[str, str]:
    """{value: "word word ..."} -> {word: value}; a word listed twice is a mistake in the table."""
    table: dict[str, str] = {}
    for value, spellings in words.items():
        for word in spellings.split():
            assert word not in table, word
            table[word] = value
    return table


HEATING: dict[str, str] = _table(
    {
        HeatingType.CENTRAL: "集中供暖 集中供热 暖气 市政供暖 小区供暖 统一供暖 热力供暖 集中",
        HeatingType.COAL: "燃煤取暖 煤 燃煤 蜂窝煤 煤炭 烧煤 煤炉 煤火 块煤 型煤 洁净煤 兰炭 土暖气",
        HeatingType.ELECTRIC: "电取暖 电 电暖 电暖器 电暖气 电热毯 空调 电炕 电采暖 电热 煤改电 取暖器 小太阳",
        HeatingType.GAS: "燃气取暖 天然气 燃气 气 煤气 液化气 壁挂炉 燃气壁挂炉 煤改气 天然气取暖",
        HeatingType.KANG: "火炕/火墙 火炕 炕 火墙 土炕 火炕火墙",
        HeatingType.BIOMASS: "柴草/生物质 柴 柴火 薪柴 柴草 秸秆 生物质 木柴 烧柴 柴禾",
        HeatingType.NONE: "无取暖设施 无 没有 无取暖 无设施",
    }
)

# 救助类别 -> (category, subtype); the subtype is a DibaoClass, TekunMode or MonitoringType value.
CATEGORIES: dict[str, tuple[str, str]] = {
    word: (category, subtype)
    for (category, subtype), spellings in {
        (
            Category.DIBAO,
            "",
        ): "低保 低保户 低保对象 城市低保 农村低保 城市低保户 农村低保户 城乡低保 最低生活保障",
        (
            Category.TEKUN,
            TekunMode.UNKNOWN,
        ): "特困 特困户 特困人员 特困供养 特困供养人员 五保 五保户 五保对象",
        (Category.DIBAO_EDGE, ""): "低保边缘 低保边缘户 低保边缘家庭 低保边缘对象",
        (Category.MONITORING, MonitoringType.UNKNOWN): "监测户 监测对象 防返贫监测户 防返贫监测对象 "
        "防止返贫监测 防止返贫监测户 防止返贫监测对象",
        (Category.MONITORING, MonitoringType.UNSTABLE): "脱贫不稳定户 脱贫不稳定",
        (Category.MONITORING, MonitoringType.EDGE): "边缘易致贫户 边缘易致贫",
        (Category.MONITORING, MonitoringType.SUDDEN): "突发严重困难户 突发严重困难",
        (
            Category.RIGID_EXPENSE,
            "",
        ): "刚性支出困难 刚性支出困难家庭 刚性支出困难户 支出型困难 支出型困难家庭",
        (Category.OTHER_LOW_INCOME, ""): "其他低收入 其他低收入人口 低收入 低收入人口 其他困难人员 其他",
    }.items()
    for word in spellings.split()
}

TEKUN_MODES: dict[str, str] = _table(
    {
        TekunMode.CENTRALIZED: "集中供养 集中 机构供养 院内供养 敬老院 敬老院供养 福利院 养老院 供养机构",
        TekunMode.DISPERSED: "分散供养 分散 居家供养 在家供养 居家 分散居住",
    }
)

RELATIONS: dict[str, str] = _table(
    {
        Relation.HEAD: "户主 本人 户主本人 本户主 户主自己 自己",
        Relation.SPOUSE: "配偶 妻 夫 妻子 丈夫 之妻 之夫 夫妻 爱人 老伴 户主配偶",
        Relation.CHILD: "子女 子 女 儿子 女儿 儿 长子 次子 三子 四子 长女 次女 三女 四女 独生子 独生女 "
        "养子 养女 继子 继女 之子 之女",
        Relation.PARENT: "父母 父亲 母亲 父 母 继父 继母 养父 养母",
        Relation.GRANDCHILD: "孙子女 孙子 孙女 外孙子 外孙女 外孙 孙 外孙子女 长孙 次孙 孙儿",
        Relation.GRANDPARENT: "祖父母 祖父 祖母 外祖父 外祖母 爷爷 奶奶 外公 外婆",
        Relation.SIBLING: "兄弟姐妹 兄 弟 姐 妹 哥哥 弟弟 姐姐 妹妹",
        Relation.OTHER: "其他 儿媳 女婿 公公 婆婆 岳父 岳母 侄子 侄女 孙媳妇 其他亲属 亲属 非亲属",
    }
)

HOUSING: dict[str, str] = _table(
    {
        HousingCondition.SAFE: "安全住房 安全 安全房 住房安全 非危房 无危房 不是危房 砖混 砖混结构 砖房 "
        "楼房 框架结构 钢混 稳固 正常 A级 B级 A级房 B级房 A级安全 B级安全",
        HousingCondition.GRADE_C: "C级危房 C级 C级房 C类危房 C类 局部危房",
        HousingCondition.GRADE_D: "D级危房 D级 D级房 D类危房 D类 整栋危房 整体危房",
        HousingCondition.TEMPORARY: "临时住所/借住 临时住所 临时 借住 寄住 借住亲友 投亲靠友 "
        "简易房 窝棚 板房 活动板房",
        HousingCondition.OTHER: "其他 租房 租住 公租房 廉租房 周转房",
    }
)
