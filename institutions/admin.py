"""Administrators edit the checklist templates and the major-hazard criteria here. Hazards are shown
read-only: their state changes only through the services (pages, API), so every move is recorded."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from institutions.models import (
    ChecklistItem,
    ChecklistTemplate,
    Hazard,
    HazardTransition,
    Inspection,
    InspectionResult,
    Institution,
    MajorHazardCriterion,
)
from relief.uploads import download_url


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "region", "capacity", "residents", "heating_type", "is_active"]
    list_filter = ["type", "heating_type", "is_active"]
    search_fields = ["name", "operator", "region__code", "region__name"]
    raw_id_fields = ["region"]


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 1
    fields = ["section", "order", "text", "guidance", "default_severity"]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "item_count", "created_at"]
    list_filter = ["is_active"]
    inlines = [ChecklistItemInline]

    @admin.display(description=_("检查项数"))
    def item_count(self, obj: ChecklistTemplate) -> int:
        return obj.items.count()


@admin.register(MajorHazardCriterion)
class MajorHazardCriterionAdmin(admin.ModelAdmin):
    list_display = ["order", "aspect", "text", "is_active"]
    list_display_links = ["text"]
    list_editable = ["order", "is_active"]
    list_filter = ["aspect", "is_active"]
    search_fields = ["text"]


class InspectionResultInline(admin.TabularInline):
    model = InspectionResult
    extra = 0
    fields = ["item", "result", "note", "photo_link"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description=_("照片"))
    def photo_link(self, obj: InspectionResult) -> str:
        """Through the scoped, logged download view (/media/ is never served)."""
        url = download_url(obj, "photo")
        return format_html('<a href="{}">{}</a>', url, _("下载")) if url else "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(admin.ModelAdmin):
    list_display = ["institution", "date", "inspector", "template"]
    list_filter = ["date"]
    search_fields = ["institution__name"]
    raw_id_fields = ["institution", "inspector"]
    inlines = [InspectionResultInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class HazardTransitionInline(admin.TabularInline):
    model = HazardTransition
    extra = 0
    fields = ["at", "action", "from_state", "to_state", "actor", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Hazard)
class HazardAdmin(SimpleHistoryAdmin):
    list_display = ["title", "institution", "severity", "state", "deadline", "owner"]
    list_filter = ["state", "severity"]
    search_fields = ["title", "institution__name"]
    inlines = [HazardTransitionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
