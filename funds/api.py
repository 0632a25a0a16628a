"""/api/v1/allocations/, programs/, batches/, payments/, assistance-applications/, materials/, and
households/{id}/assistance-chain/ (what one household received, funds/chain.py).

Reads are scoped by `ScopedViewSetMixin` (out of region: 404); every write calls one service, which
checks the writer role and the region again. The workflow actions of batches and applications are
generated from their declarations (funds/workflows.py: one `@action` per step) and every batch and
application shows the steps the caller may take now (`available_actions`). ID and phone numbers are
masked for roles that do not need them.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from funds import selectors, services
from funds.bank_api import AllocationActionsMixin, BatchBankActionsMixin
from funds.chain import Chain, assistance_chain
from funds.exports import batch_workbook
from funds.models import (
    Allocation,
    ApplicationTransition,
    AssistanceApplication,
    DisbursementBatch,
    MaterialItem,
    Payment,
    Program,
    Stock,
    StockMovement,
    Warehouse,
)
from funds.workflows import application_workflow, batch_workflow, remember_township_limits
from people.models import Household, Person
from relief.api.fields import ScopedRelatedField
from relief.api.filters import RegionPrefixFilter, ScopedFilterSet
from relief.api.mixins import ScopedViewSetMixin
from relief.api.workflow import AvailableActionsField, workflow_actions
from relief.idempotency import IdempotentCreateMixin
from relief.models import Region
from relief.pages import xlsx_response
from relief.privacy import MaskedFieldsMixin, mask_id_number, mask_numbers_in_text, mask_phone, text_for
from relief.scoping import access


def _user(serializer: serializers.Serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


# --- programs ------------------------------------------------------------------------------------


class ProgramSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Program
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "kind_display",
            "categories",
            "flags",
            "min_age",
            "amount_basis",
            "amount_mode",
            "amount_fixed",
            "amount_class_a",
            "amount_class_b",
            "amount_class_c",
            "one_off",
            "winter",
            "active",
            "description",
        ]
        read_only_fields = fields


class ProgramViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Relief programs and their rules (administrators edit them in the admin)."""

    queryset = Program.objects.all()
    serializer_class = ProgramSerializer
    filterset_fields = ["kind", "active", "one_off"]


# --- allocations ---------------------------------------------------------------------------------


class RegionFilterSet(ScopedFilterSet):
    """`?region=5101`: records whose region code starts with 5101 (relief's one prefix filter)."""

    region = RegionPrefixFilter()


class AllocationFilter(RegionFilterSet):
    class Meta:
        model = Allocation
        fields = ["year", "program", "source", "is_advance", "region"]


class AllocationSerializer(serializers.ModelSerializer):
    region = ScopedRelatedField(queryset=Region.objects.all())
    program = ScopedRelatedField(queryset=Program.objects.filter(active=True))
    program_name = serializers.CharField(source="program.name", read_only=True)
    source_display = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "region",
            "year",
            "program",
            "program_name",
            "source",
            "source_display",
            "amount",
            "is_advance",
            "document_number",
            "issued_on",
            "note",
            "created_at",
            "cancelled_at",
        ]
        read_only_fields = ["id", "created_at", "cancelled_at"]


class LedgerRowSerializer(serializers.Serializer):
    county = serializers.CharField()
    county_name = serializers.CharField()
    program = serializers.IntegerField()
    program_name = serializers.CharField()
    allocated = serializers.DecimalField(max_digits=14, decimal_places=2)
    advance = serializers.DecimalField(max_digits=14, decimal_places=2)
    committed = serializers.DecimalField(max_digits=14, decimal_places=2)
    paid = serializers.DecimalField(max_digits=14, decimal_places=2)
    to_recover = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Paid wrongly, still to bring back (open 追回)"
    )
    recovered = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Brought back (追回), counted in `available` again"
    )
    available = serializers.DecimalField(max_digits=14, decimal_places=2)


