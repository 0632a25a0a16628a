"""/api/v1/payment-accounts/: each person's payment account (发放账户) and the earlier ones. Reads are
scoped (out of region: 404) and the account number is masked for roles that do not see personal
data; POST registers or changes a person's account through `payment_account_set` (the active one is
closed, both kept in the history); a masked number written back keeps the stored one."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from people.models import Person
from people.payment_accounts import AgentBank, PaymentAccount, payment_account_set
from relief.api.fields import ScopedRelatedField
from relief.api.filters import ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.privacy import MaskedFieldsMixin, mask_account


class PaymentAccountSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"account_number": mask_account}
    person = ScopedRelatedField(queryset=Person.objects.filter(active=True))
    bank = serializers.ChoiceField(choices=AgentBank.choices)
    bank_display = serializers.CharField(source="get_bank_display", read_only=True)
    reason = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=200)

    class Meta:
        model = PaymentAccount
        fields = [
            "id",
            "person",
            "region",
            "bank",
            "bank_display",
            "account_number",
            "holder_name",
            "active",
            "created_at",
            "reason",
        ]
        read_only_fields = ["id", "region", "active", "created_at"]

    def create(self, validated_data):
        return payment_account_set(actor=self.context["request"].user, **validated_data)


class PaymentAccountFilter(ScopedFilterSet):
    class Meta:
        model = PaymentAccount
        fields = ["person", "bank", "active"]


class PaymentAccountViewSet(ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = PaymentAccount.objects.all()
    serializer_class = PaymentAccountSerializer
    filterset_class = PaymentAccountFilter
    ordering_fields = ["id", "created_at"]
    ordering = ["region_id", "id"]
