"""Forms of the emergency plan pages; the writes themselves are coldwaves.services.plans'."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coldwaves.plan_models import DrillKind
from patrols.forms import BootstrapForm
from relief.models import Region
from relief.regions import Level

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
ACCEPT = ".pdf,.doc,.docx,.ofd"


class PlanForm(BootstrapForm):
    region = forms.ModelChoiceField(label=_("县（区）"), queryset=Region.objects.none())
    title = forms.CharField(label=_("预案名称"), max_length=200)
    document = forms.FileField(
        label=_("预案文件"),
        help_text=_("PDF、Word（.doc、.docx）或 OFD 格式"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )
    approved_on = forms.DateField(label=_("批准日期"), **DATE)
    valid_until = forms.DateField(
        label=_("有效期至"), required=False, help_text=_("留空表示长期有效"), **DATE
    )
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, editing: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        counties = Region.objects.visible_to(user).filter(level=Level.COUNTY).order_by("code")
        self.fields["region"].queryset = counties
        if editing:
            del self.fields["region"]
            self.fields["document"].required = False
            self.fields["document"].help_text = _("不更换文件时留空")
        elif user is not None and user.region_id and len(user.region_id) == 6:
            self.fields["region"].initial = user.region_id


class DrillForm(BootstrapForm):
    held_on = forms.DateField(label=_("演练日期"), initial=timezone.localdate, **DATE)
    kind = forms.ChoiceField(label=_("演练形式"), choices=DrillKind.choices)
    participants = forms.IntegerField(label=_("参加人数"), min_value=1)
    participant_note = forms.CharField(label=_("参加单位和人员"), max_length=500, required=False)
    findings = forms.CharField(
        label=_("发现的问题"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up = forms.CharField(label=_("整改措施"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
