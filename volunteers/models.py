"""Volunteers (志愿者) and the people of the street who report clues (环卫工人, 快递员, 网约车·出租车司机):
who they are, what they can do and when; their assignments (a patrol shift, a planned visit, a
campaign's deliveries in one village) with planned and actual hours; and the records made in their
name (`VolunteerRecord`: a visit, a street encounter, a campaign delivery, a clue), reviewed by staff
together with the assignment they were made on. Accepting an assignment is what counts its hours.

The volunteers app is the top floor: it builds on people, patrols and campaigns, and none of them
knows it. A record made by a volunteer is therefore attributed here (one row per record, a
one-to-one link to it) rather than by a column on the lower apps' tables; their pages read it
through the reverse relation (`visit.volunteer_record`)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from relief.dashboard.registry import winter_start
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import TransitionLog, user_field

HOURS = {"max_digits": 4, "decimal_places": 1}
ZERO_HOURS = Decimal("0.0")


class VolunteerKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿者")
    SANITATION = "sanitation", _("环卫工人")
    COURIER = "courier", _("快递员")
    DRIVER = "driver", _("网约车·出租车司机")
    OTHER = "other", _("其他")


class Skill(models.TextChoices):
    COMPANION = "companion", _("探访陪护")
    NURSING = "nursing", _("医疗护理")
    COUNSELLING = "counselling", _("心理疏导")
    DELIVERY = "delivery", _("物资配送")
    DRIVING = "driving", _("驾驶")
    REPAIR = "repair", _("维修")
    PATROL = "patrol", _("巡查")
    LEGAL = "legal", _("法律咨询")
    DIALECT = "dialect", _("方言/民族语言")


class Weekday(models.TextChoices):
    MON = "1", _("周一")
    TUE = "2", _("周二")
    WED = "3", _("周三")
    THU = "4", _("周四")
    FRI = "5", _("周五")
    SAT = "6", _("周六")
    SUN = "7", _("周日")


class DayPart(models.TextChoices):
    DAY = "day", _("白天")
    NIGHT = "night", _("夜间")


class VolunteerQuerySet(ScopedQuerySet):
    #: a township's or the county's volunteers can be assigned by the villages below it
    scope_with_ancestors = True

    def with_hours(self, today: datetime.date) -> VolunteerQuerySet:
        """`hours_winter` (accepted assignments dated since 1 October) and `hours_total` (all accepted)."""
        accepted = Q(assignments__state=AssignmentState.ACCEPTED)
        # an aggregate drops Meta.ordering: the list's order is given again
        return self.order_by(*Volunteer._meta.ordering).annotate(
            hours_total=Sum("assignments__actual_hours", filter=accepted, default=ZERO_HOURS),
            hours_winter=Sum(
                "assignments__actual_hours",
                filter=accepted & Q(assignments__date__gte=winter_start(today).date()),
                default=ZERO_HOURS,
            ),
        )

    def search(
        self,
        *,
        q: str = "",
        skill: str = "",
        kind: str = "",
        weekday: str = "",
        day_part: str = "",
    ) -> VolunteerQuerySet:
        qs = self
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(organisation__icontains=q))
        if skill:
            qs = qs.filter(skills__contains=[skill])
        if kind:
            qs = qs.filter(kind=kind)
        if weekday:
            qs = qs.filter(weekdays__contains=[weekday])
        if day_part:
            qs = qs.filter(day_parts__contains=[day_part])
        return qs


class Volunteer(models.Model):
    region = region_field(verbose_name=_("服务区划"), help_text=_("志愿者服务的村（社区）、乡镇或县（区）"))
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("手机号"), max_length=20)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    kind = models.CharField(
        _("类别"), max_length=16, choices=VolunteerKind.choices, default=VolunteerKind.VOLUNTEER
    )
    organisation = models.CharField(_("所属组织/单位"), max_length=100, blank=True)
    skills = ArrayField(
        models.CharField(max_length=16, choices=Skill.choices),
        verbose_name=_("技能"),
        default=list,
        blank=True,
    )
    weekdays = ArrayField(
        models.CharField(max_length=1, choices=Weekday.choices),
        verbose_name=_("可服务日"),
        default=list,
        blank=True,
    )
    day_parts = ArrayField(
        models.CharField(max_length=8, choices=DayPart.choices),
        verbose_name=_("可服务时段"),
        default=list,
        blank=True,
    )
    active = models.BooleanField(_("在册"), default=True)
    #: a volunteer who also has a login (a community worker volunteering, say): optional
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteer",
    )
    note = models.CharField(_("备注"), max_length=255, blank=True)
    registered_by = user_field(_("登记人"))
    registered_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(VolunteerQuerySet)()

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        ordering = ["region_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="volunteer_id_number_once"
            ),
            models.UniqueConstraint(fields=["region", "phone"], name="volunteer_phone_once_per_region"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("volunteers:detail", args=[self.pk])

    def labels(self, field: str, choices: type[models.TextChoices]) -> str:
        names = dict(choices.choices)
        return "、".join(str(names.get(v, v)) for v in getattr(self, field))

    @property
    def skills_display(self) -> str:
        return self.labels("skills", Skill)

    @property
    def availability_display(self) -> str:
        days = self.labels("weekdays", Weekday) if len(self.weekdays) < 7 else str(_("每天"))
        parts = self.labels("day_parts", DayPart)
        return " · ".join(p for p in (days, parts) if p)


class AssignmentKind(models.TextChoices):
    PATROL = "patrol", _("街面巡查")
    VISIT = "visit", _("入户探访")
    DELIVERY = "delivery", _("慰问物资配送")


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", _("已安排")
    DONE = "done", _("待审核")
    ACCEPTED = "accepted", _("已审核")
    RETURNED = "returned", _("已退回")
    CANCELLED = "cancelled", _("已取消")


#: the assignments that hold a volunteer for that work (a cancelled one does not)
LIVE_ASSIGNMENT = ~Q(state="cancelled")


class AssignmentQuerySet(ScopedQuerySet):
    def to_review(self) -> AssignmentQuerySet:
        return self.filter(state=AssignmentState.DONE)


class VolunteerAssignment(models.Model):
    """A volunteer sent to one piece of work: a patrol shift, a planned visit to a household on a
    date, or a campaign's deliveries in one village. Its region is the work's."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="assignments"
    )
    region = region_field(verbose_name=_("服务区划"))
    kind = models.CharField(_("任务类型"), max_length=16, choices=AssignmentKind.choices)
    shift = models.ForeignKey(
        "patrols.PatrolShift",
        verbose_name=_("巡查班次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_assignments",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("探访家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_assignments",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("集中慰问"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="volunteer_assignments",
    )
    date = models.DateField(_("服务日期"))
    planned_hours = models.DecimalField(_("计划时长（小时）"), **HOURS)
    actual_hours = models.DecimalField(_("实际时长（小时）"), null=True, blank=True, **HOURS)
    state = models.CharField(
        _("状态"), max_length=16, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED
    )
    note = models.CharField(_("说明"), max_length=255, blank=True)
    created_by = user_field(_("安排人"))
    created_at = models.DateTimeField(_("安排时间"), auto_now_add=True)
    completed_by = user_field(_("登记完成人"))
    completed_at = models.DateTimeField(_("登记完成时间"), null=True, blank=True)
    reviewed_by = user_field(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_comment = models.CharField(_("审核意见"), max_length=255, blank=True)

    objects = ScopedManager.from_queryset(AssignmentQuerySet)()

    class Meta:
        verbose_name = _("志愿服务安排")
        verbose_name_plural = _("志愿服务安排")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="patrol", shift__isnull=False, household__isnull=True, campaign__isnull=True)
                    | Q(kind="visit", shift__isnull=True, household__isnull=False, campaign__isnull=True)
                    | Q(kind="delivery", shift__isnull=True, household__isnull=True, campaign__isnull=False)
                ),
                name="volunteer_assignment_one_target",
            ),
            models.CheckConstraint(
                condition=Q(planned_hours__gt=0, planned_hours__lte=24), name="volunteer_planned_hours_range"
            ),
            models.CheckConstraint(
                condition=Q(actual_hours__isnull=True) | Q(actual_hours__gt=0, actual_hours__lte=24),
                name="volunteer_actual_hours_range",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["done", "accepted"]) | Q(actual_hours__isnull=False),
                name="volunteer_done_has_hours",
            ),
            models.UniqueConstraint(
                fields=["volunteer", "shift"], condition=LIVE_ASSIGNMENT, name="volunteer_shift_once"
            ),
            models.UniqueConstraint(
                fields=["volunteer", "household", "date"],
                condition=LIVE_ASSIGNMENT,
                name="volunteer_visit_once",
            ),
            models.UniqueConstraint(
                fields=["volunteer", "campaign", "region", "date"],
                condition=LIVE_ASSIGNMENT,
                name="volunteer_delivery_once",
            ),
        ]
        indexes = [models.Index(fields=["state", "region"], name="volunteer_assignment_state")]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.get_kind_display()} {self.date:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("volunteers:assignment", args=[self.pk])

    @property
    def target_label(self) -> str:
        if self.kind == AssignmentKind.PATROL and self.shift_id:
            return f"{self.shift.team} · {self.shift.area}"
        if self.kind == AssignmentKind.VISIT and self.household_id:
            return str(self.household)
        if self.kind == AssignmentKind.DELIVERY and self.campaign_id:
            return f"{self.campaign} · {self.region.name}"
        return ""


#: the log's actions as a person reads them (the steps of volunteers/workflows.py, and the assigning)
EVENT_LABELS = {
    "assign": _("安排任务"),
    "complete": _("登记完成"),
    "accept": _("审核通过"),
    "send_back": _("退回"),
    "cancel": _("取消安排"),
}


class AssignmentEvent(TransitionLog):
    """Every step of an assignment (the workflow's log): completed, accepted, sent back, cancelled."""

    assignment = models.ForeignKey(VolunteerAssignment, on_delete=models.CASCADE, related_name="events")

    @property
    def action_label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))

    class Meta(TransitionLog.Meta):
        verbose_name = _("志愿服务办理记录")
        verbose_name_plural = _("志愿服务办理记录")


