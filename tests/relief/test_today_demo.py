"""After the demo is seeded, every demo login lands on a today page with real work on it: village
and township workers their tasks (visits overdue, needs), the county its approvals and escalations,
the city and province their 督办 and the counties furthest behind."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from relief.models import Task, User
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_every_demo_login_lands_on_a_today_page_with_work(client):
    call_command("seed_demo", "--people", "400", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Task.objects.filter(source="supervision").exists()  # the demo's 督办
    assert Task.objects.filter(source="need").exists()
    assert Task.objects.filter(source="deadline").exists()
    for username in ("village", "township", "county", "city", "province"):
        html = login(client, User.objects.get(username=username)).get("/").content.decode()
        lines = html.count('data-testid="task-line"')
        assert lines > 0, f"{username}: an empty today page"  # for officials: the 督办 lines
        numbers = {
            k: int(v) for k, v in re.findall(r'data-testid="(mine-total|escalated-total)">(\d+)', html)
        }
        if username in ("village", "township", "county"):
            assert numbers["mine-total"] > 0, username
        else:
            assert numbers["escalated-total"] > 0 or 'data-testid="section-issued"' in html, username
        if username in ("county", "city", "province"):
            assert 'data-testid="section-behind"' in html, username
