"""Time the list API endpoints for a county user and a province user (`seed_demo --people 100000`).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench_wf_before \
        .venv/bin/python bench/list_apis.py [--rounds 3] [--repeat 10] [--user county --user province]

Each endpoint is requested once to warm up, then `--repeat` times per round through Django's test
client (full stack: middleware, authentication, scoping, filters, serializer, pagination: the default
page of 50); `--rounds` passes over all the endpoints, so that a burst of load from other work on the
machine spreads over every endpoint instead of falling on one. Per user and endpoint it prints, over
all rounds, the median and worst time (ms), the median time spent in SQL, the number of SQL queries of
one request (the worst if it varies), the `count` the API answers (what the user may see) and the
response size.

The database name must contain "bench" (`--any-db` overrides): the script only reads, but a bench
database is where the demo users and data are.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENDPOINTS = [
    "/api/v1/households/",
    "/api/v1/persons/",
    "/api/v1/visits/",
    "/api/v1/batches/",
    "/api/v1/payments/",
    "/api/v1/assistance-applications/",
    "/api/v1/hazards/",
    "/api/v1/clues/",
    "/api/v1/station-cases/",
    "/api/v1/alerts/",
]


def setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
    os.environ.setdefault("DEBUG", "1")
    name = os.environ.get("DATABASE_URL", "").rstrip("/").rsplit("/", 1)[-1]
    if "bench" not in name and "--any-db" not in sys.argv:
        sys.exit("refusing to run: DATABASE_URL must name a bench database (…/ww_bench_…) or pass --any-db")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10, help="requests per endpoint per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--user", action="append", dest="users", default=[])
    parser.add_argument("--endpoint", action="append", dest="endpoints", default=[])
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    setup()

    import logging

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from relief.models import User

    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("axes").setLevel(logging.WARNING)
    users = args.users or ["county", "province"]
    endpoints = args.endpoints or ENDPOINTS
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"{'user':9} {'endpoint':34} {'median ms':>9} {'max ms':>7} {'SQL ms':>7} {'queries':>7} "
        f"{'count':>7} {'KB':>5}"
    )
    clients = {}
    for username in users:
        client = Client()
        client.force_login(
            User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
        )
        clients[username] = client
        for url in endpoints:
            response = client.get(url, HTTP_ACCEPT="application/json")  # warm-up
            assert response.status_code == 200, (username, url, response.status_code, response.content[:300])
    samples: dict[tuple[str, str], dict] = {}
    for _ in range(args.rounds):
        for username in users:
            for url in endpoints:
                sample = samples.setdefault((username, url), {"ms": [], "sql": [], "queries": []})
                for _ in range(args.repeat):
                    with CaptureQueriesContext(connection) as ctx:
                        started = time.perf_counter()
                        response = clients[username].get(url, HTTP_ACCEPT="application/json")
                        sample["ms"].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, (username, url, response.status_code)
                    sample["sql"].append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
                    sample["queries"].append(len(ctx.captured_queries))
                body = response.json()
                sample["count"] = (
                    body.get("count", len(body.get("results", []))) if isinstance(body, dict) else len(body)
                )
                sample["kb"] = len(response.content) // 1024
    for (username, url), sample in samples.items():
        print(
            f"{username:9} {url:34} {statistics.median(sample['ms']):9.0f} {max(sample['ms']):7.0f} "
            f"{statistics.median(sample['sql']):7.1f} {max(sample['queries']):7d} {sample['count']:7d} "
            f"{sample['kb']:5d}"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
