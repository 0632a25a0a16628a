"""/api/v1/households/, /api/v1/persons/, /api/v1/visits/: list, retrieve, create, update.

Reads are scoped by `ScopedViewSetMixin`; writes go through people/services.py (which checks the
writer role and the region again). ID and phone numbers are masked for roles that do not need them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import Throttled

from people import services
from people.models import (
    AGE_FLAGS,
    PERSON_FLAGS,
    Assistance,
    Category,
    Household,
    Person,
    Visit,
    years_ago,
)
from people.roster.api import RosterImportViewSet
from people.selectors import with_list_data
from relief.api.fields import RegionSlugField, ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.idempotency import IdempotentCreateMixin
from relief.models import Region
from relief.privacy import (
    MaskedFieldsMixin,
    NumberSearchLimited,
    id_for,
    mask_id_number,
    mask_numbers_in_text,
    mask_phone,
    number_search,
    sees_personal_data,
)
from relief.scoping import in_scope

# --- serializers ---------------------------------------------------------------------------------


def _user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class AssistanceSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    label = serializers.CharField(read_only=True)

    class Meta:
        model = Assistance
        fields = [
            "id",
            "category",
            "category_display",
            "label",
            "person",
            "dibao_class",
            "tekun_mode",
            "monitoring_type",
            "start_date",
            "end_date",
        ]
        read_only_fields = fields


class PersonSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "id_number": mask_id_number,
        "phone": mask_phone,
        "guardian_phone": mask_phone,
        "carer_phone": mask_phone,
        "note": mask_numbers_in_text,
    }
    birth_date_fields = ("birth_date",)
    household = ScopedRelatedField(queryset=Household.objects.all())
    region = serializers.CharField(source="region_id", read_only=True)
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    age = serializers.IntegerField(read_only=True)
    is_aged_60 = serializers.BooleanField(read_only=True)
    is_aged_80 = serializers.BooleanField(read_only=True)
    make_head = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Person
        fields = [
            "id",
            "household",
            "region",
            "name",
            "id_number",
            "sex",
            "sex_display",
            "birth_date",
            "age",
            "is_aged_60",
            "is_aged_80",
            "relation",
            "phone",
            "active",
            *PERSON_FLAGS,
            "disability_level",
            "guardian_name",
            "guardian_phone",
            "guardian_relation",
            "carer_name",
            "carer_phone",
            "note",
            "make_head",
            "next_visit_due",
            "visit_rule_name",
            "visit_interval_days",
            "visit_cold_wave",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "sex",
            "birth_date",
            "active",
            "next_visit_due",
            "visit_rule_name",
            "visit_interval_days",
            "visit_cold_wave",
            "created_at",
            "updated_at",
        ]
        # Uniqueness of an active ID number is the database constraint's (checked by the service).
        extra_kwargs = {"id_number": {"validators": []}}
        validators: list = []

    def validate_id_number(self, value: str) -> str:
        return services.validate_id_number(value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            self.instance is not None
            and "household" in attrs
            and attrs["household"] != self.instance.household
        ):
            raise serializers.ValidationError({"household": [_("不能通过修改把成员移到另一户")]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Person:
        data = dict(validated_data)
        household = data.pop("household")
        return services.person_add(actor=_user(self), household=household, **data)

    def update(self, instance: Person, validated_data: dict[str, Any]) -> Person:
        data = {k: v for k, v in validated_data.items() if k in services.PERSON_FIELDS}
        return services.person_update(actor=_user(self), person=instance, **data)


class MemberSerializer(PersonSerializer):
    """A member as nested in a household: the essentials."""

    masked_fields = {"id_number": mask_id_number, "phone": mask_phone}

    class Meta(PersonSerializer.Meta):
        fields = ["id", "name", "id_number", "sex", "birth_date", "age", "relation", "phone", "active"]
        read_only_fields = fields


class HouseholdSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"contact_phone": mask_phone, "note": mask_numbers_in_text}
    # lint: allow-unscoped (any region code is accepted here; ScopedViewSetMixin refuses one outside the user's: 403)
    region = RegionSlugField(slug_field="code", queryset=Region.objects.all())
    region_name = serializers.CharField(source="region.name", read_only=True)
    head = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True, default=None)
    current_assistances = serializers.SerializerMethodField()
    heating_type_display = serializers.CharField(source="get_heating_type_display", read_only=True)
    housing_condition_display = serializers.CharField(source="get_housing_condition_display", read_only=True)

    class Meta:
        model = Household
        fields = [
            "id",
            "region",
            "region_name",
            "household_number",
            "address",
            "head",
            "member_count",
            "contact_phone",
            "is_urban",
            "heating_type",
            "heating_type_display",
            "housing_condition",
            "housing_condition_display",
            "monthly_income",
            "expense_medical",
            "expense_education",
            "expense_heating",
            "expense_disaster",
            "note",
            "current_assistances",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        # The database constraint (checked by the service) decides uniqueness of household_number.
        validators: list = []

    def get_head(self, obj: Household) -> dict[str, Any] | None:
        if not obj.head_id:
            return None
        user = _user(self)
        head = obj.head
        return {"id": head.pk, "name": head.name, "id_number": id_for(user, head.id_number)}

    def get_current_assistances(self, obj: Household) -> list[dict[str, Any]]:
        rows = getattr(obj, "current_assistances", None)
        if rows is None:
            rows = list(obj.assistances.current())
        # One child serializer for the whole page: building its fields per household cost ~70% of
        # the list's time (bench/README.md, load test).
        child = self.__dict__.get("_assistance_child")
        if child is None:
            child = self.__dict__["_assistance_child"] = AssistanceSerializer()
        return [child.to_representation(row) for row in rows]

    def create(self, validated_data: dict[str, Any]) -> Household:
        return services.household_create(actor=_user(self), **validated_data)

    def update(self, instance: Household, validated_data: dict[str, Any]) -> Household:
        return services.household_update(actor=_user(self), household=instance, **validated_data)


class HouseholdDetailSerializer(HouseholdSerializer):
    members = MemberSerializer(many=True, read_only=True)

    class Meta(HouseholdSerializer.Meta):
        fields = [*HouseholdSerializer.Meta.fields, "members"]


class VisitSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "needs": mask_numbers_in_text,
        "follow_up_note": mask_numbers_in_text,
        "note": mask_numbers_in_text,
    }
    household = ScopedRelatedField(queryset=Household.objects.all())
    person = ScopedRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    region = serializers.CharField(source="region_id", read_only=True)
    visitor = serializers.PrimaryKeyRelatedField(read_only=True)
    visitor_name = serializers.SerializerMethodField()
    person_name = serializers.CharField(source="person.name", read_only=True, default=None)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "household",
            "person",
            "person_name",
            "region",
            "visitor",
            "visitor_name",
            "visited_at",
            "kind",
            "kind_display",
            "channel",
            "channel_display",
            *Visit.CHECK_FIELDS,
            "guardian_present",
            "needs",
            "follow_up",
            "follow_up_note",
            "next_visit_due",
            "note",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_visitor_name(self, obj: Visit) -> str | None:
        return str(obj.visitor) if obj.visitor_id else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            self.instance is not None
            and "household" in attrs
            and attrs["household"] != self.instance.household
        ):
            raise serializers.ValidationError({"household": [_("不能修改探访记录所属的家庭")]})
        return attrs

    def create(self, validated_data: dict[str, Any]) -> Visit:
        data = dict(validated_data)
        household = data.pop("household")
        return services.visit_record(actor=_user(self), household=household, **data)

    def update(self, instance: Visit, validated_data: dict[str, Any]) -> Visit:
        data = {k: v for k, v in validated_data.items() if k in services.VISIT_FIELDS}
        return services.visit_update(actor=_user(self), visit=instance, **data)


# --- filters -------------------------------------------------------------------------------------

FLAG_CHOICES = [*((k, label) for k, (label, _years) in AGE_FLAGS.items()), *PERSON_FLAGS.items()]


class HouseholdFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    category = filters.ChoiceFilter(choices=Category.choices, method="filter_category", label=_("救助类别"))
    flag = filters.ChoiceFilter(choices=FLAG_CHOICES, method="filter_flag", label=_("有该类重点成员"))
    created_after = filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("登记日期起")
    )
    created_before = filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("登记日期止")
    )
    household_number = filters.CharFilter(label=_("户编号"))
    visit_overdue = filters.BooleanFilter(method="filter_visit_overdue", label=_("有探访逾期成员"))

    class Meta:
        model = Household
        fields = ["region", "is_urban", "heating_type", "housing_condition", "household_number"]

    def filter_category(self, qs, name, value):
        return qs.with_category(value) if value else qs

    def filter_flag(self, qs, name, value):
        return qs.with_member_flag(value) if value else qs

    def filter_visit_overdue(self, qs, name, value):
        if value is None:
            return qs
        overdue = Exists(Person.objects.visit_overdue().filter(household=OuterRef("pk")))
        return qs.filter(overdue) if value else qs.exclude(overdue)


class PersonFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    category = filters.ChoiceFilter(choices=Category.choices, method="filter_category", label=_("救助类别"))
    aged_60 = filters.BooleanFilter(method="filter_age", label=_("60周岁以上"))
    aged_80 = filters.BooleanFilter(method="filter_age", label=_("80周岁以上"))
    born_after = filters.DateFilter(method="filter_born", label=_("出生日期起"))
    born_before = filters.DateFilter(method="filter_born", label=_("出生日期止"))
    id_number = filters.CharFilter(method="filter_id_number", label=_("身份证号"))
    name = filters.CharFilter(field_name="name", lookup_expr="startswith", label=_("姓名（开头）"))
    visit_overdue = filters.BooleanFilter(method="filter_visit_overdue", label=_("探访逾期"))

    class Meta:
        model = Person
        fields = ["region", "household", "active", "sex", "relation", *PERSON_FLAGS, "disability_level"]

    def filter_category(self, qs, name, value):
        if not value:
            return qs
        # lint: allow-unscoped (a sub-query of the person list, which the viewset has scoped)
        current = Assistance.objects.filter(category=value).current()
        return qs.filter(
            Q(household_id__in=current.filter(person__isnull=True).values("household_id"))
            | Q(pk__in=current.filter(person__isnull=False).values("person_id"))
        )

    def filter_visit_overdue(self, qs, name, value):
        """The people the 探访逾期 dashboard figure and the visit-overdue alerts count."""
        if value is None:
            return qs
        overdue = Q(active=True, next_visit_due__lt=timezone.localdate())  # as PersonQuerySet.visit_overdue
        return qs.filter(overdue) if value else qs.exclude(overdue)

    def filter_age(self, qs, name, value):
        if value is None:
            return qs
        limit = years_ago(AGE_FLAGS[name][1])
        return qs.filter(birth_date__lte=limit) if value else qs.filter(birth_date__gt=limit)

    def filter_born(self, qs, name, value):
        """By birth date; by birth year only for roles that see the year only (a range of one day
        would give away the date the masked ID hides)."""
        if not value:
            return qs
        if not sees_personal_data(getattr(self.request, "user", None)):
            value = value.replace(month=1, day=1) if name == "born_after" else value.replace(month=12, day=31)
        return qs.filter(birth_date__gte=value) if name == "born_after" else qs.filter(birth_date__lte=value)

    def filter_id_number(self, qs, name, value):
        """A whole ID number only (the field is exact); for roles that see masked numbers each such
        search is counted, limited per hour (429) and logged."""
        if not value:
            return qs
        number = services.normalize_id_number(value)
        try:
            number_search(
                actor=getattr(self.request, "user", None),
                kind="id_number",
                value=number,
                model_label="people.person",
            )
        except NumberSearchLimited as exc:
            raise Throttled(detail=str(exc)) from None
        return qs.filter(id_number=number)


class VisitFilter(ScopedFilterSet):
    region = RegionPrefixFilter()
    visited_after = filters.DateFilter(
        field_name="visited_at", lookup_expr="date__gte", label=_("探访日期起")
    )
    visited_before = filters.DateFilter(
        field_name="visited_at", lookup_expr="date__lte", label=_("探访日期止")
    )
    due_before = filters.DateFilter(
        field_name="next_visit_due", lookup_expr="lte", label=_("下次探访日期不晚于")
    )
    has_problem = filters.BooleanFilter(method="filter_problem", label=_("发现问题"))

    class Meta:
        model = Visit
        fields = ["region", "household", "person", "kind", "channel", "follow_up", "visitor"]

    def filter_problem(self, qs, name, value):
        if value is None:
            return qs
        problem = Q()
        for field in (*Visit.CHECK_FIELDS, "guardian_present"):
            problem |= Q(**{field: False})
        return qs.filter(problem) if value else qs.exclude(problem)


# --- viewsets ------------------------------------------------------------------------------------


class WriteViewSet(
    IdempotentCreateMixin,
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create, update; no delete (people are deactivated, not deleted)."""


