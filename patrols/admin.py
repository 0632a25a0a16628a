from django.contrib import admin

from patrols.models import CapMessage, ColdWaveWarning, PatrolFrequencyRule, PatrolTeam


@admin.register(PatrolFrequencyRule)
class PatrolFrequencyRuleAdmin(admin.ModelAdmin):
    """The patrol frequency each cold-wave level requires: administrators edit these."""

    list_display = ["level", "min_shifts_per_day", "night_shift_required", "note"]


@admin.register(PatrolTeam)
class PatrolTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "phone", "active"]
    list_filter = ["active"]
    search_fields = ["name", "region__code"]
    filter_horizontal = ["members"]
    raw_id_fields = ["region"]


@admin.register(ColdWaveWarning)
class ColdWaveWarningAdmin(admin.ModelAdmin):
    list_display = ["region", "level", "starts_at", "ends_at", "issued_by"]
    list_filter = ["level"]
    raw_id_fields = ["region", "issued_by", "lifted_by"]


@admin.register(CapMessage)
class CapMessageAdmin(admin.ModelAdmin):
    """Received CAP messages, read only: they are applied by patrols.services.cap_messages.cap_receive alone."""

    list_display = ["sent", "sender", "identifier", "msg_type", "status", "event", "outcome", "received_by"]
    list_filter = ["msg_type", "status", "outcome"]
    search_fields = ["identifier", "sender", "headline"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
