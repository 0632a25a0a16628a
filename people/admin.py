from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from people.models import VisitRule
from people.tasks import refresh_next_visits_later
from people.visit_rules import check_rule


class VisitRuleForm(forms.ModelForm):
    """Every field a choice where a list exists (the model's choices); a rule that can never apply
    (a child flag over the child's age, a child living alone, an interval whose policy value is not
    set for the region) is refused, not saved to do nothing."""

    class Meta:
        model = VisitRule
        fields = [
            "name",
            "region",
            "active",
            "note",
            "category",
            "tekun_mode",
            "flag",
            "lives_alone",
            "cohort",
            "min_age",
            "max_age",
            "interval_key",
            "interval_days",
            "cold_wave",
        ]

    def _post_clean(self) -> None:
        super()._post_clean()
        try:
            check_rule(self.instance)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, errors)


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    """Visit rules (探访规则): who must be visited how often; the nightly visit sweep reads them."""

    form = VisitRuleForm
    list_display = [
        "name",
        "region",
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
    search_fields = ["name", "note", "region__code", "region__name"]
    raw_id_fields = ["region"]
    fieldsets = [
        (None, {"fields": ["name", "region", "active", "note"]}),
        (
            _("适用对象（所填条件须同时满足）"),
            {"fields": ["category", "tekun_mode", "flag", "lives_alone", "cohort", "min_age", "max_age"]},
        ),
        (_("探访间隔"), {"fields": ["interval_key", "interval_days", "cold_wave"]}),
    ]

    # Every change to the rules moves people's next visit due: recomputed in the background for
    # the rule's region (everywhere for a national rule) once the change is committed.
    def save_model(self, request, obj, form, change):
        old_region = VisitRule.objects.filter(pk=obj.pk).values_list("region_id", flat=True).first()
        super().save_model(request, obj, form, change)
        for region in {old_region, obj.region_id} if change else {obj.region_id}:
            refresh_next_visits_later(region)

    def delete_model(self, request, obj):
        region = obj.region_id
        super().delete_model(request, obj)
        refresh_next_visits_later(region)

    def delete_queryset(self, request, queryset):
        regions = set(queryset.values_list("region_id", flat=True))
        super().delete_queryset(request, queryset)
        for region in regions:
            refresh_next_visits_later(region)
