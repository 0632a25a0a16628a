"""What the tasks (待办) cost, on the demo's data (`manage.py seed_demo --people 200000` into ww_bench):

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ww_bench .venv/bin/python bench/tasks.py

1. The visit-overdue sweep of the largest county from scratch (its alerts and their tasks deleted
   first), with the alerts' tasks (tasks_follow_alerts in the sweep's transaction) and without them
   (the mirror switched off for that pass, then made up for): the price of one task per alert.
2. A sweep with nothing new (the nightly case), with the tasks.
3. The today page for each demo login and /api/v1/tasks/?view=… for the county: median of 5, with
   the SQL statements per request (constant: not one per task).
"""

from __future__ import annotations

import statistics
import time

from _setup import setup

setup()

from django.db import connection, reset_queries  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from people.choices import VISIT_OVERDUE  # noqa: E402
from relief.alerts import sweeps  # noqa: E402
from relief.models import Alert, Task, User  # noqa: E402


def timed(fn, n: int = 1):
    times, queries = [], 0
    for _ in range(n):
        reset_queries()
        with CaptureQueriesContext(connection) as q:
            started = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - started)
        queries = len(q)
    return result, statistics.median(times), queries


def sweep_from_scratch(county: str, with_tasks: bool) -> tuple[int, float]:
    Task.objects.filter(source="alert", kind=VISIT_OVERDUE, region__code__startswith=county).delete()
    Alert.objects.filter(kind=VISIT_OVERDUE, region__code__startswith=county).delete()
    mirror = sweeps.tasks_follow_alerts
    if not with_tasks:
        sweeps.tasks_follow_alerts = lambda ids: 0
    try:
        result, seconds, _ = timed(lambda: sweeps.sweep_county(VISIT_OVERDUE, county))
    finally:
        sweeps.tasks_follow_alerts = mirror
    if not with_tasks:  # make up for the pass without tasks
        mirror(
            list(
                Alert.objects.filter(kind=VISIT_OVERDUE, region__code__startswith=county).values_list(
                    "pk", flat=True
                )
            )
        )
    return result.raised, seconds


def main() -> None:
    counties = (
        Alert.objects.filter(kind=VISIT_OVERDUE).values("region__code").annotate(n=Count("id")).order_by("-n")
    )
    county = max(
        {row["region__code"][:6] for row in counties[:50]},
        key=lambda c: Alert.objects.filter(kind=VISIT_OVERDUE, region__code__startswith=c).count(),
    )
    print(f"county {county}: {Task.objects.live().count()} live tasks in the database")
    for with_tasks in (False, True, False, True):
        raised, seconds = sweep_from_scratch(county, with_tasks)
        print(
            f"  sweep from scratch {'with' if with_tasks else 'without'} tasks: {raised} raised, {seconds:.2f} s"
        )
    _, seconds, queries = timed(lambda: sweeps.sweep_county(VISIT_OVERDUE, county), n=3)
    print(f"  sweep, nothing new (with tasks): {seconds:.2f} s, {queries} statements")

    client = Client(HTTP_HOST="localhost")
    for username in ("village", "township", "county", "city", "province"):
        client.force_login(
            User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
        )
        response, seconds, queries = timed(lambda: client.get("/"), n=5)
        assert response.status_code == 200
        print(f"  today page as {username:9s}: {seconds * 1000:6.0f} ms, {queries} statements")
    client.force_login(
        User.objects.get(username="county"), backend="django.contrib.auth.backends.ModelBackend"
    )
    for view in ("mine", "region", "escalated", "overdue"):
        response, seconds, queries = timed(lambda v=view: client.get("/api/v1/tasks/", {"view": v}), n=5)
        assert response.status_code == 200
        print(
            f"  /api/v1/tasks/?view={view:9s}: {seconds * 1000:6.0f} ms, {queries} statements, {response.json()['count']} tasks"
        )


if __name__ == "__main__":
    main()
