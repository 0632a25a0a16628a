"""Content-Security-Policy and Permissions-Policy on every response; no template carries an inline
script, event handler or style that the policy would refuse (tests/e2e/test_csp.py checks the same in
a browser)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.parametrize(
    "url", ["/login/", "/", "/people/", "/funds/", "/dashboard/", "/api/v1/me/", "/nowhere/"]
)
def test_every_response_carries_the_strict_policy(client, users, url):
    client.force_login(users["county"])
    response = client.get(url)
    assert response["Content-Security-Policy"] == STRICT
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_allow_inline_styles_but_no_inline_script(client, users, url):
    client.force_login(users["county"])
    response = client.get(url)
    policy = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert "<script>" not in response.content.decode()


def test_swagger_ui_start_up_script_is_served_from_the_same_address(client, users):
    client.force_login(users["county"])
    response = client.get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def _templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(p for p in base.glob("**/templates/**/*.html") if ".venv" not in p.parts)


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(?!\s*</script>)", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\shx-on[:-]", re.I), "hx-on (evaluated code)"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:|js:", re.I), "javascript: URL or js: value"),
]


def test_no_template_carries_inline_script_handlers_or_styles():
    found = []
    for path in _templates():
        if path.parts[-2] == "drf_spectacular":
            continue  # the API docs pages have their own policy (inline styles allowed)
        text = re.sub(r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}", "", path.read_text(), flags=re.S)
        for pattern, what in INLINE:
            if what and pattern.search(text):
                found.append(f"{path.relative_to(settings.BASE_DIR)}: {what}")
    assert len(_templates()) > 20
    assert found == []


def test_htmx_is_told_not_to_evaluate_code_or_insert_styles(client, users):
    client.force_login(users["county"])
    body = client.get("/").content.decode()
    assert '"allowEval": false' in body and '"includeIndicatorStyles": false' in body
