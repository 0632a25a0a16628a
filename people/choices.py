"""The register's fixed vocabularies: choices, the person flags searches offer, visit intervals.

Kept apart from the models so that code which only needs a vocabulary (the roster's cell parsers,
forms, filters) reads it without the models; `people.models` re-exports every name.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class HeatingType(models.TextChoices):
    CENTRAL = "central", _("集中供暖")
    COAL = "coal", _("燃煤取暖")
    ELECTRIC = "electric", _("电取暖")
    GAS = "gas", _("燃气取暖")
    KANG = "kang", _("火炕/火墙")
    BIOMASS = "biomass", _("柴草/生物质")
    NONE = "none", _("无取暖设施")


class HousingCondition(models.TextChoices):
    SAFE = "safe", _("安全住房")
    GRADE_C = "grade_c", _("C级危房")
    GRADE_D = "grade_d", _("D级危房")
    TEMPORARY = "temporary", _("临时住所/借住")
    OTHER = "other", _("其他")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    OTHER = "other", _("其他")


class DisabilityLevel(models.IntegerChoices):
    LEVEL_1 = 1, _("一级")
    LEVEL_2 = 2, _("二级")
    LEVEL_3 = 3, _("三级")
    LEVEL_4 = 4, _("四级")


class Category(models.TextChoices):
    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")
    MONITORING = "monitoring", _("防止返贫监测")
    RIGID_EXPENSE = "rigid_expense", _("刚性支出困难")
    OTHER_LOW_INCOME = "other_low_income", _("其他低收入")


class DibaoClass(models.TextChoices):
    A = "A", _("A类")
    B = "B", _("B类")
    C = "C", _("C类")


class TekunMode(models.TextChoices):
    CENTRALIZED = "centralized", _("集中供养")
    DISPERSED = "dispersed", _("分散供养")
    UNKNOWN = "unknown", _("供养方式待补充")  # a roster wrote just 特困


class MonitoringType(models.TextChoices):
    UNSTABLE = "unstable", _("脱贫不稳定户")
    EDGE = "edge", _("边缘易致贫户")
    SUDDEN = "sudden", _("突发严重困难户")
    UNKNOWN = "unknown", _("监测类型待补充")  # a roster wrote just 监测户


class VisitChannel(models.TextChoices):
    HOME = "home", _("入户")
    PHONE = "phone", _("电话")
    VIDEO = "video", _("视频")


class VisitKind(models.TextChoices):
    GENERAL = "general", _("一般走访")
    ELDERLY = "elderly", _("爱心敲门（老年人探访）")
    CHILD = "child", _("儿童主任探访")
    INVESTIGATION = "investigation", _("入户调查（救助申请）")
    COLD_WAVE = "cold_wave", _("寒潮点名")


class FollowUp(models.TextChoices):
    NONE = "", _("无需跟进")
    TEMP_ASSISTANCE = "temp_assistance", _("临时救助申请")
    MEDICAL_REFERRAL = "medical_referral", _("就医转介")
    MATERIAL = "material", _("发放物资")
    HOUSING = "housing", _("危房修缮/转移安置")
    GUARDIANSHIP = "guardianship", _("监护干预")
    CATEGORY_REVIEW = "category_review", _("救助类别认定/复核")
    OTHER = "other", _("其他")


# The person flags that search pages and API filters offer, with their labels.
PERSON_FLAGS: dict[str, str] = {
    "lives_alone": _("独居"),
    "has_disability": _("残疾"),
    "severe_illness": _("重病"),
    "unable_self_care": _("生活不能自理"),
    "is_student": _("在校学生"),
    "is_orphan": _("孤儿"),
    "is_unsupported_child": _("事实无人抚养儿童"),
    "is_left_behind_child": _("留守儿童"),
    "is_child_in_distress": _("困境儿童"),
}
# Derived from the birth date, not stored: offered alongside the flags.
AGE_FLAGS: dict[str, tuple[str, int]] = {
    "aged_60": (_("60周岁以上"), 60),
    "aged_80": (_("80周岁以上"), 80),
}


# Visit rules (who must be visited how often; read by people/sweeps.py)


class VisitInterval(models.TextChoices):
    """The policy parameters (relief/policy.py) a visit rule's interval can follow."""

    HIGH_RISK = "visit_interval_high_risk_days", _("高风险对象探访间隔（默认每周）")
    KEY = "visit_interval_key_days", _("重点对象探访间隔（默认每月）")
    GENERAL = "visit_interval_general_days", _("一般对象探访间隔（默认每季度）")


VISIT_RULE_FLAGS = [(flag, label) for flag, label in PERSON_FLAGS.items() if flag != "lives_alone"]


# The alert kinds of people's monitoring sweeps (people/sweeps.py), here so that services (a visit
# clears its visit-overdue alert at once) name them without importing the sweeps.
VISIT_OVERDUE = "people.visit_overdue"
DIBAO_UNCOVERED = "people.dibao_uncovered"
RIGID_EXPENSE = "people.rigid_expense"
NO_GUARDIAN = "people.no_guardian"
NO_CARER = "people.no_carer"


#: how a visit check that found a problem reads (people.Visit.problems: the field's label says what is fine)
PROBLEM_LABELS = {
    "heating_ok": _("取暖有困难"),
    "food_ok": _("食物不足"),
    "clothing_ok": _("衣被不够保暖"),
    "house_safe": _("住房不安全"),
    "health_ok": _("身体状况不佳"),
    "mental_ok": _("精神状态不佳"),
    "guardian_present": _("监护人不在位"),
}


def visit_problems(visit) -> list[str]:
    """The labels of a visit's checks that found a problem (False; None is not checked)."""
    fields = (*visit.CHECK_FIELDS, "guardian_present")
    return [str(PROBLEM_LABELS[f]) for f in fields if getattr(visit, f) is False]
