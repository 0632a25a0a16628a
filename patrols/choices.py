"""Choices of the patrols app that modules beside models.py need too (patrols/cap.py,
patrols/cap_models.py) without importing the models: patrols.models re-exports them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ColdWaveLevel(models.IntegerChoices):
    """Ordered, so the higher level wins where two warnings overlap."""

    BLUE = 1, _("蓝色")
    YELLOW = 2, _("黄色")
    ORANGE = 3, _("橙色")
    RED = 4, _("红色")
