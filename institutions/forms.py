from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from institutions.models import (
    SECTION_ORDER,
    ChecklistItem,
    ChecklistSection,
    HazardAction,
    HazardSeverity,
    Institution,
    ResultChoice,
)
from institutions.services import INSTITUTION_FIELDS, ResultInput
from institutions.workflows import hazard_workflow
from relief.models import WRITER_ROLES, Region, User
from relief.regions import Level, ancestor_codes
from relief.workflow import Step


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = INSTITUTION_FIELDS
        widgets = {"emergency_contacts": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        # regions in force, and the institution's own even if it has been retired (已撤销)
        kept = Q(retired_on__isnull=True) | Q(code=self.instance.region_id or "")
        self.fields["region"].queryset = (
            Region.objects.visible_to(user).filter(kept, level__gte=Level.COUNTY).order_by("code")
        )


class InspectionForm(forms.Form):
    """One row per checklist item: pass / fail / not applicable, a note, a photo, and for a failure
    whether it is a major hazard."""

    date = forms.DateField(label=_("检查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("检查说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, items: list[ChecklistItem], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
        self.items = sorted(items, key=lambda i: (SECTION_ORDER.get(i.section, 99), i.order, i.pk))
        for item in self.items:
            self.fields[f"result_{item.pk}"] = forms.ChoiceField(
                label=item.text,
                choices=ResultChoice.choices,
                widget=forms.RadioSelect,
                error_messages={"required": _("请选择检查结果")},
            )
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("情况说明"), required=False, max_length=500
            )
            self.fields[f"photo_{item.pk}"] = forms.FileField(label=_("照片"), required=False)
            self.fields[f"major_{item.pk}"] = forms.BooleanField(
                label=_("重大隐患"),
                required=False,
                initial=item.default_severity == HazardSeverity.MAJOR,
            )

    def clean(self):
        data = super().clean()
        for item in self.items:
            if (
                data.get(f"result_{item.pk}") == ResultChoice.FAIL
                and not data.get(f"note_{item.pk}", "").strip()
            ):
                self.add_error(f"note_{item.pk}", _("不合格项须填写情况说明"))
        return data

    def sections(self) -> list[tuple[str, list[dict]]]:
        grouped: dict[str, list[dict]] = {}
        for item in self.items:
            grouped.setdefault(item.section, []).append(
                {
                    "item": item,
                    "result": self[f"result_{item.pk}"],
                    "note": self[f"note_{item.pk}"],
                    "photo": self[f"photo_{item.pk}"],
                    "major": self[f"major_{item.pk}"],
                }
            )
        return [(ChecklistSection(s).label, rows) for s, rows in grouped.items()]

    def result_inputs(self) -> list[ResultInput]:
        data = self.cleaned_data
        return [
            ResultInput(
                item_id=item.pk,
                result=data[f"result_{item.pk}"],
                note=data.get(f"note_{item.pk}") or "",
                photo=data.get(f"photo_{item.pk}"),
                severity=HazardSeverity.MAJOR if data.get(f"major_{item.pk}") else HazardSeverity.GENERAL,
            )
            for item in self.items
        ]


def owner_choices(region_code: str):
    """Staff who may own a hazard of an institution in `region_code`: writers whose scope covers it."""
    return User.objects.filter(
        is_active=True, role__in=WRITER_ROLES, region_id__in=ancestor_codes(region_code)
    ).order_by("region_id", "username")


def hazard_step_form(step: Step, hazard, user: User, data=None, files=None) -> forms.Form:
    """The inputs of a hazard step, as declared (institutions/workflows.py), for `hazard`'s page: the
    owner is chosen among the staff who may own it."""
    form = hazard_workflow.form_for(step, data, files, user=user)
    if "owner" in form.fields:
        declared = form.fields["owner"]
        form.fields["owner"] = forms.ModelChoiceField(
            label=declared.label,
            queryset=owner_choices(hazard.institution.region_id),
            widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        )
    if step.name == "start":
        form.fields["funds"].initial = 0
    return form


# Steps that need nothing but an optional comment: offered as one-click buttons in the ledger.
QUICK_STEPS = {HazardAction.APPROVE_EXTENSION, HazardAction.VERIFY, HazardAction.CLOSE}
