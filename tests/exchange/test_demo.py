"""The demo has department data: a province 医保 source and rules, batches with matches and an
unmatched line, warnings on the township's today page, and one disposition of each outcome."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from exchange.models import Disposition, ExchangeRecord
from relief.models import Task, User

pytestmark = pytest.mark.django_db


def test_demo_seeds_warnings_and_each_outcome(client):
    call_command("seed_demo", "--people", "300", stdout=open("/dev/null", "w"))  # noqa: SIM115
    outcomes = set(Disposition.objects.exclude(outcome="").values_list("outcome", flat=True))
    assert outcomes == {
        "enrolment",
        "temporary",
        "referred",
        "not_needed",
        "death_confirmed",
        "death_rejected",
    }
    assert Disposition.objects.filter(status="verifying").exists()
    assert ExchangeRecord.objects.filter(status="unmatched").exists()
    township = User.objects.get(username="township")
    open_task = Task.objects.filter(alert__kind__startswith="exchange.", state="open").first()
    assert open_task is not None and open_task.region_id.startswith(township.region_id)
    client.force_login(township, backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(open_task.action_url, follow=True).status_code == 200
