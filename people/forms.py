"""Forms of the register's pages. They validate input; the writes happen in people/services.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext_lazy as _

from people import services
from people.models import (
    AGE_FLAGS,
    PERSON_FLAGS,
    Assistance,
    Category,
    FollowUp,
    Household,
    Person,
    VisitChannel,
    VisitKind,
)
from relief.forms import apply_service_errors  # noqa: F401  (the shared one, used as forms.apply_service_errors)
from relief.models import Region
from relief.regions import Level
from relief.sheet_reader import ACCEPT


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render `{{ field }}` as is."""

    def style_fields(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.RadioSelect):
                css = "btn-check"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def _place_choices(user, keep: str | None = None) -> forms.ModelChoiceField:
    """The townships and villages in force (not 已撤销), and `keep` (a household's own) even if not."""
    return forms.ModelChoiceField(
        label=_("所属村（社区）/乡镇"),
        queryset=Region.objects.visible_to(user)
        .filter(Q(retired_on__isnull=True) | Q(code=keep or ""), level__in=[Level.TOWNSHIP, Level.VILLAGE])
        .order_by("code"),
        empty_label=_("请选择"),
    )


class HouseholdSearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(
        label=_("姓名/身份证号/电话/户编号"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("姓名、身份证号、电话或户编号"), "autofocus": True}),
    )
    region = forms.ModelChoiceField(
        label=_("村（社区）/乡镇"), queryset=Region.objects.none(), required=False, empty_label=_("全部")
    )
    category = forms.ChoiceField(
        label=_("救助类别"), required=False, choices=[("", _("全部")), *Category.choices]
    )
    flag = forms.ChoiceField(
        label=_("重点对象"),
        required=False,
        choices=[
            ("", _("全部")),
            *((k, label) for k, (label, _years) in AGE_FLAGS.items()),
            *PERSON_FLAGS.items(),
        ],
    )
    monitored = forms.ChoiceField(
        label=_("监测状态"),
        required=False,
        choices=[("", _("全部家庭")), ("1", _("监测家庭（有有效救助类别）"))],
    )
    #: households visited on or after this day (the dashboard's 本周已走访家庭 links with Monday)
    visited_since = forms.DateField(label=_("走访日期起"), required=False, widget=forms.HiddenInput)

    visit_overdue = forms.BooleanField(label=_("探访逾期"), required=False)

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any region in scope may be asked for (a dashboard figure links to its county or city);
        # the list offers the two levels below the user's own (a county user: its townships and
        # villages; a province user: its cities and counties, not the province's tens of thousands
        # of villages), and the region asked for.
        field = self.fields["region"]
        field.queryset = Region.objects.visible_to(user).order_by("code")
        asked = str(self.data.get("region") or "") if self.is_bound else ""
        places = Q(level__in=listed_levels(user)) | Q(code=asked)
        field.widget.choices = ModelChoiceIterator(_Listed(field, field.queryset.filter(places)))
        self.style_fields()

    def region_refused(self) -> bool:
        """A region asked for that the user may not see (or no region at all): the list is empty,
        never the whole scope."""
        return self.is_bound and bool(self.data.get("region")) and "region" in self.errors


def listed_levels(user) -> list[int]:
    """The region levels the search form lists for `user`: the two below their own (the nation's
    provinces and cities for a user of no region), a village user's own village."""
    own = user.region.level if getattr(user, "region", None) else 0
    return [level for level in Level.values if own < level <= own + 2] or [Level.VILLAGE]


class _Listed:
    """A choice field seen with another queryset: what its widget lists (validation keeps the
    field's own)."""

    def __init__(self, field: forms.ModelChoiceField, queryset) -> None:
        self._field, self.queryset = field, queryset

    def __getattr__(self, name: str) -> Any:
        return getattr(self._field, name)


class HouseholdForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Household
        fields = [
            "region",
            "household_number",
            "address",
            "contact_phone",
            "is_urban",
            "heating_type",
            "housing_condition",
            "monthly_income",
            "expense_medical",
            "expense_education",
            "expense_heating",
            "expense_disaster",
            "note",
        ]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"] = _place_choices(
            user, keep=self.instance.region_id if self.instance.pk else None
        )
        self.fields["contact_phone"].widget.attrs["inputmode"] = "tel"
        self.style_fields()

    def validate_unique(self) -> None:
        """Uniqueness is checked by the service against the database constraint."""

    def _post_clean(self) -> None:
        # Skip ModelForm's instance validation: the service validates (with the actor's scope).
        pass


