"""Load test of the main pages and API on loopback: 50 concurrent users for 60 seconds.

    .venv/bin/pip install locust          # bench-only tool, not a project dependency
    WW_API_TOKEN=<token printed by seed_demo> .venv/bin/locust -f bench/locustfile.py --headless \
        -u 50 -r 10 -t 60s --host http://127.0.0.1:8800 --csv /tmp/load --only-summary

Needs the demo data (`manage.py seed_demo --people 100000`, password `warmwinter-demo` for every demo
user) served by gunicorn with DEBUG=0; the setup and the results are in bench/README.md, "Load test".

Three kinds of users, weighted like a working day:
- township/county staff (log in through /login/ with the CSRF token, then search households, open a
  household, the visit form, the alerts inbox, the list of assistance applications);
- provincial officials (dashboard page and the province summary API);
- an external system with the API token (households by region, persons, alerts).

Requests are named by route ("/people/households/[id]/"), so the report groups them by endpoint.
FastHttpUser (geventhttpclient) is used because the load generator shares the 2 cores with the
server. With DEBUG=0 the session and CSRF cookies are Secure (relief/settings.py), which a client
does not send back over plain http; the users' cookie jars get a policy that sends them anyway on
this loopback test, so the server runs with its production settings unchanged.
"""

# ruff: noqa: S311  (random choices of load-test inputs, nothing secret)
from __future__ import annotations

import os
import random
import re
from http.cookiejar import DefaultCookiePolicy

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("WW_DEMO_PASSWORD", "warmwinter-demo")
API_TOKEN = os.environ.get("WW_API_TOKEN", "")

# Demo data (relief/demo.py): the county user sees 金堂县 (510121), the township user 红岩街道
# (510121001); api-client is scoped to 510121.
STAFF = [("township", "510121001"), ("county", "510121"), ("county2", "510129")]
TOWNSHIPS = ["510121001", "510121101", "510121102", "510121103"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
CATEGORIES = ["dibao", "tekun", "dibao_edge", "monitoring"]
FLAGS = ["aged_60", "aged_80"]
ALERT_TABS = ["region", "mine", "escalated"]

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOUSEHOLD_RE = re.compile(r'href="/people/households/(\d+)/"')


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """Send Secure cookies over http too: only for this test against 127.0.0.1."""

    def return_ok_secure(self, cookie, request):
        return True


def log_in(user: FastHttpUser, username: str) -> None:
    """Log in through the form, as a browser does: GET /login/ for the CSRF token, then POST."""
    user.client.cookiejar.set_policy(LoopbackCookiePolicy())
    with user.client.get("/login/", name="/login/ [GET]", catch_response=True) as resp:
        match = CSRF_RE.search(resp.text or "")
        if not match:
            resp.failure("no CSRF token in the login form")
            return
    with user.client.post(
        "/login/",
        name="/login/ [POST]",
        data={"csrfmiddlewaretoken": match.group(1), "username": username, "password": PASSWORD},
        headers={"Referer": f"{user.host}/login/"},
        catch_response=True,
    ) as resp:
        # A successful login redirects to the home page; the form shown again means it failed.
        if 'name="password"' in (resp.text or ""):
            resp.failure(f"login of {username} refused")


@events.init_command_line_parser.add_listener
def _(parser):
    parser.add_argument("--api-token", default=API_TOKEN, help="API token of the demo user api-client")


class StaffUser(FastHttpUser):
    """Township / county staff working through their households."""

    weight = 6
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.username, self.scope = random.choice(STAFF)
        self.household_ids: list[int] = []
        log_in(self, self.username)

    def _remember_households(self, text: str | None) -> None:
        ids = [int(i) for i in HOUSEHOLD_RE.findall(text or "")]
        if ids:
            self.household_ids = (ids + self.household_ids)[:200]

    @task(2)
    def home(self) -> None:
        self.client.get("/", name="/")

    @task(6)
    def search(self) -> None:
        params = random.choice(
            [
                {"q": random.choice(SURNAMES)},
                {"q": random.choice(SURNAMES) + random.choice("伟芳秀英明华")},
                {"category": random.choice(CATEGORIES)},
                {"flag": random.choice(FLAGS)},
                {},
                {"page": str(random.randint(2, 20))},
            ]
        )
        with self.client.get("/people/", params=params, name="/people/?q=…", catch_response=True) as resp:
            if resp.status_code == 200:
                self._remember_households(resp.text)

    @task(5)
    def household(self) -> None:
        if not self.household_ids:
            return self.search()
        pk = random.choice(self.household_ids)
        self.client.get(f"/people/households/{pk}/", name="/people/households/[id]/")

    @task(2)
    def visit_form(self) -> None:
        if not self.household_ids:
            return self.search()
        pk = random.choice(self.household_ids)
        self.client.get(f"/people/households/{pk}/visits/new/", name="/people/households/[id]/visits/new/")

    @task(3)
    def alerts(self) -> None:
        self.client.get("/alerts/", params={"tab": random.choice(ALERT_TABS)}, name="/alerts/?tab=…")

    @task(2)
    def applications(self) -> None:
        self.client.get("/funds/applications/", name="/funds/applications/")


class ProvinceOfficial(FastHttpUser):
    """Provincial officials looking at the dashboard."""

    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        log_in(self, "province")

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="/dashboard/")

    @task(1)
    def dashboard_city(self) -> None:
        self.client.get(
            "/dashboard/",
            params={"region": random.choice(["5101", "5132", "5133"])},
            name="/dashboard/?region=[city]",
        )

    @task(3)
    def summary(self) -> None:
        self.client.get(
            "/api/v1/dashboard/summary/", params={"region": "51"}, name="/api/v1/dashboard/summary/?region=51"
        )


class ApiClient(FastHttpUser):
    """An external system reading through the API with its token."""

    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        token = self.environment.parsed_options.api_token if self.environment.parsed_options else API_TOKEN
        if not token:
            raise RuntimeError("set WW_API_TOKEN (or --api-token) to the token printed by seed_demo")
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json"}

    @task(4)
    def households(self) -> None:
        region = random.choice(TOWNSHIPS) + random.choice(["", f"{random.randint(1, 15):03d}"])
        self.client.get(
            "/api/v1/households/",
            params={"region": region},
            headers=self.headers,
            name="/api/v1/households/?region=…",
        )

    @task(3)
    def persons(self) -> None:
        params = random.choice(
            [{}, {"aged_80": "true"}, {"name": random.choice(SURNAMES)}, {"page": str(random.randint(2, 50))}]
        )
        self.client.get("/api/v1/persons/", params=params, headers=self.headers, name="/api/v1/persons/")

    @task(2)
    def alerts(self) -> None:
        self.client.get(
            "/api/v1/alerts/", params={"status": "open"}, headers=self.headers, name="/api/v1/alerts/"
        )
