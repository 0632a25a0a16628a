"""督查 (supervision): a trip by a supervising body (a province, city or county) to the regions
below it, what it checked and found, and the rectification (整改) each finding asks of the region
visited, with that region's answer and the supervisor's acceptance.

`SupervisionTrip` is the trip (who, when, where); `TripRegion` a region it visits; `Finding` one
thing found, linked to a household, an institution, a hazard or a dashboard figure. Each issued
finding is a task (relief/todo) for the region visited (supervision/services.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import TransitionLog, user_field


class TripState(models.TextChoices):
    PLANNED = "planned", _("计划中")
    IN_PROGRESS = "in_progress", _("督查中")
    ISSUED = "issued", _("已反馈问题")
    CLOSED = "closed", _("已结束")


class TripQuerySet(ScopedQuerySet):
    """A trip is seen by the supervising body's region (and above) and by every region it visits
    (and above): a neighbouring region sees nothing of it."""

    def in_region(self, code: str) -> TripQuerySet:
        """Trips of a supervising body in the region, and trips visiting a place in it (visible_to
        goes through here, so what a user may see and the `?region=` filter agree)."""
        visiting = TripRegion.objects.filter(region__code__startswith=code).values("trip_id")
        return self.filter(Q(region__code__startswith=code) | Q(pk__in=visiting))

    def open(self) -> TripQuerySet:
        return self.exclude(state=TripState.CLOSED)


class SupervisionTrip(models.Model):
    region = region_field(verbose_name=_("督查单位区划"))
    title = models.CharField(_("督查名称"), max_length=120)
    leader = models.CharField(_("带队领导"), max_length=60)
    members = models.TextField(_("督查组成员"), blank=True)
    planned_start = models.DateField(_("计划开始日期"))
    planned_end = models.DateField(_("计划结束日期"))
    actual_start = models.DateField(_("实际开始日期"), null=True, blank=True)
    actual_end = models.DateField(_("实际结束日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=TripState.choices, default=TripState.PLANNED)
    closing_note = models.TextField(_("结束说明"), blank=True)
    created_by = user_field(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    closed_by = user_field(_("结束人"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = ScopedManager.from_queryset(TripQuerySet)()

    class Meta:
        verbose_name = _("督查")
        verbose_name_plural = _("督查")
        ordering = ["-planned_start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")), name="supervision_trip_period"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("supervision:trip", args=[self.pk])


class TripRegion(models.Model):
    """A region the trip visits: inside the supervising body's region, below it."""

    trip = models.ForeignKey(
        SupervisionTrip, verbose_name=_("督查"), on_delete=models.CASCADE, related_name="visits"
    )
    region = region_field(verbose_name=_("被督查区划"))

    objects = ScopedManager()

    class Meta:
        verbose_name = _("被督查区划")
        verbose_name_plural = _("被督查区划")
        ordering = ["trip_id", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["trip", "region"], name="supervision_trip_region_once")
        ]

    def __str__(self) -> str:
        return f"{self.trip} · {self.region_id}"


class TripEvent(TransitionLog):
    trip = models.ForeignKey(SupervisionTrip, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionLog.Meta):
        verbose_name = _("督查办理记录")
        verbose_name_plural = _("督查办理记录")


class Area(models.TextChoices):
    """What was checked."""

    VISITS = "visits", _("走访探视")
    PAYMENTS = "payments", _("救助金发放")
    INSTITUTION_SAFETY = "institution_safety", _("机构安全")
    SUPPLIES = "supplies", _("冬季救助物资")
    COLD_WAVE = "cold_wave", _("寒潮应对")
    DATA_QUALITY = "data_quality", _("数据质量")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    GENERAL = "general", _("一般")
    SERIOUS = "serious", _("较重")
    MAJOR = "major", _("严重")


class FindingState(models.TextChoices):
    DRAFT = "draft", _("待反馈")
    OPEN = "open", _("待整改")
    ANSWERED = "answered", _("待验收")
    CLOSED = "closed", _("已销号")
    CLOSED_BY_TRIP = "closed_by_trip", _("督查结束未销号")


#: a finding given to the region and not yet closed
FINDING_OPEN_STATES = (FindingState.OPEN, FindingState.ANSWERED)
FINDING_CLOSED_STATES = (FindingState.CLOSED, FindingState.CLOSED_BY_TRIP)


