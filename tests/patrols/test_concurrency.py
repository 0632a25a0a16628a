"""State changes lock the row: two people pressing the same button at once change it once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from patrols import services
from patrols.models import CaseStatus, ClueStatus, StationCaseEvent
from tests.patrols.factories import ClueFactory, StationCaseFactory


def _race(fn, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(fn())
        except ValidationError as exc:
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_exit_happens_once(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION)
    results = _race(
        lambda: services.station_case_exit(actor=users["county"], case=case, exit_type="family_found")
    )
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    assert StationCaseEvent.objects.filter(case=case, action="exit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_respond_happens_once(regions, users, team):
    clue = ClueFactory(region=regions["county"], team=team, status=ClueStatus.DISPATCHED)
    results = _race(lambda: services.clue_respond(actor=users["county"], clue=clue))
    assert sum(isinstance(r, ValidationError) for r in results) == 1
    assert clue.events.filter(to_state=ClueStatus.RESPONDED).count() == 1
