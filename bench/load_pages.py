"""One request per page of the load test's mix, alone (no concurrency), with its queries: the floor
that the times under load in bench/README.md ("Load test: 200 users for 5 minutes") compare with.

    ALLOWED_HOSTS=testserver DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_load \
        .venv/bin/python bench/load_pages.py --any-db [--users /tmp/ww_load_run/users.json] [--sql 3] [URL ...]

Each page is requested twice by the Django test client as the first `load-` account of the role
(bench/load_users.py) and the second request is timed: wall time and the SQL time of its queries.
"""

from __future__ import annotations

import argparse
import json
import time

from _setup import setup

PAGES = {
    "township": ["/", "/people/?q=王", "/people/", "/alerts/?tab=region", "/tasks/", "/funds/applications/"],
    "village": ["/", "/people/", "/tasks/"],
    "county": ["/", "/people/?q=王伟", "/dashboard/", "/alerts/?tab=mine"],
    "province": [
        "/dashboard/",
        "/dashboard/?region=5101",
        "/api/v1/dashboard/summary/?region=51",
        "/people/?q=王伟",
    ],
    "api_client": [
        "/api/v1/persons/",
        "/api/v1/persons/?aged_80=true",
        "/api/v1/households/?region={township}",
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="*", help="only these pages")
    parser.add_argument("--users", default="/tmp/ww_load_run/users.json")  # noqa: S108
    parser.add_argument("--sql", type=int, default=0, help="print the N slowest statements of each page")
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    setup()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from relief.models import User

    with open(args.users, encoding="utf-8") as fh:
        accounts = json.load(fh)
    for role, urls in PAGES.items():
        account = next(a for a in accounts if a["role"] == role)
        township = next(
            (
                a["region"]
                for a in accounts
                if a["role"] == "township" and a["region"].startswith(account["region"])
            ),
            account["region"],
        )
        client, headers = Client(), {}
        if account["token"]:
            headers = {"HTTP_AUTHORIZATION": f"Token {account['token']}"}
        else:
            client.force_login(User.objects.get(username=account["username"]))
        for url in urls:
            url = url.format(township=township)
            if args.urls and url not in args.urls:
                continue
            client.get(url, secure=True, **headers)
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, secure=True, **headers)
            ms = (time.perf_counter() - started) * 1000
            sql = sum(float(q["time"]) for q in queries.captured_queries) * 1000
            print(
                f"{role:10} {url:45} {response.status_code} {ms:6.0f} ms {len(queries):3} queries {sql:6.0f} ms SQL"
            )
            for q in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[: args.sql]:
                print(f"    {float(q['time']) * 1000:6.0f} ms  {q['sql'][:300]}")


if __name__ == "__main__":
    main()
