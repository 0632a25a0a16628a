"""值班值守: the duty roster of a county or township for a cold-wave period (who is on duty, when,
at which phone) and the 24-hour hotline log (each call: who called from where, what was asked,
what was done and how fast), a call about someone on the street forwarded as a patrol clue."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from relief.models import region_field
from relief.scoping import ScopedManager, ScopedQuerySet


class DutyRole(models.TextChoices):
    LEADER = "leader", _("带班领导")
    OFFICER = "officer", _("值班员")
    HOTLINE = "hotline", _("热线接听")


class DutyShiftQuerySet(ScopedQuerySet):
    #: a county's duty desk is shown to its townships and villages (whom to call)
    scope_with_ancestors = True

    def covering(self, at: datetime.datetime) -> DutyShiftQuerySet:
        return self.filter(starts_at__lte=at, ends_at__gt=at)


class DutyShift(models.Model):
    region = region_field(verbose_name=_("值班单位（县、乡镇）"))
    role = models.CharField(_("岗位"), max_length=8, choices=DutyRole.choices, default=DutyRole.OFFICER)
    name = models.CharField(_("值班人员"), max_length=50)
    phone = models.CharField(_("值班电话"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(DutyShiftQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("值班安排")
        verbose_name_plural = _("值班安排")
        ordering = ["starts_at", "region_id", "role"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="duty_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.starts_at:%m-%d %H:%M}"


class CallKind(models.TextChoices):
    HELP = "help", _("求助")
    STREET = "street", _("发现街面流浪乞讨人员")
    REPORT = "report", _("反映困难群众情况")
    ASK = "ask", _("政策咨询")
    COMPLAINT = "complaint", _("投诉建议")
    OTHER = "other", _("其他")


class HotlineCall(models.Model):
    region = region_field(verbose_name=_("接听单位"))
    received_at = models.DateTimeField(_("来电时间"))
    kind = models.CharField(_("来电类型"), max_length=10, choices=CallKind.choices, default=CallKind.HELP)
    caller_name = models.CharField(_("来电人"), max_length=50, blank=True)
    caller_phone = models.CharField(_("来电号码"), max_length=20, blank=True)
    place = models.CharField(_("来电人所在地点"), max_length=255)
    asked = models.TextField(_("诉求"))
    done = models.TextField(_("处理情况"), blank=True)
    responded_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    clue = models.OneToOneField(
        "patrols.Clue",
        verbose_name=_("巡查线索"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("涉及家庭"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    duty = models.ForeignKey(
        DutyShift,
        verbose_name=_("值班人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接听人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ScopedManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("热线来电")
        verbose_name_plural = _("热线来电")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True) | Q(responded_at__gte=models.F("received_at")),
                name="call_responded_after_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_at:%m-%d %H:%M} {self.get_kind_display()}"

    @property
    def response_minutes(self) -> int | None:
        if self.responded_at is None:
            return None
        return int((self.responded_at - self.received_at).total_seconds() // 60)
