"""Forms of the funds pages. They validate input; the writes happen in funds/services/."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funds.models import (
    Allocation,
    ApplicationKind,
    Cause,
    MaterialItem,
    Program,
    ProgramKind,
    Source,
    Warehouse,
)
from people.models import Household
from relief.forms import apply_service_errors  # noqa: F401  (the shared one, used as forms.apply_service_errors)
from relief.models import Region
from relief.regions import Level


class BootstrapMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class AllocationForm(BootstrapMixin, forms.Form):
    region = forms.ModelChoiceField(
        label=_("下达县（区）"), queryset=Region.objects.none(), empty_label=_("请选择")
    )
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    program = forms.ModelChoiceField(
        label=_("项目"), queryset=Program.objects.filter(active=True).exclude(kind=ProgramKind.IN_KIND)
    )
    source = forms.ChoiceField(label=_("资金来源"), choices=Source.choices)
    amount = forms.DecimalField(
        label=_("金额（元）"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    is_advance = forms.BooleanField(label=_("提前下达/预拨"), required=False)
    document_number = forms.CharField(label=_("文号"), max_length=100, required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (
            Region.objects.visible_to(user).current().filter(level=Level.COUNTY).order_by("code")
        )
        self.fields["year"].initial = timezone.localdate().year


class BatchForm(BootstrapMixin, forms.Form):
    allocation = forms.ModelChoiceField(
        label=_("资金指标"), queryset=Allocation.objects.none(), empty_label=_("请选择")
    )
    period = forms.CharField(
        label=_("发放期"), max_length=20, help_text=_("如 2026 或 2026-01；同一项目同一期只能生成一个批次")
    )
    title = forms.CharField(label=_("批次名称"), max_length=200, required=False)
    pay_by = forms.DateField(
        label=_("发放截止日期"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("审批后逾期未登记发放的，系统发出预警"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = (
            Allocation.objects.visible_to(user)
            .live()
            .filter(program__kind=ProgramKind.CASH)
            .select_related("program")
        )
        self.fields["period"].initial = str(timezone.localdate().year)


class ApplicationForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("救助类型"), choices=ApplicationKind.choices, widget=forms.RadioSelect)
    cause = forms.ChoiceField(label=_("救助事由"), choices=Cause.choices)
    region = forms.ModelChoiceField(
        label=_("事发地乡镇（街道）/村（社区）"), queryset=Region.objects.none(), empty_label=_("请选择")
    )
    place = forms.CharField(label=_("事发地点"), max_length=255)
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "text", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    household_size = forms.IntegerField(label=_("家庭人数"), min_value=1, max_value=30, initial=1)
    months = forms.IntegerField(label=_("救助月数（支出型）"), min_value=1, max_value=12, required=False)
    amount_requested = forms.DecimalField(
        label=_("申请金额（元）"),
        max_digits=12,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    description = forms.CharField(
        label=_("困难情况"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (
            Region.objects.visible_to(user)
            .current()
            .filter(level__in=[Level.TOWNSHIP, Level.VILLAGE])
            .order_by("code")
        )
        self.fields["kind"].widget.attrs["class"] = "form-check-input"


class ReceiveForm(BootstrapMixin, forms.Form):
    warehouse = forms.ModelChoiceField(
        label=_("仓库"), queryset=Warehouse.objects.none(), empty_label=_("请选择")
    )
    item = forms.ModelChoiceField(label=_("物资"), queryset=MaterialItem.objects.filter(active=True))
    quantity = forms.DecimalField(label=_("数量"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    source = forms.CharField(label=_("来源"), max_length=255, required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouse"].queryset = Warehouse.objects.visible_to(user)


class DistributeForm(BootstrapMixin, forms.Form):
    quantity = forms.DecimalField(label=_("数量"), max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    household = forms.CharField(
        label=_("领取家庭（户编号）"),
        max_length=40,
        required=False,
        help_text=_("家庭页面上显示的户编号；从家庭页面或探访需求进入时已填好"),
    )
    # the household of the link that opened the form (?household=<id>): kept while the number shown
    # for it is not changed
    household_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    recipient_description = forms.CharField(label=_("或：领取人/去向"), max_length=255, required=False)
    note = forms.CharField(label=_("备注"), max_length=255, required=False)

    def __init__(self, *args, user=None, household: Household | None = None, **kwargs):
        self.user = user
        if household is not None:
            kwargs["initial"] = {
                **(kwargs.get("initial") or {}),
                "household": self.shown(household),
                "household_id": household.pk,
            }
        super().__init__(*args, **kwargs)

    @staticmethod
    def shown(household: Household) -> str:
        return household.household_number or str(household.pk)

    def clean(self):
        data = super().clean()
        text = (data.get("household") or "").strip()
        linked = data.pop("household_id", None)
        visible = Household.objects.visible_to(self.user)
        household = None
        if linked is not None:
            household = visible.filter(pk=linked).first()
            if household is not None and text not in ("", self.shown(household)):
                household = None  # another number typed over the linked household's
        if household is None and text:
            by_number = list(visible.filter(household_number=text)[:2])
            if len(by_number) > 1:
                self.add_error(
                    "household",
                    _("本辖区有多户使用户编号“%(n)s”，请从该家庭页面进入发放") % {"n": text},
                )
                return data
            household = by_number[0] if by_number else None
            if household is None and text.isdigit():
                household = visible.filter(pk=int(text), household_number="").first()
            if household is None:
                self.add_error("household", _("未找到户编号为“%(n)s”的家庭") % {"n": text})
                return data
        data["household"] = household
        return data
