"""The upload form of a department batch and the search of its records."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from exchange.models import DataSource, RecordStatus
from relief.models import Region
from relief.regions import LEVEL_BY_LENGTH, Level
from relief.sheet_reader import ACCEPT


class BatchUploadForm(forms.Form):
    source = forms.ModelChoiceField(label=_("数据来源"), queryset=DataSource.objects.none())
    region = forms.ModelChoiceField(
        label=_("数据区划"),
        queryset=Region.objects.none(),
        help_text=_("本批数据所属区划；未比中的记录由该区划查询"),
    )
    period = forms.CharField(label=_("数据期间"), max_length=32, required=False, help_text=_("如 2026-11"))
    file = forms.FileField(
        label=_("数据文件"),
        help_text=_("Excel（.xlsx、.xls）、WPS/LibreOffice（.ods）或 CSV 文件，按数据来源的列对应读取"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = DataSource.objects.visible_to(user).active().order_by("code")
        # the user's own region and the larger divisions (county and above) within it
        scope = user.scope_code or ""
        deepest = max(3, _level(scope)) if scope else 3
        regions = Region.objects.visible_to(user).current().filter(level__lte=deepest)
        self.fields["region"].queryset = regions.order_by("code")
        if user.region_id:
            self.fields["region"].initial = user.region_id
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


def _level(code: str) -> int:
    return LEVEL_BY_LENGTH.get(len(code), Level.COUNTY)


class RecordSearchForm(forms.Form):
    status = forms.ChoiceField(
        label=_("比对结果"), choices=[("", _("全部")), *RecordStatus.choices], required=False
    )
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    name = forms.CharField(label=_("姓名"), max_length=50, required=False)
