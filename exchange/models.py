"""Data from other departments (数据比对, 主动发现): who sends what, each batch received, each line of it,
and what the township did about the warnings the lines raised.

- `DataSource` (数据来源): one department's feed — what a record means, which column holds what,
  the region it covers. Configured in the admin.
- `WarningRule` (预警规则): how matched records of a source become warnings: the kind of test
  (medical cost over a share of income, an event type, unemployment of the only earner, a death),
  its numbers, severity and working-day deadline. Rules are data, per region, not code per
  department.
- `ExchangeBatch` (比对批次): one file or API call: its counts (received, matched, unmatched,
  invalid) and the checksum that makes a re-send change nothing.
- `ExchangeRecord` (比对记录): one line, normalised (ID number, name, amount, date, type), matched
  to a person on the register or kept unmatched (searchable by the county), or invalid with a reason.
- `Disposition` (预警核实处置): the township's answer to one warning: verified how and when, then an
  outcome (an enrolment or a temporary-assistance application started, referred to another
  department, or no assistance needed with a reason).

Region scoping (relief/scoping.py): a source is visible in its region, below it and above it
(a province's 医保 feed is read by every county in it); batches, records and dispositions carry the
region of their data (a batch: the region it was sent for; a matched record: the person's village;
an unmatched one: the batch's region), so a county never sees another county's data.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from relief.models import Severity
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import TransitionLog, user_field

MONEY = {"max_digits": 14, "decimal_places": 2}


class Department(models.TextChoices):
    MEDICAL_INSURANCE = "medical_insurance", _("医保部门")
    DISABLED_FEDERATION = "disabled_federation", _("残联")
    HUMAN_RESOURCES = "human_resources", _("人力资源社会保障部门")
    EDUCATION = "education", _("教育部门")
    HEALTH = "health", _("卫生健康部门")
    HOUSING = "housing", _("住房城乡建设部门")
    RURAL_REVITALISATION = "rural_revitalisation", _("乡村振兴（防返贫）部门")
    PUBLIC_SECURITY = "public_security", _("公安部门")
    FUNERAL = "funeral", _("殡葬管理机构")
    OTHER = "other", _("其他部门")


class RecordKind(models.TextChoices):
    """What one line of a source's file means."""

    MEDICAL_COST = "medical_cost", _("医疗费用个人自付")
    DISABILITY = "disability", _("残疾人证办理")
    UNEMPLOYMENT = "unemployment", _("失业登记")
    PENSION = "pension", _("养老金领取")
    STUDENT = "student", _("在校学生及资助")
    ILLNESS = "illness", _("重病患者")
    UNSAFE_HOUSING = "unsafe_housing", _("危房鉴定")
    MONITORING = "monitoring", _("防返贫监测对象")
    DEATH = "death", _("死亡（户籍注销、火化）")
    OTHER = "other", _("其他")


#: the fields a source's column mapping may name (field -> the header a department usually uses)
FIELDS = {
    "id_number": _("身份证号"),
    "name": _("姓名"),
    "amount": _("金额"),
    "date": _("日期"),
    "type": _("类型"),
}


class SourceQuerySet(ScopedQuerySet):
    # a source configured for a province is used by every county in it
    scope_with_ancestors = True

    def active(self) -> SourceQuerySet:
        return self.filter(active=True)


