"""Time the household search page and the household list API with the demo's people loaded
(1,000,000: `manage.py seed_demo --people 1000000`, about 5 minutes).

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/search.py [--repeat 5] [--explain]

Each case is requested `--repeat` times through Django's test client (full stack: middleware,
scoping, template or serializer) after one warm-up; the median and worst are printed, with the
median time spent in SQL (the rest is Python: form, template, serializer), the number of SQL
queries and the size of the response. `--explain` prints the PostgreSQL plan of the slowest query of each case.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import setup

setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from people.models import Household, Person  # noqa: E402
from relief.models import User  # noqa: E402


def cases() -> list[tuple[str, str, str]]:
    """(user, label, url) — search values taken from the data so that they hit."""
    someone = Person.objects.filter(region__code__startswith="510121").order_by("id")[1000]
    far = Person.objects.filter(region__code__startswith="513334").order_by("id")[500]
    village = someone.region_id
    surname = someone.name[0]
    cases = []
    for user in ("county", "province"):
        cases += [
            (user, "page: no filter", "/people/"),
            (user, "page: page 200", "/people/?page=200"),
            (user, "page: full name", f"/people/?q={someone.name}"),
            (user, "page: surname (1 char)", f"/people/?q={surname}"),
            (user, "page: ID number (full)", f"/people/?q={someone.id_number}"),
            (user, "page: ID prefix 10 digits", f"/people/?q={someone.id_number[:10]}"),
            (user, "page: phone", f"/people/?q={someone.phone}"),
            (user, "page: category 低保", "/people/?category=dibao"),
            (user, "page: flag 80+", "/people/?flag=aged_80"),
            (user, "page: flag lives alone", "/people/?flag=lives_alone"),
            (user, "page: village", f"/people/?region={village}"),
            (user, "page: village + 低保 + 80+", f"/people/?region={village}&category=dibao&flag=aged_80"),
            (user, "api: list", "/api/v1/households/"),
            (user, "api: region prefix (village)", f"/api/v1/households/?region={village}"),
            (user, "api: category 低保", "/api/v1/households/?category=dibao"),
            (user, "api: flag 80+", "/api/v1/households/?flag=aged_80"),
            (user, "api: persons list", "/api/v1/persons/"),
        ]
    cases.append(("province", "page: name in another city", f"/people/?q={far.name}"))
    return cases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--any-db", action="store_true")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]

    print(f"households {Household.objects.count():,}, people {Person.objects.count():,}")
    clients = {}
    for username in ("county", "province"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        clients[username] = client
        print(
            f"{username}: scope {user.region_id}, sees {Household.objects.visible_to(user).count():,} households"
        )

    print(f"{'user':9} {'case':32} {'median ms':>10} {'max ms':>8} {'SQL ms':>7} {'queries':>8} {'KB':>5}")
    for username, label, url in cases():
        client = clients[username]
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        times, sql_times = [], []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        print(
            f"{username:9} {label:32} {statistics.median(times):10.0f} {max(times):8.0f} "
            f"{statistics.median(sql_times):7.0f} {len(ctx.captured_queries):8d} {len(response.content) // 1024:5d}",
            flush=True,
        )
        if args.explain:
            slowest = max(ctx.captured_queries, key=lambda q: float(q["time"]))
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest["sql"])
                print("    " + "\n    ".join(r[0] for r in cur.fetchall()[:25]))


if __name__ == "__main__":
    main()
