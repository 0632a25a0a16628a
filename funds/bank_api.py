"""The bank's part of /api/v1/batches/ and the corrections of /api/v1/allocations/, as viewset
mixins (funds/api.py is the rest): `bank-file` (the file for one agent bank, logged, for the roles
that send it), `bank-return` (the bank's return file), `bank-totals` and `reissue`; an allocation's
`correct` and `cancel`. Each calls one service."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from funds import selectors, services
from funds.bank_files import bank_csv, bank_xlsx
from people.payment_accounts import AgentBank
from relief.pages import xlsx_response


def bank_file_response(batch, bank: str, fmt: str) -> HttpResponse:
    """The file itself (after `services.bank_file_log`)."""
    name = f"batch-{batch.pk}-{bank or 'all'}"
    if fmt == "csv":
        response = HttpResponse(bank_csv(batch, bank or None), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return xlsx_response(bank_xlsx(batch, bank or None), f"{name}.xlsx")


class BankFileSerializer(serializers.Serializer):
    bank = serializers.ChoiceField(choices=AgentBank.choices, required=False, allow_blank=True, default="")
    format = serializers.ChoiceField(choices=[("xlsx", "xlsx"), ("csv", "csv")], default="xlsx")


class BankReturnSerializer(serializers.Serializer):
    file = serializers.FileField()


class ReissueSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class BatchBankActionsMixin:
    @extend_schema(request=BankFileSerializer, responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["post"], url_path="bank-file")
    def bank_file(self, request, pk=None):
        """The bank file (序号, 姓名, 身份证号, 账号, 金额, 摘要) of the lines still waiting for the bank,
        for one agent bank (or all): account and ID numbers in full; the download is logged."""
        batch = self.get_object()
        data = BankFileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bank, fmt = data.validated_data["bank"], data.validated_data["format"]
        services.bank_file_log(actor=request.user, batch=batch, bank=bank, fmt=fmt)
        return bank_file_response(batch, bank, fmt)

    @extend_schema(request={"multipart/form-data": BankReturnSerializer})
    @action(
        detail=True, methods=["post"], url_path="bank-return", parser_classes=[MultiPartParser, FormParser]
    )
    def bank_return(self, request, pk=None):
        """The bank's return file: each line paid or failed with the bank's reason."""
        batch = self.get_object()
        data = BankReturnSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = services.bank_return_import(
            actor=request.user, batch=batch, file=data.validated_data["file"]
        )
        return Response({"imported": counts, "totals": selectors.bank_totals(batch)})

    @action(detail=True, methods=["get"], url_path="bank-totals")
    def bank_totals(self, request, pk=None):
        """Lines and money paid, failed and waiting for the bank."""
        return Response(selectors.bank_totals(self.get_object()))

    @extend_schema(request=ReissueSerializer)
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        """A follow-up batch (补发) of the failed lines not yet re-issued."""
        batch = self.get_object()
        data = ReissueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        follow = services.batch_reissue(
            actor=request.user, batch=batch, comment=data.validated_data["comment"]
        )
        return Response(self.get_serializer(follow).data, status=201)


class CorrectSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=500)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class AllocationActionsMixin:
    @extend_schema(
        request=CorrectSerializer, parameters=[OpenApiParameter("id", int, "path", description=_("编号"))]
    )
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct the amount, with a reason (kept in the history); never below what is drawn."""
        allocation = self.get_object()
        data = CorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allocation = services.allocation_correct(
            actor=request.user, allocation=allocation, **data.validated_data
        )
        return Response(self.get_serializer(allocation).data)

    @extend_schema(request=CancelSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an allocation nothing draws on, with a reason."""
        allocation = self.get_object()
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        allocation = services.allocation_cancel(
            actor=request.user, allocation=allocation, **data.validated_data
        )
        return Response(self.get_serializer(allocation).data)
