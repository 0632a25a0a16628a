"""The hazard workflow (隐患整改), declared once (relief/workflow.py).

    open ──start──▶ rectifying ──rectify──▶ rectified ──verify──▶ verified ──close──▶ closed
                     ▲   │  ▲                   │
                     │   │  └──────reject───────┘
    approve/refuse ──┘   └─request_extension─▶ extension_requested

Second pair of eyes: the owner (整改责任人) neither verifies nor closes, and the applicant does not
decide their own extension; these guards keep the buttons away from them too. The services
(institutions/services.py), the page buttons, the API's actions and `available_actions` all come
from this declaration.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from institutions.models import Hazard, HazardAction, HazardState, HazardTransition
from relief.alerts import services as alert_services
from relief.models import Alert, User
from relief.scoping import in_scope
from relief.uploads import attachment_name, check_attachment
from relief.workflow import Param, Step, StepContext, Workflow, not_the_same_person

MAJOR_HAZARD_ALERT = "institutions.major_hazard"

S = HazardState
COMMENT = Param("comment", "comment", label=gettext_lazy("说明"))

not_the_owner_verifies = not_the_same_person("owner", gettext_lazy("验收须由整改责任人以外的人员进行"))
not_the_owner_closes = not_the_same_person("owner", gettext_lazy("销号须由整改责任人以外的人员进行"))
not_the_applicant = not_the_same_person(
    "extension_requested_by", gettext_lazy("延期申请须由申请人以外的人员审批")
)


def _funds(value: Any, *, default: Decimal | None) -> Decimal | None:
    if value is None or value == "":
        return default
    if isinstance(value, float):
        raise TypeError("funds must be Decimal, not float")
    try:
        funds = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError({"funds": _("金额格式不正确")}) from None
    if funds < 0:
        raise ValidationError({"funds": _("整改资金不能为负数")})
    return funds


def _owner(value: Any) -> User | None:
    if isinstance(value, User) or value is None:
        return value
    return User.objects.filter(pk=value).first()


def _start(ctx: StepContext) -> None:
    hazard, data = ctx.obj, ctx.data
    owner = _owner(data.get("owner"))
    if not (
        owner is not None
        and owner.is_active
        and owner.can_write
        and in_scope(owner, hazard.institution.region_id)
    ):
        raise ValidationError({"owner": _("整改责任人必须是该机构所在区划内可办理业务的工作人员")})
    measures = (data.get("measures") or "").strip()
    if not measures:
        raise ValidationError({"measures": _("请填写整改措施")})
    hazard.owner, hazard.measures = owner, measures
    hazard.funds = _funds(data.get("funds"), default=Decimal("0"))


def _request_extension(ctx: StepContext) -> None:
    hazard, data = ctx.obj, ctx.data
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写延期理由")})
    new_deadline = data.get("new_deadline")
    if new_deadline is None or new_deadline <= hazard.deadline:
        raise ValidationError({"new_deadline": _("延期后的期限必须晚于当前整改期限")})
    hazard.extension_deadline, hazard.extension_reason = new_deadline, reason
    hazard.extension_requested_by = ctx.actor
    ctx.comment = _("申请延期至 %(date)s：%(reason)s") % {"date": new_deadline, "reason": reason}


def _clear_extension(hazard: Hazard) -> None:
    hazard.extension_deadline, hazard.extension_reason, hazard.extension_requested_by = None, "", None


def _approve_extension(ctx: StepContext) -> None:
    hazard = ctx.obj
    moved = _("整改期限由 %(old)s 延至 %(new)s") % {"old": hazard.deadline, "new": hazard.extension_deadline}
    ctx.comment = moved + (f"；{ctx.comment}" if ctx.comment else "")
    hazard.deadline = hazard.extension_deadline
    _clear_extension(hazard)


def _refuse_extension(ctx: StepContext) -> None:
    _clear_extension(ctx.obj)


def _rectify(ctx: StepContext) -> None:
    hazard, data = ctx.obj, ctx.data
    evidence = data.get("evidence")
    if not evidence and not hazard.evidence:
        raise ValidationError({"evidence": _("请上传整改佐证材料（照片或文件）")})
    if evidence:
        try:
            kind = check_attachment(evidence)
        except ValidationError as exc:
            raise ValidationError({"evidence": exc.messages}) from None
        hazard.evidence.save(attachment_name(kind), evidence, save=False)
        ctx.fields.add("evidence")
    measures = (data.get("measures") or "").strip()
    if measures:
        hazard.measures = measures
        ctx.fields.add("measures")
    funds = _funds(data.get("funds"), default=None)
    if funds is not None:
        hazard.funds = funds
        ctx.fields.add("funds")


def _close(ctx: StepContext) -> None:
    """Closing resolves the hazard's major-hazard alert, in the same transaction."""
    for alert in Alert.objects.unresolved().filter(dedup_key=f"{MAJOR_HAZARD_ALERT}:{ctx.obj.pk}"):
        alert_services.alert_resolve(actor=None, alert=alert, note=_("隐患已整改销号"))


