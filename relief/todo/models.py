"""Tasks (待办): the work items every finding, need, deadline and 督办 becomes (relief/todo). Part of
the relief app (exported from relief.models)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import TransitionLog


class TaskState(models.TextChoices):
    OPEN = "open", _("待办")
    IN_PROGRESS = "in_progress", _("办理中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


TASK_LIVE_STATES = (TaskState.OPEN, TaskState.IN_PROGRESS)


class TaskQuerySet(ScopedQuerySet):
    def live(self) -> TaskQuerySet:
        return self.filter(state__in=TASK_LIVE_STATES)

    def assigned_to(self, user) -> TaskQuerySet:
        """Mine: named to me, or to my role in my region when nobody is named."""
        if not user.region_id:
            return self.filter(assignee=user)
        return self.filter(Q(assignee=user) | Q(assignee__isnull=True, assignee_region=user.region_id))

    def escalated_to(self, user) -> TaskQuerySet:
        """督办 that has climbed to my level in my region."""
        if not user.region_id:
            return self.filter(escalation_level__gt=0)
        return self.filter(escalation_level__gt=0, supervisor_region=user.region_id)

    def overdue(self, now: datetime.datetime | None = None) -> TaskQuerySet:
        return self.live().filter(due_at__lt=now or timezone.now())

    def due_by(self, moment: datetime.datetime) -> TaskQuerySet:
        return self.live().filter(due_at__lte=moment)


class Task(models.Model):
    """One piece of work for a named person, or for a role in a region when nobody is named, with a
    due moment and a state. `source` says where it came from (relief/todo/sources.py: an alert, a
    visit need, a workflow deadline, a 督办 instruction); `cause_key` is unique among live tasks, so
    the same cause never makes two. `cause_open` says whether the cause is still there: a task done
    by hand while its cause remains is reopened by the next sync with its original due time and
    escalation level."""

    # (source: led by task_source_cause; kind: one plain index, never a prefix search; the subject
    # type: led by task_subject. Every index is paid on each of a sweep's inserts: 300,000 tasks
    # from one department batch, bench/README.md)
    source = models.CharField(_("来源"), max_length=48)
    kind = models.CharField(_("类型"), max_length=64)
    title = models.CharField(_("事项"), max_length=200)
    detail = models.TextField(_("说明"), blank=True)
    region = region_field(verbose_name=_("区划"))
    subject_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, db_index=False
    )
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_label = models.CharField(_("对象"), max_length=200, blank=True)
    alert = models.ForeignKey(
        "relief.Alert",
        verbose_name=_("预警"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("督办事项"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="supervisions",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    assignee_region = models.CharField(_("责任区划"), max_length=12, db_index=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    due_at = models.DateTimeField(_("办理时限"))
    state = models.CharField(_("状态"), max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    cause_key = models.CharField(_("事由键"), max_length=200)
    cause_open = models.BooleanField(_("事由仍存在"), default=True)
    # 0: the assignee's own level; each escalation moves the supervision one level up
    escalation_level = models.PositiveSmallIntegerField(_("督办层级"), default=0)
    supervisor_region = models.CharField(_("督办区划"), max_length=12, blank=True, db_index=True)
    action_url = models.CharField(_("办理入口"), max_length=300, blank=True)
    action_label = models.CharField(_("办理操作"), max_length=32, blank=True)
    answer = models.TextField(_("办理结果"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("交办人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("产生时间"), default=timezone.now)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by_hand = models.BooleanField(_("人工办结"), default=False)

    objects = ScopedManager.from_queryset(TaskQuerySet)()

    class Meta:
        verbose_name = _("待办事项")
        verbose_name_plural = _("待办事项")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"],
                condition=Q(state__in=["open", "in_progress"]),
                name="task_cause_live_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="task_state_due"),
            models.Index(fields=["source", "cause_key"], name="task_source_cause"),
            models.Index(fields=["subject_type", "subject_id"], name="task_subject"),
            models.Index(fields=["kind"], name="task_kind"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_live(self) -> bool:
        return self.state in TASK_LIVE_STATES

    @property
    def is_overdue(self) -> bool:
        return self.is_live and self.due_at < timezone.now()


class TaskEvent(TransitionLog):
    """Every change of a task: created, taken, done, cancelled, reopened, escalated, answered."""

    ACTIONS = [
        ("created", _("产生")),
        ("take", _("接办")),
        ("complete", _("办结")),
        ("cancel", _("取消")),
        ("reopened", _("事由仍存在，重新打开")),
        ("escalated", _("提级督办")),
        ("supervised", _("下达督办")),
        ("cause_cleared", _("事由消除，自动办结")),
        ("done_with_alert", _("预警已解除")),
        ("followed_alert", _("随预警更新")),
        ("updated", _("更新")),
    ]
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("动作"), max_length=32, choices=ACTIONS)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True, choices=TaskState.choices)
    to_state = models.CharField(_("新状态"), max_length=24, blank=True, choices=TaskState.choices)

    class Meta(TransitionLog.Meta):
        verbose_name = _("待办办理记录")
        verbose_name_plural = _("待办办理记录")
