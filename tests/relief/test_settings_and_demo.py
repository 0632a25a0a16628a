"""Deployment settings and the demo data command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from relief.models import Region, Role, User
from relief.regions import Level

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_prints_no_warning_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "relief.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x7#kP2!qL9@vZ4$mN8^rT1&wY6*bC3(dF5)gH0-jK_lA+sE=uI" * 2,
        "ALLOWED_HOSTS": "relief.example.gov.cn",
    }
    r = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "WARNINGS" not in r.stderr
    assert "System check identified no issues" in r.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "relief.settings", "DEBUG": "0", "SECRET_KEY": ""}
    r = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode != 0
    assert "SECRET_KEY must be set" in r.stderr


@pytest.mark.django_db
def test_seed_demo_makes_a_province_and_a_user_of_every_role(capsys):
    call_command("seed_demo", "--people", "300")
    out = capsys.readouterr().out
    assert "warmwinter-demo" in out
    assert "API token of api-client" in out
    assert Region.objects.filter(code="51", level=Level.PROVINCE).exists()
    assert Region.objects.filter(level=Level.COUNTY, code__startswith="51").count() > 100
    assert Region.objects.filter(level=Level.TOWNSHIP).count() >= 6 * 4
    villages = Region.objects.filter(level=Level.VILLAGE)
    assert villages.count() >= 6 * 4 * 8
    assert all(len(c) == 12 and c.startswith(c[:9]) for c in villages.values_list("code", flat=True))
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    # every scoped user's region matches the level of their role
    for user in User.objects.exclude(role__in=[Role.ADMIN, Role.API_CLIENT]):
        user.full_clean(exclude=["password"])
    # running again with --if-empty changes nothing
    before = Region.objects.count()
    call_command("seed_demo", "--if-empty")
    assert Region.objects.count() == before


@pytest.mark.parametrize("replica_url", ["", "postgres://reader@10.0.0.2:5433/relief"])
def test_a_read_replica_is_routed_to_only_when_configured(replica_url):
    """Without DATABASE_REPLICA_URL: one database, no router, no middleware. With it: a `replica`
    alias on that server (a test run mirrors the test database there), the router after the user is
    known, and migrations on the primary only."""
    code = (
        "import django, json; django.setup()\n"
        "from django.conf import settings as s; from django.db import router\n"
        "r = s.DATABASES.get('replica', {})\n"
        "print(json.dumps({'aliases': sorted(s.DATABASES), 'routers': s.DATABASE_ROUTERS,\n"
        " 'middleware': [m for m in s.MIDDLEWARE if 'Replica' in m or 'AuthenticationMiddleware' in m],\n"
        " 'replica': [r.get('HOST'), r.get('PORT'), r.get('USER'), r.get('TEST', {}).get('MIRROR')],\n"
        " 'migrate_on_replica': router.allow_migrate('replica', 'people')}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "relief.settings",
        "DEBUG": "1",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/relief",
        "DATABASE_REPLICA_URL": replica_url,
    }
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    if not replica_url:
        assert got["aliases"] == ["default"]
        assert got["routers"] == []
        assert got["middleware"] == ["django.contrib.auth.middleware.AuthenticationMiddleware"]
    else:
        assert got["aliases"] == ["default", "replica"]
        assert got["routers"] == ["relief.db_router.ReplicaRouter"]
        assert got["middleware"] == [
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "relief.replica.ReplicaReadMiddleware",
        ]
        assert got["replica"] == ["10.0.0.2", 5433, "reader", "default"]
        assert got["migrate_on_replica"] is False


def test_a_large_demo_spreads_over_more_real_counties_instead_of_crowding_villages():
    from collections import Counter

    from relief.demo import DEMO_COUNTIES, PEOPLE_PER_VILLAGE, demo_counties
    from relief.divisions import read_divisions

    assert demo_counties(1_000_000) == DEMO_COUNTIES  # the figures measured so far stay comparable
    big = demo_counties(10_000_000)
    assert big[: len(DEMO_COUNTIES)] == DEMO_COUNTIES  # the demo users' counties come first
    assert len(big) == len(set(big)) > 3 * len(DEMO_COUNTIES)
    villages = Counter(code[:6] for code in read_divisions(big) if len(code) == 12)
    assert all(villages[c] for c in big)  # real counties with real villages, all of Sichuan
    assert all(c.startswith("51") for c in big)
    assert 10_000_000 / sum(villages.values()) <= PEOPLE_PER_VILLAGE
    assert len({c[:4] for c in big}) >= 15  # across the province's cities, not one city's districts


@pytest.mark.django_db(transaction=True)
def test_seed_demo_leaves_the_tables_vacuumed_and_analysed(capsys):
    """Outside a transaction, as an operator runs it: the loaded tables have statistics and a
    visibility map at once, not when autovacuum gets to them (an index-only scan of a freshly
    COPY-loaded table reads the heap for every row)."""
    from django.db import connection

    call_command("seed_demo", "--people", "200")
    assert "vacuum analyze:" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname IN ('people_person', 'people_household')"
            " AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
        )
        assert sorted(r[0] for r in cursor.fetchall()) == ["people_household", "people_person"]
