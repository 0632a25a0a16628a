"""API of 集中慰问: `/api/v1/campaigns/` (each campaign with its completion, counted over the
households the caller may see) and `/api/v1/campaign-households/` (the households on the lists,
filterable by campaign, state and region), with `POST …/{id}/deliver/` recording a delivery as the
page's tap does (delivered with who received it; or declined / not found with a reason)."""

from __future__ import annotations

from django.db.models import F
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from campaigns import services
from campaigns.models import COMPLETION_EMPTY, Campaign, CampaignHousehold, CampaignItem, DeliveryState
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin


class CompletionSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Households on the list")
    pending = serializers.IntegerField()
    delivered = serializers.IntegerField()
    declined = serializers.IntegerField()
    not_found = serializers.IntegerField()


class CampaignItemSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)

    class Meta:
        model = CampaignItem
        fields = ["item", "item_code", "item_name", "unit", "quantity"]
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    items = CampaignItemSerializer(many=True, read_only=True)
    completion = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = [
            "id",
            "region",
            "name",
            "starts_on",
            "ends_on",
            "categories",
            "flags",
            "min_age",
            "cash_amount",
            "program",
            "items",
            "state",
            "state_display",
            "created_at",
            "listed_at",
            "closed_at",
            "completion",
        ]
        read_only_fields = fields

    @extend_schema_field(CompletionSerializer)
    def get_completion(self, obj: Campaign) -> dict:
        counts = self.context.get("completion", {}).get(obj.pk) or COMPLETION_EMPTY
        return {k: counts[k] for k in COMPLETION_EMPTY}


class CampaignFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Campaign
        fields = ["state", "region"]


class CampaignViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Campaign.objects.prefetch_related("items__item")
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilter

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        context["completion"] = getattr(self, "_completion", {})
        return context

    def _count(self, campaign_ids: list[int]) -> None:
        self._completion = (
            CampaignHousehold.objects.visible_to(self.request.user)
            .filter(campaign__in=campaign_ids)
            .completion(F("campaign_id"))
        )

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        self._count([c.pk for c in rows])
        return page

    def retrieve(self, request, *args, **kwargs):
        campaign = self.get_object()
        self._count([campaign.pk])
        return Response(self.get_serializer(campaign).data)


class CampaignHouseholdSerializer(serializers.ModelSerializer):
    head_name = serializers.CharField(source="household.head.name", read_only=True, default="")
    address = serializers.CharField(source="household.address", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = CampaignHousehold
        fields = [
            "id",
            "campaign",
            "region",
            "household",
            "head_name",
            "address",
            "cash_amount",
            "state",
            "state_display",
            "delivered_at",
            "received_by_name",
            "photo_url",
            "note",
        ]
        read_only_fields = fields

    def get_photo_url(self, obj: CampaignHousehold) -> str | None:
        """The scoped, logged download of the signature or photo."""
        from relief.uploads import download_url

        return download_url(obj, "photo")


class CampaignHouseholdFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = CampaignHousehold
        fields = ["campaign", "state", "household", "region"]


class DeliverSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=[c for c in DeliveryState.choices if c[0] != DeliveryState.PENDING]
    )
    received_by_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=50)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class CampaignHouseholdViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = CampaignHousehold.objects.select_related("household__head")
    serializer_class = CampaignHouseholdSerializer
    filterset_class = CampaignHouseholdFilter

    @extend_schema(request=DeliverSerializer, responses=CampaignHouseholdSerializer)
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser, FormParser])
    def deliver(self, request, pk=None):
        """Record a delivery: delivered (who received it, an optional photo; the goods drawn from
        the county's stock, refused when short), declined or not found (with a reason). A second
        tap on a delivered household changes nothing and returns the first."""
        entry = self.get_object()
        data = DeliverSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.delivery_record(actor=request.user, entry=entry, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=entry.pk)).data)


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("campaign-households", CampaignHouseholdViewSet, basename="campaignhousehold")
