"""An import's progress is one count against one total: reading, checking and writing each fill
their stretch of it, so the page never shows more done than the total, nor a count that goes back
(it once showed 54,000 of 29,137: the rows read, then every row written twice, against one total)."""

from __future__ import annotations

import io

import pytest

from people.roster import roster_import, rows, writer
from people.roster.job import Phases
from tests.people.test_imports import BAD_ROWS, GOOD_ROWS, roster

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_row(monkeypatch):
    """Report after every row read and written (in production every 2,000), so a small file shows
    every step of the scale."""
    monkeypatch.setattr(rows, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(writer, "PROGRESS_EVERY", 1)


def _recorded(user, data: bytes, commit: bool) -> list[tuple[int, int | None, str]]:
    calls: list[tuple[int, int | None, str]] = []

    def progress(done, total=None, message="", force=False):
        calls.append((done, total, str(message)))

    roster_import(actor=user, source=io.BytesIO(data), commit=commit, progress=progress)
    return calls


def _assert_one_scale(calls):
    totals = {total for _done, total, _message in calls if total is not None}
    assert len(totals) == 1, totals
    (total,) = totals
    done = [d for d, _total, _message in calls]
    assert done == sorted(done), "progress went backwards"
    assert max(done) <= total
    assert done[-1] == total
    return total, done


@pytest.mark.parametrize("commit", [False, True])
def test_reading_and_writing_share_one_scale_that_ends_at_its_total(users, every_row, commit):
    calls = _recorded(users["county"], roster(GOOD_ROWS), commit=commit)
    total, done = _assert_one_scale(calls)
    messages = [m for _d, _t, m in calls if m]
    assert "正在写入" in messages  # the writer reported, on the same scale
    written = [d for d, _t, m in calls if m == "正在写入"]
    assert total // 2 <= min(written) and max(written) <= total
    assert len(set(done)) > 5  # it moves in steps, not 0 then done


def test_a_dry_run_with_errors_ends_at_its_total_without_writing(users, every_row):
    calls = _recorded(users["county"], roster({**GOOD_ROWS, **BAD_ROWS}), commit=False)
    _assert_one_scale(calls)
    assert "正在写入" not in [m for _d, _t, m in calls]


def test_the_scale_clamps_a_step_that_overcounts():
    """A step reporting more than its own total (a writer counting rows twice) still stops at its
    stretch's end, and a step that starts again at 0 does not pull the count back."""
    seen = []
    phases = Phases(lambda done, total, message="", force=False: seen.append((done, total)))
    read = phases.step(0, 0.5, sets_total=True)
    read(0, 1000)
    read(1000, 1000)
    write = phases.step(0.5, 1)
    write(0, 10)
    write(5, 10)
    write(20, 10)  # overcounted
    phases.at(1)
    assert seen == [(0, 1000), (500, 1000), (500, 1000), (750, 1000), (1000, 1000), (1000, 1000)]


def test_no_count_is_shown_before_the_total_is_known():
    seen = []
    phases = Phases(lambda done, total, message="", force=False: seen.append((done, total)))
    phases.step(0, 0.45, sets_total=True)(100, None)
    assert seen == [(0, None)]  # no total yet: no count to show
    phases.total = 40
    phases.at(0.5)
    assert seen[-1] == (20, 40)
