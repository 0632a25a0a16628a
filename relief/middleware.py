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
