"""g and t charts by hand (rare_events.py docstring gives the formulas and sources)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.spc import spc


def rare(kind, y, **kwargs):
    data = pd.DataFrame({"x": range(len(y)), "y": np.asarray(y, float)})
    return spc(data, "x", "y", chart=kind, **kwargs).points


def test_g_chart_sigma_limits_as_qicharts2():
    pts = rare("g", [2, 4, 6], g_method="sigma")
    sigma = math.sqrt(4 * 5)
    assert pts["centre"].iloc[0] == pytest.approx(4)
    assert pts["upl"].iloc[0] == pytest.approx(4 + 3 * sigma)
    assert pts["upper_near"].iloc[0] == pytest.approx(4 + 2 * sigma)
    assert pts["lpl"].iloc[0] == 0.0 and pts["lower_near"].iloc[0] == 0.0


def test_g_chart_long_gap_is_improvement():
    pts = rare("g", [3, 5, 2, 4, 3, 60, 4], improvement="increase", fix_after=5)
    assert pts["special_cause"].iloc[5] == "outside_limits"
    assert pts["point_type"].iloc[5] == "special_cause_improvement"


def test_t_chart_transformed_xmr_back_transformed():
    w = np.array([1.0, 2.0, 3.0])
    pts = rare("t", w**3.6)
    # XmR on w: mean 2, MR-bar 1: limits 2 +/- 2.66, near 2 +/- 1.7733; back-transform ** 3.6
    assert pts["centre"].iloc[0] == pytest.approx(2**3.6)
    assert pts["upl"].iloc[0] == pytest.approx(4.66**3.6)
    assert pts["upper_near"].iloc[0] == pytest.approx((2 + 2 * 2.66 / 3) ** 3.6)
    assert pts["lpl"].iloc[0] == 0.0  # 2 - 2.66 < 0
    assert pts["lower_near"].iloc[0] == pytest.approx((2 - 2 * 2.66 / 3) ** 3.6)
    assert pts["y"].tolist() == pytest.approx((w**3.6).tolist())


def test_t_chart_needs_positive_times():
    from wardwatch.errors import InputError

    with pytest.raises(InputError, match="> 0"):
        rare("t", [1.0, 0.0, 2.0])


def test_g_chart_centre_is_the_median_and_sigma_limits_come_from_the_mean():
    y = [1, 2, 3, 10]
    pts = rare("g", y, g_method="sigma")
    mean = 4.0
    sigma = math.sqrt(mean * (mean + 1))
    assert pts["centre"].iloc[0] == 2.5  # median of 1, 2, 3, 10
    assert pts["upl"].iloc[0] == pytest.approx(mean + 3 * sigma)
    assert pts["upper_near"].iloc[0] == pytest.approx(mean + 2 * sigma)
    assert pts["lpl"].iloc[0] == 0.0


def test_g_chart_shift_rule_uses_the_median():
    # the first eight points are all below the mean (46/9 = 5.1), a shift around the mean; the
    # median is 3: the 1s are below it and the 3s on it (breaking runs), so no shift
    y = [1, 3, 1, 3, 1, 3, 1, 3, 30]
    result = spc(pd.DataFrame({"x": range(9), "y": np.asarray(y, float)}), "x", "y", chart="g")
    assert result.points["centre"].iloc[0] == 3.0
    assert not (result.points["special_cause"] == "shift").any()
    # the runs analysis is about the median too: 4 useful points below, 1 above
    assert result.summary["longest_run"].iloc[0] == 4


def test_g_chart_shift_rule_rarely_fires_on_in_control_geometric_data():
    # 2000 in-control series of 24 geometric counts (cases between events, mean 20). Around the
    # mean ~63% of points lie below it and a shift of 7 fired in ~21% of series; around the
    # median the sides are balanced (about 5%).
    rng = np.random.default_rng(2024)
    n_series, n_points = 2000, 24
    gaps = rng.geometric(1 / 21, size=(n_series, n_points)) - 1
    data = pd.DataFrame(
        {
            "s": np.repeat(np.arange(n_series), n_points),
            "x": np.tile(np.arange(n_points), n_series),
            "y": gaps.ravel().astype(float),
        }
    )
    points = spc(data, "x", "y", by=["s"], chart="g").points
    shift_rate = (points["special_cause"] == "shift").groupby(points["s"]).any().mean()
    assert shift_rate < 0.08
