"""Uniform JSON errors for the API: {"error": {"status", "code", "message", "fields"}}.

`message` is one sentence a person can read (Chinese by default, English with Accept-Language: en);
`fields` maps each invalid input field to its messages.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> list[str]:
    if isinstance(detail, dict):
        return [m for v in detail.values() for m in _flatten(v)]
    if isinstance(detail, list):
        return [m for v in detail for m in _flatten(v)]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("未找到该记录"))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields = None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        if isinstance(detail, dict):
            fields = {k: _flatten(v) for k, v in detail.items()}
            message = "；".join(
                f"{k}: {m}" if k != "non_field_errors" else m for k, msgs in fields.items() for m in msgs[:1]
            )
        else:
            message = "；".join(_flatten(detail))
        code = "invalid"
    else:
        message = "；".join(_flatten(exc.detail)) if hasattr(exc, "detail") else str(exc)
        code = exc.get_codes() if hasattr(exc, "get_codes") else "error"
        if not isinstance(code, str):
            code = "error"
    body = {"error": {"status": response.status_code, "code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response.data = body
    return response


def _error_json(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"error": {"status": status_code, "code": code, "message": message}}, status=status_code
    )


def _error_page(request, status_code: int, message: str) -> HttpResponse:
    # A page of its own (no base layout): it may answer before the session and user are loaded.
    return HttpResponse(
        loader.render_to_string("400.html", {"message": message}, request=None), status=status_code
    )


def bad_request(request, exception=None, *args, **kwargs):
    """handler400 (a malformed or suspicious request): JSON for the API, a Chinese page elsewhere."""
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    message = _("请求无法处理，请检查填写的内容后重试。")
    if request.path.startswith("/api/"):
        return _error_json(400, "bad_request", message)
    return _error_page(request, 400, message)


def too_large(request) -> HttpResponse:
    """413: the body is over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    limit_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    message = _("请求内容过大（上限 %(n)d MB）") % {"n": limit_mb}
    if request.path.startswith("/api/"):
        return _error_json(413, "too_large", message)
    return _error_page(request, 413, message)


def server_error(request, *args, **kwargs):
    """handler500: JSON for the API, the HTML page for everything else."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "error": {
                    "status": 500,
                    "code": "server_error",
                    "message": _("服务器内部错误，已记录，请稍后再试。"),
                }
            },
            status=500,
        )
    from django.views.defaults import server_error as html_server_error

    return html_server_error(request, *args, **kwargs)


def not_found_json(message: str | None = None) -> Response:
    return Response(
        {"error": {"status": 404, "code": "not_found", "message": message or _("未找到该记录")}},
        status=status.HTTP_404_NOT_FOUND,
    )


def page_not_found(request, exception, *args, **kwargs):
    """handler404: an address under /api/ that matches no route answers in the API's JSON shape."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"error": {"status": 404, "code": "not_found", "message": _("未找到该记录")}}, status=404
        )
    from django.views.defaults import page_not_found as html_page_not_found

    return html_page_not_found(request, exception, *args, **kwargs)
