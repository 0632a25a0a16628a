"""Sources and rules are configured here (data, not code). Batches, records and dispositions change
only through the services (upload, API, the disposition steps), so they are shown read-only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from exchange.models import DataSource, Disposition, ExchangeBatch, WarningRule


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RuleInline(admin.StackedInline):
    model = WarningRule
    extra = 0
    fields = [
        ("code", "name", "region"),
        ("kind", "suggestion", "severity", "due_days"),
        ("share", "months"),
        "event_types",
        ("active", "valid_from"),
        "note",
    ]


@admin.register(DataSource)
class DataSourceAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "department", "record_kind", "region", "active"]
    list_filter = ["department", "record_kind", "active"]
    search_fields = ["code", "name"]
    inlines = [RuleInline]


@admin.register(WarningRule)
class WarningRuleAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "source", "kind", "region", "severity", "due_days", "active"]
    list_filter = ["kind", "severity", "active"]
    search_fields = ["code", "name"]


@admin.register(ExchangeBatch)
class ExchangeBatchAdmin(ReadOnly):
    list_display = ["id", "source", "region", "via", "status", "received", "matched", "unmatched", "invalid"]
    list_filter = ["status", "via"]


@admin.register(Disposition)
class DispositionAdmin(ReadOnly):
    list_display = ["id", "rule", "household", "status", "outcome", "verified_on", "disposed_on"]
    list_filter = ["status", "outcome"]