PERSON_FORM_FIELDS = [
    "name",
    "id_number",
    "relation",
    "phone",
    "lives_alone",
    "has_disability",
    "disability_level",
    "severe_illness",
    "unable_self_care",
    "is_student",
    "is_orphan",
    "is_unsupported_child",
    "is_left_behind_child",
    "is_child_in_distress",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "carer_name",
    "carer_phone",
    "note",
]


class PersonForm(BootstrapMixin, forms.ModelForm):
    make_head = forms.BooleanField(label=_("设为户主"), required=False)

    class Meta:
        model = Person
        fields = PERSON_FORM_FIELDS
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_number"].widget.attrs.update({"autocomplete": "off", "class": "code"})
        for name in ("phone", "guardian_phone", "carer_phone"):
            self.fields[name].widget.attrs["inputmode"] = "tel"
        if self.instance.pk:
            del self.fields["make_head"]
        self.style_fields()

    def clean_id_number(self) -> str:
        return services.validate_id_number(self.cleaned_data.get("id_number", ""))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("disability_level") and not data.get("has_disability"):
            self.add_error("has_disability", _("填写了残疾等级时请勾选“残疾”"))
        return data

    def _post_clean(self) -> None:
        pass


class AssistanceForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Assistance
        fields = [
            "category",
            "person",
            "dibao_class",
            "tekun_mode",
            "monitoring_type",
            "start_date",
            "end_date",
            "note",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = household.members.filter(active=True)
        self.fields["person"].empty_label = _("按户认定")
        self.style_fields()

    def _post_clean(self) -> None:
        pass


class BigCheckbox(forms.CheckboxInput):
    def __init__(self) -> None:
        super().__init__(attrs={"class": "visit-check"})


class VisitForm(BootstrapMixin, forms.Form):
    """The visit form, made for a phone: pick a member, tick the checks, write needs, save."""

    person = forms.ModelChoiceField(
        label=_("探访对象"), queryset=Person.objects.none(), required=False, empty_label=_("全户")
    )
    # Short labels: three buttons side by side on a phone.
    kind = forms.ChoiceField(
        label=_("探访类型"),
        choices=[
            (VisitKind.GENERAL, _("一般走访")),
            (VisitKind.ELDERLY, _("爱心敲门")),
            (VisitKind.CHILD, _("儿童探访")),
        ],
        widget=forms.RadioSelect,
    )
    channel = forms.ChoiceField(label=_("探访方式"), choices=VisitChannel.choices, widget=forms.RadioSelect)
    heating_ok = forms.BooleanField(label=_("取暖正常"), required=False, initial=True, widget=BigCheckbox())
    food_ok = forms.BooleanField(label=_("食物充足"), required=False, initial=True, widget=BigCheckbox())
    clothing_ok = forms.BooleanField(label=_("衣被保暖"), required=False, initial=True, widget=BigCheckbox())
    house_safe = forms.BooleanField(label=_("住房安全"), required=False, initial=True, widget=BigCheckbox())
    health_ok = forms.BooleanField(
        label=_("身体状况良好"), required=False, initial=True, widget=BigCheckbox()
    )
    mental_ok = forms.BooleanField(
        label=_("精神状态良好"), required=False, initial=True, widget=BigCheckbox()
    )
    guardian_present = forms.BooleanField(
        label=_("监护人在位（儿童探访）"), required=False, initial=True, widget=BigCheckbox()
    )
    needs = forms.CharField(
        label=_("反映的困难和需求"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("没有可不填")}),
    )
    follow_up = forms.ChoiceField(label=_("跟进事项"), choices=FollowUp.choices, required=False)
    next_visit_due = forms.DateField(
        label=_("下次探访日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(
        label=_("备注"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("下次探访日期晚于规则要求时，请写明原因")}),
    )

    CHECKS = ("heating_ok", "food_ok", "clothing_ok", "house_safe", "health_ok", "mental_ok")

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.household = household
        self.fields["person"].queryset = household.members.filter(active=True).order_by("id")
        self.style_fields()

    def member(self, value: str | None) -> Person | None:
        """The active member of this household with the pk `value` (from the query string), else None."""
        if not value or not str(value).isdigit():
            return None
        return self.fields["person"].queryset.filter(pk=value).first()

    def check_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.CHECKS]

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data["kind"] != VisitKind.CHILD:
            data["guardian_present"] = None
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("follow_up") and not (data.get("needs") or "").strip():
            self.add_error("needs", _("需要跟进时请写明反映的困难和需求"))
        return data


class RosterUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("花名册文件（.xlsx、.xls、.ods 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields()
