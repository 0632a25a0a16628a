"""Payment accounts (惠民惠农“一卡通” and other bank accounts): where a person's subsidies are paid.

One active account per person (a database constraint); the holder is the person unless
`holder_name` names someone else (a guardian for a child, a carer). The account number is personal
data: masked for roles that do not see it (relief/privacy.py `account_for`), in full only in the
bank file of a batch (funds/bank.py). Changes are kept by django-simple-history. Kept in its own
module (people/models.py is at the size limit); `people.models` re-exports the model.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from relief.scoping import ScopedQuerySet, region_field, require_actor


class AgentBank(models.TextChoices):
    """The agent banks (代发银行) counties pay subsidies through."""

    ABC = "ABC", _("中国农业银行")
    ICBC = "ICBC", _("中国工商银行")
    CCB = "CCB", _("中国建设银行")
    BOC = "BOC", _("中国银行")
    PSBC = "PSBC", _("中国邮政储蓄银行")
    BOCOM = "BOCOM", _("交通银行")
    RCC = "RCC", _("农村信用社/农村商业银行")
    VILLAGE = "VTB", _("村镇银行")
    OTHER = "OTHER", _("其他银行")


#: what the roster's 开户银行 column reads: the label, or a short name people write
BANK_WORDS: dict[str, str] = {
    **{str(label): code for code, label in AgentBank.choices},
    **{code: code for code in AgentBank.values},
    "农业银行": "ABC",
    "农行": "ABC",
    "工商银行": "ICBC",
    "工行": "ICBC",
    "建设银行": "CCB",
    "建行": "CCB",
    "中行": "BOC",
    "邮储银行": "PSBC",
    "邮政储蓄银行": "PSBC",
    "交通银行": "BOCOM",
    "农村信用社": "RCC",
    "信用社": "RCC",
    "农商银行": "RCC",
    "农村商业银行": "RCC",
}

_ACCOUNT = re.compile(r"\d{8,30}")


def normalise_account_number(value: str | None) -> str:
    """Digits only (spaces and hyphens people type between groups removed)."""
    return re.sub(r"[\s\-]", "", str(value or ""))


class PaymentAccountQuerySet(ScopedQuerySet):
    def active(self) -> PaymentAccountQuerySet:
        return self.filter(active=True)


class PaymentAccount(models.Model):
    person = models.ForeignKey(
        "people.Person", verbose_name=_("家庭成员"), on_delete=models.PROTECT, related_name="payment_accounts"
    )
    region = region_field(verbose_name=_("区划"))
    bank = models.CharField(_("开户银行"), max_length=8, choices=AgentBank.choices)
    account_number = models.CharField(_("银行账号"), max_length=30)
    holder_name = models.CharField(
        _("账户名"), max_length=50, blank=True, help_text=_("账户不是本人的（如监护人代领）填写账户名")
    )
    active = models.BooleanField(_("有效"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = PaymentAccountQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发放账户")
        verbose_name_plural = _("发放账户")
        ordering = ["person_id", "-active", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(active=True), name="payment_account_active_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_bank_display()} {self.holder or ''}".strip()

    @property
    def holder(self) -> str:
        return self.holder_name or getattr(self.person, "name", "")

    def clean(self) -> None:
        self.account_number = normalise_account_number(self.account_number)
        if not _ACCOUNT.fullmatch(self.account_number):
            raise ValidationError({"account_number": _("银行账号须为8至30位数字")})


@transaction.atomic
def payment_account_set(
    *, actor, person, bank: str, account_number: str, holder_name: str = "", reason: str = ""
) -> PaymentAccount:
    """Give a person a (new) payment account: the active one is kept when nothing changes, else it
    is closed and the new one opened (both in the history). A masked number written back (what a
    masked reader was shown) keeps the stored one."""
    from relief.privacy import mask_account

    require_actor(actor, person.region_id)
    type(person).objects.select_for_update().filter(pk=person.pk).first()  # one change at a time
    current = PaymentAccount.objects.filter(person=person, active=True).first()
    account_number = normalise_account_number(account_number)
    if current is not None and account_number == mask_account(current.account_number):
        account_number = current.account_number
    holder_name = (holder_name or "").strip()
    if holder_name == person.name:
        holder_name = ""
    if current is not None and (current.bank, current.account_number, current.holder_name) == (
        bank,
        account_number,
        holder_name,
    ):
        return current
    account = PaymentAccount(
        person=person,
        region_id=person.region_id,
        bank=bank,
        account_number=account_number,
        holder_name=holder_name,
    )
    account.full_clean(exclude=["person", "region"])
    if current is not None:
        current.active = False
        current._history_user = actor
        current._change_reason = reason or str(_("更换发放账户"))
        current.save(update_fields=["active"])  # lint: allow-save (this service)
    account._history_user = actor
    account._change_reason = reason or str(_("登记发放账户"))
    account.save()  # lint: allow-save (this service)
    return account


def payment_accounts_from_roster(*, actor, accounts: list[tuple[str, str, str, str]]) -> int:
    """The accounts of a roster import, (id_number, bank, account_number, holder_name) each, for the
    active people just written or updated (inside the import's transaction): a person whose active
    account differs gets the new one (the old one closed), both in the history. Four queries and
    two bulk writes, whatever the size. Returns how many accounts were opened."""
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    Person = PaymentAccount._meta.get_field("person").related_model  # people.models imports this module

    if not accounts:
        return 0
    people = dict(
        Person.objects.filter(id_number__in=[a[0] for a in accounts], active=True).values_list(
            "id_number", "pk"
        )
    )
    regions = dict(Person.objects.filter(pk__in=people.values()).values_list("pk", "region_id"))
    current = {
        a.person_id: a for a in PaymentAccount.objects.filter(person_id__in=people.values(), active=True)
    }
    closed, opened = [], []
    for id_number, bank, number, holder in accounts:
        pk = people.get(id_number)
        if pk is None:
            continue
        old = current.get(pk)
        if old is not None and (old.bank, old.account_number, old.holder_name) == (bank, number, holder):
            continue
        if old is not None:
            old.active = False
            closed.append(old)
        opened.append(
            PaymentAccount(
                person_id=pk, region_id=regions[pk], bank=bank, account_number=number, holder_name=holder
            )
        )
    reason = str(_("花名册导入"))
    if closed:
        bulk_update_with_history(
            closed, PaymentAccount, ["active"], default_user=actor, default_change_reason=reason
        )
    if opened:
        bulk_create_with_history(opened, PaymentAccount, default_user=actor, default_change_reason=reason)
    return len(opened)
