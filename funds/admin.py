"""Administrators configure programs (eligibility and amount rules), material items and warehouses
here. Allocations, batches, payments and applications are shown read-only: they change only through
the services (pages, API), so every step is checked and recorded."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from funds.models import (
    Allocation,
    ApplicationTransition,
    AssistanceApplication,
    BatchTransition,
    DisbursementBatch,
    MaterialItem,
    Payment,
    Program,
    Stock,
    StockMovement,
    Warehouse,
)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "amount_basis",
        "amount_mode",
        "amount_fixed",
        "one_off",
        "winter",
        "active",
    ]
    list_filter = ["kind", "amount_basis", "amount_mode", "one_off", "winter", "active"]
    search_fields = ["name", "code"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "active", "description"]}),
        (
            _("资格条件"),
            {
                "fields": ["categories", "flags", "min_age"],
                "description": _(
                    '救助类别填写列表，如 ["dibao", "tekun"]（满足其一即可，留空表示不限）；'
                    '标识如 ["lives_alone", "aged_80"]（须全部满足）。'
                ),
            },
        ),
        (
            _("金额规则"),
            {
                "fields": [
                    "amount_basis",
                    "amount_mode",
                    "amount_fixed",
                    "amount_class_a",
                    "amount_class_b",
                    "amount_class_c",
                    "one_off",
                    "winter",
                ]
            },
        ),
    ]


@admin.register(MaterialItem)
class MaterialItemAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "program", "active"]
    list_filter = ["active"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "keeper", "address"]
    search_fields = ["name", "region__code", "region__name"]
    raw_id_fields = ["region"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Allocation)
class AllocationAdmin(ReadOnlyAdmin):
    list_display = ["year", "region", "program", "source", "amount", "is_advance", "document_number"]
    list_filter = ["year", "source", "is_advance", "program"]
    search_fields = ["region__code", "document_number"]


class BatchTransitionInline(admin.TabularInline):
    model = BatchTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_state", "to_state", "actor", "at", "comment"]


@admin.register(DisbursementBatch)
class DisbursementBatchAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "program", "period", "status", "payment_count", "total_amount"]
    list_filter = ["status", "program"]
    inlines = [BatchTransitionInline]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["recipient_name", "batch", "program", "region", "amount"]
    list_filter = ["program"]
    raw_id_fields = ["household", "person", "batch"]


class ApplicationTransitionInline(admin.TabularInline):
    model = ApplicationTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_state", "to_state", "actor", "at", "comment", "amount"]


@admin.register(AssistanceApplication)
class AssistanceApplicationAdmin(ReadOnlyAdmin):
    list_display = ["applicant_name", "kind", "cause", "region", "status", "approved_amount", "submitted_at"]
    list_filter = ["kind", "cause", "status"]
    inlines = [ApplicationTransitionInline]


@admin.register(Stock)
class StockAdmin(ReadOnlyAdmin):
    list_display = ["warehouse", "item", "quantity", "region"]


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ["stock", "kind", "quantity", "household", "recipient_description", "at"]
    list_filter = ["kind"]