class HouseholdViewSet(WriteViewSet):
    queryset = Household.objects.all()
    filterset_class = HouseholdFilter
    ordering_fields = ["id", "region", "created_at", "monthly_income"]
    ordering = ["region_id", "id"]

    def get_serializer_class(self):
        return HouseholdDetailSerializer if self.action == "retrieve" else HouseholdSerializer

    def get_queryset(self):
        qs = with_list_data(super().get_queryset())
        if self.action == "retrieve":
            qs = qs.prefetch_related(Prefetch("members", queryset=Person.objects.order_by("-active", "id")))
        return qs


class InHouseholdViewSet(WriteViewSet):
    """Persons and visits: a record's region is its household's, so a create or update is checked
    against the household's region (the one the body names, else the record's copy). A household
    outside the user's region is not found (404), as when it is asked for directly. The household
    field is scoped too (out of region: "does not exist") and the services check again."""

    def _check_region(self, serializer) -> None:
        household = serializer.validated_data.get("household")
        if household is not None:
            region = household.region_id
        else:  # an update that leaves the household: the record's own region (its household's)
            region = getattr(serializer.instance, "region_id", None)
        if not in_scope(self.request.user, region):
            raise Http404(gettext("未找到该记录"))


class PersonViewSet(InHouseholdViewSet):
    queryset = Person.objects.all()
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    ordering = ["region_id", "id"]

    @property
    def ordering_fields(self) -> list[str]:
        """Where birth dates are reduced to the year, ordering by them would give the dates back."""
        request = getattr(self, "request", None)
        if request is not None and not sees_personal_data(request.user):
            return ["id", "name", "region"]
        return ["id", "birth_date", "name", "region"]


class VisitViewSet(InHouseholdViewSet):
    queryset = Visit.objects.select_related("visitor", "person")
    serializer_class = VisitSerializer
    filterset_class = VisitFilter
    ordering_fields = ["visited_at", "next_visit_due", "id"]
    ordering = ["-visited_at", "-id"]


def register(router) -> None:
    from people.account_api import PaymentAccountViewSet
    from people.assistance_api import AssistanceViewSet

    router.register("households", HouseholdViewSet, basename="household")
    router.register("persons", PersonViewSet, basename="person")
    router.register("visits", VisitViewSet, basename="visit")
    router.register("roster-imports", RosterImportViewSet, basename="roster-import")
    router.register("payment-accounts", PaymentAccountViewSet, basename="payment-account")
    router.register("assistances", AssistanceViewSet, basename="assistance")
