"""Idempotency: a write sent twice makes one record.

API clients send an `Idempotency-Key` header (any string up to 100 characters, a UUID is best) on a
create or a workflow step; pages render a hidden `idempotency_key` field (a fresh uuid4 each time
the form is drawn: `{% idempotency_field %}`). The first request with a key runs, and its answer is
kept (status and body, or the page's redirect) in one transaction with the write; a repeat of the
key answers the same without running again. A key is the user's own; a key reused on another
request answers 422. A failed request (4xx, an exception) keeps nothing, so it can be retried.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from relief.models import IdempotencyKey

HEADER = "Idempotency-Key"
FIELD = "idempotency_key"
MAX_LENGTH = 100


def claim(user, key: str, scope: str) -> tuple[IdempotencyKey, bool]:
    """Inside the caller's transaction: (the key's record, True) the first time, (the record kept
    by the first request, False) after. A concurrent first use waits for the other to commit."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, scope=scope[:300]), True
    except IntegrityError:
        return IdempotencyKey.objects.get(user=user, key=key), False


def _error(status_code: int, code: str, message: str) -> Response:
    return Response({"error": {"status": status_code, "code": code, "message": message}}, status=status_code)


def api_once(request, run: Callable[[], Response]) -> Response:
    """Run an API write once per `Idempotency-Key` (none: just run it)."""
    key = (request.headers.get(HEADER) or "").strip()
    if not key or not request.user.is_authenticated:
        return run()
    if len(key) > MAX_LENGTH:
        return _error(400, "invalid", _("Idempotency-Key 最长 %(n)d 个字符") % {"n": MAX_LENGTH})
    scope = f"{request.method} {request.path}"
    with transaction.atomic():
        record, first = claim(request.user, key, scope)
        if not first:
            if record.scope != scope[:300]:
                return _error(422, "idempotency_key_reused", _("该 Idempotency-Key 已用于另一请求"))
            return Response(record.body, status=record.status_code, headers={"Idempotent-Replayed": "true"})
        response = run()
        if response.status_code >= 400:
            transaction.set_rollback(True)  # nothing kept: the client may fix the request and retry
            return response
        body = json.loads(json.dumps(response.data, cls=JSONEncoder))
        IdempotencyKey.objects.filter(pk=record.pk).update(status_code=response.status_code, body=body)
    return response


class IdempotentCreateMixin:
    """For a viewset: `POST` to the list (create) honours `Idempotency-Key`."""

    def create(self, request, *args, **kwargs):
        return api_once(request, lambda: super(IdempotentCreateMixin, self).create(request, *args, **kwargs))


def page_key(request) -> str:
    """The page form's key (empty when the form has none)."""
    return (request.POST.get(FIELD) or "").strip()[:MAX_LENGTH]


__all__ = [
    "FIELD",
    "HEADER",
    "IdempotentCreateMixin",
    "api_once",
    "claim",
    "page_key",
    "page_once",
    "page_step_once",
]


def page_once(request, run: Callable[[], HttpResponse | None]) -> HttpResponse | None:
    """Run a page's write once per `idempotency_key`: `run` answers a redirect on success (kept, and
    answered again to a repeat) or None (the form re-drawn with its errors: nothing kept)."""
    key = page_key(request)
    if not key or not request.user.is_authenticated:
        return run()
    scope = f"{request.method} {request.path}"
    with transaction.atomic():
        record, first = claim(request.user, key, scope)
        if not first and record.scope == scope[:300] and record.location:
            messages.info(request, _("该表单已提交过，未重复保存"))
            return redirect(record.location)
        if not first:
            return run()  # the key was kept for another form: no replay here
        response = run()
        if response is None or not 300 <= response.status_code < 400:
            transaction.set_rollback(True)
            return response
        IdempotencyKey.objects.filter(pk=record.pk).update(
            status_code=response.status_code, location=response["Location"]
        )
    return response


def page_step_once(request, run: Callable[[], tuple[bool, dict]]) -> tuple[bool, dict]:
    """relief.pages.workflow_post's guard: a repeated key is "done" (the page redirects as after the
    first post) without taking the step again."""
    key = page_key(request)
    if not key or not request.user.is_authenticated:
        return run()
    with transaction.atomic():
        _record, first = claim(request.user, key, f"{request.method} {request.path}")
        if not first:
            messages.info(request, _("该操作已提交过，未重复执行"))
            return True, {}
        done, forms = run()
        if not done:
            transaction.set_rollback(True)
        return done, forms
