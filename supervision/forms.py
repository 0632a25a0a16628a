from __future__ import annotations

from django import forms
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from institutions.models import Hazard, Institution
from people.models import Household
from relief.models import Region
from supervision.models import Area, Severity

DATE = {"type": "date"}


def _css(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxSelectMultiple, forms.CheckboxInput)):
            continue
        css = (
            "form-select form-select-sm"
            if isinstance(widget, forms.Select)
            else "form-control form-control-sm"
        )
        widget.attrs.setdefault("class", css)


def visitable_regions(user, base: str | None):
    """Regions a trip of `base` may visit: below it, down to two levels (a city its counties and
    their townships; a county its townships and villages)."""
    qs = Region.objects.visible_to(user).annotate(n=Length("code"))
    if base:
        qs = qs.filter(code__startswith=base).exclude(code=base)
    levels = {2: (4, 6), 4: (6, 9), 6: (9, 12)}.get(len(base or ""), (2, 4, 6))
    return qs.filter(n__in=levels).order_by("code")


class TripForm(forms.Form):
    title = forms.CharField(label=_("督查名称"), max_length=120)
    leader = forms.CharField(label=_("带队领导"), max_length=60)
    members = forms.CharField(label=_("督查组成员"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    planned_start = forms.DateField(label=_("计划开始日期"), widget=forms.DateInput(attrs=DATE))
    planned_end = forms.DateField(label=_("计划结束日期"), widget=forms.DateInput(attrs=DATE))
    regions = forms.ModelMultipleChoiceField(
        label=_("被督查地区"), queryset=Region.objects.none(), widget=forms.SelectMultiple(attrs={"size": 8})
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        base = None if user.is_region_admin else user.region_id
        if user.is_region_admin:
            self.fields["region"] = forms.ModelChoiceField(
                label=_("督查单位所在区划"),
                queryset=Region.objects.annotate(n=Length("code")).filter(n__lte=6).order_by("code"),
            )
        self.fields["regions"].queryset = visitable_regions(user, base)
        _css(self)


class FindingForm(forms.Form):
    region = forms.ModelChoiceField(label=_("问题所在地区"), queryset=Region.objects.none())
    area = forms.ChoiceField(label=_("督查事项"), choices=Area.choices)
    severity = forms.ChoiceField(label=_("问题等级"), choices=Severity.choices, initial=Severity.GENERAL)
    text = forms.CharField(label=_("发现问题"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    requirement = forms.CharField(
        label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=4000
    )
    working_days = forms.IntegerField(
        label=_("整改时限（工作日，不填按政策参数）"), required=False, min_value=1, max_value=60
    )
    household = forms.ModelChoiceField(
        label=_("关联家庭（家庭页地址中的编号）"),
        queryset=Household.objects.none(),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    institution = forms.ModelChoiceField(
        label=_("关联机构"), queryset=Institution.objects.none(), required=False
    )
    hazard = forms.ModelChoiceField(label=_("关联隐患"), queryset=Hazard.objects.none(), required=False)
    figure_name = forms.CharField(label=_("关联数据指标"), max_length=100, required=False)
    figure_value = forms.CharField(label=_("督查时指标值"), max_length=60, required=False)
    photo = forms.FileField(label=_("现场照片"), required=False)

    def __init__(self, *args, user=None, trip=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        codes = list(trip.visits.values_list("region_id", flat=True))
        self.fields["region"].queryset = (
            Region.objects.visible_to(user).filter(code__in=codes).order_by("code")
        )
        households = Household.objects.visible_to(user).none()
        institutions = Institution.objects.visible_to(user).none()
        hazards = Hazard.objects.visible_to(user).none()
        for code in codes:
            households = households | Household.objects.visible_to(user).in_region(code)
            institutions = institutions | Institution.objects.visible_to(user).in_region(code)
            hazards = hazards | Hazard.objects.visible_to(user).in_region(code)
        self.fields["household"].queryset = households
        self.fields["institution"].queryset = institutions.order_by("region_id", "name")
        self.fields["hazard"].queryset = hazards.exclude(state="closed").select_related("institution")
        _css(self)
