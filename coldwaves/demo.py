"""Demo data: the orange warning patrols' demo puts over the first county's city opens the roll
calls of its counties (the real service, as the beat task does); about half of the people have been
reached, some need help, a few could not be reached."""

from __future__ import annotations

from django.utils import timezone

from coldwaves.models import Outcome, RollCallEntry
from coldwaves.services import rollcalls_sync
from relief.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    counts = rollcalls_sync()
    now = timezone.now()
    village_user = ctx.users.get("village")
    for i, entry in enumerate(
        RollCallEntry.objects.filter(outcome=Outcome.PENDING).order_by("id").iterator()
    ):
        # the demo village worker's own people stay to do, so that her today page shows the roll call
        if village_user is not None and entry.region_id == village_user.region_id and i % 4:
            continue
        roll = ctx.rng.random()
        if roll < 0.45:
            outcome = Outcome.SAFE
        elif roll < 0.55:
            outcome = Outcome.NEEDS_HELP
        elif roll < 0.62:
            outcome = Outcome.NOT_REACHED
        else:
            continue
        reached = outcome != Outcome.NOT_REACHED
        RollCallEntry.objects.filter(pk=entry.pk).update(
            outcome=outcome,
            answered_at=now if reached else None,
            attempts=0 if reached else 1,
            note="" if reached else "电话无人接听",
        )
    ctx.log(f"coldwaves: {counts['opened']} roll calls, {RollCallEntry.objects.count()} people to reach")
