"""REST API of the patrols app: /api/v1/patrols/, /encounters/, /clues/, /station-cases/,
/cold-alerts/, /cold-alerts/cap/ (and /patrol-teams/, read only). Creates call one service each; each clue and case step
is an action generated from its workflow (patrols/workflows.py), and every clue and case shows its
`available_actions`. Records outside the caller's region answer 404.

    shifts.py      patrol teams, shifts and encounters
    clues.py       clues from the public
    cases.py       rescue station cases
    cold_waves.py  cold-wave warnings and the patrol frequency they require
    cap.py         official CAP 1.2 warning messages that set, change and lift those levels
"""

from __future__ import annotations

from patrols.api.cap import CapMessageViewSet
from patrols.api.cases import StationCaseViewSet
from patrols.api.clues import ClueViewSet
from patrols.api.cold_waves import ColdWaveWarningViewSet
from patrols.api.shifts import EncounterViewSet, PatrolShiftViewSet, PatrolTeamViewSet


def register(router) -> None:
    router.register("patrol-teams", PatrolTeamViewSet, basename="patrolteam")
    router.register("patrols", PatrolShiftViewSet, basename="patrolshift")
    router.register("encounters", EncounterViewSet, basename="encounter")
    router.register("clues", ClueViewSet, basename="clue")
    router.register("station-cases", StationCaseViewSet, basename="stationcase")
    # before cold-alerts: its detail route would take "cap" for a warning's id
    router.register("cold-alerts/cap", CapMessageViewSet, basename="capmessage")
    router.register("cold-alerts", ColdWaveWarningViewSet, basename="coldwarning")
