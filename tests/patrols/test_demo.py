from __future__ import annotations

import pytest
from django.db.models import Count

from patrols import demo
from patrols.models import CaseStatus, Clue, ClueStatus, ColdWaveWarning, Encounter, PatrolTeam, StationCase
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
    # escorted encounters opened their cases: one person brought in twice, one through hospital
    escorted = Encounter.objects.filter(escorted_to_station=True)
    assert escorted.exists() and not escorted.filter(station_case__isnull=True).exists()
    assert (
        StationCase.objects.filter(encounters__isnull=False)
        .annotate(n=Count("encounters"))
        .filter(n=2)
        .exists()
    )
    assert StationCase.objects.filter(
        encounters__isnull=False, status=CaseStatus.IN_HOSPITAL, critically_ill=True
    ).exists()
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
    urls += [
        reverse("patrols:encounter-detail", args=[e.pk])
        for e in Encounter.objects.visible_to(county).filter(escorted_to_station=True)
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    api.force_authenticate(county)
    for case in StationCase.objects.visible_to(county):
        assert api.get(f"/api/v1/station-cases/{case.pk}/").status_code == 200
