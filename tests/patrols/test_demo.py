from __future__ import annotations

import pytest

from patrols import demo
from patrols.models import Clue, ClueStatus, ColdWaveWarning, PatrolTeam, StationCase
from relief.demo import SEEDERS, seed_core

pytestmark = pytest.mark.django_db


def test_seeder_registered_and_fills_every_clue_status():
    assert (30, "patrols", demo.seed) in SEEDERS
    ctx = seed_core(people=10, log=lambda _msg: None)
    demo.seed(ctx)
    assert PatrolTeam.objects.count() == len(ctx.counties)
    assert set(Clue.objects.values_list("status", flat=True)) == set(ClueStatus.values)
    assert StationCase.objects.values("status").distinct().count() >= 5
    assert ColdWaveWarning.objects.exists()
    # Seeding twice adds nothing.
    count = Clue.objects.count()
    demo.seed(ctx)
    assert Clue.objects.count() == count


def test_pages_and_api_render_demo_data(client, api):
    from django.urls import reverse

    from patrols.models import PatrolShift

    ctx = seed_core(people=10, log=lambda _msg: None)
    demo.seed(ctx)
    county = ctx.users["county"]
    client.force_login(county, backend="django.contrib.auth.backends.ModelBackend")
    urls = [reverse(f"patrols:{n}") for n in ("index", "shift-list", "clue-list", "case-list", "coldwave")]
    urls += [reverse("patrols:case-list") + "?status=all", reverse("patrols:clue-list") + "?status=open"]
    urls += [reverse("patrols:case-detail", args=[c.pk]) for c in StationCase.objects.visible_to(county)]
    urls += [reverse("patrols:clue-detail", args=[c.pk]) for c in Clue.objects.visible_to(county)]
    urls += [reverse("patrols:shift-detail", args=[PatrolShift.objects.visible_to(county).first().pk])]
    for url in urls:
        assert client.get(url).status_code == 200, url
    api.force_authenticate(county)
    for case in StationCase.objects.visible_to(county):
        assert api.get(f"/api/v1/station-cases/{case.pk}/").status_code == 200
