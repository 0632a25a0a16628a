from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from relief import policy
from relief.models import Alert, AlertEvent, Job, PersonalDataReveal, PolicyParameter, Region, User

admin.site.site_header = _("暖冬 系统管理")
admin.site.site_title = _("暖冬")


def _admins_only(request) -> bool:
    """Only administrators (role "admin" or superuser) enter the admin; model permissions still apply."""
    return bool(request.user.is_active and request.user.is_region_admin)


admin.site.has_permission = _admins_only


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "role", "region", "is_active"]
    list_filter = ["role", "is_active"]
    raw_id_fields = ["region"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("角色与管辖区划"), {"fields": ("role", "region", "phone", "api_can_write")}),
    )
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("角色与管辖区划"), {"fields": ("role", "region", "api_can_write")}),
    )


class PolicyParameterForm(forms.ModelForm):
    """The key is chosen from the known parameters (relief/policy.py), never typed."""

    key = forms.ChoiceField(label=_("参数"))

    class Meta:
        model = PolicyParameter
        fields = ["key", "region", "value", "valid_from", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [("", "---------")] + [
            (key, f"{param.label}（{key}，{param.unit}）") for key, param in policy.PARAMETERS.items()
        ]

    def clean(self):
        """A value that can apply to the chosen key (relief/policy.py's check_value)."""
        data = super().clean()
        key, value = data.get("key"), data.get("value")
        if key and value is not None and (message := policy.check_value(key, value)):
            self.add_error("value", message)
        return data


@admin.register(PolicyParameter)
class PolicyParameterAdmin(admin.ModelAdmin):
    form = PolicyParameterForm
    list_display = ["key", "region", "value", "valid_from", "note", "updated_by", "updated_at"]
    list_filter = ["key"]
    search_fields = ["key", "region__code", "region__name"]
    raw_id_fields = ["region"]
    readonly_fields = ["updated_by", "updated_at"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        old = (
            PolicyParameter.objects.filter(pk=obj.pk).values_list("key", "region_id").first()
            if change
            else None
        )
        super().save_model(request, obj, form, change)
        if old and old != (obj.key, obj.region_id):
            policy.value_changed(*old)
        policy.value_changed(obj.key, obj.region_id)

    def delete_model(self, request, obj):
        key, region = obj.key, obj.region_id
        super().delete_model(request, obj)
        policy.value_changed(key, region)

    def delete_queryset(self, request, queryset):
        changed = set(queryset.values_list("key", "region_id"))
        super().delete_queryset(request, queryset)
        for key, region in changed:
            policy.value_changed(key, region)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "title",
        "kind",
        "state",
        "progress_done",
        "progress_total",
        "started_by",
        "created_at",
    ]
    list_filter = ["state", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]


class AlertEventInline(admin.TabularInline):
    model = AlertEvent
    extra = 0
    readonly_fields = ["action", "from_state", "to_state", "actor", "comment", "at"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "severity", "region", "status", "due_at", "created_at"]
    list_filter = ["kind", "status", "severity"]
    raw_id_fields = ["region", "assignee"]
    inlines = [AlertEventInline]


@admin.register(PersonalDataReveal)
class PersonalDataRevealAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "field", "subject_label", "region"]
    list_filter = ["field"]
    search_fields = ["user__username", "subject_label"]
    readonly_fields = [f.name for f in PersonalDataReveal._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- scheduled jobs (django-celery-beat): the stored description in the chosen language ----------


def _periodic_task_admin() -> None:
    from django_celery_beat.admin import PeriodicTaskAdmin
    from django_celery_beat.models import PeriodicTask

    from relief.stored_labels import stored

    class TranslatedPeriodicTaskAdmin(PeriodicTaskAdmin):
        list_display = ("name", "description_label", "enabled", "scheduler", "last_run_at", "one_off")

        @admin.display(description=_("说明"), ordering="description")
        def description_label(self, obj: PeriodicTask) -> str:
            return stored(obj.description)

    if admin.site.is_registered(PeriodicTask):
        admin.site.unregister(PeriodicTask)
    admin.site.register(PeriodicTask, TranslatedPeriodicTaskAdmin)


_periodic_task_admin()
