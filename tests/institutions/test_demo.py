import random

from institutions.demo import seed_institutions
from institutions.models import Hazard, HazardState, Inspection, Institution
from relief import demo
from relief.demo import DemoContext


def test_seeder_registered():
    assert any(name == "institutions" and order == 40 for order, name, _ in demo.SEEDERS)


def test_seed_institutions(regions, users):
    ctx = DemoContext(
        people=100,
        rng=random.Random(1),
        counties=[regions["county"], regions["other_county"]],
        townships=[regions["township"], regions["other_township"]],
        users={k: users[k] for k in ("admin", "county", "township", "city")},
        log=lambda msg: None,
    )
    seed_institutions(ctx)
    assert Institution.objects.count() == 6
    assert Inspection.objects.count() == 6
    assert Hazard.objects.exists()
    assert Hazard.objects.exclude(state=HazardState.OPEN).exists()
    # every hazard came from a failed item, and every failed item has its hazard
    assert not Hazard.objects.filter(result__isnull=True).exists()
    seed_institutions(ctx)  # safe to run again
    assert Institution.objects.count() == 6
