"""Every dashboard figure, for regions at every level and their sub-regions, equals a direct count
over factory-made data: computed directly (live) and read from the roll-ups after a refresh."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.dashboard import registry, selectors, services
from relief.models import Region, RegionFigure
from tests.relief.test_dashboard_data import HOME_TOWNSHIP, HOME_VILLAGE, expected, expected_trends, make_data

CODES = ["", "51", "5101", "510121", HOME_TOWNSHIP, HOME_VILLAGE, "510129", "14"]


@pytest.fixture
def data(users):
    return make_data(users)


def _as_dec(value):
    return None if value is None else Decimal(str(value))


def _figures(values) -> dict:
    out = {}
    for f in selectors.figure_rows(values):
        out[f["key"]] = f["value"]
        for d in f["dims"]:
            out[(f["key"], d["dim"])] = d["value"]
    return out


def _assert_matches(got: dict, want: dict, where: str) -> None:
    for key in registry.FIGURES:
        assert key in want, f"no direct count in the test for figure {key}"
        assert _as_dec(got.get(key)) == _as_dec(want[key]), (
            f"{key} in {where!r}: {got.get(key)} != {want[key]}"
        )
    got_dims = {k: v for k, v in got.items() if isinstance(k, tuple) and v}
    want_dims = {k: v for k, v in want.items() if isinstance(k, tuple)}
    assert {k: _as_dec(v) for k, v in got_dims.items()} == {k: _as_dec(v) for k, v in want_dims.items()}, (
        where
    )


def _region(code):
    return Region.objects.get(code=code) if code else None


@pytest.mark.django_db
@pytest.mark.parametrize("live", [True, False], ids=["live", "rollup"])
@pytest.mark.parametrize("code", CODES)
def test_every_figure_equals_a_direct_count(data, code, live):
    if not live:
        assert services.figures_refresh() > 0
    summary = selectors.summary(_region(code), live=live)
    assert summary.source == ("live" if live else "rollup")
    _assert_matches(_figures(summary.totals), expected(code), code)


@pytest.mark.django_db
@pytest.mark.parametrize("live", [True, False], ids=["live", "rollup"])
@pytest.mark.parametrize("code", ["", "51", "5101", "510121", HOME_TOWNSHIP])
def test_sub_region_rows_equal_direct_counts(data, code, live):
    if not live:
        services.figures_refresh()
    summary = selectors.summary(_region(code), live=live)
    rows = {r["code"]: r for r in selectors.table_rows(summary)}
    children = (
        set(Region.objects.filter(parent_id=code).values_list("code", flat=True)) if code else {"51", "14"}
    )
    assert children <= set(rows)
    for child in children:
        want = expected(child)
        for f in selectors.table_figures():
            assert _as_dec(rows[child]["figures"][f.key]) == _as_dec(want[f.key]), f"{f.key} of {child}"


@pytest.mark.django_db
def test_records_held_at_the_region_itself_have_their_own_row(data):
    """Allocations go to the county: seen from the county they are its own level, not a township's."""
    summary = selectors.summary(Region.objects.get(code="510121"), live=True)
    rows = {r["code"]: r for r in selectors.table_rows(summary)}
    assert rows["510121"]["is_own_level"]
    assert rows["510121"]["figures"]["funds.allocated"] == Decimal("125000.50")
    assert rows[HOME_TOWNSHIP]["figures"]["funds.allocated"] == 0
    services.figures_refresh()
    rollup_rows = {
        r["code"]: r for r in selectors.table_rows(selectors.summary(Region.objects.get(code="510121")))
    }
    assert rollup_rows["510121"]["figures"]["funds.allocated"] == Decimal("125000.50")


@pytest.mark.django_db
def test_cold_wave_level_of_an_enclosing_region_applies_below(data):
    summary = selectors.summary(Region.objects.get(code="51"), live=True)
    rows = {r["code"]: r for r in selectors.table_rows(summary)}
    assert rows["5101"]["figures"]["patrols.cold_wave"] == 3  # a county inside has orange
    assert rows["5101"]["labels"]["patrols.cold_wave"] == "橙色"
    county = selectors.summary(Region.objects.get(code="510129"), live=True)
    assert (
        _figures(county.totals)["patrols.cold_wave"] == 1
    )  # its red warning has ended; the province's blue holds


@pytest.mark.django_db
@pytest.mark.parametrize("live", [True, False], ids=["live", "rollup"])
@pytest.mark.parametrize("code", ["", "51", "510121", HOME_VILLAGE])
def test_trends_equal_direct_counts(data, code, live):
    if not live:
        services.figures_refresh()
    result = selectors.trends(_region(code), live=live)
    want = expected_trends(code)
    weeks = [w.isoformat() for w in result["weeks"]]
    for series in result["series"]:
        got = {w: v for w, v in zip(weeks, series["values"], strict=True) if v}
        assert got == want[series["key"]], series["key"]
        assert set(want[series["key"]]) <= set(weeks)


@pytest.mark.django_db
def test_refresh_rewrites_the_table_and_records_when(data):
    services.figures_refresh()
    first = selectors.last_run()
    n = RegionFigure.objects.count()
    assert services.figures_refresh() == n  # the same data, the same rows: nothing accumulates
    assert selectors.last_run() >= first
    assert RegionFigure.objects.filter(
        region_code="51", key="people.monitored", dim=""
    ).get().value == Decimal(expected("51")["people.monitored"])


@pytest.mark.django_db
def test_every_figure_has_a_known_section_and_every_source_yields_registered_keys(data):
    keys = set(registry.FIGURES) | set(registry.TRENDS)
    ratio_parts = {k for f in registry.FIGURES.values() if f.ratio for k in f.ratio}
    q = registry.FigureQuery(prefix="", length=12)
    for source in registry.SOURCES.values():
        for _g, key, _dim, _v in source.compute(q):
            assert key in keys | ratio_parts, f"{source.name} yields unregistered {key}"
    for f in registry.FIGURES.values():
        assert f.section in registry.SECTIONS


def test_refresh_task_is_scheduled():
    from relief.schedules import SCHEDULES

    assert SCHEDULES["dashboard-refresh"].task == "relief.dashboard_refresh"
    from celery import current_app

    assert "relief.dashboard_refresh" in current_app.tasks
