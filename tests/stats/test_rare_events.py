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


def test_g_chart_geometric_limits():
    pts = rare("g", [2, 4, 6])
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
