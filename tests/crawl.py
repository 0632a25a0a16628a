"""A crawler of the site's pages with Django's test client, as one signed-in user (tests/test_crawl.py).

From `/` it follows, breadth-first, every same-site link (`<a href>`, htmx `hx-get`), every GET form
(submitted with no parameters) and every POST form, each URL once (query strings normalised, at most
`per_pattern` URLs per URL pattern name and set of query keys), and records every answer that is
403, 404, 405 or 500 with the page it was found on.

POST forms are the buttons that matter most (a step the user may not take answers 403), and a GET to
their action says nothing (the page itself, or 405). So each POST form is submitted as a browser
would (its hidden inputs, the values shown in its fields), inside a savepoint rolled back at once:
the view runs its own access and permission checks as they are, and the world is unchanged for the
rest of the crawl (jobs and mails wait for a commit that never comes). Forms that change the session
rather than a record (logout, language) are not submitted.
"""

from __future__ import annotations

import dataclasses
import time
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from django.db import transaction
from django.urls import Resolver404, resolve

#: paths not crawled: Django's own admin, the API and its docs, files, the session's own forms
SKIP_PREFIXES = ("/admin/", "/api/", "/static/", "/media/", "/logout/", "/i18n/", "/login/")
BAD_STATUS = {403, 404, 405, 500}


@dataclasses.dataclass
class Form:
    method: str
    action: str
    fields: list[tuple[str, str]]


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        if tag == "form":
            self._form = Form((a.get("method") or "get").lower(), a.get("action") or "", [])
            self.forms.append(self._form)
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form.fields.append((name, a.get("value") or "on"))
            elif kind not in ("file", "submit", "button", "image", "reset"):
                self._form.fields.append((name, a.get("value") or ""))
        elif tag == "select" and name:
            self._select, self._select_value = name, None
        elif tag == "option" and self._select is not None:
            if self._select_value is None or "selected" in a:
                self._select_value = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "select" and self._select is not None:
            self._form.fields.append((self._select, self._select_value or ""))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._form.fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "form":
            self._form = None


def parse(html: str) -> tuple[list[str], list[Form]]:
    parser = _PageParser()
    parser.feed(html)
    return parser.links, parser.forms


def normalise(url: str, base: str) -> str | None:
    """The same-site path with its query sorted, or None for what is not crawled."""
    if url.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin(base, url))
    if parts.netloc not in ("", "testserver") or parts.scheme not in ("", "http", "https"):
        return None
    if parts.path.startswith(SKIP_PREFIXES):
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


def pattern_of(url: str) -> str:
    parts = urlsplit(url)
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        name = parts.path
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{name}?{'&'.join(keys)}"


@dataclasses.dataclass
class Failure:
    method: str
    url: str
    status: int
    found_on: str
    detail: str = ""

    def __str__(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.method} {self.url} -> {self.status}{extra}, found on {self.found_on}"


@dataclasses.dataclass
class Crawl:
    client: object
    per_pattern: int = 2
    max_requests: int = 2000
    failures: list[Failure] = dataclasses.field(default_factory=list)
    visited: set[str] = dataclasses.field(default_factory=set)
    requests: int = 0
    #: seconds spent per pattern, to see what the crawl's time goes to
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def run(self, start: str = "/") -> Crawl:
        seen_patterns: dict[str, int] = {}
        queue: deque[tuple[str, str, Form | None]] = deque([("GET " + start, "(start)", None)])
        while queue and self.requests < self.max_requests:
            key, found_on, form = queue.popleft()
            if key in self.visited:
                continue
            method, url = key.split(" ", 1)
            pattern = f"{method} {pattern_of(url)}"
            if form is not None and form.method == "post":
                step = dict(form.fields).get("step", "")
                pattern += f" {step}"
            if seen_patterns.get(pattern, 0) >= self.per_pattern:
                continue
            seen_patterns[pattern] = seen_patterns.get(pattern, 0) + 1
            self.visited.add(key)
            started = time.monotonic()
            response = self._fetch(method, url, form, found_on)
            self.timings[pattern] = self.timings.get(pattern, 0.0) + time.monotonic() - started
            if response is None:
                continue
            if response.status_code in (301, 302, 303) and method == "GET":
                target = normalise(response["Location"], url)
                if target:
                    queue.append(("GET " + target, url, None))
                continue
            if method != "GET" or "text/html" not in response.get("Content-Type", ""):
                continue
            links, forms = parse(response.content.decode())
            for link in links:
                target = normalise(link, url)
                if target:
                    queue.append(("GET " + target, url, None))
            for found in forms:
                target = normalise(found.action or url, url)
                if not target:
                    continue
                if found.method == "get":
                    if found.action:  # submitted with no parameters
                        queue.append(("GET " + target.split("?")[0], url, None))
                else:
                    # each POST form once: its target and the values it would send
                    body = urlencode(
                        sorted(
                            v for v in found.fields if v[0] not in ("csrfmiddlewaretoken", "idempotency_key")
                        )
                    )
                    queue.append((f"POST {target}#{body}", url, found))
        return self

    def slowest(self, n: int = 8) -> str:
        rows = sorted(self.timings.items(), key=lambda kv: -kv[1])[:n]
        return ", ".join(f"{pattern} {seconds:.1f}s" for pattern, seconds in rows)

    def _fetch(self, method, url, form, found_on):
        self.requests += 1
        try:
            response = self.client.get(url) if method == "GET" else self._post(url.split("#", 1)[0], form)
        except Exception as exc:  # a 500: the test client raises the view's exception
            self.failures.append(Failure(method, url, 500, found_on, f"{type(exc).__name__}: {exc}"[:300]))
            return None
        if response.status_code in BAD_STATUS:
            self.failures.append(Failure(method, url.split("#", 1)[0], response.status_code, found_on))
        return response

    def _post(self, url, form):
        atomic = transaction.atomic()
        atomic._from_testcase = True  # a durable block inside the view still runs (tests/conftest.py)
        with atomic:
            data: dict[str, list[str]] = {}
            for name, value in form.fields:
                data.setdefault(name, []).append(value)
            response = self.client.post(url, data)
            transaction.set_rollback(True)
        return response
