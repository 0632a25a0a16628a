"""The processes of 督查, declared once (relief/workflow.py): pages, the API's actions and
`available_actions` come from here.

Trip:    planned ──start──▶ in_progress ──issue──▶ issued ──close──▶ closed
         (issue gives every finding recorded so far to its region; close needs every finding
         closed, or a reason, which closes the rest)
Finding: draft ──(the trip's issue)──▶ open ──answer──▶ answered ──accept──▶ closed
                                        ▲                  │
                                        └────send_back─────┘
         open or answered ──(the trip closed with a reason)──▶ closed_by_trip

Who: the supervising side (county, city or province staff whose region holds the trip's, or an
administrator) starts, issues, closes, accepts and sends back; a writer of the region visited (not
the supervisor) answers. City and province officials only read case records, but supervision is
their work: these workflows are open to them (writers_only=False) and their guards decide.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from relief.models import Role
from relief.scoping import in_scope
from relief.uploads import attachment_name, check_attachment
from relief.workflow import Param, Step, StepContext, Workflow
from supervision import rectification
from supervision.models import (
    FINDING_CLOSED_STATES,
    FINDING_OPEN_STATES,
    Finding,
    FindingEvent,
    FindingState,
    SupervisionTrip,
    TripEvent,
    TripState,
)

SUPERVISOR_ROLES = (Role.COUNTY, Role.CITY, Role.PROVINCE)
COMMENT = Param("comment", "comment", label=gettext_lazy("说明"))


def supervisor_refusal(user, trip: SupervisionTrip) -> str | None:
    """Why `user` may not act for the supervising body of `trip` (None: they may)."""
    if not (user is not None and getattr(user, "is_authenticated", False) and user.is_active):
        return gettext_lazy("请先登录")
    if user.is_region_admin:
        return None
    if user.role not in SUPERVISOR_ROLES:
        return gettext_lazy("督查须由县级及以上民政部门办理")
    if not in_scope(user, trip.region_id):
        return gettext_lazy("只有督查单位可以办理")
    return None


def answer_refusal(user, finding: Finding) -> str | None:
    """Why `user` may not answer `finding` for the region visited (None: they may)."""
    if not user.can_write:
        return gettext_lazy("整改情况由被督查地区的工作人员报送")
    if not in_scope(user, finding.region_id):
        return gettext_lazy("该区划不在您的管辖范围内")
    if not user.is_region_admin and in_scope(user, finding.trip.region_id):
        return gettext_lazy("督查单位不能代被督查地区报送整改情况")
    return None


def _trip_supervisor(user, trip) -> str | None:
    return supervisor_refusal(user, trip)


def _finding_supervisor(user, finding) -> str | None:
    return supervisor_refusal(user, finding.trip)


# --- the trip ------------------------------------------------------------------------------------


def _start(ctx: StepContext) -> None:
    trip = ctx.obj
    trip.actual_start = ctx.data.get("actual_start") or timezone.localdate()
    ctx.fields.add("actual_start")


def _issue(ctx: StepContext) -> None:
    """Every finding recorded so far goes to its region, each a task with its deadline."""
    trip = ctx.obj
    trip.actual_end = ctx.data.get("actual_end") or timezone.localdate()
    if trip.actual_start and trip.actual_end < trip.actual_start:
        raise ValidationError({"actual_end": _("实际结束日期不能早于实际开始日期")})
    ctx.fields.add("actual_end")
    drafts = list(
        Finding.objects.select_for_update().filter(trip=trip, state=FindingState.DRAFT).order_by("id")
    )
    for finding in drafts:
        finding.trip = trip
        issue_finding(finding, actor=ctx.actor)
    ctx.comment = (ctx.comment + "；" if ctx.comment else "") + _("反馈问题 %(n)s 条") % {"n": len(drafts)}


def issue_finding(finding: Finding, *, actor) -> None:
    """A finding given to the region visited: open, with its deadline and its task (in the caller's
    transaction, the trip's row locked)."""
    finding.state = FindingState.OPEN
    finding.issued_at = timezone.now()
    finding.due_at = rectification.rectify_due(finding)
    Finding.objects.filter(pk=finding.pk).update(
        state=finding.state, issued_at=finding.issued_at, due_at=finding.due_at
    )
    FindingEvent.objects.create(
        finding=finding,
        action="issued",
        from_state=FindingState.DRAFT,
        to_state=FindingState.OPEN,
        actor=actor,
        comment=_("交办整改，期限 %(due)s")
        % {"due": timezone.localtime(finding.due_at).strftime("%Y-%m-%d")},
    )
    rectification.rectify_task_open(finding, actor=actor)


def _close_trip(ctx: StepContext) -> None:
    trip = ctx.obj
    rest = list(
        Finding.objects.select_for_update()
        .filter(trip=trip)
        .exclude(state__in=FINDING_CLOSED_STATES)
        .order_by("id")
    )
    if rest and not ctx.comment:
        raise ValidationError(
            {"comment": _("仍有 %(n)s 条问题未销号，结束督查须说明原因") % {"n": len(rest)}}
        )
    trip.closing_note = ctx.comment
    ctx.fields.add("closing_note")
    note = _("督查结束：%(reason)s") % {"reason": ctx.comment}
    for finding in rest:
        old = finding.state
        finding.state = FindingState.CLOSED_BY_TRIP
        Finding.objects.filter(pk=finding.pk).update(
            state=finding.state, closed_at=timezone.now(), closed_by=ctx.actor
        )
        FindingEvent.objects.create(
            finding=finding,
            action="closed_by_trip",
            from_state=old,
            to_state=finding.state,
            actor=ctx.actor,
            comment=note,
        )
        rectification.finding_tasks_close(finding, note)


trip_workflow = Workflow(
    name="supervision.trip",
    model=SupervisionTrip,
    log_model=TripEvent,
    log_fk="trip",
    state_field="state",
    writers_only=False,
    steps=[
        Step(
            "start",
            gettext_lazy("开始督查"),
            sources=(TripState.PLANNED,),
            target=TripState.IN_PROGRESS,
            params=(Param("actual_start", "date", label=gettext_lazy("实际开始日期")), COMMENT),
            who=_trip_supervisor,
            apply=_start,
        ),
        Step(
            "issue",
            gettext_lazy("反馈问题并交办整改"),
            sources=(TripState.IN_PROGRESS,),
            target=TripState.ISSUED,
            params=(Param("actual_end", "date", label=gettext_lazy("实际结束日期")), COMMENT),
            who=_trip_supervisor,
            apply=_issue,
            confirm=gettext_lazy("交办后，每条问题将成为被督查地区的整改任务。确定反馈？"),
        ),
        Step(
            "close",
            gettext_lazy("结束督查"),
            sources=(TripState.ISSUED,),
            target=TripState.CLOSED,
            params=(Param("comment", "comment", label=gettext_lazy("结束说明（仍有问题未销号时必填）")),),
            who=_trip_supervisor,
            apply=_close_trip,
            stamp="closed",
            style="outline-secondary",
        ),
    ],
)


# --- a finding -----------------------------------------------------------------------------------


def lock_trip_first(pk) -> None:
    """Lock order everywhere: the trip, then its findings (closing a trip locks its findings)."""
    list(SupervisionTrip.objects.select_for_update().filter(findings__pk=pk).values_list("pk", flat=True))


def check_evidence(file) -> str:
    """A photo or PDF (relief/uploads.py), or a Word or OFD document (relief/document_uploads.py):
    its detected type, or a ValidationError in Chinese."""
    from django.conf import settings

    from relief.document_uploads import OLE2, ZIP, check_document

    file.seek(0)
    head = file.read(8) or b""
    file.seek(0)
    if head.startswith((OLE2, ZIP)):
        return check_document(file)
    try:
        return check_attachment(file)
    except ValidationError:
        if (getattr(file, "size", None) or 0) > settings.UPLOAD_ATTACHMENT_MAX_BYTES:
            raise
        raise ValidationError(
            _("只能上传图片（JPG、PNG、WebP）、PDF、Word（.doc、.docx）或 OFD 格式的文件")
        ) from None


def _answer(ctx: StepContext) -> None:
    finding = ctx.obj
    evidence = ctx.data.get("evidence")
    if evidence:
        try:
            kind = check_evidence(evidence)
        except ValidationError as exc:
            raise ValidationError({"evidence": exc.messages}) from None
        finding.evidence.save(attachment_name(kind), evidence, save=False)
        ctx.fields.add("evidence")
    finding.answer = ctx.comment
    finding.answered_by, finding.answered_at = ctx.actor, timezone.now()
    ctx.fields |= {"answer", "answered_by", "answered_at"}
    finding.state = FindingState.ANSWERED  # the acceptance task reads it
    rectification.rectify_task_done(finding, _("已报送整改情况：%(a)s") % {"a": ctx.comment[:150]})
    rectification.review_task_open(finding, actor=ctx.actor)


def _accept(ctx: StepContext) -> None:
    finding = ctx.obj
    note = _("督查组验收通过，已销号") + (f"：{ctx.comment}" if ctx.comment else "")
    rectification.finding_tasks_close(finding, note)
    others = (
        Finding.objects.filter(trip_id=finding.trip_id)
        .exclude(pk=finding.pk)
        .exclude(state__in=FINDING_CLOSED_STATES)
    )
    trip = finding.trip
    if trip.state == TripState.ISSUED and not others.exists():
        # the last finding closed: the trip is done (its row is locked first: lock_trip_first)
        SupervisionTrip.objects.filter(pk=trip.pk).update(
            state=TripState.CLOSED, closed_at=timezone.now(), closed_by=ctx.actor
        )
        TripEvent.objects.create(
            trip=trip,
            action="closed",
            from_state=TripState.ISSUED,
            to_state=TripState.CLOSED,
            actor=ctx.actor,
            comment=_("全部问题已销号，督查结束"),
        )


def _send_back(ctx: StepContext) -> None:
    finding = ctx.obj
    days = ctx.data.get("working_days")
    if days is not None and not 1 <= int(days) <= 60:
        raise ValidationError({"working_days": _("整改时限应为1至60个工作日")})
    finding.returned_count += 1
    finding.due_at = rectification.rectify_due(finding, days=days)
    ctx.fields |= {"returned_count", "due_at"}
    rectification.review_task_done(finding, _("已退回重新整改：%(c)s") % {"c": ctx.comment})
    rectification.rectify_task_reopen(finding, actor=ctx.actor, comment=ctx.comment)


finding_workflow = Workflow(
    name="supervision.finding",
    model=Finding,
    log_model=FindingEvent,
    log_fk="finding",
    state_field="state",
    writers_only=False,
    lock_before=lock_trip_first,
    lock_related=("trip",),
    steps=[
        Step(
            "answer",
            gettext_lazy("报送整改情况"),
            sources=(FindingState.OPEN,),
            target=FindingState.ANSWERED,
            params=(
                Param("comment", "comment", label=gettext_lazy("整改情况")),
                Param("evidence", "file", label=gettext_lazy("佐证材料（照片、PDF、Word 或 OFD）")),
            ),
            comment_required=gettext_lazy("请填写整改情况"),
            who=answer_refusal,
            apply=_answer,
        ),
        Step(
            "accept",
            gettext_lazy("验收销号"),
            sources=(FindingState.ANSWERED,),
            target=FindingState.CLOSED,
            params=(COMMENT,),
            who=_finding_supervisor,
            apply=_accept,
            stamp="closed",
            style="success",
        ),
        Step(
            "send_back",
            gettext_lazy("退回重新整改"),
            sources=(FindingState.ANSWERED,),
            target=FindingState.OPEN,
            params=(
                Param("comment", "comment", label=gettext_lazy("退回原因")),
                Param("working_days", "int", label=gettext_lazy("新的整改时限（工作日）")),
            ),
            comment_required=gettext_lazy("退回须说明原因"),
            who=_finding_supervisor,
            apply=_send_back,
            url_path="return",
            style="outline-danger",
        ),
    ],
)

__all__ = [
    "FINDING_OPEN_STATES",
    "answer_refusal",
    "finding_workflow",
    "issue_finding",
    "supervisor_refusal",
    "trip_workflow",
]
