from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from people.models import VisitRule


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    """Visit rules (探访规则): who must be visited how often; the nightly visit sweep reads them."""

    list_display = [
        "name",
        "active",
        "category",
        "tekun_mode",
        "flag",
        "lives_alone",
        "min_age",
        "max_age",
        "interval_key",
        "interval_days",
        "cold_wave",
    ]
    list_editable = ["active"]
    list_filter = ["active", "category", "flag", "interval_key"]
    search_fields = ["name", "note"]
    fieldsets = [
        (None, {"fields": ["name", "active", "note"]}),
        (
            "适用对象（所填条件须同时满足）",
            {"fields": ["category", "tekun_mode", "flag", "lives_alone", "min_age", "max_age"]},
        ),
        (_("探访间隔"), {"fields": ["interval_key", "interval_days", "cold_wave"]}),
    ]
