"""Receiving official CAP 1.2 warnings (read by patrols/cap.py): what each message does to the
cold-wave levels, one transaction per message (`from patrols.services import cap_messages`).
The levels themselves change only through its three writers, `cold_warning_issue`,
`cold_warning_update` and `cold_warning_lift`: this module stores CapMessage rows and calls them.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from patrols import cap, services
from patrols.models import CapAreaAction, CapMessage, CapOutcome, CapReason, ColdWaveWarning
from relief.models import Region, User
from relief.scoping import in_scope


class CapAreaError(ValidationError):
    """A CAP message naming no known region (the API answers 422)."""


@dataclass(frozen=True)
class CapReceipt:
    message: CapMessage
    created: bool  # False: the same (sender, identifier) came before; nothing was done again


@dataclass(frozen=True)
class _Area:
    geocode: str
    code: str | None  # the region's code when known and in the actor's scope
    reason: str = ""  # why not (CapReason)


def cap_receive(*, actor: User, data: bytes) -> CapReceipt:
    """Receive one CAP 1.2 message (bytes as posted or uploaded) and apply it, in one transaction:

    - the same (sender, identifier) again: the stored message, nothing changed (`created` False);
    - status other than Actual, events that are no cold wave (暴雨 ...), Ack and Error: stored only;
    - Alert: a warning per named area (cold_warning_issue), from onset/effective/sent to expires,
      unless a Cancel of it sent later came first;
    - Update: the referenced messages' warnings in the named areas change level and end
      (cold_warning_update), newly named areas get new warnings;
    - Cancel: the referenced messages' warnings are stood down (cold_warning_lift);
    - an Update or Cancel whose original has not arrived waits (PENDING) and is applied when it
      does; one sent before the last message applied to a warning changes nothing for it.

    Areas that are no known region, or outside the actor's scope, are listed and skipped; none known
    raises CapAreaError, none in scope PermissionDenied; a malformed message ValidationError. All
    messages are applied one at a time (a transaction-level advisory lock), so two copies of a
    message, or an Update racing its Alert, never interleave."""
    if not services.can_issue_cold_warning(actor):
        raise PermissionDenied(_("只有县级及以上民政官员可以发布寒潮预警"))
    try:
        alert = cap.parse(data)
    except cap.CapError as exc:
        raise ValidationError(str(exc), code="invalid_cap") from None
    return _cap_store(actor, alert)


@transaction.atomic
def _cap_store(actor: User, alert: cap.CapAlert) -> CapReceipt:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ["patrols.cap_receive"])
    existing = CapMessage.objects.filter(sender=alert.sender, identifier=alert.identifier).first()
    if existing is not None:
        # a copy sent by someone whose region the stored message is not in answers as a new message
        # outside their scope would: its outcome names other regions' warnings
        if not CapMessage.objects.visible_to(actor).filter(pk=existing.pk).exists():
            raise PermissionDenied(_("消息中的区域均不在您的管辖范围内"))
        return CapReceipt(existing, created=False)
    info = alert.main_info
    message = CapMessage(
        identifier=alert.identifier,
        sender=alert.sender,
        sent=alert.sent,
        msg_type=alert.msg_type,
        status=alert.status,
        event=info.event if info else "",
        severity=info.severity if info else "",
        level=max((i.level or 0 for i in alert.cold_infos), default=0) or None,
        headline=info.headline if info else "",
        expires=info.expires if info else None,
        areas=[a[:12] for a in alert.areas],
        references=[[r.sender, r.identifier, r.sent] for r in alert.references],
        referenced_keys=[r.key for r in alert.references],
        raw_xml=alert.text,
        received_by=actor,
        outcome=CapOutcome.NO_CHANGE,
    )
    areas = _cap_areas(actor, alert.areas)
    acts = alert.status == "Actual" and (
        alert.msg_type == "Cancel" or (alert.msg_type in ("Alert", "Update") and alert.is_cold)
    )
    if acts and alert.msg_type in ("Alert", "Update"):
        if not any(a.code or a.reason == CapReason.OUT_OF_SCOPE for a in areas):
            raise CapAreaError(
                _("消息中的区域代码均不是已知的行政区划：%(codes)s")
                % {"codes": "、".join(alert.areas) or _("（未注明区域）")},
                code="unknown_area",
            )
        if not any(a.code for a in areas):
            raise PermissionDenied(_("消息中的区域均不在您的管辖范围内"))
    if alert.status != "Actual":
        message.outcome = CapOutcome.NOT_ACTUAL
    elif alert.msg_type in ("Ack", "Error"):
        message.outcome = CapOutcome.UNSUPPORTED
    elif alert.msg_type != "Cancel" and not alert.is_cold:
        message.outcome = CapOutcome.NOT_COLD
    message.region_id = _common_region([a.code for a in areas if a.code]) or actor.region_id
    message.full_clean(exclude=["region", "received_by"])
    message.save()
    if acts:
        _cap_apply(actor, message, alert, areas)
    return CapReceipt(message, created=True)


def _cap_areas(actor: User, geocodes: Iterable[str]) -> list[_Area]:
    codes = {g: cap.region_code(g) for g in geocodes}
    known = set(
        Region.objects.filter(code__in=[c for c in codes.values() if c]).values_list("code", flat=True)
    )
    out = []
    for geocode, code in codes.items():
        if code not in known:
            out.append(_Area(geocode, None, CapReason.UNKNOWN_AREA))
        elif not in_scope(actor, code):
            out.append(_Area(geocode, None, CapReason.OUT_OF_SCOPE))
        else:
            out.append(_Area(geocode, code))
    return out


def _common_region(codes: list[str]) -> str | None:
    """The narrowest region code enclosing all of `codes` (None for none, or across provinces)."""
    if not codes:
        return None
    prefix = min(codes)
    for code in codes:
        while not code.startswith(prefix):
            prefix = prefix[:-1]
    return next((prefix[:n] for n in (12, 9, 6, 4, 2) if len(prefix) >= n), None)


def _result(
    area: str, action: str, *, reason: str = "", warning: ColdWaveWarning | None = None, detail: str = ""
) -> dict:
    return {
        "area": area,
        "region": warning.region_id if warning else "",
        "action": action,
        "reason": reason,
        "detail": detail,
        "warning": warning.pk if warning else None,
        "level": warning.level if warning else None,
    }


def _last_sent(warning: ColdWaveWarning) -> datetime.datetime | None:
    return CapMessage.objects.filter(warnings=warning).aggregate(last=Max("sent"))["last"]


def _cap_apply(actor: User, message: CapMessage, alert: cap.CapAlert, areas: list[_Area]) -> None:
    """Apply a stored Actual message; then the waiting messages that reference it."""
    if message.msg_type == "Alert":
        results = _cap_apply_alert(actor, message, alert, areas)
    else:
        referenced = CapMessage.objects.filter(status="Actual").exclude(outcome=CapOutcome.PENDING)
        referenced = [
            m
            for m in referenced.filter(sender__in=[r.sender for r in alert.references])
            if m.key in message.referenced_keys
        ]
        if not referenced:
            message.outcome = CapOutcome.PENDING
            message.save(update_fields=["outcome"])
            return
        warnings = list(
            ColdWaveWarning.objects.filter(cap_messages__in=referenced)
            .distinct()
            .order_by("region_id", "-starts_at")
        )
        if message.msg_type == "Update":
            results = _cap_apply_update(actor, message, alert, areas, warnings)
        else:
            results = _cap_apply_cancel(actor, message, warnings)
    message.results = results
    message.outcome = (
        CapOutcome.APPLIED
        if any(r["action"] != CapAreaAction.IGNORED for r in results)
        else CapOutcome.NO_CHANGE
    )
    message.applied_at = timezone.now()
    message.save(update_fields=["results", "outcome", "applied_at"])
    # Updates and Cancels that came before this one: in the order they were sent
    waiting = (
        CapMessage.objects.referencing(message.key).filter(outcome=CapOutcome.PENDING).order_by("sent", "pk")
    )
    for later in waiting:
        later_alert = cap.parse_stored(later.raw_xml)
        later_actor = later.received_by or actor
        _cap_apply(later_actor, later, later_alert, _cap_areas(later_actor, later_alert.areas))


def _skipped(areas: list[_Area], results: list[dict]) -> dict[str, _Area]:
    """Record the areas that are unknown or outside the scope; the others by geocode."""
    usable = {}
    for area in areas:
        if area.code:
            usable[area.geocode] = area
        else:
            results.append(_result(area.geocode, CapAreaAction.IGNORED, reason=area.reason))
    return usable


def _cap_issue(actor: User, message: CapMessage, plan: cap.AreaPlan, code: str, results: list[dict]) -> None:
    if plan.level is None:
        results.append(_result(plan.geocode, CapAreaAction.IGNORED, reason=CapReason.NO_LEVEL))
        return
    try:
        warning = services.cold_warning_issue(
            actor=actor,
            region=Region.objects.get(code=code),
            level=plan.level,
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            note=(plan.headline or f"CAP {message.identifier}")[:255],
        )
    except (ValidationError, PermissionDenied) as exc:
        results.append(
            _result(plan.geocode, CapAreaAction.IGNORED, reason=CapReason.REFUSED, detail=_messages(exc))
        )
        return
    message.warnings.add(warning)
    results.append(_result(plan.geocode, CapAreaAction.ISSUED, warning=warning))


def _messages(exc: Exception) -> str:
    return "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)


def _cap_apply_alert(actor: User, message: CapMessage, alert: cap.CapAlert, areas: list[_Area]) -> list[dict]:
    results: list[dict] = []
    usable = _skipped(areas, results)
    cancelled = (
        CapMessage.objects.referencing(message.key)
        .filter(status="Actual", msg_type="Cancel", sent__gt=message.sent)
        .exists()
    )
    for plan in cap.area_plans(alert):
        area = usable.get(plan.geocode)
        if area is None:
            continue
        if cancelled:
            results.append(_result(plan.geocode, CapAreaAction.IGNORED, reason=CapReason.CANCELLED))
        else:
            _cap_issue(actor, message, plan, area.code, results)
    return results


def _cap_apply_update(
    actor: User, message: CapMessage, alert: cap.CapAlert, areas: list[_Area], warnings: list[ColdWaveWarning]
) -> list[dict]:
    results: list[dict] = []
    usable = _skipped(areas, results)
    by_region: dict[str, ColdWaveWarning] = {}
    for warning in warnings:  # the latest warning of each region
        by_region.setdefault(warning.region_id, warning)
    for plan in cap.area_plans(alert):
        area = usable.get(plan.geocode)
        if area is None:
            continue
        warning = by_region.get(area.code)
        if warning is None:
            _cap_issue(actor, message, plan, area.code, results)
            continue
        last = _last_sent(warning)
        if last is not None and message.sent < last:
            results.append(
                _result(plan.geocode, CapAreaAction.IGNORED, reason=CapReason.OLDER, warning=warning)
            )
            continue
        if plan.level is None:
            results.append(
                _result(plan.geocode, CapAreaAction.IGNORED, reason=CapReason.NO_LEVEL, warning=warning)
            )
            continue
        try:
            warning = services.cold_warning_update(
                actor=actor,
                warning=warning,
                level=plan.level,
                ends_at=plan.ends_at,
                note=plan.headline[:255] or None,
            )
        except (ValidationError, PermissionDenied) as exc:
            reason = CapReason.ENDED if warning.lifted_by_id else CapReason.REFUSED
            results.append(
                _result(
                    plan.geocode, CapAreaAction.IGNORED, reason=reason, warning=warning, detail=_messages(exc)
                )
            )
            continue
        message.warnings.add(warning)
        results.append(_result(plan.geocode, CapAreaAction.UPDATED, warning=warning))
    return results


def _cap_apply_cancel(actor: User, message: CapMessage, warnings: list[ColdWaveWarning]) -> list[dict]:
    results: list[dict] = []
    at = min(message.sent, timezone.now())  # stood down when the Cancel was sent
    for warning in warnings:
        area = warning.region_id
        if not in_scope(actor, warning.region_id):
            results.append(
                _result(area, CapAreaAction.IGNORED, reason=CapReason.OUT_OF_SCOPE, warning=warning)
            )
            continue
        last = _last_sent(warning)
        if last is not None and message.sent < last:
            results.append(_result(area, CapAreaAction.IGNORED, reason=CapReason.OLDER, warning=warning))
            continue
        if warning.lifted_by_id is not None or services._has_ended(warning, at):
            results.append(_result(area, CapAreaAction.IGNORED, reason=CapReason.ENDED, warning=warning))
            continue
        try:
            warning = services.cold_warning_lift(actor=actor, warning=warning, at=at)
        except (ValidationError, PermissionDenied) as exc:
            results.append(
                _result(
                    area,
                    CapAreaAction.IGNORED,
                    reason=CapReason.REFUSED,
                    warning=warning,
                    detail=_messages(exc),
                )
            )
            continue
        message.warnings.add(warning)
        results.append(_result(area, CapAreaAction.LIFTED, warning=warning))
    return results
