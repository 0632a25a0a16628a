"""API of 慈善: `/api/v1/donors/` (contact phone and an individual's ID number masked for roles that do
not see personal data), `/api/v1/donations/` (money and goods lines with what is allotted;
`GET …/{id}/trace/`: totals and every household reached), `/api/v1/charity-projects/` (with budget,
allotted, spent and households served) and `/api/v1/charity-needs/` (`POST …/{id}/assign/` with the
money and goods of named donations, `…/deliver/`, `…/close/`). Region scoped like everything else;
every write goes through charity/services.py."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from charity import selectors, services
from charity.models import (
    Allotment,
    CharityNeed,
    CharityProject,
    Donation,
    DonationItem,
    Donor,
    DonorKind,
    NeedKind,
    NeedState,
)
from people.choices import Category
from people.models import Household, Person
from relief.api.fields import RegionCodeField, ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.parsers import JSONParser as ProjectJSONParser
from relief.idempotency import IdempotentCreateMixin
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text, mask_phone

MONEY = {"max_digits": 12, "decimal_places": 2}


def _region(serializer: serializers.Serializer, data: dict):
    return data.pop("region", None) or serializer.context["request"].user.region


# --- donors -----------------------------------------------------------------------------------------


class DonorSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"phone": mask_phone, "id_number": mask_id_number, "note": mask_numbers_in_text}
    kind = serializers.ChoiceField(choices=DonorKind.choices)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    region = RegionCodeField(required=False, help_text="Default: the caller's region")

    class Meta:
        model = Donor
        fields = [
            "id",
            "region",
            "kind",
            "kind_display",
            "name",
            "credit_code",
            "id_number",
            "contact_name",
            "phone",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        validators: list = []  # the credit code once per region is the service's (a Chinese message)

    def create(self, validated_data):
        region = _region(self, validated_data)
        return services.donor_register(actor=self.context["request"].user, region=region, **validated_data)


class DonorFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Donor
        fields = ["kind", "region"]


class DonorViewSet(
    ScopedViewSetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = Donor.objects.all()
    serializer_class = DonorSerializer
    filterset_class = DonorFilter
    parser_classes = [ProjectJSONParser]  # no file: JSON only (an empty form field read as "not sent")


# --- donations --------------------------------------------------------------------------------------


class DonationItemSerializer(serializers.ModelSerializer):
    serves = serializers.ChoiceField(choices=NeedKind.choices, default=NeedKind.OTHER)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)

    class Meta:
        model = DonationItem
        fields = ["id", "name", "unit", "quantity", "unit_value", "serves", "allotted_quantity", "remaining"]
        read_only_fields = ["id", "allotted_quantity", "remaining"]
        extra_kwargs = {"unit_value": {"required": False}}


class DonationSerializer(serializers.ModelSerializer):
    donor = ScopedRelatedField(queryset=Donor.objects.all())
    donor_name = serializers.CharField(source="donor.name", read_only=True)
    region = RegionCodeField(required=False, help_text="Default: the caller's region")
    project = ScopedRelatedField(
        queryset=CharityProject.objects.all(), required=False, allow_null=True, help_text="Null: unrestricted"
    )
    items = DonationItemSerializer(many=True, required=False)
    balance = serializers.DecimalField(**MONEY, read_only=True, help_text="Money not yet allotted")
    receipt_url = serializers.SerializerMethodField()

    class Meta:
        model = Donation
        fields = [
            "id",
            "donor",
            "donor_name",
            "region",
            "amount",
            "allotted_amount",
            "balance",
            "items",
            "received_on",
            "receipt_number",
            "receipt_url",
            "project",
            "note",
            "created_at",
        ]
        read_only_fields = ["id", "allotted_amount", "created_at"]
        validators: list = []  # a receipt number once per region is the service's (a Chinese message)
        extra_kwargs = {"amount": {"required": False}}

    def get_receipt_url(self, obj: Donation) -> str | None:
        from relief.uploads import download_url

        return download_url(obj, "receipt")

    def create(self, validated_data):
        region = _region(self, validated_data)
        items = [services.ItemLine(**line) for line in validated_data.pop("items", [])]
        return services.donation_receive(
            actor=self.context["request"].user, region=region, items=items, **validated_data
        )


class DonationFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Donation
        fields = ["donor", "project", "region"]


class TraceRowSerializer(serializers.ModelSerializer):
    household = serializers.IntegerField(source="need.household_id")
    household_head = serializers.CharField(source="need.household.head.name", default="")
    region = serializers.CharField(source="need.region_id")
    need = serializers.IntegerField(source="need_id")
    need_state = serializers.CharField(source="need.state")
    project = serializers.IntegerField(source="need.project_id")
    item = serializers.CharField(source="line.name", default="")
    unit = serializers.CharField(source="line.unit", default="")

    class Meta:
        model = Allotment
        fields = [
            "id",
            "household",
            "household_head",
            "region",
            "need",
            "need_state",
            "project",
            "amount",
            "item",
            "quantity",
            "unit",
            "value",
        ]


class DonationTotalsSerializer(serializers.Serializer):
    received = serializers.DecimalField(**MONEY, help_text="Money received")
    goods_value = serializers.DecimalField(**MONEY, help_text="Estimated value of the goods received")
    allotted = serializers.DecimalField(**MONEY, help_text="Money and goods' value allotted to needs")
    delivered = serializers.DecimalField(**MONEY, help_text="Money and goods' value delivered")
    balance = serializers.DecimalField(**MONEY, help_text="Money not yet allotted")


class DonationTraceSerializer(serializers.Serializer):
    totals = DonationTotalsSerializer()
    households = TraceRowSerializer(many=True)


class DonationViewSet(
    ScopedViewSetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = Donation.objects.select_related("donor").prefetch_related("items")
    serializer_class = DonationSerializer
    filterset_class = DonationFilter

    @extend_schema(responses=DonationTraceSerializer)
    @action(detail=True, methods=["get"], url_path="trace", url_name="trace")
    def where_it_went(self, request, pk=None):  # not `trace`: DRF would answer HTTP TRACE with it
        """Where the donation went: totals received, allotted, delivered and the balance, and every
        allotment to a household in the caller's region (money or goods, and the need's state)."""
        donation = self.get_object()
        rows = selectors.donation_trace(donation, request.user)
        return Response(
            DonationTraceSerializer({"totals": selectors.donation_totals(donation), "households": rows}).data
        )


# --- projects -------------------------------------------------------------------------------------


class ProjectSummarySerializer(serializers.Serializer):
    allotted = serializers.DecimalField(**MONEY)
    spent = serializers.DecimalField(**MONEY, help_text="Money and goods' value delivered")
    households_served = serializers.IntegerField()


class CharityProjectSerializer(serializers.ModelSerializer):
    region = RegionCodeField(required=False, help_text="Default: the caller's region")
    organiser = ScopedRelatedField(queryset=Donor.objects.all(), required=False, allow_null=True)
    need_kinds = serializers.ListField(child=serializers.ChoiceField(choices=NeedKind.choices))
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Category.choices), required=False
    )
    flags = serializers.ListField(child=serializers.CharField(), required=False)
    summary = serializers.SerializerMethodField()

    class Meta:
        model = CharityProject
        fields = [
            "id",
            "region",
            "name",
            "organiser",
            "need_kinds",
            "categories",
            "flags",
            "budget",
            "starts_on",
            "ends_on",
            "state",
            "description",
            "created_at",
            "summary",
        ]
        read_only_fields = ["id", "state", "created_at"]

    @extend_schema_field(ProjectSummarySerializer)
    def get_summary(self, obj: CharityProject) -> dict:
        zero = Decimal("0.00")
        summary = self.context.get("summaries", {}).get(
            obj.pk, {"allotted": zero, "spent": zero, "households_served": 0}
        )
        return ProjectSummarySerializer(summary).data

    def create(self, validated_data):
        region = _region(self, validated_data)
        return services.project_create(actor=self.context["request"].user, region=region, **validated_data)


class CharityProjectFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = CharityProject
        fields = ["state", "organiser", "region"]


def project_summaries(ids: list[int], user) -> dict[int, dict]:
    """Allotted, spent and households served of each project, counted over the needs the user may
    see (a city's project seen by a county: that county's part): two queries for a page."""
    zero = Decimal("0.00")
    out = {pk: {"allotted": zero, "spent": zero, "households_served": 0} for pk in ids}
    delivered = Q(need__state=NeedState.DELIVERED)
    sums = (
        Allotment.objects.visible_to(user)
        .live()
        .filter(need__project__in=ids)
        .values("need__project")
        .annotate(
            a=Sum("amount"),
            v=Sum("value"),
            sa=Sum("amount", filter=delivered),
            sv=Sum("value", filter=delivered),
        )
    )
    for row in sums:
        out[row["need__project"]]["allotted"] = (row["a"] or zero) + (row["v"] or zero)
        out[row["need__project"]]["spent"] = (row["sa"] or zero) + (row["sv"] or zero)
    served = (
        CharityNeed.objects.visible_to(user)
        .filter(project__in=ids, state=NeedState.DELIVERED)
        .values("project")
        .annotate(n=Count("household", distinct=True))
    )
    for row in served:
        out[row["project"]]["households_served"] = row["n"]
    return out


class CharityProjectViewSet(
    ScopedViewSetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = CharityProject.objects.all()
    serializer_class = CharityProjectSerializer
    filterset_class = CharityProjectFilter
    parser_classes = [ProjectJSONParser]  # no file: JSON only

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["summaries"] = getattr(self, "_summaries", {})
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._summaries = project_summaries([p.pk for p in rows], self.request.user)
        return page

    def retrieve(self, request, *args, **kwargs):
        project = self.get_object()
        self._summaries = project_summaries([project.pk], request.user)
        return Response(self.get_serializer(project).data)


# --- needs ----------------------------------------------------------------------------------------


class AllotmentSerializer(serializers.ModelSerializer):
    donor_name = serializers.CharField(source="donation.donor.name", read_only=True)
    item = serializers.CharField(source="line.name", default="", read_only=True)
    unit = serializers.CharField(source="line.unit", default="", read_only=True)

    class Meta:
        model = Allotment
        fields = [
            "id",
            "donation",
            "donor_name",
            "line",
            "item",
            "amount",
            "quantity",
            "unit",
            "value",
            "released",
        ]
        read_only_fields = fields


class CharityNeedSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"description": mask_numbers_in_text, "closed_reason": mask_numbers_in_text}
    household = ScopedRelatedField(queryset=Household.objects.all())
    person = ScopedRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=NeedKind.choices)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    allotments = AllotmentSerializer(many=True, read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = CharityNeed
        fields = [
            "id",
            "household",
            "person",
            "region",
            "kind",
            "kind_display",
            "description",
            "origin",
            "visit",
            "state",
            "state_display",
            "project",
            "assigned_at",
            "delivery_task",
            "delivered_on",
            "received_by_name",
            "photo_url",
            "closed_reason",
            "allotments",
            "created_at",
        ]
        read_only_fields = [
            "id",
            "region",
            "origin",
            "visit",
            "state",
            "project",
            "assigned_at",
            "delivery_task",
            "delivered_on",
            "received_by_name",
            "closed_reason",
            "created_at",
        ]

    def get_photo_url(self, obj: CharityNeed) -> str | None:
        from relief.uploads import download_url

        return download_url(obj, "photo")

    def create(self, validated_data):
        need, _created = services.need_add(actor=self.context["request"].user, **validated_data)
        return need


class CharityNeedFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = CharityNeed
        fields = ["state", "kind", "origin", "household", "project", "region"]


class DonationLineField(serializers.PrimaryKeyRelatedField):
    """A goods line of a donation the caller may see: any other answers "does not exist"."""

    def get_queryset(self):
        user = getattr(self.context.get("request"), "user", None)
        return super().get_queryset().filter(donation__in=Donation.objects.visible_to(user))


class ShareSerializer(serializers.Serializer):
    donation = ScopedRelatedField(queryset=Donation.objects.all())
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True, help_text="Money, in yuan")
    line = DonationLineField(
        queryset=DonationItem.objects.all(),  # lint: allow-unscoped (narrowed to visible donations below)
        required=False,
        allow_null=True,
        help_text="A goods line of the donation",
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)

    def validate(self, attrs):
        line = attrs.get("line")
        if line is not None and line.donation_id != attrs["donation"].pk:
            raise serializers.ValidationError({"line": "该物资不属于所选捐赠"})
        if (line is None) == (attrs.get("amount") is None):
            raise serializers.ValidationError("每一行请填写资金，或物资及其数量")
        return attrs


class AssignSerializer(serializers.Serializer):
    project = ScopedRelatedField(queryset=CharityProject.objects.all())
    shares = ShareSerializer(many=True)


class NeedDeliverSerializer(serializers.Serializer):
    received_by_name = serializers.CharField(max_length=50)
    delivered_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class CloseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class CharityNeedViewSet(
    ScopedViewSetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = CharityNeed.objects.prefetch_related("allotments__donation__donor", "allotments__line")
    serializer_class = CharityNeedSerializer
    filterset_class = CharityNeedFilter

    def _answer(self, need: CharityNeed) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=need.pk)).data)

    @extend_schema(request=AssignSerializer, responses=CharityNeedSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign an open need to a project with money and/or goods of named donations (each donation's
        balance checked under a row lock; over-allocation is 400); the township gets the delivery task."""
        need = self.get_object()
        data = AssignSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        shares = [services.Share(**s) for s in data.validated_data["shares"]]
        services.need_assign(
            actor=request.user, need=need, project=data.validated_data["project"], shares=shares
        )
        return self._answer(need)

    @extend_schema(request=NeedDeliverSerializer, responses=CharityNeedSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def deliver(self, request, pk=None):
        """Record the delivery (who received it, the date, an optional photo): the need is met and the
        delivery task done. A second call changes nothing and returns the first."""
        need = self.get_object()
        data = NeedDeliverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.need_deliver(actor=request.user, need=need, **data.validated_data)
        return self._answer(need)

    @extend_schema(request=CloseSerializer, responses=CharityNeedSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close a need not delivered, with a reason: what was allotted goes back to the donations."""
        need = self.get_object()
        data = CloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.need_close(actor=request.user, need=need, reason=data.validated_data["reason"])
        return self._answer(need)


def register(router) -> None:
    router.register("donors", DonorViewSet, basename="donor")
    router.register("donations", DonationViewSet, basename="donation")
    router.register("charity-projects", CharityProjectViewSet, basename="charityproject")
    router.register("charity-needs", CharityNeedViewSet, basename="charityneed")
