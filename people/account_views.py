"""The payment account page of a person (发放账户): the active account, a form to register or change
it (county and township staff), and every earlier account with who changed it and why. Account
numbers are masked for roles that do not see personal data (a logged "show" button reveals one)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from people.forms import BootstrapMixin, apply_service_errors
from people.models import Person
from people.payment_accounts import AgentBank, PaymentAccount, payment_account_set
from relief.idempotency import page_once
from relief.privacy import account_for
from relief.scoping import get_visible_or_404, require_writer


class PaymentAccountForm(BootstrapMixin, forms.Form):
    bank = forms.ChoiceField(label=gettext_lazy("开户银行"), choices=AgentBank.choices)
    account_number = forms.CharField(label=gettext_lazy("银行账号"), max_length=40)
    holder_name = forms.CharField(
        label=gettext_lazy("账户名"),
        max_length=50,
        required=False,
        help_text=gettext_lazy("账户不是本人的（如监护人代领）填写账户名"),
    )
    reason = forms.CharField(label=gettext_lazy("变更原因"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.style_fields()


@login_required
def person_account(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_visible_or_404(Person.objects.select_related("household"), request.user, pk=pk)
    current = PaymentAccount.objects.visible_to(request.user).filter(person=person, active=True).first()
    form = None
    if request.method == "POST":
        require_writer(request.user)
        form = PaymentAccountForm(request.POST)
        if form.is_valid():

            def save() -> HttpResponse | None:
                try:
                    payment_account_set(actor=request.user, person=person, **form.cleaned_data)
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                    return None
                messages.success(request, _("发放账户已保存"))
                return redirect("people:household-detail", pk=person.household_id)

            if (done := page_once(request, save)) is not None:
                return done
    elif request.user.can_write:
        initial = (
            {
                "bank": current.bank,
                "account_number": account_for(request.user, current.account_number),
                "holder_name": current.holder_name,
            }
            if current
            else {}
        )
        form = PaymentAccountForm(initial=initial)
    history = (
        PaymentAccount.history.filter(person_id=person.pk)
        .select_related("history_user")
        .order_by("-history_date")[:30]
    )
    return render(
        request,
        "people/person_account.html",
        {
            "person": person,
            "current": current,
            "form": form,
            "history": [
                {
                    "h": h,
                    "number": account_for(request.user, h.account_number),
                    "bank": AgentBank(h.bank).label,
                }
                for h in history
            ],
        },
    )
