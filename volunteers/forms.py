"""Forms of the volunteers' pages. The visit and encounter forms are people's and patrols' own."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from relief.forms import apply_service_errors
from relief.models import Region
from volunteers.models import DayPart, Skill, Volunteer, VolunteerKind, Weekday


class StyledForm(forms.Form):
    """Bootstrap classes on every widget, so a template renders `{{ field }}` as is."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_service_error(self, exc) -> None:
        """A service's ValidationError on the fields it names, the rest on top."""
        apply_service_errors(self, exc)


def serving_regions(user):
    """Where a volunteer may serve: the counties, townships and villages the user may write in, in force."""
    return (
        Region.objects.visible_to(user)
        .current()
        .annotate(code_len=Length("code"))
        .filter(code_len__gte=6)
        .order_by("code")
    )


class Inline(forms.CheckboxSelectMultiple):
    """Check boxes side by side (a phone shows a week in two lines)."""

    template_name = "volunteers/_inline_checks.html"


class VolunteerForm(StyledForm):
    region = forms.ModelChoiceField(
        label=_("服务区划"), queryset=Region.objects.none(), empty_label=_("请选择")
    )
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(
        label=_("手机号"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    kind = forms.ChoiceField(label=_("类别"), choices=VolunteerKind.choices)
    organisation = forms.CharField(label=_("所属组织/单位"), max_length=100, required=False)
    skills = forms.MultipleChoiceField(label=_("技能"), choices=Skill.choices, required=False, widget=Inline)
    weekdays = forms.MultipleChoiceField(
        label=_("可服务日"), choices=Weekday.choices, required=False, widget=Inline
    )
    day_parts = forms.MultipleChoiceField(
        label=_("可服务时段"), choices=DayPart.choices, required=False, widget=Inline
    )
    note = forms.CharField(label=_("备注"), max_length=255, required=False)
    active = forms.BooleanField(label=_("在册"), required=False, initial=True)

    def __init__(self, *args, user, instance: Volunteer | None = None, **kwargs) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {f: getattr(instance, f) for f in self.base_fields if f != "region"} | {
                "region": instance.region_id
            }
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = serving_regions(user)
        if instance is None:
            del self.fields["active"]
            if user.region_id and len(user.region_id) >= 6:
                self.fields["region"].initial = user.region_id


class SearchForm(StyledForm):
    q = forms.CharField(
        label=_("姓名或组织"), required=False, widget=forms.TextInput(attrs={"placeholder": _("姓名或组织")})
    )
    skill = forms.ChoiceField(label=_("技能"), choices=[("", _("全部技能")), *Skill.choices], required=False)
    kind = forms.ChoiceField(
        label=_("类别"), choices=[("", _("全部类别")), *VolunteerKind.choices], required=False
    )
    weekday = forms.ChoiceField(
        label=_("可服务日"), choices=[("", _("任意日")), *Weekday.choices], required=False
    )
    day_part = forms.ChoiceField(
        label=_("可服务时段"), choices=[("", _("任意时段")), *DayPart.choices], required=False
    )
    inactive = forms.BooleanField(label=_("含已不在册"), required=False)


class AssignForm(StyledForm):
    volunteer = forms.ModelChoiceField(
        label=_("志愿者"), queryset=Volunteer.objects.none(), empty_label=_("请选择")
    )
    date = forms.DateField(
        label=_("服务日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    planned_hours = forms.DecimalField(
        label=_("计划时长（小时）"),
        min_value=Decimal("0.5"),
        max_value=Decimal("24"),
        decimal_places=1,
        initial=Decimal("2"),
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args, volunteers, villages=None, need_date: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = volunteers
        self.fields["volunteer"].label_from_instance = lambda v: " · ".join(
            p for p in (v.name, v.get_kind_display(), v.skills_display, v.availability_display) if p
        )
        self.fields["date"].required = need_date
        if villages is not None:
            self.fields["village"] = forms.ModelChoiceField(
                label=_("配送区域（村/社区或乡镇）"), queryset=villages, empty_label=_("请选择")
            )
            self.fields["village"].widget.attrs["class"] = "form-select"


class ClueReportForm(StyledForm):
    place = forms.CharField(label=_("地点"), max_length=255)
    description = forms.CharField(
        label=_("情况描述"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("人数、衣着、身体状况等")}),
    )
    region = forms.ModelChoiceField(label=_("所在区划"), queryset=Region.objects.none(), required=False)
    reported_at = forms.DateTimeField(
        label=_("报告时间"),
        required=False,
        help_text=_("留空为当前时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, user, volunteer: Volunteer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = serving_regions(user).filter(
            code__startswith=volunteer.region_id[:6]
        )
        self.fields["region"].empty_label = _("志愿者服务区划")
