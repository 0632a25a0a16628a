"""API of recovery (追回): `/api/v1/recoveries/` lists and registers recoveries of money paid wrongly
(of a payment line or a 临时救助 application), `POST …/{id}/return/` records money paid back,
`…/waive/` writes off what cannot be recovered (county), `…/cancel/` cancels one registered by
mistake. Registration honours `Idempotency-Key`; a second registration of the same payment is 400."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from funds import services
from funds.models import AssistanceApplication, Payment
from funds.recovery_models import Recovery, RecoveryReason, RecoveryReturn
from relief.api.fields import ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.idempotency import IdempotentCreateMixin
from relief.privacy import MaskedFieldsMixin, mask_numbers_in_text


class RecoveryReturnSerializer(serializers.ModelSerializer):
    class Meta:
        model = RecoveryReturn
        fields = ["id", "amount", "returned_on", "receipt", "note", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"returned_on": {"required": False}}


class RecoverySerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"detail": mask_numbers_in_text, "close_reason": mask_numbers_in_text}
    payment = ScopedRelatedField(queryset=Payment.objects.all(), required=False, allow_null=True)
    application = ScopedRelatedField(
        queryset=AssistanceApplication.objects.all(), required=False, allow_null=True
    )
    amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text="Default: all that was paid"
    )
    reason = serializers.ChoiceField(choices=RecoveryReason.choices)
    returns = RecoveryReturnSerializer(many=True, read_only=True)

    class Meta:
        model = Recovery
        fields = [
            "id",
            "payment",
            "application",
            "region",
            "household",
            "person",
            "program",
            "year",
            "recipient_name",
            "paid_amount",
            "amount",
            "returned_amount",
            "reason",
            "detail",
            "state",
            "due_on",
            "created_at",
            "closed_at",
            "close_reason",
            "returns",
        ]
        read_only_fields = [
            "region",
            "household",
            "person",
            "program",
            "year",
            "recipient_name",
            "paid_amount",
            "returned_amount",
            "state",
            "due_on",
            "created_at",
            "closed_at",
            "close_reason",
        ]
        # one live recovery per payment or application is the service's (a Chinese message), not DRF's
        validators: list = []

    def create(self, validated_data):
        return services.recovery_open(actor=self.context["request"].user, **validated_data)


class RecoveryFilter(ScopedFilterSet):
    region = RegionPrefixFilter()

    class Meta:
        model = Recovery
        fields = ["state", "reason", "program", "year", "household", "payment", "application", "region"]


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RecoveryViewSet(
    ScopedViewSetMixin, IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = Recovery.objects.prefetch_related("returns")
    serializer_class = RecoverySerializer
    filterset_class = RecoveryFilter

    def _step(self, request, serializer_class, service) -> Response:
        recovery = self.get_object()
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        service(actor=request.user, recovery=recovery, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=recovery.pk)).data)

    @extend_schema(request=RecoveryReturnSerializer, responses=RecoverySerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def record_return(self, request, pk=None):
        """Money paid back: the recovery is recovered once all of it is back."""
        return self._step(request, RecoveryReturnSerializer, services.recovery_return)

    @extend_schema(request=ReasonSerializer, responses=RecoverySerializer)
    @action(detail=True, methods=["post"])
    def waive(self, request, pk=None):
        """Write off what cannot be recovered (核销), with a reason: county staff only."""
        return self._step(request, ReasonSerializer, services.recovery_waive)

    @extend_schema(request=ReasonSerializer, responses=RecoverySerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a recovery registered by mistake (nothing returned yet), with a reason."""
        return self._step(request, ReasonSerializer, services.recovery_cancel)
