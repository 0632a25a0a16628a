"""Time the dashboard at scale: the province summary computed directly (no roll-ups), the roll-up
refresh, and the API endpoints and the page served from the roll-ups, through the whole Django
stack (token authentication, scoping, serialisation), as the demo province user.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_dashbench .venv/bin/python bench/dashboard.py [--runs 20]

Needs the demo data (`manage.py seed_demo --people 1000000`). Writes nothing but the roll-up table
(and an API token for the demo user `province`). Results: bench/README.md, "Dashboard".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
if "dashbench" not in os.environ.get("DATABASE_URL", "") and "--any-db" not in sys.argv:
    sys.exit("refusing to run: set DATABASE_URL to a bench database (…/ww_dashbench), or pass --any-db")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from relief.dashboard import selectors, services  # noqa: E402
from relief.demo import DEMO_COUNTIES  # noqa: E402
from relief.models import Region, User  # noqa: E402


def timed(fn, runs: int) -> tuple[float, float, int]:
    """Median and max milliseconds over `runs` calls (after one warm-up), and queries per call."""
    fn()
    times = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            fn()
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), max(times), len(ctx.captured_queries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()

    with connection.cursor() as cur:
        counts = {}
        for table in (
            "people_person",
            "people_household",
            "people_visit",
            "people_assistance",
            "relief_region",
        ):
            cur.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed table names
            counts[table] = cur.fetchone()[0]
    print("data:", ", ".join(f"{k.split('_', 1)[1]} {v:,}" for k, v in counts.items()))

    province = Region.objects.get(code="51")
    start = time.perf_counter()
    selectors.summary(province, live=True)
    print(f"province summary computed directly (no roll-ups): {(time.perf_counter() - start) * 1000:,.0f} ms")

    start = time.perf_counter()
    rows = services.figures_refresh()
    print(f"roll-up refresh: {rows:,} rows in {(time.perf_counter() - start) * 1000:,.0f} ms")

    user = User.objects.get(username="province")
    token, _created = Token.objects.get_or_create(user=user)
    api = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Token {token.key}")
    page = Client(HTTP_HOST="localhost")
    page.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    county = Region.objects.get(code=DEMO_COUNTIES[0])
    township = Region.objects.filter(parent=county).order_by("code").first()

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return call

    cases = [
        ("GET /api/v1/dashboard/summary/?region=51", get(api, "/api/v1/dashboard/summary/?region=51")),
        (
            f"GET /api/v1/dashboard/summary/?region={county.code}",
            get(api, f"/api/v1/dashboard/summary/?region={county.code}"),
        ),
        (
            f"GET /api/v1/dashboard/summary/?region={township.code}",
            get(api, f"/api/v1/dashboard/summary/?region={township.code}"),
        ),
        ("GET /api/v1/dashboard/trends/?region=51", get(api, "/api/v1/dashboard/trends/?region=51")),
        ("GET /dashboard/?region=51 (page)", get(page, "/dashboard/?region=51")),
        ("GET /dashboard/export/?region=51 (xlsx)", get(page, "/dashboard/export/?region=51")),
    ]
    print(f"{'request':<52} {'median ms':>10} {'max ms':>8} {'queries':>8}")
    for label, fn in cases:
        median, worst, queries = timed(fn, args.runs)
        print(f"{label:<52} {median:>10.1f} {worst:>8.1f} {queries:>8}")


if __name__ == "__main__":
    main()
