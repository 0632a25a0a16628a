"""Forms of the patrol pages. They only validate input; the services do the writes. Choices of
teams, shifts and regions are limited to what the user may see."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models.functions import Length
from django.utils.translation import gettext_lazy as _

from patrols.cap import MAX_CAP_BYTES
from patrols.models import (
    Clue,
    ColdWaveLevel,
    Encounter,
    JointPartner,
    PatrolTeam,
    Sex,
    Weather,
    validate_id_number,
)
from relief.forms import step_form as relief_step_form
from relief.models import Region, User
from relief.workflow import Step

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_FORMAT)


def datetime_field(label, required=False, **kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=DateTimeLocalInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        **kwargs,
    )


class BootstrapForm(forms.Form):
    """Adds Bootstrap classes to every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                widget.attrs.setdefault("class", "btn-check")
            elif isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def add_service_error(self, exc: ValidationError) -> None:
        """Show a service's ValidationError on the fields it names, the rest on the form."""
        if hasattr(exc, "error_dict"):
            for name, errors in exc.error_dict.items():
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc)


def visible_regions(user, max_length: int = 9):
    """The regions a new patrol record may be placed in: visible, in force (not 已撤销)."""
    return (
        Region.objects.visible_to(user)
        .current()
        .annotate(code_len=Length("code"))
        .filter(code_len__lte=max_length)
    )


def id_number_field() -> forms.CharField:
    return forms.CharField(
        label=_("身份证号"), required=False, max_length=24, validators=[validate_id_number]
    )


# --- Shifts and encounters ----------------------------------------------------------------------