class AllocationViewSet(
    AllocationActionsMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    queryset = Allocation.objects.select_related("program")
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    ordering_fields = ["year", "amount", "issued_on"]

    def perform_create(self, serializer):
        self._check_region(serializer)
        serializer.instance = services.allocation_create(actor=self.request.user, **serializer.validated_data)

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description=_("年度（默认：今年）")),
            OpenApiParameter("county", str, description=_("县级区划代码")),
        ],
        responses=LedgerRowSerializer(many=True),
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def ledger(self, request):
        """Per county and program: allocated, committed and paid."""
        from django.utils import timezone

        try:
            year = int(request.query_params.get("year") or timezone.localdate().year)
        except ValueError:
            raise serializers.ValidationError({"year": [_("年度应为数字")]}) from None
        result = selectors.ledger(request.user, year, request.query_params.get("county") or None)
        return Response(LedgerRowSerializer([r.as_dict() for r in result.rows], many=True).data)


# --- batches and payments ------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    program_name = serializers.CharField(source="program.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    available_actions = AvailableActionsField(batch_workflow)

    class Meta:
        model = DisbursementBatch
        fields = [
            "id",
            "region",
            "program",
            "program_name",
            "allocation",
            "period",
            "title",
            "status",
            "status_display",
            "total_amount",
            "payment_count",
            "failed_amount",
            "follows",
            "error",
            "job",
            "created_at",
            "reviewed_at",
            "approved_at",
            "paid_at",
            "pay_by",
            "available_actions",
        ]
        read_only_fields = fields


class BatchCreateSerializer(serializers.Serializer):
    allocation = ScopedRelatedField(queryset=Allocation.objects.select_related("program"))
    period = serializers.CharField(max_length=20)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    pay_by = serializers.DateField(required=False, allow_null=True, default=None)


class BatchFilter(RegionFilterSet):
    class Meta:
        model = DisbursementBatch
        fields = ["program", "status", "period", "allocation", "region"]


