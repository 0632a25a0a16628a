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
    # enrolment: the township's steps (受理, 公示, a review coming due) and the county's decision
    enrolment_tasks = Task.objects.live().filter(kind__startswith="enrolments.")
    assert {"enrolments.enrolment.submitted", "enrolments.enrolment.county", "enrolments.review"} <= set(
        enrolment_tasks.values_list("kind", flat=True)
    )
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
        if username in ("township", "county"):
            assert "/enrolments/" in html, f"{username}: no enrolment task on the today page"
