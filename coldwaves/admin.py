from django.contrib import admin

from coldwaves.models import (
    Drill,
    DutyShift,
    EmergencyPlan,
    HotlineCall,
    PlanReserve,
    RollCall,
    RollCallEntry,
)


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


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    list_display = ["region", "role", "name", "starts_at", "ends_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "created_by"]


@admin.register(HotlineCall)
class HotlineCallAdmin(admin.ModelAdmin):
    list_display = ["received_at", "region", "kind", "place", "responded_at"]
    list_filter = ["kind"]
    raw_id_fields = ["clue", "household", "duty", "taken_by"]


class PlanReserveInline(admin.TabularInline):
    model = PlanReserve
    extra = 0
    raw_id_fields = ["item"]


@admin.register(EmergencyPlan)
class EmergencyPlanAdmin(admin.ModelAdmin):
    list_display = ["region", "title", "approved_on", "valid_until", "superseded_at", "created_by"]
    raw_id_fields = ["superseded_by", "created_by"]
    inlines = [PlanReserveInline]


@admin.register(Drill)
class DrillAdmin(admin.ModelAdmin):
    list_display = ["plan", "region", "held_on", "kind", "participants"]
    list_filter = ["kind"]
    raw_id_fields = ["plan", "created_by"]