class DataSource(models.Model):
    code = models.SlugField(_("编码"), max_length=48, unique=True, help_text=_("接口中使用，如 sc-medical"))
    name = models.CharField(_("名称"), max_length=100)
    department = models.CharField(_("提供部门"), max_length=32, choices=Department.choices)
    record_kind = models.CharField(_("数据含义"), max_length=32, choices=RecordKind.choices)
    region = region_field(verbose_name=_("覆盖区划"), help_text=_("数据覆盖的区划：省、市或县"))
    # {"id_number": "身份证号", "name": "姓名", "amount": "个人自付金额", "date": "结算日期", "type": "类别"}
    columns = models.JSONField(_("列对应"), default=dict, help_text=_("字段与表头的对应，身份证号必填"))
    header_row = models.PositiveSmallIntegerField(_("表头所在行"), default=1)
    active = models.BooleanField(_("启用"), default=True)
    note = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(SourceQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("数据来源")
        verbose_name_plural = _("数据来源")
        ordering = ["region_id", "code"]

    def __str__(self) -> str:
        return self.name


class RuleKind(models.TextChoices):
    MEDICAL_SHARE = "medical_share", _("自付医疗费用超过家庭收入一定比例")
    EVENT = "event", _("发生特定事项（如新办重度残疾证）")
    SOLE_EARNER = "sole_earner", _("唯一劳动力失业")
    DEATH = "death", _("死亡")


class Suggestion(models.TextChoices):
    """What the township is asked to check for."""

    VISIT = "visit", _("入户核实")
    DIBAO = "dibao", _("低保纳入核查")
    TEKUN = "tekun", _("特困纳入核查")
    DIBAO_EDGE = "dibao_edge", _("低保边缘纳入核查")
    RIGID_EXPENSE = "rigid_expense", _("刚性支出困难核查")
    TEMPORARY = "temporary", _("临时救助核查")
    DEATH = "death", _("死亡核实、停发")


class RuleQuerySet(ScopedQuerySet):
    scope_with_ancestors = True

    def active(self) -> RuleQuerySet:
        return self.filter(active=True)


class WarningRule(models.Model):
    """How one source's matched records become warnings (预警) in a region (and below it)."""

    source = models.ForeignKey(
        DataSource, verbose_name=_("数据来源"), on_delete=models.CASCADE, related_name="rules"
    )
    region = region_field(verbose_name=_("适用区划"))
    code = models.SlugField(_("编码"), max_length=48, help_text=_("预警类型编码，同一区划内唯一"))
    name = models.CharField(_("预警名称"), max_length=100)
    kind = models.CharField(_("规则类型"), max_length=16, choices=RuleKind.choices)
    # MEDICAL_SHARE: the out-of-pocket sum over `months` months above `share` of the household's income
    share = models.DecimalField(_("占家庭收入比例"), max_digits=5, decimal_places=4, null=True, blank=True)
    months = models.PositiveSmallIntegerField(_("统计月数"), default=12)
    # EVENT: the record types that count (one per line; empty: every record of the source)
    event_types = models.TextField(
        _("事项类型"), blank=True, help_text=_("每行一个；留空表示该来源的每条记录")
    )
    severity = models.PositiveSmallIntegerField(_("级别"), choices=Severity.choices, default=Severity.WARNING)
    due_days = models.PositiveSmallIntegerField(_("核实时限（工作日）"), default=10)
    suggestion = models.CharField(
        _("建议核查"), max_length=16, choices=Suggestion.choices, default=Suggestion.VISIT
    )
    active = models.BooleanField(_("启用"), default=True)
    valid_from = models.DateField(_("生效日期"), default=timezone.localdate)
    note = models.TextField(_("依据/备注"), blank=True)

    objects = ScopedManager.from_queryset(RuleQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预警规则")
        verbose_name_plural = _("预警规则")
        ordering = ["region_id", "code"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="exchange_rule_code_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def alert_kind(self) -> str:
        """The kind of the alerts this rule raises (relief.Alert.kind): one sweep per rule kind,
        exchange/rules.py; the rule itself is in the alert's dedup key."""
        return f"exchange.{self.kind}"

    def type_list(self) -> list[str]:
        return [line.strip() for line in self.event_types.splitlines() if line.strip()]


class Via(models.TextChoices):
    UPLOAD = "upload", _("页面上传")
    API = "api", _("接口推送")


class BatchStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    PROCESSING = "processing", _("比对中")
    DONE = "done", _("已比对")
    FAILED = "failed", _("无法读取")


class BatchQuerySet(ScopedQuerySet):
    pass


class ExchangeBatch(models.Model):
    source = models.ForeignKey(
        DataSource, verbose_name=_("数据来源"), on_delete=models.PROTECT, related_name="batches"
    )
    region = region_field(verbose_name=_("数据区划"), help_text=_("本批数据所属区划；决定谁能看到未比中记录"))
    via = models.CharField(_("接收方式"), max_length=8, choices=Via.choices)
    # what makes a re-send change nothing: the sender's key (API Idempotency-Key or batch id) and
    # the checksum of the content
    external_key = models.CharField(_("批次标识"), max_length=100, blank=True)
    checksum = models.CharField(_("内容校验值"), max_length=64)
    file = models.FileField(_("原始文件"), upload_to="exchange/%Y/%m/", blank=True)
    file_name = models.CharField(_("文件名"), max_length=255, blank=True)
    period = models.CharField(_("数据期间"), max_length=32, blank=True, help_text=_("如 2026-11"))
    status = models.CharField(
        _("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.RECEIVED
    )
    received = models.PositiveIntegerField(_("接收条数"), default=0)
    matched = models.PositiveIntegerField(_("比中条数"), default=0)
    unmatched = models.PositiveIntegerField(_("未比中条数"), default=0)
    invalid = models.PositiveIntegerField(_("无效条数"), default=0)
    # {"code": count} of the invalid lines' reasons
    invalid_reasons = models.JSONField(_("无效原因统计"), default=dict, blank=True)
    warnings_raised = models.PositiveIntegerField(_("产生预警"), default=0)
    error = models.TextField(_("错误"), blank=True)
    job = models.ForeignKey(
        "relief.Job",
        verbose_name=_("后台任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = user_field(_("提交人"))
    created_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("比对完成时间"), null=True, blank=True)

    objects = ScopedManager.from_queryset(BatchQuerySet)()

    class Meta:
        verbose_name = _("比对批次")
        verbose_name_plural = _("比对批次")
        ordering = ["-created_at", "-id"]
        constraints = [
            # a re-send changes nothing: the same key, or the same content, is the same batch
            models.UniqueConstraint(
                fields=["source", "region", "external_key"],
                condition=~Q(external_key=""),
                name="exchange_batch_key_once",
            ),
            models.UniqueConstraint(
                fields=["source", "region", "checksum"], name="exchange_batch_content_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.created_at:%Y-%m-%d} #{self.pk}"


class RecordStatus(models.TextChoices):
    MATCHED = "matched", _("比中")
    UNMATCHED = "unmatched", _("未比中")
    INVALID = "invalid", _("无效")


class RecordQuerySet(ScopedQuerySet):
    def unmatched(self) -> RecordQuerySet:
        return self.filter(status=RecordStatus.UNMATCHED)


class ExchangeRecord(models.Model):
    """One line of a batch. Written set-based (COPY, then one INSERT … SELECT joined to the register:
    exchange/matching.py), so no history, few indexes and no foreign-key constraints in the
    database: every key is taken from a row the same statement reads (the batch being written, the
    person matched), and Django still applies on_delete when a batch, person or household is
    deleted. Checking a million keys one by one at commit cost more than the rest of the match
    (bench/README.md)."""

    batch = models.ForeignKey(
        ExchangeBatch,
        verbose_name=_("批次"),
        on_delete=models.CASCADE,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    source = models.ForeignKey(
        DataSource,
        verbose_name=_("数据来源"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    line = models.PositiveIntegerField(_("行号"))
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    amount = models.DecimalField(_("金额（元）"), null=True, blank=True, **MONEY)
    occurred_on = models.DateField(_("发生日期"), null=True, blank=True)
    event_type = models.CharField(_("类型"), max_length=64, blank=True)
    status = models.CharField(_("比对结果"), max_length=16, choices=RecordStatus.choices)
    error_code = models.CharField(_("无效原因编码"), max_length=32, blank=True)
    error = models.CharField(_("无效原因"), max_length=255, blank=True)
    # one index for the prefix match of scoping (below), not the two a region key gets by default
    region = region_field(verbose_name=_("区划"), db_index=False, db_constraint=False)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("比中人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("比中家庭"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # the household was in the monitored population when matched (a category in force or the cohort)
    monitored = models.BooleanField(_("监测对象"), default=False)

    objects = ScopedManager.from_queryset(RecordQuerySet)()

    class Meta:
        verbose_name = _("比对记录")
        verbose_name_plural = _("比对记录")
        ordering = ["batch_id", "line"]
        indexes = [
            # a batch's lines in order (its page, the API's ?batch=)
            models.Index(fields=["batch", "line"], name="exchange_record_batch_line"),
            # visible_to: the prefix match on the region code
            models.Index(fields=["region"], name="exchange_record_region", opclasses=["varchar_pattern_ops"]),
            # the rules read a source's matched records of a household over a period
            models.Index(
                fields=["household", "source", "occurred_on"],
                condition=Q(status="matched"),
                name="exchange_record_household",
            ),
            # the county's search of what did not match (unmatched and invalid lines, a tenth of a
            # batch: an index of every line's number cost more than the rest of a million-line match;
            # a matched line is found among the region's records)
            models.Index(
                fields=["id_number"],
                condition=~Q(status="matched"),
                name="exchange_record_id_number",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"


class Verification(models.TextChoices):
    VISIT = "visit", _("入户核实")
    PHONE = "phone", _("电话核实")
    RECORDS = "records", _("资料核实")


class Outcome(models.TextChoices):
    ENROLMENT = "enrolment", _("启动救助申请（纳入审核）")
    TEMPORARY = "temporary", _("启动临时救助申请")
    REFERRED = "referred", _("转其他部门办理（协同办理）")
    NOT_NEEDED = "not_needed", _("经核实无需救助")
    DEATH_CONFIRMED = "death_confirmed", _("确认死亡，已停发")
    DEATH_REJECTED = "death_rejected", _("核实未死亡")


class DispositionStatus(models.TextChoices):
    VERIFYING = "verifying", _("待核实")
    VERIFIED = "verified", _("已核实待处置")
    DISPOSED = "disposed", _("已处置")
    CLEARED = "cleared", _("情况已消除")


class DispositionQuerySet(ScopedQuerySet):
    pass


class Disposition(models.Model):
    """The township's verification and answer to one warning (one relief.Alert raised by a rule)."""

    alert = models.OneToOneField(
        "relief.Alert", verbose_name=_("预警"), on_delete=models.CASCADE, related_name="+"
    )
    rule = models.ForeignKey(
        WarningRule, verbose_name=_("预警规则"), on_delete=models.PROTECT, related_name="+"
    )
    region = region_field(verbose_name=_("区划"))
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=DispositionStatus.choices, default=DispositionStatus.VERIFYING
    )
    verified_how = models.CharField(_("核实方式"), max_length=8, choices=Verification.choices, blank=True)
    verified_on = models.DateField(_("核实日期"), null=True, blank=True)
    verified_by = user_field(_("核实人"))
    findings = models.TextField(_("核实情况"), blank=True)
    visit = models.ForeignKey(
        "people.Visit",
        verbose_name=_("入户记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("处置结果"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    referred_to = models.CharField(_("转办部门"), max_length=32, choices=Department.choices, blank=True)
    enrolment = models.ForeignKey(
        "enrolments.Enrolment",
        verbose_name=_("救助申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    application = models.ForeignKey(
        "funds.AssistanceApplication",
        verbose_name=_("临时救助申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disposed_on = models.DateField(_("处置日期"), null=True, blank=True)
    disposed_by = user_field(_("处置人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    objects = ScopedManager.from_queryset(DispositionQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("预警核实处置")
        verbose_name_plural = _("预警核实处置")
        ordering = ["-created_at", "-id"]
        indexes = [
            # a rule's sweep asks, for each household or person it finds, whether that subject's
            # warning of the rule was answered in the period (exchange/rules.py `_answered`): only
            # the disposed ones, looked up by subject (by rule alone, a county's fresh dispositions
            # were read once per household found: quadratic, bench/README.md)
            models.Index(
                fields=["household", "rule", "disposed_on"],
                name="disposition_answered_household",
                condition=Q(status="disposed"),
            ),
            models.Index(
                fields=["person", "rule", "disposed_on"],
                name="disposition_answered_person",
                condition=Q(status="disposed"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule}：{self.household}"


class DispositionTransition(TransitionLog):
    disposition = models.ForeignKey(Disposition, on_delete=models.CASCADE, related_name="transitions")

    class Meta(TransitionLog.Meta):
        verbose_name = _("核实处置记录")
        verbose_name_plural = _("核实处置记录")


ZERO = Decimal("0.00")
