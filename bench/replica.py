"""What the read replica costs and how far it lags (issue 22 point 2).

    python3 dev.py demo   # once, or: manage.py migrate && manage.py seed_demo --people 2000
    .venv/bin/python bench/replica.py [--repeat 200]

Starts a streaming replica of the embedded server (or of DATABASE_URL's server: it copies the whole
cluster, so use a small one) exactly as the tests do (tests/replica.py: pg_basebackup -R -X stream,
a hot standby on a free port), points DATABASE_REPLICA_URL at it and measures:

- replication lag: a committed one-row INSERT on the primary until the replica has replayed it;
- the check a stale-allowed request makes before reading the replica (relief/replica.py: one query
  on the replica), on an open connection and with a new connection each time (CONN_MAX_AGE=0);
- a list API and the dashboard through Django's test client, router on (replica) and off (primary).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def _ms(samples: list[float]) -> str:
    s = sorted(samples)
    return f"p50 {statistics.median(s) * 1000:.2f} ms, p95 {s[int(len(s) * 0.95) - 1] * 1000:.2f} ms (n={len(s)})"


def _primary() -> tuple[dict, str]:
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        from relief import embedded_db

        url = embedded_db.server_uri(ROOT)
    import psycopg

    info = psycopg.conninfo.conninfo_to_dict(url)
    source = {"host": info.get("host") or "127.0.0.1", "port": int(info.get("port") or 5432)}
    source["user"] = info.get("user") or "postgres"
    return source, info.get("dbname") or urlsplit(url).path.lstrip("/")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DEBUG", "1")
    source, dbname = _primary()
    from tests.replica import start_replica

    started = time.monotonic()
    server = start_replica(source)
    print(f"replica of {source['host']}:{source['port']} started in {time.monotonic() - started:.1f} s")
    try:
        os.environ["DATABASE_REPLICA_URL"] = f"postgres://{source['user']}@127.0.0.1:{server.port}/{dbname}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relief.settings")
        import django

        django.setup()
        measure(server, args.repeat)
    finally:
        server.remove()


def measure(server, repeat: int) -> None:
    from django.conf import settings
    from django.db import connections
    from django.test import Client
    from django.test.utils import override_settings

    from relief import replica
    from relief.models import Role, User

    primary = connections["default"]
    with primary.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_replica_lag (id serial PRIMARY KEY, at timestamptz)")
    lag = []
    with server.connect(primary.settings_dict["NAME"]) as standby:
        for _ in range(repeat):
            with primary.cursor() as cur:
                t0 = time.perf_counter()
                cur.execute("INSERT INTO bench_replica_lag (at) VALUES (now())")
                cur.execute("SELECT pg_current_wal_lsn()::text")
                target = replica.lsn_value(cur.fetchone()[0])
            while (
                replica.lsn_value(standby.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0])
                < target
            ):
                pass
            lag.append(time.perf_counter() - t0)
    with primary.cursor() as cur:
        cur.execute("DROP TABLE bench_replica_lag")
    print(f"replication lag, commit to replayed: {_ms(lag)}")

    for label, close in (("open connection", False), ("new connection each time", True)):
        samples = []
        for _ in range(repeat):
            if close:
                connections["replica"].close()
            t0 = time.perf_counter()
            choice, _as_of = replica._choose(0, 0)
            samples.append(time.perf_counter() - t0)
            assert choice == "replica", choice
        print(f"check before a replica read ({label}): {_ms(samples)}")

    user = User.objects.filter(role=Role.COUNTY, is_active=True).order_by("id").first()
    if user is None:
        print("no county user: seed the demo data first (manage.py seed_demo)")
        return
    without = [m for m in settings.MIDDLEWARE if m != "relief.replica.ReplicaReadMiddleware"]
    for url in ("/api/v1/households/", "/dashboard/"):
        for label, overrides in (
            ("replica", {}),
            ("primary only", {"DATABASE_ROUTERS": [], "MIDDLEWARE": without}),
        ):
            with override_settings(**overrides):
                client = Client(HTTP_HOST="127.0.0.1")
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                client.get(url)
                samples = []
                for _ in range(repeat // 4):
                    t0 = time.perf_counter()
                    response = client.get(url)
                    samples.append(time.perf_counter() - t0)
                    assert response.status_code == 200, response.status_code
            print(f"GET {url} as a county user, {label}: {_ms(samples)}")


if __name__ == "__main__":
    main()
