from django.contrib import admin

from coldwaves.models import Drill, EmergencyPlan, PlanReserve, RollCall, RollCallEntry


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
