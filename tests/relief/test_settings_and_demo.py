"""Deployment settings and the demo data command."""

from __future__ import annotations

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
