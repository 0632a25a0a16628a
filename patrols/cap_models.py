"""CAP 1.2 warning messages as received (patrols/cap.py reads them, patrols/services/cap_messages.py applies
them). Kept out of patrols/models.py (at its size limit), which re-exports these models."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from patrols.choices import ColdWaveLevel
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field


class CapOutcome(models.TextChoices):
    """What a received CAP message did, as a whole (each area's part: CapMessage.results)."""

    APPLIED = "applied", _("已处理")
    PENDING = "pending", _("待原消息到达后处理")
    NO_CHANGE = "no_change", _("未改变预警等级")
    NOT_ACTUAL = "not_actual", _("非正式消息（演练、测试等），未改变预警等级")
    NOT_COLD = "not_cold", _("非寒潮类预警，未改变预警等级")
    UNSUPPORTED = "unsupported", _("不处理的消息类型，未改变预警等级")


class CapAreaAction(models.TextChoices):
    ISSUED = "issued", _("已发布")
    UPDATED = "updated", _("已更新")
    LIFTED = "lifted", _("已解除")
    IGNORED = "ignored", _("未处理")


class CapReason(models.TextChoices):
    """Why an area of a CAP message changed nothing."""

    UNKNOWN_AREA = "unknown_area", _("不是已知的行政区划代码")
    OUT_OF_SCOPE = "out_of_scope", _("不在您的管辖范围内")
    NO_LEVEL = "no_level", _("消息未给出预警等级（severity 或颜色）")
    CANCELLED = "cancelled", _("已被发送时间更晚的撤销消息撤销，未生效")
    OLDER = "older", _("早于该预警已处理的最新消息，未改变")
    NO_WARNING = "no_warning", _("原消息在该区划没有生效的预警")
    ENDED = "ended", _("该预警已结束或已解除")
    REFUSED = "refused", _("预警服务拒绝了该变更")


class CapMessageQuerySet(ScopedQuerySet):
    def referencing(self, key: str) -> CapMessageQuerySet:
        """Messages (Update, Cancel) whose references name the message `key` ("sender,identifier")."""
        return self.filter(referenced_keys__contains=[key])


class CapMessage(models.Model):
    """A CAP 1.2 early-warning message as received (patrols/cap.py reads it; cap_messages.cap_receive
    applies it), with what it did. One row per (sender, identifier): a message sent twice is stored
    once. `region` is the narrowest region enclosing the areas it applied to (or its receiver's)."""

    identifier = models.CharField(_("消息标识"), max_length=255)
    sender = models.CharField(_("发布者"), max_length=255)
    sent = models.DateTimeField(_("发送时间"))
    msg_type = models.CharField(_("消息类型"), max_length=16)
    status = models.CharField(_("消息状态"), max_length=16)
    event = models.CharField(_("事件类型"), max_length=64, blank=True)
    severity = models.CharField(_("严重程度"), max_length=16, blank=True)
    level = models.PositiveSmallIntegerField(
        _("预警等级"), choices=ColdWaveLevel.choices, null=True, blank=True
    )
    headline = models.CharField(_("标题"), max_length=255, blank=True)
    expires = models.DateTimeField(_("失效时间"), null=True, blank=True)
    areas = ArrayField(models.CharField(max_length=12), verbose_name=_("区域代码"), default=list, blank=True)
    references = models.JSONField(_("引用消息"), default=list, blank=True)
    referenced_keys = ArrayField(models.CharField(max_length=511), default=list, blank=True, editable=False)
    raw_xml = models.TextField(_("原始消息"))
    region = region_field(null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), auto_now_add=True)
    received_by = user_field(_("接收人"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=CapOutcome.choices)
    results = models.JSONField(_("各区域处理情况"), default=list, blank=True)
    applied_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    warnings = models.ManyToManyField(
        "patrols.ColdWaveWarning", verbose_name=_("相关寒潮预警"), blank=True, related_name="cap_messages"
    )

    objects = ScopedManager.from_queryset(CapMessageQuerySet)()

    class Meta:
        verbose_name = _("CAP 预警消息")
        verbose_name_plural = _("CAP 预警消息")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "identifier"], name="capmessage_unique_sender_identifier"
            )
        ]
        indexes = [
            GinIndex(fields=["referenced_keys"], name="capmessage_referenced_keys"),
        ]

    def __str__(self) -> str:
        return f"{self.msg_type} {self.identifier}"

    @property
    def key(self) -> str:
        return f"{self.sender},{self.identifier}"

    @property
    def area_results(self) -> list[dict]:
        """`results` with the labels of their action, reason and level in the active language."""
        actions, reasons, levels = (
            dict(CapAreaAction.choices),
            dict(CapReason.choices),
            dict(ColdWaveLevel.choices),
        )
        return [
            {
                **row,
                "action_display": str(actions.get(row.get("action"), row.get("action", ""))),
                "reason_display": str(reasons.get(row.get("reason"), "")) if row.get("reason") else "",
                "level_display": str(levels.get(row.get("level"), "")) if row.get("level") else "",
            }
            for row in self.results
        ]

    @property
    def outcome_summary(self) -> str:
        """ "已处理：510121 已发布 黄色；510113 未处理（不是已知的行政区划代码）" in the active language."""
        parts = []
        for row in self.area_results:
            level = f" {row['level_display']}" if row["level_display"] and row["action"] != "ignored" else ""
            reason = f"（{row['reason_display']}）" if row["reason_display"] else ""
            parts.append(f"{row['area']} {row['action_display']}{level}{reason}")
        head = str(self.get_outcome_display())
        return f"{head}：{'；'.join(parts)}" if parts else head

    @property
    def unknown_areas(self) -> list[str]:
        return [row["area"] for row in self.results if row.get("reason") == CapReason.UNKNOWN_AREA]