EXTENSION_FIELDS = ("extension_deadline", "extension_reason", "extension_requested_by")

hazard_workflow = Workflow(
    name="institutions.hazard",
    model=Hazard,
    log_model=HazardTransition,
    log_fk="hazard",
    state_field="state",
    region_path="institution__region_id",
    lock_related=("institution",),
    history=True,
    updated_field="updated_at",
    steps=[
        Step(
            "start",
            HazardAction.START.label,
            sources=(S.OPEN,),
            target=S.RECTIFYING,
            params=(
                # A member of staff by id: the page offers those whose scope covers the institution.
                Param("owner", "int", label=gettext_lazy("整改责任人"), required=True),
                Param("measures", "comment", label=gettext_lazy("整改措施"), required=True),
                Param("funds", "money", label=gettext_lazy("整改资金（元）")),
                COMMENT,
            ),
            apply=_start,
            fields=("owner", "measures", "funds"),
        ),
        Step(
            "request_extension",
            HazardAction.REQUEST_EXTENSION.label,
            sources=(S.RECTIFYING,),
            target=S.EXTENSION_REQUESTED,
            params=(
                Param("new_deadline", "date", label=gettext_lazy("申请延期至"), required=True),
                Param("reason", "comment", label=gettext_lazy("延期理由"), required=True),
            ),
            comment_param="reason",
            apply=_request_extension,
            fields=EXTENSION_FIELDS,
            style="outline-secondary",
        ),
        Step(
            "approve_extension",
            HazardAction.APPROVE_EXTENSION.label,
            sources=(S.EXTENSION_REQUESTED,),
            target=S.RECTIFYING,
            params=(COMMENT,),
            who=not_the_applicant,
            who_invalid=True,
            apply=_approve_extension,
            fields=("deadline", *EXTENSION_FIELDS),
        ),
        Step(
            "refuse_extension",
            HazardAction.REFUSE_EXTENSION.label,
            sources=(S.EXTENSION_REQUESTED,),
            target=S.RECTIFYING,
            params=(COMMENT,),
            who=not_the_applicant,
            who_invalid=True,
            comment_required=gettext_lazy("不予延期须说明理由"),
            apply=_refuse_extension,
            fields=EXTENSION_FIELDS,
            style="outline-danger",
        ),
        Step(
            "rectify",
            HazardAction.RECTIFY.label,
            sources=(S.RECTIFYING,),
            target=S.RECTIFIED,
            params=(
                Param("evidence", "file", label=gettext_lazy("整改佐证材料（照片或文件）")),
                Param("measures", "comment", label=gettext_lazy("实际整改措施")),
                Param("funds", "money", label=gettext_lazy("实际整改资金（元）")),
                COMMENT,
            ),
            apply=_rectify,
        ),
        Step(
            "verify",
            HazardAction.VERIFY.label,
            sources=(S.RECTIFIED,),
            target=S.VERIFIED,
            params=(COMMENT,),
            who=not_the_owner_verifies,
            who_invalid=True,
            stamp="verified",
            style="success",
        ),
        Step(
            "reject",
            HazardAction.REJECT.label,
            sources=(S.RECTIFIED,),
            target=S.RECTIFYING,
            params=(COMMENT,),
            who=not_the_owner_verifies,
            who_invalid=True,
            comment_required=gettext_lazy("验收不通过须说明原因"),
            style="outline-danger",
        ),
        Step(
            "close",
            HazardAction.CLOSE.label,
            sources=(S.VERIFIED,),
            target=S.CLOSED,
            params=(COMMENT,),
            who=not_the_owner_closes,
            who_invalid=True,
            stamp="closed",
            apply=_close,
            style="success",
        ),
    ],
)
