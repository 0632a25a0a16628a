"""Language: pages are in Simplified Chinese unless the user chose English (the language cookie set by
the switch at the foot of every page); a browser's Accept-Language does not flip them. The API, for
machines, also honours Accept-Language."""

from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request) -> None:
        if request.path_info.startswith("/api/"):
            super().process_request(request)
            return
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RequestSizeLimitMiddleware:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE answers 413 before anything reads it: JSON in the
    API's format under /api/, a Chinese page elsewhere. File uploads (multipart) are limited by the
    upload reader, not here."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        if limit is not None and length > limit and not multipart:
            from relief.api.errors import too_large

            return too_large(request)
        return self.get_response(request)


# --- Security headers: Content-Security-Policy and Permissions-Policy ----------------------------
# Every page's script and style sheet is a file under static/ (static/js/app.js binds behaviour by
# data- attributes), so the policy needs neither 'unsafe-inline' nor 'unsafe-eval'. Django 5.2 has no
# CSP of its own; this is all we need of one.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Swagger UI and Redoc (drf-spectacular-sidecar) style their pages with inline styles and Redoc
# starts a worker from a blob: URL; their scripts still come from 'self'. Only those two views.
API_DOCS_VIEWS = {"api:swagger-ui", "api:redoc"}
API_DOCS_POLICY = CONTENT_SECURITY_POLICY | {
    "style-src": "'self' 'unsafe-inline'",
    "worker-src": "'self' blob:",
}
# Location is allowed for the site itself: patrol workers record where they met someone.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(self), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)


def _serialise(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy (or -Report-Only with CSP_REPORT_ONLY) and Permissions-Policy to
    every response that does not set its own."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.header = (
            "Content-Security-Policy-Report-Only"
            if getattr(settings, "CSP_REPORT_ONLY", False)
            else "Content-Security-Policy"
        )
        self.policy = _serialise(CONTENT_SECURITY_POLICY)
        self.docs_policy = _serialise(API_DOCS_POLICY)

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        docs = match is not None and match.view_name in API_DOCS_VIEWS
        response.headers.setdefault(self.header, self.docs_policy if docs else self.policy)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
