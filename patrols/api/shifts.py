"""Patrol teams (read only), shifts (巡查班次) and the people met on the street (街面救助记录)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError

from funds.models import Stock
from patrols import selectors, services
from patrols.api.common import RegionPrefixFilterSet, ServiceCreateMixin
from patrols.models import Encounter, JointPartner, PatrolShift, PatrolTeam, Sex
from relief.api.fields import ScopedRelatedField
from relief.api.mixins import ScopedViewSetMixin
from relief.models import User
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text
from relief.scoping import in_scope


class TeamMemberField(serializers.PrimaryKeyRelatedField):
    """A member of a patrol team the caller can see; anyone else does not exist."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return User.objects.none()
        teams = PatrolTeam.objects.visible_to(request.user)
        return User.objects.filter(patrol_teams__in=teams).distinct()


# --- Teams ---------------------------------------------------------------------------------------


class PatrolTeamSerializer(serializers.ModelSerializer):
    members = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = PatrolTeam
        fields = ["id", "name", "region", "phone", "active", "members"]


class PatrolTeamFilter(RegionPrefixFilterSet):
    class Meta:
        model = PatrolTeam
        fields = ["region", "active"]


class PatrolTeamViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PatrolTeam.objects.prefetch_related(Prefetch("members", queryset=User.objects.only("id")))
    serializer_class = PatrolTeamSerializer
    filterset_class = PatrolTeamFilter


# --- Shifts ---------------------------------------------------------------------------------------


class PatrolShiftSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    weather_display = serializers.CharField(source="get_weather_display", read_only=True)
    joint_partners_display = serializers.CharField(source="get_joint_partners_display", read_only=True)
    members_present = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    encounter_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = PatrolShift
        fields = [
            "id",
            "team",
            "team_name",
            "region",
            "area",
            "started_at",
            "ended_at",
            "is_night",
            "joint_partners",
            "joint_partners_display",
            "temperature_c",
            "weather",
            "weather_display",
            "members_present",
            "note",
            "encounter_count",
            "created_at",
        ]
        read_only_fields = fields


class PatrolShiftInputSerializer(serializers.Serializer):
    team = ScopedRelatedField(queryset=PatrolTeam.objects.all(), label=gettext_lazy("巡查队"))
    area = serializers.CharField(max_length=255, label=gettext_lazy("巡查区域/路线"))
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    night = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("留空则按开始时间判断（20:00–6:00）"),
    )
    members_present = TeamMemberField(queryset=User.objects.none(), many=True, required=False)
    joint_partners = serializers.MultipleChoiceField(choices=JointPartner.choices, required=False)
    temperature_c = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)
    weather = serializers.ChoiceField(choices=PatrolShift._meta.get_field("weather").choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True)


class EndShiftSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField(required=False)


class PatrolShiftFilter(RegionPrefixFilterSet):
    started_after = filters.DateFilter(field_name="started_at", lookup_expr="date__gte")
    started_before = filters.DateFilter(field_name="started_at", lookup_expr="date__lte")

    class Meta:
        model = PatrolShift
        fields = ["region", "team", "is_night"]


class PatrolShiftViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Patrol shifts (巡查班次)."""

    queryset = (
        PatrolShift.objects.select_related("team")
        .prefetch_related(Prefetch("members_present", queryset=User.objects.only("id")))
        .annotate(encounter_count=Count("encounters"))
        .order_by("-started_at", "-pk")
    )
    serializer_class = output_serializer_class = PatrolShiftSerializer
    input_serializer_class = PatrolShiftInputSerializer
    filterset_class = PatrolShiftFilter
    ordering_fields = ["started_at"]

    def create_with_service(self, data):
        return services.shift_start(actor=self.request.user, **data)

    @extend_schema(request=EndShiftSerializer, responses=PatrolShiftSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        obj = self.get_object()  # 404 before any input error
        data = self._input(EndShiftSerializer, request)
        shift = services.shift_end(actor=request.user, shift=obj, **data)
        return self._respond(shift)


# --- Encounters -----------------------------------------------------------------------------------


class StockMaterialSerializer(serializers.Serializer):
    """One distribution from stock to an encounter (from the `stock_materials` annotation)."""

    movement = serializers.IntegerField(read_only=True)
    stock = serializers.IntegerField(read_only=True)
    item = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    warehouse = serializers.CharField(read_only=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)


class EncounterSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "id_number": mask_id_number,
        "description": mask_numbers_in_text,
        "refusal_reason": mask_numbers_in_text,
        "follow_up": mask_numbers_in_text,
    }
    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    conditions = serializers.ListField(source="condition_labels", read_only=True)
    actions = serializers.ListField(source="action_labels", read_only=True)
    needs_hospital_first = serializers.BooleanField(read_only=True)
    materials = StockMaterialSerializer(source="stock_materials", many=True, read_only=True)
    station_case = serializers.SerializerMethodField(
        help_text=gettext_lazy("护送至救助站时开启或并入的救助站个案（仅在您的管辖范围内时显示）")
    )

    class Meta:
        model = Encounter
        fields = [
            "id",
            "shift",
            "region",
            "occurred_at",
            "place",
            "latitude",
            "longitude",
            "person_name",
            "id_number",
            "description",
            "sex",
            "sex_display",
            "approx_age",
            *Encounter.CONDITION_FIELDS,
            "conditions",
            "needs_hospital_first",
            *Encounter.ACTION_FIELDS,
            "actions",
            "station_case",
            "refusal_reason",
            "refusal_signed",
            "materials_given",
            "materials",
            "follow_up",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_station_case(self, encounter: Encounter) -> int | None:
        """The case's id when the reader may open it (the county's case of a township patrol: not)."""
        case_id = encounter.station_case_id
        if case_id is None:
            return None
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return case_id if in_scope(user, selectors.station_region_code(encounter.region_id)) else None


class MaterialInputSerializer(serializers.Serializer):
    stock = ScopedRelatedField(queryset=Stock.objects.all(), label=gettext_lazy("库存"))
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), label=gettext_lazy("数量")
    )


class EncounterInputSerializer(serializers.Serializer):
    shift = ScopedRelatedField(queryset=PatrolShift.objects.all(), label=gettext_lazy("巡查班次"))
    place = serializers.CharField(max_length=255)
    occurred_at = serializers.DateTimeField(required=False)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    person_name = serializers.CharField(required=False, allow_blank=True, max_length=64)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=24)
    description = serializers.CharField(required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    approx_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    conditions = serializers.MultipleChoiceField(
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.CONDITION_FIELDS],
        required=False,
    )
    actions = serializers.MultipleChoiceField(
        choices=[(f, Encounter._meta.get_field(f).verbose_name) for f in Encounter.ACTION_FIELDS],
        required=False,
    )
    refusal_reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    refusal_signed = serializers.BooleanField(required=False)
    materials_given = serializers.CharField(required=False, allow_blank=True, max_length=255)
    materials = MaterialInputSerializer(
        many=True,
        required=False,
        max_length=services.MAX_ENCOUNTER_MATERIALS,
        help_text=gettext_lazy("从本县（区）仓库库存发放的物资"),
    )
    follow_up = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        shift = attrs["shift"]
        for row in attrs.get("materials", []):
            if not row["stock"].region_id.startswith(shift.region_id[:6]):
                raise ValidationError({"materials": [_("只能发放本县（区）仓库的库存物资")]})
        return attrs


class EncounterFilter(RegionPrefixFilterSet):
    class Meta:
        model = Encounter
        fields = ["region", "shift", "refused_help", "escorted_to_station", "minor"]


class EncounterViewSet(
    ScopedViewSetMixin,
    ServiceCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People met on the street during patrols (街面救助记录)."""

    queryset = selectors.with_stock_materials(Encounter.objects.all())
    serializer_class = output_serializer_class = EncounterSerializer
    input_serializer_class = EncounterInputSerializer
    filterset_class = EncounterFilter
    ordering_fields = ["occurred_at"]

    def create_with_service(self, data):
        return services.encounter_record(actor=self.request.user, **data)
