"""Forms of the enrolment pages: filing an application and registering an appeal or complaint.
The steps' own forms come from their declarations (relief/forms.py step_form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrolments.models import CareLevel, Kind, Origin
from people.choices import TekunMode
from people.forms import BootstrapMixin, apply_service_errors
from people.models import Household, Person
from relief.models import Region
from relief.regions import Level

__all__ = ["AppealForm", "EnrolmentForm", "apply_service_errors"]


class EnrolmentForm(BootstrapMixin, forms.Form):
    """Phone-friendly: one column, the essentials first; the members come from the register."""

    kind = forms.ChoiceField(label=_("申请类别"), choices=Kind.choices)
    origin = forms.ChoiceField(label=_("申请来源"), choices=Origin.choices)
    applicant = forms.ModelChoiceField(
        label=_("申请人（特困须选择）"), queryset=Person.objects.none(), required=False, empty_label=_("户主")
    )
    tekun_mode = forms.ChoiceField(
        label=_("特困供养方式"), choices=[("", "—"), *TekunMode.choices], required=False
    )
    care_level = forms.ChoiceField(
        label=_("生活自理能力（特困）"), choices=[("", "—"), *CareLevel.choices], required=False
    )
    reason = forms.CharField(label=_("申请理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    authorisation = forms.FileField(
        label=_("核对授权书（签字页照片或PDF；上传即受理）"),
        required=False,
        # a plain file input (no "clear" box: nothing is stored yet); the phone offers its camera
        widget=forms.FileInput(attrs={"accept": "image/*,application/pdf", "capture": "environment"}),
    )
    staff_relative = forms.BooleanField(label=_("经办人员或村（居）干部近亲属（近亲属备案）"), required=False)
    staff_relative_note = forms.CharField(label=_("近亲属说明"), max_length=255, required=False)
    origin_note = forms.CharField(label=_("来源说明"), max_length=255, required=False)

    def __init__(self, *args, household: Household, can_accept: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["applicant"].queryset = Person.objects.filter(household=household, active=True)
        if not can_accept:  # a village worker registers; the township accepts with the signed form
            del self.fields["authorisation"]
        self.style_fields()


class AppealForm(BootstrapMixin, forms.Form):
    person_name = forms.CharField(label=_("申请人/投诉人（匿名可不填）"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    content = forms.CharField(label=_("内容"), widget=forms.Textarea(attrs={"rows": 4}))
    received_on = forms.DateField(
        label=_("收到日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    region = forms.ModelChoiceField(label=_("涉及区划"), queryset=Region.objects.none(), required=False)

    def __init__(self, *args, user, kind: str, need_region: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if need_region:
            self.fields["region"].queryset = (
                Region.objects.visible_to(user)
                .current()
                .filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
                .order_by("code")
            )
            self.fields["region"].required = True
        else:
            del self.fields["region"]
        self.style_fields()
