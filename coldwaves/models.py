"""寒潮点名 (roll call): when a cold-wave level comes into force in a county, every high-risk person
there must be reached within the hours the level sets (policy values `rollcall_hours_level_N`).

A RollCall is one county's list for one warning (patrols.models.ColdWaveWarning); a RollCallEntry is
one person on it, with why they are on it and what came of the contact. A contact is recorded as a
people Visit (by phone or at home), so the household's history, the visit rules and the needs found
(people/needs.py: a need becomes a task) work as for any visit; a visit recorded in any other way
after the roll call opened answers the entry too.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from patrols.models import ColdWaveLevel
from relief.models import region_field
from relief.scoping import ScopedManager, ScopedQuerySet


class Reason(models.TextChoices):
    """Why a person must be contacted during a cold wave (寒潮点名对象)."""

    AGED_80_ALONE = "aged_80_alone", _("80岁以上独居老人")
    TEKUN_DISPERSED = "tekun_dispersed", _("分散供养特困人员")
    UNABLE_SELF_CARE = "unable_self_care", _("生活不能自理")
    DISABLED_ALONE = "disabled_alone", _("重度残疾独居")
    CHILD_UNATTENDED = "child_unattended", _("无人监护儿童")
    COLD_HOME = "cold_home", _("燃煤取暖或无取暖设施")
    UNSAFE_HOUSING = "unsafe_housing", _("危房或临时住所")


class Outcome(models.TextChoices):
    PENDING = "pending", _("待联系")
    SAFE = "safe", _("安全")
    NEEDS_HELP = "needs_help", _("需要帮助")
    NOT_REACHED = "not_reached", _("未联系上")


#: outcomes that answer an entry (the person was reached)
REACHED = (Outcome.SAFE, Outcome.NEEDS_HELP)


class RollCallQuerySet(ScopedQuerySet):
    #: a county's roll call is shown to its townships and villages, which work through its entries
    scope_with_ancestors = True

    def open(self) -> RollCallQuerySet:
        return self.filter(closed_at__isnull=True)


class RollCall(models.Model):
    """One county's roll call for one cold-wave warning in force there."""

    warning = models.ForeignKey(
        "patrols.ColdWaveWarning",
        verbose_name=_("寒潮预警"),
        on_delete=models.PROTECT,
        related_name="roll_calls",
    )
    region = region_field(verbose_name=_("县（区）"))
    level = models.PositiveSmallIntegerField(_("预警等级"), choices=ColdWaveLevel.choices)
    opened_at = models.DateTimeField(_("启动时间"))
    due_at = models.DateTimeField(_("点名时限"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True, help_text=_("预警解除或到期"))
    people = models.PositiveIntegerField(_("点名人数"), default=0)

    objects = ScopedManager.from_queryset(RollCallQuerySet)()

    class Meta:
        verbose_name = _("寒潮点名")
        verbose_name_plural = _("寒潮点名")
        ordering = ["-opened_at", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["warning", "region"], name="rollcall_once_per_warning_county"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_level_display()} {self.opened_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("coldwaves:rollcall", args=[self.pk])


class RollCallEntryQuerySet(ScopedQuerySet):
    def unanswered(self) -> RollCallEntryQuerySet:
        return self.exclude(outcome__in=REACHED)


class RollCallEntry(models.Model):
    """One person to reach: in the village (or township) of their household."""

    roll_call = models.ForeignKey(RollCall, on_delete=models.CASCADE, related_name="entries")
    region = region_field(verbose_name=_("村（社区）"))
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=pgettext_lazy("roll call", "对象"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reasons = models.JSONField(_("点名原因"), default=list)
    due_at = models.DateTimeField(_("联系时限"))
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    attempts = models.PositiveSmallIntegerField(_("未联系上次数"), default=0)
    answered_at = models.DateTimeField(_("联系时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("联系人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visit = models.ForeignKey(
        "people.Visit",
        verbose_name=_("探访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)

    objects = ScopedManager.from_queryset(RollCallEntryQuerySet)()

    class Meta:
        verbose_name = _("点名对象")
        verbose_name_plural = _("点名对象")
        ordering = ["region_id", "due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["roll_call", "person"], name="rollcall_person_once"),
            models.CheckConstraint(
                condition=~Q(outcome__in=["safe", "needs_help"]) | Q(answered_at__isnull=False),
                name="rollcall_answered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["roll_call", "region", "outcome"], name="rollcall_entry_progress")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.get_outcome_display()}"

    def reason_labels(self) -> list[str]:
        labels = dict(Reason.choices)
        return [str(labels.get(r, r)) for r in self.reasons]


from coldwaves.duty_models import CallKind, DutyRole, DutyShift, HotlineCall  # noqa: E402,F401
from coldwaves.plan_models import Drill, DrillKind, EmergencyPlan, PlanReserve  # noqa: E402,F401