class ShiftForm(BootstrapForm):
    NIGHT_CHOICES = [("", _("按开始时间自动判断")), ("1", _("是")), ("0", _("否"))]

    team = forms.ModelChoiceField(label=_("巡查队"), queryset=PatrolTeam.objects.none())
    area = forms.CharField(label=_("巡查区域/路线"), max_length=255)
    started_at = datetime_field(_("开始时间"), required=True)
    ended_at = datetime_field(_("结束时间"))
    night = forms.ChoiceField(label=_("夜间巡查"), choices=NIGHT_CHOICES, required=False)
    members_present = forms.ModelMultipleChoiceField(
        label=_("出勤队员"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    joint_partners = forms.MultipleChoiceField(
        label=_("联合巡查单位"),
        choices=JointPartner.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    temperature_c = forms.DecimalField(label=_("气温（℃）"), max_digits=4, decimal_places=1, required=False)
    weather = forms.ChoiceField(label=_("天气"), choices=[("", "—"), *Weather.choices], required=False)
    note = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        teams = PatrolTeam.objects.visible_to(user).filter(active=True)
        self.fields["team"].queryset = teams
        self.fields["members_present"].queryset = User.objects.filter(patrol_teams__in=teams).distinct()

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        night = data.pop("night")
        data["night"] = None if night == "" else night == "1"
        return data


class EncounterForm(BootstrapForm):
    """The form a patrol member fills on a phone: big toggles, few typed fields."""

    place = forms.CharField(label=_("地点"), max_length=255)
    sex = forms.ChoiceField(
        label=_("性别"), choices=Sex.choices, initial=Sex.UNKNOWN, widget=forms.RadioSelect, required=False
    )
    approx_age = forms.IntegerField(
        label=_("估计年龄"),
        min_value=0,
        max_value=120,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    conditions = forms.MultipleChoiceField(
        label=_("身体状况"),
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.CONDITION_FIELDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    actions = forms.MultipleChoiceField(
        label=_("采取措施"),
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.ACTION_FIELDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    refusal_reason = forms.CharField(label=_("拒绝原因"), max_length=255, required=False)
    refusal_signed = forms.BooleanField(label=_("本人签字确认拒绝"), required=False)
    materials_given = forms.CharField(label=_("发放物资"), max_length=255, required=False)
    person_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    id_number = id_number_field()
    description = forms.CharField(
        label=_("体貌特征"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up = forms.CharField(label=_("后续跟进"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    latitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)
    longitude = forms.DecimalField(max_digits=9, decimal_places=6, required=False, widget=forms.HiddenInput)

    #: optional rows "stock item + quantity" given from the county warehouse
    MATERIAL_ROWS = 3

    def __init__(self, *args, stocks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_stock = stocks is not None and stocks.exists()
        self.material_rows = []
        if not self.has_stock:
            return
        self.fields["materials_given"].label = _("其他发放物资（非库存）")
        for i in range(1, self.MATERIAL_ROWS + 1):
            stock = forms.ModelChoiceField(
                label=_("库存物资"),
                queryset=stocks,
                required=False,
                empty_label=_("— 选择物资 —"),
                widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
            )
            stock.label_from_instance = _stock_label
            quantity = forms.DecimalField(
                label=_("数量"),
                required=False,
                min_value=Decimal("0.01"),
                max_digits=12,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"class": "form-control form-control-lg", "inputmode": "decimal", "step": "any"}
                ),
            )
            self.fields[f"material_stock_{i}"] = stock
            self.fields[f"material_quantity_{i}"] = quantity
            self.material_rows.append((self[f"material_stock_{i}"], self[f"material_quantity_{i}"]))

    def clean_sex(self):
        return self.cleaned_data.get("sex") or Sex.UNKNOWN

    def clean(self):
        data = super().clean()
        materials = []
        for i in range(1, len(self.material_rows) + 1):
            stock, quantity = data.get(f"material_stock_{i}"), data.get(f"material_quantity_{i}")
            if stock is not None and quantity is None:
                if f"material_quantity_{i}" not in self.errors:
                    self.add_error(f"material_quantity_{i}", _("请填写数量"))
            elif stock is None and quantity is not None and f"material_stock_{i}" not in self.errors:
                self.add_error(f"material_stock_{i}", _("请选择物资"))
            elif stock is not None:
                materials.append({"stock": stock, "quantity": quantity})
        data["materials"] = materials
        return data

    def add_service_error(self, exc: ValidationError) -> None:
        """Errors of the stock materials (not enough stock…) are shown at the top and by the rows."""
        self.materials_errors = (
            list(exc.message_dict.get("materials", [])) if hasattr(exc, "error_dict") else []
        )
        super().add_service_error(exc)

    def service_kwargs(self) -> dict:
        """The cleaned data as keyword arguments of services.encounter_record."""
        return {k: v for k, v in self.cleaned_data.items() if not k.startswith("material_")}


def _stock_label(stock) -> str:
    return _("%(item)s（%(warehouse)s，余%(have)s%(unit)s）") % {
        "item": stock.item.name,
        "warehouse": stock.warehouse.name,
        "have": f"{stock.quantity.normalize():f}",
        "unit": stock.item.unit,
    }


# --- Clues --------------------------------------------------------------------------------------


class ClueForm(BootstrapForm):
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Clue._meta.get_field("channel").choices)
    place = forms.CharField(label=_("地点"), max_length=255)
    description = forms.CharField(
        label=_("情况描述"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    reported_at = datetime_field(_("报告时间"), help_text=_("留空为当前时间"))
    reporter_name = forms.CharField(label=_("报告人"), max_length=64, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = visible_regions(user)
        if user.region_id:
            self.fields["region"].initial = user.region_id


# --- Station cases ------------------------------------------------------------------------------


class StationCaseForm(BootstrapForm):
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    station_name = forms.CharField(label=_("救助管理站"), max_length=100)
    intake_at = datetime_field(_("入站时间"), help_text=_("留空为当前时间"))
    person_name = forms.CharField(label=_("姓名"), max_length=64, required=False)
    id_number = id_number_field()
    description = forms.CharField(
        label=_("体貌特征"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sex = forms.ChoiceField(label=_("性别"), choices=Sex.choices, initial=Sex.UNKNOWN)
    approx_age = forms.IntegerField(label=_("估计年龄"), min_value=0, max_value=120, required=False)
    health_screening = forms.CharField(
        label=_("健康筛查"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    mental_screening = forms.CharField(
        label=_("精神状况筛查"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    injured = forms.BooleanField(label=_("受伤"), required=False)
    critically_ill = forms.BooleanField(label=_("危重"), required=False)
    suspected_mental_disorder = forms.BooleanField(label=_("疑似精神障碍"), required=False)
    intellectual_disability = forms.BooleanField(label=_("智力障碍"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = visible_regions(user, 6)
        if user.region_id and len(user.region_id) <= 6:
            self.fields["region"].initial = user.region_id


# --- Cold-wave warnings -------------------------------------------------------------------------


class ColdWaveForm(BootstrapForm):
    region = forms.ModelChoiceField(label=_("区划"), queryset=Region.objects.none())
    level = forms.TypedChoiceField(label=_("预警等级"), choices=ColdWaveLevel.choices, coerce=int)
    starts_at = datetime_field(_("开始时间"), help_text=_("留空为当前时间"))
    ends_at = datetime_field(_("结束时间"), help_text=_("留空表示直至解除"))
    note = forms.CharField(label=_("说明"), max_length=255, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = visible_regions(user, 6)
        if user.region_id and len(user.region_id) <= 6:
            self.fields["region"].initial = user.region_id


class CapUploadForm(BootstrapForm):
    """An official warning as a CAP 1.2 file (.xml), as 12379 and the provincial 预警发布中心 publish it."""

    cap_file = forms.FileField(
        label=_("CAP 预警文件（.xml）"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xml,application/xml,text/xml,application/cap+xml"}
        ),
    )

    def clean_cap_file(self):
        upload = self.cleaned_data["cap_file"]
        if upload.size > MAX_CAP_BYTES:  # checked before anything reads the file
            raise ValidationError(_("CAP 消息过大（上限 %(n)d KB）") % {"n": MAX_CAP_BYTES // 1024})
        return upload


# --- Workflow steps -----------------------------------------------------------------------------


def step_form(step: Step, user: User, data=None, obj=None) -> forms.Form:
    """The inputs of a clue or case step as declared (patrols/workflows.py), field names without a
    prefix (each step posts to its own URL). Teams offered are the active ones; the encounter a clue
    led to is given through the API only (a list of every encounter would not fit a page)."""
    form = relief_step_form(step, data=data, user=user)
    form.auto_id = f"id_{step.name}_%s"  # several steps on one page: ids stay unique
    if "team" in form.fields:
        form.fields["team"].queryset = form.fields["team"].queryset.filter(active=True)
        form.fields["team"].initial = getattr(obj, "team_id", None)  # dispatching again: the same team
    if "person_name" in form.fields:
        form.fields["person_name"].initial = getattr(obj, "person_name", "")
    form.fields.pop("encounter", None)
    for name, field in form.fields.items():
        if isinstance(field, forms.DateTimeField):
            form.fields[name] = datetime_field(field.label, help_text=field.help_text)
    for field in form.fields.values():  # the full-size controls of the patrol pages (phones)
        css = field.widget.attrs.get("class", "")
        if "form-check-input" not in css:
            field.widget.attrs["class"] = "form-select" if "form-select" in css else "form-control"
    return form