@workflow_actions(batch_workflow)
class BatchViewSet(BatchBankActionsMixin, ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Disbursement batches. POST generates one in the background (202, poll the batch or its job);
    review, approve, pay and cancel are the steps of funds/workflows.py."""

    queryset = DisbursementBatch.objects.select_related("program")
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    ordering_fields = ["created_at", "total_amount"]

    @extend_schema(request=BatchCreateSerializer, responses={202: BatchSerializer})
    def create(self, request):
        data = BatchCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        allocation = data.validated_data["allocation"]
        batch = services.batch_generate(
            actor=request.user,
            program=allocation.program,
            allocation=allocation,
            period=data.validated_data["period"],
            title=data.validated_data["title"],
            pay_by=data.validated_data["pay_by"],
        )
        context = self.get_serializer_context()
        return Response(BatchSerializer(batch, context=context).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes}
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        """The payment list for the bank (Excel)."""
        batch = self.get_object()
        return xlsx_response(batch_workbook(batch, request.user), f"batch-{batch.pk}.xlsx")


class PaymentSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"id_number": mask_id_number, "phone": mask_phone}
    batch_status = serializers.CharField(source="batch.status", read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "batch",
            "batch_status",
            "program",
            "region",
            "household",
            "person",
            "recipient_name",
            "id_number",
            "phone",
            "persons",
            "amount",
            "snapshot",
            "created_at",
            "bank_state",
            "bank_reason",
            "bank_date",
            "reissue_of",
        ]
        read_only_fields = fields


class PaymentFilter(RegionFilterSet):
    class Meta:
        model = Payment
        fields = ["batch", "program", "household", "person", "region", "bank_state"]


class PaymentViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Payment.objects.select_related("batch")
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter


# --- temporary assistance ------------------------------------------------------------------------


class ApplicationTransitionSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {"comment": mask_numbers_in_text}
    action_label = serializers.CharField(read_only=True)
    actor = serializers.StringRelatedField()

    class Meta:
        model = ApplicationTransition
        fields = ["action", "action_label", "from_state", "to_state", "actor", "at", "comment", "amount"]


class ApplicationListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = list(data.all() if hasattr(data, "all") else data)
        remember_township_limits(rows)  # `available_actions` of the page: a fixed number of queries
        return super().to_representation(rows)


class ApplicationSerializer(MaskedFieldsMixin, serializers.ModelSerializer):
    masked_fields = {
        "id_number": mask_id_number,
        "phone": mask_phone,
        "description": mask_numbers_in_text,
        "rejection_reason": mask_numbers_in_text,
    }
    region = ScopedRelatedField(queryset=Region.objects.all())
    person = ScopedRelatedField(queryset=Person.objects.all(), required=False, allow_null=True)
    household = serializers.PrimaryKeyRelatedField(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    cause_display = serializers.CharField(source="get_cause_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    id_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    available_actions = AvailableActionsField(application_workflow)

    class Meta:
        model = AssistanceApplication
        list_serializer_class = ApplicationListSerializer
        fields = [
            "id",
            "region",
            "kind",
            "kind_display",
            "cause",
            "cause_display",
            "year",
            "person",
            "household",
            "applicant_name",
            "id_number",
            "phone",
            "place",
            "description",
            "household_size",
            "months",
            "amount_requested",
            "emergency_amount",
            "emergency_paid_at",
            "proposed_amount",
            "approved_amount",
            "approval_level",
            "township_limit",
            "notice_start",
            "notice_end",
            "status",
            "status_display",
            "rejection_reason",
            "submitted_at",
            "reviewed_at",
            "decided_at",
            "paid_at",
            "available_actions",
        ]
        read_only_fields = [
            "id",
            "year",
            "household",
            "emergency_amount",
            "emergency_paid_at",
            "proposed_amount",
            "approved_amount",
            "approval_level",
            "township_limit",
            "notice_start",
            "notice_end",
            "status",
            "rejection_reason",
            "submitted_at",
            "reviewed_at",
            "decided_at",
            "paid_at",
        ]
        extra_kwargs = {"applicant_name": {"required": False, "allow_blank": True}}


class ApplicationDetailSerializer(ApplicationSerializer):
    transitions = ApplicationTransitionSerializer(many=True, read_only=True)
    deadlines = serializers.SerializerMethodField()

    class Meta(ApplicationSerializer.Meta):
        fields = [*ApplicationSerializer.Meta.fields, "transitions", "deadlines"]

    def get_deadlines(self, obj: AssistanceApplication) -> list[dict]:
        return [
            {
                "label": s.label,
                "due": s.due.isoformat(),
                "exact": s.exact,
                "done": s.done,
                "overdue": s.overdue,
            }
            for s in selectors.application_deadlines(obj)
        ]


class ApplicationFilter(RegionFilterSet):
    class Meta:
        model = AssistanceApplication
        fields = ["kind", "cause", "status", "year", "household", "person", "region"]


@workflow_actions(application_workflow, response=ApplicationDetailSerializer)
class AssistanceApplicationViewSet(
    IdempotentCreateMixin, ScopedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """临时救助 applications; each step of funds/workflows.py is an action (emergency-pay, review,
    notice-start, objection, notice-close, approve, pay, reject)."""

    queryset = AssistanceApplication.objects.select_related("household")
    serializer_class = ApplicationSerializer
    filterset_class = ApplicationFilter
    ordering_fields = ["submitted_at", "status"]

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch("transitions", queryset=ApplicationTransition.objects.select_related("actor"))
            )
        return qs

    def get_serializer_class(self):
        return ApplicationDetailSerializer if self.action != "list" else ApplicationSerializer

    def perform_create(self, serializer):
        self._check_region(serializer)
        serializer.instance = services.application_submit(
            actor=self.request.user, **serializer.validated_data
        )


# --- materials -----------------------------------------------------------------------------------


class StockSerializer(serializers.ModelSerializer):
    warehouse_name = serializers.CharField(source="warehouse.name", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit = serializers.CharField(source="item.unit", read_only=True)

    class Meta:
        model = Stock
        fields = [
            "id",
            "warehouse",
            "warehouse_name",
            "item",
            "item_code",
            "item_name",
            "unit",
            "region",
            "quantity",
        ]
        read_only_fields = fields


class MovementSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "stock",
            "kind",
            "kind_display",
            "quantity",
            "household",
            "recipient_description",
            "source",
            "note",
            "at",
        ]
        read_only_fields = fields


class ReceiveSerializer(serializers.Serializer):
    warehouse = ScopedRelatedField(queryset=Warehouse.objects.all())
    item = ScopedRelatedField(queryset=MaterialItem.objects.filter(active=True))
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    source = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class DistributeSerializer(serializers.Serializer):
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    household = ScopedRelatedField(
        queryset=Household.objects.all(), required=False, allow_null=True, default=None
    )
    recipient_description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=255
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class StockFilter(RegionFilterSet):
    class Meta:
        model = Stock
        fields = ["warehouse", "item", "region"]


class MaterialViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Material stock per warehouse and item; receive and distribute through actions."""

    queryset = Stock.objects.select_related("warehouse", "item")
    serializer_class = StockSerializer
    filterset_class = StockFilter

    @extend_schema(request=ReceiveSerializer, responses={201: StockSerializer})
    @action(detail=False, methods=["post"])
    def receive(self, request):
        data = ReceiveSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        movement = services.stock_receive(actor=request.user, **data.validated_data)
        stock = self.get_queryset().get(pk=movement.stock_id)
        return Response(StockSerializer(stock).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DistributeSerializer, responses=StockSerializer)
    @action(detail=True, methods=["post"])
    def distribute(self, request, pk=None):
        stock = self.get_object()
        data = DistributeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.stock_distribute(actor=request.user, stock=stock, **data.validated_data)
        return Response(StockSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(responses=MovementSerializer(many=True))
    @action(detail=True, methods=["get"])
    def movements(self, request, pk=None):
        stock = self.get_object()
        return Response(MovementSerializer(stock.movements.all()[:500], many=True).data)


# --- one household's assistance chain ------------------------------------------------------------

MONEY_FIELD = {"max_digits": 14, "decimal_places": 2}


class ChainEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField(
        help_text="payment, emergency, application, material, recovery, campaign or charity"
    )
    kind_display = serializers.CharField()
    label = serializers.CharField(help_text="Programme, cause, item, or what is recovered")
    source = serializers.CharField(
        help_text="Batch title, the allocation's source and document number; applicant; warehouse"
    )
    amount = serializers.DecimalField(
        **MONEY_FIELD,
        allow_null=True,
        help_text="Yuan; negative for money to bring back (a recovery), positive for a sum returned. "
        "Null for goods, and for an application not yet approved",
    )
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    state = serializers.CharField(
        help_text="paid, pending, failed (at the bank), held, reissued, distributed, returned; "
        "a recovery's own state: open, partial, recovered, waived"
    )
    state_display = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    outstanding = serializers.DecimalField(
        **MONEY_FIELD, allow_null=True, help_text="A recovery's money still to bring back"
    )
    url = serializers.CharField(allow_blank=True, help_text="The record's page, where the caller may open it")


class ChainItemTotalSerializer(serializers.Serializer):
    item = serializers.CharField()
    unit = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=2)


class ChainTotalsSerializer(serializers.Serializer):
    received = serializers.DecimalField(**MONEY_FIELD, help_text="Cash paid to the household")
    pending = serializers.DecimalField(
        **MONEY_FIELD, help_text="Lines of batches not yet paid, applications approved not yet paid"
    )
    recovered = serializers.DecimalField(**MONEY_FIELD, help_text="Paid wrongly and brought back")
    to_recover = serializers.DecimalField(**MONEY_FIELD, help_text="Paid wrongly, still to bring back")
    net = serializers.DecimalField(**MONEY_FIELD, help_text="received - recovered")
    items = ChainItemTotalSerializer(many=True)


class ChainSerializer(serializers.Serializer):
    household = serializers.IntegerField(source="household_id")
    entries = ChainEntrySerializer(many=True)
    totals = ChainTotalsSerializer()


class AssistanceChainView(APIView):
    """一户一条救助链: every payment line, temporary assistance, material distribution and recovery of
    the household that the caller may see, newest first, with totals. 404 for a household outside
    the caller's region, as for one that does not exist."""

    serializer_class = ChainSerializer

    @extend_schema(responses=ChainSerializer, operation_id="households_assistance_chain")
    def get(self, request, pk: int):
        household = access(Household.objects.all(), request.user, pk)
        chain: Chain = assistance_chain(household, request.user)
        data = ChainSerializer(chain).data
        for entry in data["entries"]:  # free text (a bank's or a holder's reason) masked by role
            entry["note"] = text_for(request.user, entry["note"])
        return Response(data)


def api_urlpatterns() -> list:
    from django.urls import path

    return [
        path(
            "households/<int:pk>/assistance-chain/",
            AssistanceChainView.as_view(),
            name="household-assistance-chain",
        )
    ]


def register(router) -> None:
    from funds.recovery_api import RecoveryViewSet

    router.register("programs", ProgramViewSet, basename="program")
    router.register("allocations", AllocationViewSet, basename="allocation")
    router.register("batches", BatchViewSet, basename="batch")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("assistance-applications", AssistanceApplicationViewSet, basename="assistanceapplication")
    router.register("materials", MaterialViewSet, basename="material")
    router.register("recoveries", RecoveryViewSet, basename="recovery")
