"""Filters shared by the pages, the API and the Excel export, so all three select the same rows."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from institutions.models import (
    Hazard,
    HazardSeverity,
    HazardState,
    Inspection,
    Institution,
    InstitutionType,
)
from relief.api.filters import RegionPrefixFilter, RelatedIdFilter, ScopedFilterSet


class InstitutionFilter(ScopedFilterSet):
    q = filters.CharFilter(method="filter_q", label=_("名称或运营主体"))
    region = RegionPrefixFilter()
    type = filters.ChoiceFilter(choices=InstitutionType.choices, label=_("机构类型"))
    inspected_since = filters.DateFilter(method="filter_inspected_since", label=_("此日以来检查过"))

    class Meta:
        model = Institution
        fields = ["type", "heating_type", "is_active", "region", "q", "inspected_since"]

    def filter_inspected_since(self, queryset, name, value):
        return queryset.filter(Exists(Inspection.objects.filter(institution=OuterRef("pk"), date__gte=value)))

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(name__contains=value) | Q(operator__contains=value))


class InspectionFilter(ScopedFilterSet):
    date_from = filters.DateFilter(field_name="date", lookup_expr="gte", label=_("检查日期起"))
    date_to = filters.DateFilter(field_name="date", lookup_expr="lte", label=_("检查日期止"))
    # Plain ids (RelatedIdFilter): an out-of-region id and a missing one answer alike.
    institution = RelatedIdFilter(field_name="institution", label=_("机构"))
    inspector = RelatedIdFilter(field_name="inspector", label=_("检查人"))

    class Meta:
        model = Inspection
        fields = ["institution", "inspector", "date_from", "date_to"]


class HazardFilter(ScopedFilterSet):
    state = filters.ChoiceFilter(choices=HazardState.choices, label=_("状态"))
    severity = filters.ChoiceFilter(choices=HazardSeverity.choices, label=_("隐患等级"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("已逾期"))
    open = filters.BooleanFilter(method="filter_open", label=_("未销号"))
    region = RegionPrefixFilter("institution__region")
    q = filters.CharFilter(method="filter_q", label=_("隐患或机构名称"))
    institution = RelatedIdFilter(field_name="institution", label=_("机构"))
    owner = RelatedIdFilter(field_name="owner", label=_("整改责任人"))

    class Meta:
        model = Hazard
        fields = ["state", "severity", "overdue", "open", "institution", "owner", "region", "q"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.overdue() if value else queryset.not_overdue()

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return (
            queryset.exclude(state=HazardState.CLOSED) if value else queryset.filter(state=HazardState.CLOSED)
        )

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__contains=value) | Q(institution__name__contains=value))