class FindingQuerySet(ScopedQuerySet):
    """Scoped by the region visited: the supervising body (above it) and the region itself see it."""

    def open(self) -> FindingQuerySet:
        return self.filter(state__in=FINDING_OPEN_STATES)

    def counts_by_trip(self) -> dict[int, dict[str, int]]:
        """{trip id: {total, open, answered, closed}} of these findings. One query."""
        rows = (
            self.order_by()
            .values("trip_id")
            .annotate(
                total=models.Count("id"),
                open=models.Count("id", filter=Q(state=FindingState.OPEN)),
                answered=models.Count("id", filter=Q(state=FindingState.ANSWERED)),
                closed=models.Count(
                    "id", filter=Q(state__in=(FindingState.CLOSED, FindingState.CLOSED_BY_TRIP))
                ),
            )
        )
        return {r.pop("trip_id"): r for r in rows}

    def overdue(self, now=None) -> FindingQuerySet:
        return self.filter(state=FindingState.OPEN, due_at__lt=now or timezone.now())


class Finding(models.Model):
    trip = models.ForeignKey(
        SupervisionTrip, verbose_name=_("督查"), on_delete=models.PROTECT, related_name="findings"
    )
    region = region_field(verbose_name=_("被督查区划"))
    area = models.CharField(_("督查事项"), max_length=24, choices=Area.choices)
    severity = models.CharField(
        _("问题等级"), max_length=16, choices=Severity.choices, default=Severity.GENERAL
    )
    text = models.TextField(_("发现问题"))
    requirement = models.TextField(_("整改要求"), blank=True)
    # what it is about: one of a household, an institution, a hazard, or a dashboard figure
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_findings",
    )
    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_findings",
    )
    hazard = models.ForeignKey(
        "institutions.Hazard",
        verbose_name=_("隐患"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supervision_findings",
    )
    figure_name = models.CharField(_("数据指标"), max_length=100, blank=True)
    figure_value = models.CharField(_("督查时指标值"), max_length=60, blank=True)
    photo = models.FileField(_("现场照片"), upload_to="supervision/findings/%Y/%m/", blank=True)
    working_days = models.PositiveSmallIntegerField(_("整改时限（工作日）"), null=True, blank=True)
    due_at = models.DateTimeField(_("整改期限"), null=True, blank=True)
    state = models.CharField(
        _("状态"), max_length=16, choices=FindingState.choices, default=FindingState.DRAFT
    )
    answer = models.TextField(_("整改情况"), blank=True)
    evidence = models.FileField(_("整改佐证材料"), upload_to="supervision/evidence/%Y/%m/", blank=True)
    answered_by = user_field(_("报送人"))
    answered_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    returned_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    issued_at = models.DateTimeField(_("交办时间"), null=True, blank=True)
    closed_by = user_field(_("销号人"))
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    created_by = user_field(_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedManager.from_queryset(FindingQuerySet)()

    class Meta:
        verbose_name = _("督查发现问题")
        verbose_name_plural = _("督查发现问题")
        ordering = ["trip_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(figure_value="") | ~Q(figure_name=""), name="supervision_finding_figure_named"
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["open", "answered"]) | Q(due_at__isnull=False),
                name="supervision_finding_issued_has_due",
            ),
            models.CheckConstraint(
                condition=~Q(state="answered") | ~Q(answer=""), name="supervision_finding_answer_given"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="supervision_finding_state_due")]

    def __str__(self) -> str:
        return f"{self.get_area_display()}：{self.text[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("supervision:finding", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.state == FindingState.OPEN and self.due_at is not None and self.due_at < timezone.now()

    @property
    def linked_label(self) -> str:
        if self.household_id:
            return str(_("家庭：%(h)s") % {"h": self.household})
        if self.institution_id:
            return str(_("机构：%(i)s") % {"i": self.institution})
        if self.hazard_id:
            return str(_("隐患：%(h)s") % {"h": self.hazard})
        if self.figure_name:
            return str(_("指标：%(n)s %(v)s") % {"n": self.figure_name, "v": self.figure_value})
        return ""


class FindingEvent(TransitionLog):
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionLog.Meta):
        verbose_name = _("督查问题办理记录")
        verbose_name_plural = _("督查问题办理记录")
