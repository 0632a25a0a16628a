"""Load test of the main pages and API on loopback: 200 users (190 people, 10 systems) for 5 minutes.

    bench/load.py                         # the whole run: static, gunicorn, locust, figures
    # or by hand, against a server already running on 127.0.0.1:8800:
    /tmp/locust-venv/bin/locust -f bench/locustfile.py --headless -u 200 -r 200 -t 300s \
        --host http://127.0.0.1:8800 --csv /tmp/load --only-summary

Locust is a bench-only tool in a venv of its own (`python3 -m venv /tmp/locust-venv &&
/tmp/locust-venv/bin/pip install locust`), not a project dependency. Needs the demo data
(`seed_demo`) and one account per simulated user (`bench/load_users.py`, which writes
/tmp/ww_load_users.json; `WW_LOAD_USERS` to read another file). Setup and results: bench/README.md,
"Load test: 200 users for 5 minutes".

Who (fixed counts, 200 in all): 40 village workers, 80 township staff, 35 county staff, 15 city and
20 province officials, each on an account of their own, and 10 external systems with a token each.

Log-ins are spread: every user waits a random 0–`WW_LOAD_START_SPREAD` seconds (default 120)
before logging in, as staff arriving at work do, instead of locust's ramp (a rate only: all 200
would log in within the first seconds and hash PBKDF2 together). A person logs in once and then
works in that session (many pages, the static files once, as a browser caches them).

Think times (the wait between two pages of one person): staff 4–20 s (mean 12 s, about five pages
a minute: a clerk reads a search result, opens a household, reads it, goes back; a person reading
a page for under 4 s is rare, and a busy clerk still opens a page every 10–20 s), officials 10–40 s
(a dashboard is read, not clicked through), systems 1–3 s (a program paging through the API, not a
person: no think time but its own processing and the network).

Every request is also written, with its start time, to `WW_LOAD_REQUESTS` (a CSV) so bench/load.py
can compute the percentiles after the first minute instead of reading them off a chart.

Requests are named by route ("/people/households/[id]/"), so the report groups them by endpoint.
FastHttpUser (geventhttpclient) is used because the load generator shares the 2 cores with the
server. With DEBUG=0 the session and CSRF cookies are Secure (relief/settings.py), which a client
does not send back over plain http; the users' cookie jars get a policy that sends them anyway on
this loopback test, so the server runs with its production settings unchanged.
"""

# ruff: noqa: S108, S311  (a fixed path on this machine; random load-test inputs, nothing secret)
from __future__ import annotations

import csv
import json
import os
import random
import re
import time
from collections import defaultdict
from http.cookiejar import DefaultCookiePolicy

import gevent
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ.get("WW_DEMO_PASSWORD", "warmwinter-demo")
USERS_FILE = os.environ.get("WW_LOAD_USERS", "/tmp/ww_load_users.json")
REQUESTS_FILE = os.environ.get("WW_LOAD_REQUESTS", "")
START_SPREAD = float(os.environ.get("WW_LOAD_START_SPREAD", "120"))

SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄"]
CATEGORIES = ["dibao", "tekun", "dibao_edge", "monitoring"]
FLAGS = ["aged_60", "aged_80"]
ALERT_TABS = ["region", "mine", "escalated"]

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HOUSEHOLD_RE = re.compile(r'href="/people/households/(\d+)/"')
STATIC_RE = re.compile(r'(?:href|src)="(/static/[^"?]+\.(?:css|js))"')


def _accounts() -> dict[str, list[dict]]:
    by_role: dict[str, list[dict]] = defaultdict(list)
    try:
        with open(USERS_FILE, encoding="utf-8") as fh:
            for account in json.load(fh):
                by_role[account["role"]].append(account)
    except FileNotFoundError:
        pass
    return by_role


ACCOUNTS = _accounts()
_taken: dict[str, int] = defaultdict(int)


def take_account(role: str) -> dict:
    """The next unused account of the role: no two simulated users share one (axes, sessions)."""
    pool = ACCOUNTS.get(role) or []
    if _taken[role] >= len(pool):
        raise RuntimeError(f"not enough {role} accounts in {USERS_FILE}: run bench/load_users.py")
    account = pool[_taken[role]]
    _taken[role] += 1
    return account


# --- every request, with its start time, for bench/load.py ------------------------------------

_out = None
if REQUESTS_FILE:
    _fh = open(REQUESTS_FILE, "w", newline="", encoding="utf-8")  # noqa: SIM115 - open for the run
    _out = csv.writer(_fh)
    _out.writerow(["start", "method", "name", "ms", "status", "error"])


@events.request.add_listener
def _record(request_type, name, response_time, exception=None, response=None, start_time=None, **_kw):
    if _out is None:
        return
    start = start_time if start_time else time.time() - response_time / 1000
    status = getattr(response, "status_code", "") if response is not None else ""
    _out.writerow(
        [f"{start:.3f}", request_type, name, f"{response_time:.1f}", status, str(exception or "")[:200]]
    )


@events.quitting.add_listener
def _close(**_kw):
    if _out is not None:
        _fh.flush()


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """Send Secure cookies over http too: only for this test against 127.0.0.1."""

    def return_ok_secure(self, cookie, request):
        return True


