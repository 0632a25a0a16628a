from django.contrib import admin

from coldwaves.models import RollCall, RollCallEntry


@admin.register(RollCall)
class RollCallAdmin(admin.ModelAdmin):
    list_display = ["region", "warning", "level", "opened_at", "due_at", "closed_at", "people"]
    list_filter = ["level"]
    raw_id_fields = ["warning"]


@admin.register(RollCallEntry)
class RollCallEntryAdmin(admin.ModelAdmin):
    list_display = ["roll_call", "region", "person", "outcome", "due_at", "answered_at"]
    list_filter = ["outcome"]
    raw_id_fields = ["roll_call", "household", "person", "visit", "answered_by"]
