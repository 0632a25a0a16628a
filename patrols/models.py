"""Street patrols, clues from the public, rescue station cases and cold-wave warnings.

Identity is recorded on each encounter and station case as its own fields (the people app is a
separate floor this app does not import yet). Materials handed out from a county warehouse are
funds StockMovements whose generic `recipient` is the encounter (services.encounter_record,
selectors.with_stock_materials); `Encounter.materials_given` is free text for goods not from stock.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric

from patrols.choices import ColdWaveLevel
from relief.models import TransitionLog
from relief.scoping import ScopedManager, ScopedQuerySet, region_field

# --- Shared choices -----------------------------------------------------------------------------


class Sex(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")
    UNKNOWN = "unknown", _("不详")


class JointPartner(models.TextChoices):
    POLICE = "police", _("公安")
    CHENGGUAN = "chengguan", _("城管")
    COMMUNITY = "community", _("社区")
    VOLUNTEERS = "volunteers", _("志愿者")
    MEDICAL = "medical", _("医疗急救")


class Weather(models.TextChoices):
    CLEAR = "clear", _("晴")
    CLOUDY = "cloudy", _("多云/阴")
    RAIN = "rain", _("雨")
    FREEZING_RAIN = "freezing_rain", _("冻雨")
    SNOW = "snow", _("雪")
    BLIZZARD = "blizzard", _("暴雪")
    WIND = "wind", _("大风")
    FOG = "fog", _("雾/霾")


def validate_id_number(value: str) -> None:
    """The register's one ID-number check (people.id_numbers.check_id_number)."""
    from people.id_numbers import check_id_number

    if value:
        check_id_number(value)


def normalize_id_number(value: str) -> str:
    """The 18-digit form of a valid number (a 15-digit one converted), else the number compacted."""
    from people.id_numbers import check_id_number

    if not value:
        return ""
    try:
        return check_id_number(value).number
    except ValidationError:
        return ric.compact(value).upper()


def is_night(at: datetime.datetime) -> bool:
    """A shift that starts between 20:00 and 06:00 (local time) is a night shift."""
    hour = timezone.localtime(at).hour
    return hour >= 20 or hour < 6


