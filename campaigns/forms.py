from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from funds.models import MaterialItem
from people.choices import AGE_FLAGS, PERSON_FLAGS, Category

ITEM_LINES = 3


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    categories = forms.MultipleChoiceField(
        label=_("适用救助类别"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    flags = forms.MultipleChoiceField(
        label=_("须具备的标识"),
        choices=[*PERSON_FLAGS.items(), *((k, v[0]) for k, v in AGE_FLAGS.items())],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_age = forms.IntegerField(label=_("最低年龄"), min_value=0, max_value=150, required=False)
    cash_amount = forms.DecimalField(label=_("每户慰问金（元）"), min_value=0, decimal_places=2, initial=0)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        items = MaterialItem.objects.filter(active=True).order_by("id")
        for i in range(1, ITEM_LINES + 1):
            self.fields[f"item_{i}"] = forms.ModelChoiceField(
                label=_("慰问物资"), queryset=items, required=False
            )
            self.fields[f"quantity_{i}"] = forms.DecimalField(
                label=_("每户数量"), min_value=0, decimal_places=2, required=False
            )

    def item_lines(self) -> list:
        return [
            (self.cleaned_data[f"item_{i}"], self.cleaned_data.get(f"quantity_{i}") or 0)
            for i in range(1, ITEM_LINES + 1)
            if self.cleaned_data.get(f"item_{i}")
        ]
