import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wardwatch.render import svg


@given(st.floats(-1e6, 1e6), st.floats(1e-6, 1e6), st.integers(3, 10))
def test_nice_ticks_cover_the_range_with_round_steps(lo, span, max_ticks):
    hi = lo + span
    ticks, step = svg.nice_ticks(lo, hi, max_ticks=max_ticks)
    # Covered up to floating-point tolerance (a billionth of a step).
    assert ticks[0] <= lo + 1e-8 * step and ticks[-1] >= hi - 1e-8 * step
    assert len(ticks) <= max_ticks
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(abs(mantissa - m) < 1e-6 for m in (1, 2, 2.5, 5))
    assert np.allclose(np.diff(ticks), step)


def test_nice_ticks_for_proportions():
    ticks, step = svg.nice_ticks(0.55, 0.91, max_ticks=6)
    assert step == pytest.approx(0.1)
    assert list(ticks) == pytest.approx([0.5, 0.6, 0.7, 0.8, 0.9, 1.0])


def test_nice_ticks_for_a_constant_value_still_gives_a_range():
    ticks, _ = svg.nice_ticks(3.0, 3.0)
    assert ticks[0] < 3.0 < ticks[-1]


@pytest.mark.parametrize(
    ("value", "fmt", "decimals", "expected"),
    [
        (0.7234, "percent", None, "72.3%"),
        (0.5, "percent", 0, "50%"),
        (1234.5, "number", None, "1,234"),
        (12.34, "number", None, "12.3"),
        (0.984, "number", None, "0.98"),
        (float("nan"), "number", None, "–"),
        (None, "percent", None, "–"),
        (7.0, "number", None, "7"),
    ],
)
def test_format_value(value, fmt, decimals, expected):
    assert svg.format_value(value, fmt, decimals) == expected


def test_decimals_for_step_in_percentage_points():
    assert svg.decimals_for_step(0.1, "percent") == 0
    assert svg.decimals_for_step(0.025, "percent") == 1
    assert svg.decimals_for_step(0.25, "number") == 2  # 0.25, 0.50, 0.75
    assert svg.decimals_for_step(50, "number") == 0


def test_monthly_date_ticks_fall_on_calendar_boundaries():
    days = svg.to_days(pd.to_datetime(["2017-04-01", "2020-03-01"]))
    ticks = svg.date_ticks(days[0], days[1], max_ticks=8)
    labels = [label for _, label in ticks]
    assert "Jan 2018" in labels and "Jan 2019" in labels
    assert len(ticks) <= 8
    for day, _ in ticks:
        stamp = svg.days_to_timestamp(day)
        assert stamp.day == 1 and days[0] <= day <= days[1]


def test_weekly_date_ticks_start_on_monday_and_show_the_year_once():
    days = svg.to_days(pd.to_datetime(["2019-04-03", "2019-05-20"]))
    ticks = svg.date_ticks(days[0], days[1], max_ticks=8)
    assert all(svg.days_to_timestamp(d).weekday() == 0 for d, _ in ticks)
    assert "2019" in ticks[0][1] and all("2019" not in label for _, label in ticks[1:])


def test_to_days_round_trips_and_handles_missing():
    days = svg.to_days([pd.Timestamp("2019-04-01"), None])
    assert svg.days_to_timestamp(days[0]) == pd.Timestamp("2019-04-01")
    assert math.isnan(days[1])


def test_x_values_detects_dates_and_numbers():
    _, is_date = svg.x_values(pd.Series(pd.date_range("2019-01-01", periods=3, freq="MS")))
    assert is_date
    import datetime as dt

    _, is_date = svg.x_values(pd.Series([dt.date(2019, 1, 1), dt.date(2019, 2, 1)], dtype=object))
    assert is_date
    values, is_date = svg.x_values(pd.Series([1, 2, 3]))
    assert not is_date and list(values) == [1, 2, 3]


def test_polyline_runs_split_at_missing_values():
    xs = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    ys = np.array([1.0, np.nan, 2.0, 3.0, np.nan])
    runs = svg.polyline_runs(xs, ys)
    assert runs == ["0,1", "2,2 3,3"]
    assert svg.polyline_runs(xs, np.full(5, np.nan)) == []


def test_spread_labels_keeps_order_gap_and_bounds():
    placed = svg.spread_labels([50.0, 51.0, 52.0, 200.0], 12, 0, 100)
    assert placed[0] < placed[1] < placed[2]
    assert min(b - a for a, b in zip(sorted(placed), sorted(placed)[1:], strict=False)) >= 12 - 1e-9
    assert max(placed) <= 100


def test_linear_and_log_scales():
    scale = svg.LinearScale(0, 10, 100, 0)  # y axis: larger values higher up (smaller pixel y)
    assert scale.one(0) == 100 and scale.one(10) == 0 and scale.one(5) == 50
    log = svg.LogScale(10, 1000, 0, 200)
    assert log.one(100) == pytest.approx(100)
    assert math.isnan(log.one(0))


def test_format_period():
    assert svg.format_period(pd.Timestamp("2020-03-01")) == "Mar 2020"
    assert svg.format_period(pd.Timestamp("2019-06-03"), "week") == "w/c 3 Jun 2019"
    assert svg.format_period(None) == "–"


def test_esc_escapes_markup():
    assert svg.esc('<a & "b">') == "&lt;a &amp; &quot;b&quot;&gt;"


def test_thin_line_keeps_every_peak_and_trough_per_pixel():
    rng = np.random.default_rng(0)
    px = np.linspace(0, 600, 50_000)
    py = rng.normal(size=50_000).cumsum()
    xs, ys = svg.thin_line(px, py)
    assert len(xs) <= 4 * 601
    assert ys.min() == py.min() and ys.max() == py.max()
    assert xs[0] == px[0] and xs[-1] == px[-1] and ys[-1] == py[-1]
    # Every pixel column keeps its own extremes.
    columns = np.floor(px).astype(int)
    kept = np.floor(xs).astype(int)
    for column in (0, 123, 599):
        assert ys[kept == column].max() == py[columns == column].max()
        assert ys[kept == column].min() == py[columns == column].min()


def test_thin_line_leaves_short_or_gappy_lines_alone():
    px, py = np.arange(10.0), np.arange(10.0)
    assert svg.thin_line(px, py)[0] is px
    py_gap = np.r_[np.arange(5000.0), np.nan]
    assert len(svg.thin_line(np.arange(5001.0), py_gap)[0]) == 5001
