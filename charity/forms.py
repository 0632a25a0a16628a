from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from charity.models import CharityProject, Donor, DonorKind, NeedKind
from people.choices import AGE_FLAGS, PERSON_FLAGS, Category

ITEM_LINES = 3
DATE = forms.DateInput(attrs={"type": "date"})


class DonorForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=DonorKind.choices)
    name = forms.CharField(label=_("名称或姓名"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码（组织、企业）"), max_length=18, required=False)
    id_number = forms.CharField(label=_("身份证号（个人，可不填）"), max_length=18, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)


class DonationForm(forms.Form):
    donor = forms.ModelChoiceField(label=_("捐赠方"), queryset=Donor.objects.none())
    received_on = forms.DateField(label=_("接收日期"), widget=DATE)
    receipt_number = forms.CharField(label=_("捐赠票据号"), max_length=50)
    receipt = forms.FileField(label=_("票据扫描件"), required=False)
    amount = forms.DecimalField(
        label=_("捐赠资金（元）"), min_value=0, decimal_places=2, initial=0, required=False
    )
    project = forms.ModelChoiceField(
        label=_("定向项目（留空为非定向）"), queryset=CharityProject.objects.none(), required=False
    )
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = Donor.objects.visible_to(user)
        self.fields["project"].queryset = CharityProject.objects.visible_to(user).filter(state="active")
        for i in range(1, ITEM_LINES + 1):
            self.fields[f"item_{i}"] = forms.CharField(label=_("捐赠物品"), max_length=50, required=False)
            self.fields[f"unit_{i}"] = forms.CharField(label=_("单位"), max_length=10, required=False)
            self.fields[f"quantity_{i}"] = forms.DecimalField(
                label=_("数量"), min_value=0, decimal_places=2, required=False
            )
            self.fields[f"unit_value_{i}"] = forms.DecimalField(
                label=_("估值（元/单位）"), min_value=0, decimal_places=2, required=False
            )
            self.fields[f"serves_{i}"] = forms.ChoiceField(
                label=_("可满足的需求"), choices=NeedKind.choices, required=False
            )

    def item_lines(self) -> list:
        from charity.services import ItemLine

        return [
            ItemLine(
                name=self.cleaned_data[f"item_{i}"],
                unit=self.cleaned_data.get(f"unit_{i}") or "",
                quantity=self.cleaned_data.get(f"quantity_{i}") or 0,
                unit_value=self.cleaned_data.get(f"unit_value_{i}") or 0,
                serves=self.cleaned_data.get(f"serves_{i}") or NeedKind.OTHER,
            )
            for i in range(1, ITEM_LINES + 1)
            if self.cleaned_data.get(f"item_{i}")
        ]


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("项目名称"), max_length=100)
    budget = forms.DecimalField(label=_("预算（元）"), min_value=0, decimal_places=2)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE)
    need_kinds = forms.MultipleChoiceField(
        label=_("救助需求类型"), choices=NeedKind.choices, widget=forms.CheckboxSelectMultiple
    )
    categories = forms.MultipleChoiceField(
        label=_("适用救助类别（不选为不限）"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    flags = forms.MultipleChoiceField(
        label=_("须具备的标识"),
        choices=[*PERSON_FLAGS.items(), *((k, v[0]) for k, v in AGE_FLAGS.items())],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    organiser = forms.ModelChoiceField(label=_("合作慈善组织"), queryset=Donor.objects.none(), required=False)
    description = forms.CharField(
        label=_("项目说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organiser"].queryset = Donor.objects.visible_to(user).exclude(kind=DonorKind.INDIVIDUAL)


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("需求类型"), choices=NeedKind.choices)
    description = forms.CharField(label=_("需求说明"), widget=forms.Textarea(attrs={"rows": 3}))


class DeliverForm(forms.Form):
    received_by_name = forms.CharField(label=_("签收人"), max_length=50)
    delivered_on = forms.DateField(label=_("送达日期"), widget=DATE)
    photo = forms.FileField(
        label=_("签收照片（可不传）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(label=_("备注"), max_length=255, required=False)
