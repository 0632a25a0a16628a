"""The abstract log every workflow writes (relief/workflow.py): which step, from which state to
which, who, when and why. Each workflow's log model extends it with its foreign key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def user_field(verbose_name, **kwargs) -> models.ForeignKey:
    """The standard "who did it" column: a user kept as NULL when the account is deleted, with no
    reverse accessor on User."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        **kwargs,
    )


class TransitionLog(models.Model):
    """The one shape of every workflow's log (relief/workflow.py): which step, from which state to
    which, who, when and why. Each workflow's log model extends it with its foreign key (and may
    narrow `from_state`/`to_state` to its choices)."""

    action = models.CharField(_("动作"), max_length=32, blank=True)
    from_state = models.CharField(_("原状态"), max_length=24, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    comment = models.TextField(_("说明"), blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '-'} → {self.to_state} @ {self.at:%Y-%m-%d %H:%M}"


# --- Regions -----------------------------------------------------------------------------------