class RecordKind(models.TextChoices):
    VISIT = "visit", _("探访记录")
    ENCOUNTER = "encounter", _("街面救助记录")
    DELIVERY = "delivery", _("慰问送达记录")
    CLUE = "clue", _("救助线索")


class ReviewState(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACCEPTED = "accepted", _("已审核")
    RETURNED = "returned", _("已退回")
    #: a clue reported outside an assignment: the clue's own loop (dispatch, respond, outcome) checks it
    BY_CLUE = "by_clue", _("由线索办理核实")


class VolunteerRecord(models.Model):
    """A record made by a volunteer (由志愿者XX记录): entered by a staff member naming the volunteer,
    on one of the volunteer's assignments (reviewed with it) or, for a clue, on its own."""

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="records"
    )
    assignment = models.ForeignKey(
        VolunteerAssignment,
        verbose_name=_("志愿服务安排"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    region = region_field(verbose_name=_("区划"))
    kind = models.CharField(_("记录类型"), max_length=16, choices=RecordKind.choices)
    visit = models.OneToOneField(
        "people.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="volunteer_record"
    )
    encounter = models.OneToOneField(
        "patrols.Encounter", null=True, blank=True, on_delete=models.CASCADE, related_name="volunteer_record"
    )
    delivery = models.OneToOneField(
        "campaigns.CampaignHousehold",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="volunteer_record",
    )
    clue = models.OneToOneField(
        "patrols.Clue", null=True, blank=True, on_delete=models.CASCADE, related_name="volunteer_record"
    )
    review_state = models.CharField(
        _("审核状态"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    recorded_by = user_field(_("录入人"))
    recorded_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("志愿者记录")
        verbose_name_plural = _("志愿者记录")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="visit",
                        visit__isnull=False,
                        encounter__isnull=True,
                        delivery__isnull=True,
                        clue__isnull=True,
                    )
                    | Q(
                        kind="encounter",
                        visit__isnull=True,
                        encounter__isnull=False,
                        delivery__isnull=True,
                        clue__isnull=True,
                    )
                    | Q(
                        kind="delivery",
                        visit__isnull=True,
                        encounter__isnull=True,
                        delivery__isnull=False,
                        clue__isnull=True,
                    )
                    | Q(
                        kind="clue",
                        visit__isnull=True,
                        encounter__isnull=True,
                        delivery__isnull=True,
                        clue__isnull=False,
                    )
                ),
                name="volunteer_record_one_target",
            ),
            models.CheckConstraint(
                condition=Q(assignment__isnull=False) | Q(kind="clue"), name="volunteer_record_on_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.volunteer}"

    @property
    def target(self) -> models.Model | None:
        return getattr(self, self.kind)
