"""Files a reader can hold: no module of application code is over 700 lines (migrations aside)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = [
    "relief",
    "people",
    "funds",
    "campaigns",
    "charity",
    "enrolments",
    "exchange",
    "patrols",
    "coldwaves",
    "institutions",
    "supervision",
    "volunteers",
    "reports",
]
LIMIT = 700


def test_no_application_module_is_over_the_limit():
    long = {
        str(path.relative_to(ROOT)): n
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LIMIT
    }
    assert not long, f"modules over {LIMIT} lines: {long}"
