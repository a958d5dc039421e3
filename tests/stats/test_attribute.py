"""Hand calculations for the p, u, c, Laney p' and Laney u' charts (docs/methods.md 2.5)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.spc import spc


def chart(kind, y, n=None, **kwargs):
    data = pd.DataFrame({"x": range(len(y)), "y": np.asarray(y, float)})
    if n is not None:
        data["n"] = np.asarray(n, float)
    return spc(data, "x", "y", n="n" if n is not None else None, chart=kind, **kwargs).points


def test_p_chart_by_hand():
    pts = chart("p", [1, 2, 3], [10, 20, 30])
    # p-bar = 6/60 = 0.1; sigma_i = sqrt(0.1 x 0.9 / n_i) = 0.3 / sqrt(n_i)
    assert pts["y"].tolist() == pytest.approx([0.1, 0.1, 0.1])
    assert pts["centre"].tolist() == pytest.approx([0.1] * 3)
    assert pts["upl"].tolist() == pytest.approx([0.1 + 0.9 / math.sqrt(n) for n in (10, 20, 30)])
    assert pts["upper_near"].tolist() == pytest.approx([0.1 + 0.6 / math.sqrt(n) for n in (10, 20, 30)])
    assert pts["lpl"].tolist() == [0.0, 0.0, 0.0]  # 0.1 - 0.285 etc. clipped at 0
    assert pts["n"].tolist() == [10, 20, 30]


def test_p_chart_limits_clipped_at_one():
    pts = chart("p", [9, 9, 8], [10, 10, 10])
    assert (pts["upl"] == 1.0).all() and (pts["upper_near"] == 1.0).all()
    assert pts["lpl"].iloc[0] == pytest.approx(26 / 30 - 3 * math.sqrt(26 / 30 * 4 / 30 / 10))


def test_u_chart_by_hand():
    pts = chart("u", [2, 4, 6], [1, 2, 3])
    # u-bar = 12/6 = 2; sigma_i = sqrt(2 / n_i); lower limits clipped at 0
    assert pts["centre"].tolist() == pytest.approx([2, 2, 2])
    assert pts["upl"].tolist() == pytest.approx([2 + 3 * math.sqrt(2 / n) for n in (1, 2, 3)])
    assert pts["lpl"].tolist() == [0.0, 0.0, 0.0]
    assert pts["lower_near"].tolist() == pytest.approx([0.0, 0.0, 2 - 2 * math.sqrt(2 / 3)])


def test_c_chart_by_hand():
    pts = chart("c", [4, 4, 1])
    assert pts["centre"].tolist() == pytest.approx([3, 3, 3])
    assert pts["upl"].iloc[0] == pytest.approx(3 + 3 * math.sqrt(3))
    assert pts["upper_near"].iloc[0] == pytest.approx(3 + 2 * math.sqrt(3))
    assert pts["lpl"].iloc[0] == 0.0
    assert np.isnan(pts["n"]).all()


def test_laney_p_prime_with_equal_denominators_is_an_i_chart_of_proportions():
    # with equal n, sigma_i x sigma_z = mean|p_i - p_{i-1}| / 1.128 (the z-scores are p / sigma)
    pts = chart("pp", [1, 3, 2, 4], [10] * 4)
    mean_mr = (0.2 + 0.1 + 0.2) / 3
    assert pts["centre"].iloc[0] == pytest.approx(0.25)
    assert pts["upl"].iloc[0] == pytest.approx(0.25 + 3 * mean_mr / 1.128)
    assert pts["upper_near"].iloc[0] == pytest.approx(0.25 + 2 * mean_mr / 1.128)
    assert pts["lpl"].iloc[0] == 0.0  # 0.25 - 0.443 clipped


def test_laney_u_prime_by_hand():
    y, n = [2, 6, 3], [2, 3, 1]
    pts = chart("up", y, n)
    ubar = 11 / 6
    sig = [math.sqrt(ubar / k) for k in n]
    z = [(yi / ni - ubar) / s for yi, ni, s in zip(y, n, sig)]
    sigma_z = (abs(z[1] - z[0]) + abs(z[2] - z[1])) / 2 / 1.128
    assert pts["upl"].tolist() == pytest.approx([ubar + 3 * s * sigma_z for s in sig])


def test_laney_screening_switch():
    # a single big jump in z: screened and unscreened sigma_z differ
    y = [10, 11, 10, 11, 10, 60, 10, 11, 10, 11]
    n = [100] * 10
    screened = chart("pp", y, n, screen=True)["upl"].iloc[0]
    unscreened = chart("pp", y, n, screen=False)["upl"].iloc[0]
    assert screened < unscreened
    assert chart("pp", y, n)["upl"].iloc[0] == screened  # p' default follows qicharts2 0.8.1
    # u' too (qicharts2 NEWS 0.7.4: "Screen mr during prime adjustment for pp and up charts")
    up_screened = chart("up", y, n, screen=True)["upl"].iloc[0]
    assert up_screened < chart("up", y, n, screen=False)["upl"].iloc[0]
    assert chart("up", y, n)["upl"].iloc[0] == up_screened


def test_attribute_rules_use_per_point_limits():
    # the middle point is beyond the 3-sigma limit of its small denominator... or not
    y = [10, 10, 30, 10, 10]
    n = [100, 100, 100, 100, 100]
    pts = chart("p", y, n)
    assert pts["special_cause"].tolist() == ["none", "none", "outside_limits", "none", "none"]
    assert pts["point_type"].iloc[2] == "special_cause_improvement"  # improvement defaults to increase


def test_events_above_denominator_is_an_input_error():
    from wardwatch.errors import InputError

    with pytest.raises(InputError, match="cannot exceed"):
        chart("p", [5, 12], [10, 10])


def test_zero_denominator_rows_are_left_out():
    pts = chart("u", [1, 2, 3], [1, 0, 3])
    assert pts["x"].tolist() == [0, 2]


@pytest.mark.parametrize(("prime", "plain"), [("pp", "p"), ("up", "u")])
def test_zero_event_baseline_gives_the_plain_charts_limits_not_nan(prime, plain):
    # p-bar = 0 (u-bar = 0): sigma_i = 0, so z = 0/0; the limits collapse onto the centre, 0
    n = [50, 60, 70, 80] * 3
    pts = chart(prime, [0] * 12, n)
    reference = chart(plain, [0] * 12, n)
    for column in ("centre", "lpl", "upl", "lower_near", "upper_near"):
        assert pts[column].tolist() == [0.0] * 12
        assert pts[column].tolist() == reference[column].tolist()
    assert (pts["special_cause"] == "none").all()


def test_all_event_baseline_p_prime_collapses_onto_one():
    n = [50, 60, 70, 80] * 3
    pts = chart("pp", n, n)
    assert pts["lpl"].tolist() == [1.0] * 12 and pts["upl"].tolist() == [1.0] * 12
    assert (pts["special_cause"] == "none").all()


@pytest.mark.parametrize("prime", ["pp", "up"])
def test_event_after_a_zero_event_baseline_is_outside_the_limits(prime):
    pts = chart(prime, [0] * 12 + [3], [100] * 13, fix_after=12, improvement="decrease")
    assert pts["upl"].iloc[-1] == 0.0
    assert pts["special_cause"].iloc[-1] == "outside_limits"
    assert pts["point_type"].iloc[-1] == "special_cause_concern"
