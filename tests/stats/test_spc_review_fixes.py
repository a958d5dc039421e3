"""Regression tests for the SPC review findings (each failed before its fix).

1. constant series: every point was "outside limits" (one-pass mean off by a rounding step);
2. rebase with Python ``date`` x, timezone-aware x, or a single value instead of a list;
3. text x values were sorted alphabetically ("Apr-23" before "Jan-23");
(4. g chart median centre and 5. zero-event p'/u' baselines are in test_rare_events.py and
test_attribute.py.)
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.errors import InputError
from wardwatch.stats.spc import spc

MONTH_LABELS = [
    f"{m}-23" for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
]


def _series(y, x=None, **kwargs):
    x = list(range(len(y))) if x is None else x
    return spc(pd.DataFrame({"x": x, "y": np.asarray(y, dtype=float)}), "x", "y", **kwargs)


# ---------------------------------------------------------------- 1. constant series


@pytest.mark.parametrize("rules", ["mdc", "ptd"])
@pytest.mark.parametrize("value", [83.7, 0.1, 1 / 3, 5.0])
def test_constant_xmr_series_is_common_cause(value, rules):
    # MR-bar = 0, so the limits equal the centre; the centre must be the value itself
    points = _series([value] * 12, rules=rules).points
    assert (points["centre"] == value).all()
    assert (points["upl"] == value).all() and (points["lpl"] == value).all()
    assert (points["special_cause"] == "none").all()
    assert (points["point_type"] == "common_cause").all()


@pytest.mark.parametrize("rules", ["mdc", "ptd"])
@pytest.mark.parametrize("value", [5.0, 83.7, 0.1])
def test_constant_t_chart_is_common_cause(value, rules):
    points = _series([value] * 12, chart="t", rules=rules).points
    assert (points["special_cause"] == "none").all()
    assert points["centre"].to_numpy() == pytest.approx(value, rel=1e-12)
    # limits collapse onto the centre (on the output scale too)
    assert (points["upl"] == points["centre"]).all() and (points["lpl"] == points["centre"]).all()


def test_constant_segments_after_a_rebase_are_common_cause():
    result = _series([0.1] * 13 + [83.7] * 13, rebase=[13])
    points = result.points
    assert points.groupby("segment")["centre"].first().tolist() == [0.1, 83.7]
    assert (points["special_cause"] == "none").all()


@settings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.integers(min_value=2, max_value=60),
)
def test_constant_series_mean_is_exact(value, size):
    points = _series([value] * size).points
    assert (points["centre"] == value).all()
    assert (points["special_cause"] == "none").all()


def test_two_pass_mean_matches_exact_mean():
    # exact rational mean of 0.1 ... (decimal values whose float sum accumulates rounding)
    from fractions import Fraction

    y = [0.1, 0.7, 83.7, 0.3, 1e-3, 12.345, 0.2, 99.99, 3.3, 0.1, 0.7, 83.7]
    exact = float(sum(Fraction(v) for v in y) / len(y))
    assert _series(y).points["centre"].iloc[0] == exact


# ---------------------------------------------------------------- 2. rebase on dates


DATES = [dt.date(2020, month, 1) for month in range(1, 13)]


def test_rebase_on_a_column_of_python_dates():
    result = _series(np.arange(12.0), x=DATES, rebase=[dt.date(2020, 7, 1)])
    assert result.points["segment"].tolist() == [0] * 6 + [1] * 6
    # x keeps the values given
    assert result.points["x"].tolist() == DATES


def test_python_dates_are_sorted_by_date_and_rebase_strings_are_read_as_dates():
    shuffled = [DATES[i] for i in (5, 0, 11, 3, 1, 2, 4, 6, 7, 8, 9, 10)]
    result = _series([d.month for d in shuffled], x=shuffled, rebase=["2020-07-01"])
    assert result.points["x"].tolist() == DATES
    assert result.points["y"].tolist() == list(range(1, 13))
    assert result.points["segment"].tolist() == [0] * 6 + [1] * 6


@pytest.mark.parametrize(
    "rebase",
    ["2020-07-01", dt.date(2020, 7, 1), pd.Timestamp("2020-07-01"), np.datetime64("2020-07-01")],
)
def test_a_single_rebase_value_is_one_value_not_a_sequence(rebase):
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    result = _series(np.arange(12.0), x=months, rebase=rebase)
    assert result.points["segment"].tolist() == [0] * 6 + [1] * 6


def test_a_single_rebase_value_in_a_dict():
    months = pd.date_range("2020-01-01", periods=12, freq="MS")
    data = pd.DataFrame({"org": ["A"] * 12 + ["B"] * 12, "x": list(months) * 2, "y": np.arange(24.0)})
    result = spc(data, "x", "y", by=["org"], rebase={"B": "2020-04-01"})
    assert result.points["segment"].tolist() == [0] * 12 + [0] * 3 + [1] * 9


def test_rebase_on_timezone_aware_x():
    months = pd.date_range("2020-01-01", periods=12, freq="MS", tz="Europe/London")
    # a naive rebase date is read in x's timezone
    assert (
        _series(np.arange(12.0), x=months, rebase=["2020-07-01"]).points["segment"].tolist()
        == [0] * 6 + [1] * 6
    )
    # an aware one is converted: 2020-07-01 00:00 UTC is 01:00 in London, after the July point
    utc = pd.Timestamp("2020-07-01", tz="UTC")
    assert _series(np.arange(12.0), x=months, rebase=[utc]).points["segment"].tolist() == [0] * 7 + [1] * 5


@pytest.mark.parametrize(
    ("x", "rebase"),
    [
        (DATES, ["not a date"]),
        (list(pd.date_range("2020-01-01", periods=12, freq="MS")), [pd.Timestamp("2020-07-01", tz="UTC")]),
        (list(range(12)), ["July"]),
    ],
)
def test_rebase_of_the_wrong_kind_is_an_input_error(x, rebase):
    with pytest.raises(InputError, match="rebase values"):
        _series(np.arange(12.0), x=x, rebase=rebase)


# ---------------------------------------------------------------- 3. text x keeps input order


def test_text_x_keeps_input_order():
    # alphabetical order would be Apr, Aug, Dec, Feb, ... and hide the rise
    result = _series(np.arange(12.0), x=MONTH_LABELS)
    assert result.points["x"].tolist() == MONTH_LABELS
    assert result.points["y"].tolist() == list(range(12))
    # a steady rise: the first nine points are a trend (the last three are above the UPL)
    assert (result.points["special_cause"].iloc[:9] == "trend").all()


def test_text_x_order_is_kept_per_series_even_when_series_are_interleaved():
    reversed_labels = MONTH_LABELS[::-1]
    data = pd.DataFrame(
        {
            "org": ["A", "B"] * 12,
            "x": [label for pair in zip(MONTH_LABELS, reversed_labels) for label in pair],
            "y": np.repeat(np.arange(12.0), 2),
        }
    )
    points = spc(data, "x", "y", by=["org"]).points
    assert points.loc[points["org"] == "A", "x"].tolist() == MONTH_LABELS
    assert points.loc[points["org"] == "B", "x"].tolist() == reversed_labels
    assert points.loc[points["org"] == "B", "y"].tolist() == list(range(12))


def test_text_x_rebase_matches_the_label_exactly():
    result = _series(np.arange(12.0), x=MONTH_LABELS, rebase="Jul-23")
    assert result.points["segment"].tolist() == [0] * 6 + [1] * 6
    with pytest.raises(InputError, match="not among the x values"):
        _series(np.arange(12.0), x=MONTH_LABELS, rebase=["July"])


def test_text_x_repeated_label_is_an_input_error_even_when_not_adjacent():
    with pytest.raises(InputError, match="more than once"):
        _series(np.arange(13.0), x=MONTH_LABELS + ["Jan-23"])


def test_ordered_categorical_x_is_sorted_by_its_categories():
    x = pd.Categorical(MONTH_LABELS[::-1], categories=MONTH_LABELS, ordered=True)
    result = spc(pd.DataFrame({"x": x, "y": np.arange(12.0)[::-1]}), "x", "y")
    assert result.points["x"].tolist() == MONTH_LABELS
    assert result.points["y"].tolist() == list(range(12))


def test_text_x_rebase_list_applies_to_each_series_in_its_own_order():
    labels = MONTH_LABELS[:6]
    data = pd.DataFrame({"org": ["B"] * 6 + ["A"] * 6, "x": labels + labels[::-1], "y": np.arange(12.0)})
    points = spc(data, "x", "y", by=["org"], rebase=["Mar-23", "May-23"]).points
    assert points.loc[points["org"] == "A", "segment"].tolist() == [0, 1, 1, 2, 2, 2]  # Jun, May, ... Jan
    assert points.loc[points["org"] == "B", "segment"].tolist() == [0, 0, 1, 1, 2, 2]  # Jan, Feb, ... Jun