class Person(FastHttpUser):
    """A person with an account: arrives at a random moment, logs in once, then works."""

    abstract = True
    role = ""

    def on_start(self) -> None:
        self.account = take_account(self.role)
        self.region = self.account["region"]
        self.household_ids: list[int] = []
        gevent.sleep(random.uniform(0, START_SPREAD))
        self.log_in()

    def log_in(self) -> None:
        """Log in through the form, as a browser does: GET /login/ for the CSRF token, then POST."""
        self.client.cookiejar.set_policy(LoopbackCookiePolicy())
        with self.client.get("/login/", name="/login/ [GET]", catch_response=True) as resp:
            match = CSRF_RE.search(resp.text or "")
            if not match:
                resp.failure("no CSRF token in the login form")
                return
        username = self.account["username"]
        with self.client.post(
            "/login/",
            name="/login/ [POST]",
            data={"csrfmiddlewaretoken": match.group(1), "username": username, "password": PASSWORD},
            headers={"Referer": f"{self.host}/login/"},
            catch_response=True,
        ) as resp:
            # A successful login redirects to the home page; the form shown again means it failed.
            text = resp.text or ""
            if 'name="password"' in text:
                resp.failure(f"login of {username} refused")
                return
        # The browser fetches the stylesheets and scripts once, then has them cached.
        for path in sorted(set(STATIC_RE.findall(text))):
            self.client.get(path, name="/static/[file]")

    def page(self, path: str, name: str, params: dict | None = None) -> str:
        with self.client.get(path, params=params, name=name, catch_response=True) as resp:
            if resp.status_code == 200 and 'name="password"' in (resp.text or "") and "/login/" in resp.url:
                resp.failure("sent back to the login page")
            return resp.text or ""


class Staff(Person):
    """Village, township and county staff working through their households."""

    abstract = True
    wait_time = between(4, 20)

    def _remember_households(self, text: str) -> None:
        ids = [int(i) for i in HOUSEHOLD_RE.findall(text)]
        if ids:
            self.household_ids = (ids + self.household_ids)[:200]

    @task(2)
    def home(self) -> None:
        self.page("/", "/")

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
        self._remember_households(self.page("/people/", "/people/?q=…", params))

    @task(6)
    def household(self) -> None:
        if not self.household_ids:
            return self.search()
        pk = random.choice(self.household_ids)
        self.page(f"/people/households/{pk}/", "/people/households/[id]/")

    @task(2)
    def visit_form(self) -> None:
        if not self.household_ids:
            return self.search()
        pk = random.choice(self.household_ids)
        self.page(f"/people/households/{pk}/visits/new/", "/people/households/[id]/visits/new/")

    @task(3)
    def alerts(self) -> None:
        self.page("/alerts/", "/alerts/?tab=…", {"tab": random.choice(ALERT_TABS)})

    @task(2)
    def task_list(self) -> None:
        self.page("/tasks/", "/tasks/")


class VillageWorker(Staff):
    role = "village"
    fixed_count = 40


class TownshipStaff(Staff):
    role = "township"
    fixed_count = 80

    @task(2)
    def applications(self) -> None:
        self.page("/funds/applications/", "/funds/applications/")


class CountyStaff(Staff):
    role = "county"
    fixed_count = 35

    @task(2)
    def applications(self) -> None:
        self.page("/funds/applications/", "/funds/applications/")

    @task(1)
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")


class Official(Person):
    """City and provincial officials reading the dashboard."""

    abstract = True
    wait_time = between(10, 40)
    children: list[str] = []

    @task(4)
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")

    @task(2)
    def drill_down(self) -> None:
        self.page("/dashboard/", "/dashboard/?region=[child]", {"region": random.choice(self.children)})

    @task(2)
    def summary(self) -> None:
        self.client.get(
            "/api/v1/dashboard/summary/", params={"region": self.region}, name="/api/v1/dashboard/summary/"
        )

    @task(1)
    def search(self) -> None:
        self.page(
            "/people/",
            "/people/?q=… [official]",
            {"q": random.choice(SURNAMES) + random.choice("伟芳秀英明华")},
        )


class CityOfficial(Official):
    role = "city"
    fixed_count = 15

    def on_start(self) -> None:
        super().on_start()
        self.children = sorted(
            {a["region"][:6] for a in ACCOUNTS["county"] if a["region"][:4] == self.region}
        )
        self.children = self.children or [self.region]


class ProvinceOfficial(Official):
    role = "province"
    fixed_count = 20
    children = ["5101", "5132", "5133", "510121", "513232"]


class ApiClient(FastHttpUser):
    """An external system reading through the API with its own token, scoped to a county."""

    wait_time = between(1, 3)
    fixed_count = 10

    def on_start(self) -> None:
        account = take_account("api_client")
        self.region = account["region"]
        self.headers = {"Authorization": f"Token {account['token']}", "Accept": "application/json"}
        gevent.sleep(random.uniform(0, START_SPREAD))
        self.townships = sorted(
            {a["region"] for a in ACCOUNTS["township"] if a["region"].startswith(self.region)}
        ) or [self.region]

    @task(4)
    def households(self) -> None:
        region = random.choice(self.townships)
        if len(region) == 9:  # the township, or one of its villages
            region += random.choice(["", f"{random.randint(1, 15):03d}"])
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
