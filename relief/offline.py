"""The installable field app: the web app manifest, the service worker and the outbox page.

The service worker (relief/templates/relief/sw.js, served at /sw.js so that its scope is the whole
site) keeps, for a signed-in user, the shell (the static files below, cache-first) and every page
they open or that the today page marks `data-offline-keep` (network-first: a page is fresh when
there is signal, the last copy when there is none; what is kept is what the screen showed, masked
for the role). A form that carries an `idempotency_key` (relief/idempotency.py: safe to send twice)
and cannot be sent is kept on the device (IndexedDB) and sent again by static/js/offline.js when the
network returns; the key makes the retry land once. Signing out deletes the caches and the queue.

The cache's name is the version: a hash of the worker and of the shell's files, so a deploy that
changes any of them installs a new worker, which drops the old caches.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from relief.models import Role

#: static files every page needs (cache-first)
SHELL = (
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "css/relief.css",
    "js/app.js",
    "js/offline.js",
    "js/offline-db.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
)
#: the field worker's pages, kept when they sign in (those their role may not open answer 403/404
#: and are simply not kept): today, the outbox, the roll-call list, the campaign deliveries, patrols
FIELD_PAGES = ("home", "offline-outbox", "coldwaves:entries", "campaigns:households", "patrols:index")
#: who works in the field: the device keeps pages for them only (officials read with signal)
FIELD_ROLES = frozenset({Role.VILLAGE, Role.TOWNSHIP, Role.COUNTY})


@lru_cache(maxsize=1)
def version() -> str:
    digest = hashlib.sha256(get_template("relief/sw.js").template.source.encode())
    for path in SHELL:
        found = finders.find(path)
        digest.update(path.encode())
        if found:
            with open(found, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()[:12]


def _field_pages() -> list[str]:
    urls = []
    for name in FIELD_PAGES:
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    return urls


@require_GET
@never_cache
def service_worker(request: HttpRequest) -> HttpResponse:
    body = render_to_string(
        "relief/sw.js",
        {
            "version": version(),
            "LANGUAGE_CODE": request.LANGUAGE_CODE,
            "db_script": json.dumps(static("js/offline-db.js")),
            "shell": json.dumps([static(p) for p in SHELL]),
            "outbox": json.dumps(reverse("offline-outbox")),
            "login": json.dumps(reverse("login")),
            "static_prefix": json.dumps(static("")),
        },
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    data = {
        "name": _("暖冬 · 困难群众温暖过冬工作平台"),
        "short_name": _("暖冬"),
        "lang": "zh-Hans" if request.LANGUAGE_CODE.startswith("zh") else request.LANGUAGE_CODE,
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#b02a37",
        "icons": [
            {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@login_required
def outbox(request: HttpRequest) -> HttpResponse:
    """What this device keeps for sending (read from IndexedDB by static/js/offline.js)."""
    return render(request, "relief/outbox.html", {"field_pages": _field_pages()})


def field_pages_for(user) -> list[str]:
    """The pages the service worker keeps when this user signs in (base.html; none: the device
    keeps nothing for them but what the worker caches as they browse)."""
    return _field_pages() if user.is_authenticated and user.role in FIELD_ROLES else []