class PersonFieldsMixin(models.Model):
    """Who the person is, as far as known: a name and ID number, or a description."""

    person_name = models.CharField(_("姓名"), max_length=64, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True, validators=[validate_id_number])
    description = models.TextField(
        _("体貌特征"), blank=True, help_text=_("身份不明时填写：衣着、体貌、口音、随身物品等")
    )
    sex = models.CharField(_("性别"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    approx_age = models.PositiveSmallIntegerField(_("估计年龄"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def person_label(self) -> str:
        if self.person_name:
            return self.person_name
        sex = str(self.get_sex_display()) if self.sex != Sex.UNKNOWN else ""
        age = _("约%(age)s岁") % {"age": self.approx_age} if self.approx_age is not None else ""
        # Chinese writes 男约55岁 in one run; other languages need the words apart
        joiner = "" if (get_language() or "zh-hans").startswith("zh") else ", "
        return f"{_('身份不明')} {joiner.join(p for p in (sex, age) if p)}".strip()

    def age_years(self, on: datetime.date | None = None) -> int | None:
        """Age from the ID number when known, else the estimate."""
        if self.id_number and ric.is_valid(self.id_number):
            born = ric.get_birth_date(self.id_number)
            on = on or timezone.localdate()
            return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
        return self.approx_age


# --- Teams and shifts ---------------------------------------------------------------------------


class PatrolTeam(models.Model):
    name = models.CharField(_("队名"), max_length=100)
    region = region_field()
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("队员"), blank=True, related_name="patrol_teams"
    )
    phone = models.CharField(_("值班电话"), max_length=20, blank=True)
    active = models.BooleanField(_("在用"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("巡查队")
        verbose_name_plural = _("巡查队")
        ordering = ["region", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="patrolteam_unique_name")]

    def __str__(self) -> str:
        return self.name


class PatrolShiftQuerySet(ScopedQuerySet):
    def on_day(self, day: datetime.date) -> PatrolShiftQuerySet:
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        return self.filter(started_at__gte=start, started_at__lt=start + datetime.timedelta(days=1))


class PatrolShift(models.Model):
    team = models.ForeignKey(
        PatrolTeam, verbose_name=_("巡查队"), on_delete=models.PROTECT, related_name="shifts"
    )
    region = region_field()
    members_present = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("出勤队员"), blank=True, related_name="+"
    )
    area = models.CharField(_("巡查区域/路线"), max_length=255)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    is_night = models.BooleanField(_("夜间巡查"), default=False)
    joint_partners = ArrayField(
        models.CharField(max_length=16, choices=JointPartner.choices),
        verbose_name=_("联合巡查单位"),
        default=list,
        blank=True,
    )
    temperature_c = models.DecimalField(_("气温（℃）"), max_digits=4, decimal_places=1, null=True, blank=True)
    weather = models.CharField(_("天气"), max_length=16, choices=Weather.choices, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(PatrolShiftQuerySet)()

    class Meta:
        verbose_name = _("巡查班次")
        verbose_name_plural = _("巡查班次")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["region", "started_at"], name="patrolshift_region_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gt=models.F("started_at")),
                name="patrolshift_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    def get_joint_partners_display(self) -> str:
        labels = dict(JointPartner.choices)
        return "、".join(str(labels.get(p, p)) for p in self.joint_partners)


# --- Encounters ---------------------------------------------------------------------------------


class Encounter(PersonFieldsMixin):
    """A person met on the street during a shift, and what was done."""

    shift = models.ForeignKey(
        PatrolShift, verbose_name=_("巡查班次"), on_delete=models.PROTECT, related_name="encounters"
    )
    region = region_field()
    occurred_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    place = models.CharField(_("地点"), max_length=255)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # Condition
    cold_exposure = models.BooleanField(_("受冻"), default=False)
    illness = models.BooleanField(_("患病"), default=False)
    injured = models.BooleanField(_("受伤"), default=False)
    critically_ill = models.BooleanField(_("危重"), default=False)
    suspected_mental_disorder = models.BooleanField(_("疑似精神障碍"), default=False)
    minor = models.BooleanField(_("未成年人"), default=False)
    disability = models.BooleanField(_("残疾"), default=False)
    # Actions
    escorted_to_station = models.BooleanField(_("护送至救助站"), default=False)
    food_given = models.BooleanField(_("发放食物"), default=False)
    clothing_given = models.BooleanField(_("发放衣物"), default=False)
    bedding_given = models.BooleanField(_("发放被褥"), default=False)
    medical_referral = models.BooleanField(_("送医救治"), default=False)
    handed_to_police = models.BooleanField(_("移交公安"), default=False)
    refused_help = models.BooleanField(_("拒绝救助"), default=False)
    refusal_reason = models.CharField(_("拒绝原因"), max_length=255, blank=True)
    refusal_signed = models.BooleanField(
        _("本人签字确认拒绝"), default=False, help_text=_("未签字的，视为记录在案的口头拒绝")
    )
    # Goods not from stock, as free text (goods from stock: funds StockMovement, recipient = encounter).
    materials_given = models.CharField(
        _("发放物资"), max_length=255, blank=True, help_text=_("例如：棉被1床、棉衣1件、方便食品2份")
    )
    follow_up = models.TextField(_("后续跟进"), blank=True)
    # Escorted to a station: the station case it opened or joined (services.encounter_record).
    station_case = models.ForeignKey(
        "StationCase",
        verbose_name=_("救助站个案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="encounters",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ScopedManager()

    CONDITION_FIELDS = (
        "cold_exposure",
        "illness",
        "injured",
        "critically_ill",
        "suspected_mental_disorder",
        "minor",
        "disability",
    )
    ACTION_FIELDS = (
        "escorted_to_station",
        "food_given",
        "clothing_given",
        "bedding_given",
        "medical_referral",
        "handed_to_police",
        "refused_help",
    )

    class Meta:
        verbose_name = _("街面救助记录")
        verbose_name_plural = _("街面救助记录")
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(refused_help=False) | ~Q(refusal_reason=""), name="encounter_refusal_has_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_label} @ {self.place}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:encounter-detail", args=[self.pk])

    @property
    def needs_hospital_first(self) -> bool:
        return self.suspected_mental_disorder or self.injured or self.critically_ill

    def _labels(self, fields) -> list[str]:
        return [str(self._meta.get_field(f).verbose_name) for f in fields if getattr(self, f)]

    @property
    def condition_labels(self) -> list[str]:
        return self._labels(self.CONDITION_FIELDS)

    @property
    def action_labels(self) -> list[str]:
        return self._labels(self.ACTION_FIELDS)

    def clean(self) -> None:
        errors = {}
        if self.refused_help and not self.refusal_reason.strip():
            errors["refusal_reason"] = _("拒绝救助时必须填写拒绝原因")
        if self.needs_hospital_first and self.escorted_to_station and not self.medical_referral:
            errors["medical_referral"] = _("疑似精神障碍、受伤或危重人员应先送医救治，再转救助站")
        if self.refused_help and self.escorted_to_station:
            errors["refused_help"] = _("已拒绝救助的人员不能同时登记为护送至救助站")
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("经纬度需同时填写")
        if errors:
            raise ValidationError(errors)


# --- Clues --------------------------------------------------------------------------------------


class ClueChannel(models.TextChoices):
    HOTLINE = "hotline", _("救助热线")
    VOLUNTEER = "volunteer", _("志愿者")
    SANITATION = "sanitation", _("环卫工人")
    COURIER = "courier", _("快递/外卖员")
    TAXI = "taxi", _("出租车司机")
    POLICE = "police", _("公安")
    ONLINE = "online", _("网络平台")
    OTHER = "other", _("其他")


class ClueStatus(models.TextChoices):
    NEW = "new", _("待派发")
    DISPATCHED = "dispatched", _("已派发")
    RESPONDED = "responded", _("已到场")
    CLOSED = "closed", _("已办结")


class ClueOutcome(models.TextChoices):
    HELPED = "helped", _("已就地救助")
    ESCORTED = "escorted", _("已护送至救助站")
    HOSPITAL = "hospital", _("已送医")
    REFUSED = "refused", _("本人拒绝救助")
    POLICE = "police", _("已移交公安")
    NOT_FOUND = "not_found", _("到场未发现")
    FALSE_REPORT = "false_report", _("不属实")
    DUPLICATE = "duplicate", _("重复线索")


class Clue(models.Model):
    """A report from the public of someone who may be in danger on the street (线索)."""

    region = region_field()
    channel = models.CharField(_("来源渠道"), max_length=16, choices=ClueChannel.choices)
    reporter_name = models.CharField(_("报告人"), max_length=64, blank=True)
    reporter_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    place = models.CharField(_("地点"), max_length=255)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    description = models.TextField(_("情况描述"), blank=True)
    reported_at = models.DateTimeField(_("报告时间"))
    due_at = models.DateTimeField(_("响应时限"))
    status = models.CharField(_("状态"), max_length=16, choices=ClueStatus.choices, default=ClueStatus.NEW)
    team = models.ForeignKey(
        PatrolTeam,
        verbose_name=_("派发巡查队"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clues",
    )
    dispatched_at = models.DateTimeField(_("派发时间"), null=True, blank=True)
    responded_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    response_minutes = models.PositiveIntegerField(_("响应用时（分钟）"), null=True, blank=True)
    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("救助记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clues",
    )
    outcome = models.CharField(_("办理结果"), max_length=16, choices=ClueOutcome.choices, blank=True)
    outcome_note = models.TextField(_("结果说明"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("救助线索")
        verbose_name_plural = _("救助线索")
        ordering = ["-reported_at"]
        indexes = [models.Index(fields=["status", "due_at"], name="clue_status_due")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | ~Q(outcome=""), name="clue_closed_has_outcome"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.place}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:clue-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status != ClueStatus.CLOSED

    @property
    def response_met(self) -> bool | None:
        """True/False once responded (in time or not); None while waiting."""
        if self.responded_at is None:
            return None
        return self.responded_at <= self.due_at

    @property
    def is_overdue(self) -> bool:
        return self.responded_at is None and self.status != ClueStatus.CLOSED and timezone.now() > self.due_at


class ClueAction(models.TextChoices):
    """The steps of a clue (patrols/workflows.py), and its registration."""

    REPORT = "report", _("登记线索")
    DISPATCH = "dispatch", _("派发")
    RESPOND = "respond", _("登记到场")
    CLOSE = "close", _("办结")


class ClueEvent(TransitionLog):
    """Every step of a clue (the workflow's log): who, when, from which status to which, and why."""

    clue = models.ForeignKey(Clue, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32, choices=ClueAction.choices, blank=True)
    from_state = models.CharField(_("原状态"), max_length=16, choices=ClueStatus.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=ClueStatus.choices)

    class Meta(TransitionLog.Meta):
        verbose_name = _("线索办理记录")
        verbose_name_plural = _("线索办理记录")


# --- Rescue station cases -----------------------------------------------------------------------


class CaseStatus(models.TextChoices):
    INTAKE = "intake", _("接收登记")
    IN_HOSPITAL = "in_hospital", _("先行送医")
    IN_STATION = "in_station", _("站内救助")
    LONG_TERM = "long_term", _("长期滞留照料")
    EXITED = "exited", _("已离站")
    SETTLED = "settled", _("已落户安置")


class ExitType(models.TextChoices):
    FAMILY_FOUND = "family_found", _("寻亲成功，亲属接回")
    ESCORTED_HOME = "escorted_home", _("护送返乡")
    TO_HOSPITAL = "to_hospital", _("转送医院")
    LEFT_BY_SELF = "left_by_self", _("自愿离站（已签字）")


class IdentityStatus(models.TextChoices):
    UNKNOWN = "unknown", _("身份不明")
    KNOWN = "known", _("身份已查明")


class StationCaseQuerySet(ScopedQuerySet):
    def open(self) -> StationCaseQuerySet:
        return self.exclude(status__in=[CaseStatus.EXITED, CaseStatus.SETTLED])


class StationCase(PersonFieldsMixin):
    """A person in the care of a rescue station (救助管理站), from intake to exit or settlement."""

    region = region_field()
    station_name = models.CharField(_("救助管理站"), max_length=100)
    encounter = models.ForeignKey(
        Encounter,
        verbose_name=_("来源救助记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="station_cases",
    )
    intake_at = models.DateTimeField(_("入站时间"))
    identity_status = models.CharField(
        _("身份核查"), max_length=16, choices=IdentityStatus.choices, default=IdentityStatus.UNKNOWN
    )
    # Intake screening
    health_screening = models.TextField(_("健康筛查"), blank=True)
    mental_screening = models.TextField(_("精神状况筛查"), blank=True)
    injured = models.BooleanField(_("受伤"), default=False)
    critically_ill = models.BooleanField(_("危重"), default=False)
    suspected_mental_disorder = models.BooleanField(_("疑似精神障碍"), default=False)
    intellectual_disability = models.BooleanField(_("智力障碍"), default=False)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.INTAKE)
    # The first hospital referral (送医 step, or 送医救治 on the street before the escort): a critically
    # ill person is not closed without one (patrols.workflows).
    hospital_referred_at = models.DateTimeField(_("送医时间"), null=True, blank=True)
    # Milestones done (their due dates are computed: patrols.milestones)
    search_notice_at = models.DateTimeField(_("寻亲公告发布时间"), null=True, blank=True)
    dna_sampled_at = models.DateTimeField(_("DNA采样时间"), null=True, blank=True)
    records_updated_at = models.DateTimeField(_("一个月档案更新时间"), null=True, blank=True)
    settlement_started_at = models.DateTimeField(_("启动落户安置时间"), null=True, blank=True)
    # Exit
    exit_type = models.CharField(_("离站方式"), max_length=16, choices=ExitType.choices, blank=True)
    exited_at = models.DateTimeField(_("离站时间"), null=True, blank=True)
    signed_statement = models.BooleanField(_("已签署自愿离站声明"), default=False)
    exit_note = models.TextField(_("离站说明"), blank=True)
    settled_at = models.DateTimeField(_("落户安置时间"), null=True, blank=True)
    settlement_institution = models.CharField(_("安置机构"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(StationCaseQuerySet)()

    class Meta:
        verbose_name = _("救助站个案")
        verbose_name_plural = _("救助站个案")
        ordering = ["-intake_at"]
        indexes = [models.Index(fields=["status", "intake_at"], name="stationcase_status_intake")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="exited") | (~Q(exit_type="") & Q(exited_at__isnull=False)),
                name="stationcase_exit_complete",
            ),
            models.CheckConstraint(
                condition=~Q(exit_type="left_by_self") | Q(signed_statement=True),
                name="stationcase_left_by_self_signed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station_name} · {self.person_label}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("patrols:case-detail", args=[self.pk])

    @property
    def needs_hospital_first(self) -> bool:
        return self.suspected_mental_disorder or self.injured or self.critically_ill

    @property
    def is_open(self) -> bool:
        return self.status not in (CaseStatus.EXITED, CaseStatus.SETTLED)

    @property
    def is_child(self) -> bool:
        """Under 16: escorted home, never left to leave alone."""
        age = self.age_years()
        return age is not None and age < 16


class CaseAction(models.TextChoices):
    """The steps of a station case (patrols/workflows.py), and its intake."""

    INTAKE = "intake", _("接收登记")
    ESCORTED = "escorted", _("街面护送来站")
    ADMIT = "admit", _("入站救助")
    HOSPITALIZE = "hospitalize", _("送医")
    LONG_TERM = "long_term", _("转长期滞留照料")
    IDENTIFY = "identify", _("身份查明")
    SEARCH_NOTICE = "search_notice", _("发布寻亲公告")
    DNA_SAMPLE = "dna_sample", _("采集DNA样本")
    RECORDS_UPDATE = "records_update", _("一个月档案更新")
    SETTLEMENT = "settlement", _("启动落户安置")
    EXIT = "exit", _("离站")
    SETTLE = "settle", _("落户安置")


class StationCaseEvent(TransitionLog):
    """Every step of a station case (the workflow's log); a milestone recorded is a step too."""

    case = models.ForeignKey(StationCase, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32, choices=CaseAction.choices)
    from_state = models.CharField(_("原状态"), max_length=16, choices=CaseStatus.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=CaseStatus.choices)

    class Meta(TransitionLog.Meta):
        verbose_name = _("个案办理记录")
        verbose_name_plural = _("个案办理记录")


# --- Cold-wave warnings -------------------------------------------------------------------------


class ColdWaveWarningQuerySet(ScopedQuerySet):
    #: a warning for an enclosing region applies to the user's region, so it is shown too
    scope_with_ancestors = True

    def active_at(self, at: datetime.datetime) -> ColdWaveWarningQuerySet:
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at), starts_at__lte=at)

    def active_during(self, start: datetime.datetime, end: datetime.datetime) -> ColdWaveWarningQuerySet:
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=start), starts_at__lt=end)


class ColdWaveWarning(models.Model):
    """A cold-wave warning level in force for a region (and every region inside it)."""

    region = region_field()
    level = models.PositiveSmallIntegerField(_("预警等级"), choices=ColdWaveLevel.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True, help_text=_("留空表示直至解除"))
    note = models.CharField(_("说明"), max_length=255, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解除人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager.from_queryset(ColdWaveWarningQuerySet)()

    class Meta:
        verbose_name = _("寒潮预警")
        verbose_name_plural = _("寒潮预警")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=models.F("starts_at")),
                name="coldwave_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_level_display()}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.starts_at <= now and (self.ends_at is None or self.ends_at > now)


class PatrolFrequencyRule(models.Model):
    """What a cold-wave level requires of patrols, per day. Administrators edit these rows."""

    level = models.PositiveSmallIntegerField(_("预警等级"), choices=ColdWaveLevel.choices, unique=True)
    min_shifts_per_day = models.PositiveSmallIntegerField(_("每日最少巡查班次"), default=1)
    night_shift_required = models.BooleanField(_("须有夜间巡查"), default=False)
    note = models.CharField(_("说明"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("寒潮巡查频次要求")
        verbose_name_plural = _("寒潮巡查频次要求")
        ordering = ["level"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.min_shifts_per_day}"


# re-exported (`from patrols.models import CapMessage`); at the end: they build on the models above
from patrols.cap_models import CapAreaAction, CapMessage, CapMessageQuerySet, CapOutcome, CapReason  # noqa: E402, F401
