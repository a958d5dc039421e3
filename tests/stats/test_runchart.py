"""Run charts and the Anhoej runs analysis (docs/methods.md 2.6), by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from wardwatch.stats.spc import spc


def run_chart(y, **kwargs):
    data = pd.DataFrame({"x": range(len(y)), "y": np.asarray(y, float)})
    return spc(data, "x", "y", chart="run", **kwargs)


def test_median_centre_and_no_limits():
    result = run_chart([1, 5, 2, 8, 3])
    assert (result.points["centre"] == 3).all()
    assert result.points[["lpl", "upl", "lower_near", "upper_near"]].isna().all().all()
    assert run_chart([1, 5, 2, 8]).points["centre"].iloc[0] == 3.5


def test_too_few_crossings():
    row = run_chart(list(range(1, 11))).summary.iloc[0]
    # median 5.5; five below then five above: longest run 5 <= 6, crossings 1 < 2
    assert (row["longest_run"], row["longest_run_max"], row["crossings"], row["crossings_min"]) == (
        5,
        6,
        1,
        2,
    )
    assert bool(row["runs_signal"]) is True


def test_long_run_flags_points():
    y = [10, 20, 11, 21, 1, 2, 3, 4, 5, 6, 7, 8, 30, 31, 32, 33]
    result = run_chart(y)
    row = result.summary.iloc[0]
    # median (8 + 10) / 2 = 9; runs 4, 8, 4; longest 8 > round(log2 16) + 3 = 7; crossings 2 < 4
    assert result.points["centre"].iloc[0] == 9
    assert (row["longest_run"], row["longest_run_max"], row["crossings"], row["crossings_min"]) == (
        8,
        7,
        2,
        4,
    )
    assert bool(row["runs_signal"]) is True
    assert result.points["special_cause"].tolist() == ["none"] * 4 + ["shift"] * 8 + ["none"] * 4
    assert set(result.points["point_type"].iloc[4:12]) == {"special_cause_concern"}


def test_points_on_the_median_are_not_useful_and_do_not_break_runs():
    y = [1, 2, 3, 3, 3, 4, 5]  # median 3: useful 4 points, runs --, ++
    row = run_chart(y).summary.iloc[0]
    assert (row["longest_run"], row["crossings"], row["longest_run_max"]) == (2, 1, 5)


def test_random_looking_series_has_no_signal():
    row = run_chart([1, 3] * 6).summary.iloc[0]
    assert bool(row["runs_signal"]) is False and row["crossings"] == 11


def test_runs_analysis_reported_for_every_chart():
    data = pd.DataFrame({"x": range(10), "y": np.arange(10.0)})
    row = spc(data, "x", "y", chart="xmr").summary.iloc[0]
    assert (row["longest_run"], row["crossings"]) == (5, 1)
