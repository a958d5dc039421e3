"""Hand calculations for the XmR chart and every Making Data Count rule.

The baseline used throughout: 10, 12, 10, 12, 10, 12 (fix_after=6) has mean 11 and moving
ranges all 2, so UPL = 11 + 2.66 x 2 = 16.32, LPL = 5.68, near limits 11 +/- 1.7733 x 2 =
14.5467 / 7.4533. Points after the baseline are judged against those fixed limits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.spc import spc

BASE = [10, 12, 10, 12, 10, 12]
UPL, LPL = 11 + 2.66 * 2, 11 - 2.66 * 2
NEAR = 2 * 2.66 / 3 * 2


def run(values, rules="mdc", improvement="increase", fix_after=6, **kwargs):
    data = pd.DataFrame({"x": range(len(values)), "y": np.asarray(values, dtype=float)})
    return spc(data, "x", "y", improvement=improvement, rules=rules, fix_after=fix_after, **kwargs)


def labels(result, start=6):
    return list(result.points["special_cause"].iloc[start:])


def types(result, start=6):
    return list(result.points["point_type"].iloc[start:])


def test_xmr_limits_by_hand():
    result = run([1, 3, 2, 4, 3], fix_after=None)
    p = result.points.iloc[0]
    # mean 13/5 = 2.6; MRs 2, 1, 2, 1 -> 1.5
    assert p["centre"] == pytest.approx(2.6)
    assert p["upl"] == pytest.approx(2.6 + 2.66 * 1.5)
    assert p["lpl"] == pytest.approx(2.6 - 2.66 * 1.5)
    assert p["upper_near"] == pytest.approx(2.6 + (2 * 2.66 / 3) * 1.5)
    assert p["lower_near"] == pytest.approx(2.6 - (2 * 2.66 / 3) * 1.5)
    assert np.isnan(result.points["n"]).all()


def test_fixed_baseline_limits():
    result = run(BASE + [11, 30, 11])
    pts = result.points
    assert np.allclose(pts["centre"], 11) and np.allclose(pts["upl"], UPL) and np.allclose(pts["lpl"], LPL)
    assert np.allclose(pts["upper_near"], 11 + NEAR)
    # without fix_after the spike moves the limits
    assert run(BASE + [11, 30, 11], fix_after=None).points["centre"].iloc[0] == pytest.approx(118 / 9)


def test_outside_limits():
    result = run(BASE + [11, 17, 11, 5, 11])
    assert labels(result) == ["none", "outside_limits", "none", "outside_limits", "none"]
    assert types(result)[1] == "special_cause_improvement" and types(result)[3] == "special_cause_concern"


def test_point_on_limit_is_not_outside():
    # outside means strictly beyond: a point exactly on the UPL is inside, the next float is not
    on_limit = 11 + 2.66 * 2
    result = run(BASE + [on_limit, 10, np.nextafter(on_limit, 100)])
    assert result.points["upl"].iloc[0] == on_limit
    assert labels(result) == ["none", "none", "outside_limits"]


@pytest.mark.parametrize("rules", ["mdc", "ptd"])
def test_trend_of_seven(rules):
    rising = [8, 8.5, 9, 9.5, 10, 10.5, 11]
    result = run(BASE + rising, rules=rules)
    assert labels(result) == ["trend"] * 7
    assert types(result) == ["special_cause_improvement"] * 7
    assert types(run(BASE + rising, rules=rules, improvement="decrease")) == ["special_cause_concern"] * 7


def test_six_point_trend_needs_run_length_six():
    rising = [8, 8.5, 9, 9.5, 10, 10.5]
    assert labels(run(BASE + rising)) == ["none"] * 6
    assert labels(run(BASE + rising, run_length=6)) == ["trend"] * 6


def test_ties_break_a_trend():
    values = [9, 9.5, 10, 10, 10.5, 11.5, 12]  # crosses the mean, so no shift either
    assert labels(run(BASE + values)) == ["none"] * 7
    assert labels(run(BASE + [9, 9.5, 10, 10.2, 10.5, 11.5, 12])) == ["trend"] * 7


def test_shift_of_seven_and_six():
    seven = [10] + [11.5] * 7
    assert labels(run(BASE + seven)) == ["none"] + ["shift"] * 7
    six = [10] + [11.5] * 6 + [10]
    assert labels(run(BASE + six)) == ["none"] * 8
    assert labels(run(BASE + six, run_length=6)) == ["none"] + ["shift"] * 6 + ["none"]


def test_point_on_mean_breaks_a_shift():
    values = [10, 12, 12, 12, 11, 12, 12, 12]
    assert labels(run(BASE + values)) == ["none"] * 8


@pytest.mark.parametrize("rules", ["mdc", "ptd"])
def test_two_in_three_between_two_and_three_sigma(rules):
    values = [11, 15, 11.5, 15, 11]
    assert labels(run(BASE + values, rules=rules)) == ["none", "two_in_three", "none", "two_in_three", "none"]


def test_two_in_three_needs_same_side():
    values = [11, 15, 7, 15, 11]  # 7 is below the mean (and beyond the lower near limit)
    assert labels(run(BASE + values)) == ["none"] * 5


def test_two_in_three_mdc_2023_counts_points_beyond_three_sigma():
    values = [11, 17, 11.5, 15, 11]
    # MDC 2023: 17 (beyond 3 sigma) counts towards the pair, so 15 is flagged
    assert labels(run(BASE + values, rules="mdc")) == [
        "none",
        "outside_limits",
        "none",
        "two_in_three",
        "none",
    ]
    # NHSRplotthedots: only points strictly between 2 and 3 sigma count; 15 alone is not enough
    assert labels(run(BASE + values, rules="ptd")) == ["none", "outside_limits", "none", "none", "none"]


def test_precedence_outside_before_shift():
    values = [10, 12, 12, 12, 17, 12, 12, 12]
    assert labels(run(BASE + values)) == [
        "none",
        "shift",
        "shift",
        "shift",
        "outside_limits",
        "shift",
        "shift",
        "shift",
    ]


def test_conflict_improvement_wins_in_mdc_precedence_in_ptd():
    # 5 is below LPL (concern for "increase") and starts a rising 7-point trend (improvement);
    # 5..10.5 are also 7 points below the mean (a concern shift) and 5, 6, 7 beyond 2 sigma
    values = [5, 6, 7, 8, 9, 10, 10.5]
    mdc = run(BASE + values, rules="mdc")
    ptd = run(BASE + values, rules="ptd")
    assert labels(ptd) == ["outside_limits"] + ["trend"] * 6
    assert types(ptd) == ["special_cause_concern"] + ["special_cause_improvement"] * 6
    assert labels(mdc) == ["trend"] * 7
    assert types(mdc) == ["special_cause_improvement"] * 7


def test_neutral_direction_gives_high_and_low():
    result = run(BASE + [11, 17, 11, 5, 11], improvement="neutral")
    assert types(result)[1] == "special_cause_neutral_high"
    assert types(result)[3] == "special_cause_neutral_low"


def test_trend_direction_is_the_trend_not_the_side_of_the_mean():
    # a rising trend entirely below the mean is an improvement when increase is better
    values = [6, 6.5, 7, 7.5, 8, 8.5, 9, 12, 10]
    result = run(BASE + values, rules="ptd")
    assert types(result)[:7] == ["special_cause_improvement"] * 7


def test_rebasing_recomputes_each_segment():
    values = [10, 12] * 6 + [20, 22] * 6
    data = pd.DataFrame({"x": range(24), "y": values})
    result = spc(data, "x", "y", rebase=[12])
    summary = result.summary
    assert list(summary["segment"]) == [0, 1]
    assert list(summary["n_points"]) == [12, 12]
    assert summary["centre"].tolist() == pytest.approx([11, 21])
    assert summary["upl"].tolist() == pytest.approx([11 + 5.32, 21 + 5.32])  # MR across the rebase ignored
    assert list(result.points["segment"]) == [0] * 12 + [1] * 12
    # no rebase: one segment whose MR-bar includes the jump of 8 (8 + 22 x 2) / 23
    single = spc(data, "x", "y").summary.iloc[0]
    assert single["upl"] == pytest.approx(16 + 2.66 * (8 + 22 * 2) / 23)


def test_rebase_with_fix_after_applies_to_each_segment():
    values = [10, 12] * 3 + [40, 40] + [20, 22] * 3 + [50, 50]
    data = pd.DataFrame({"x": range(16), "y": values})
    summary = spc(data, "x", "y", rebase=[8], fix_after=6).summary
    assert summary["centre"].tolist() == pytest.approx([11, 21])


@pytest.mark.parametrize(
    "improvement, target, expected",
    [
        ("increase", 17, "consistent_fail"),
        ("increase", 5, "consistent_pass"),
        ("increase", 11, "inconsistent"),
        ("increase", 16.32, "inconsistent"),  # on the limit: not beyond it
        ("decrease", 17, "consistent_pass"),
        ("decrease", 5, "consistent_fail"),
        ("decrease", 11, "inconsistent"),
        ("neutral", 17, "none"),
        ("increase", None, "none"),
    ],
)
def test_assurance(improvement, target, expected):
    result = run(BASE * 3, improvement=improvement, target=target, fix_after=None)
    assert result.summary["assurance"].iloc[-1] == expected


def test_assurance_only_for_the_last_segment():
    data = pd.DataFrame({"x": range(24), "y": [10, 12] * 6 + [20, 22] * 6})
    summary = spc(data, "x", "y", rebase=[12], target=30).summary
    assert list(summary["assurance"]) == ["none", "consistent_fail"]


@pytest.mark.parametrize(
    "improvement, expected",
    [
        ("increase", "special_cause_improvement"),
        ("decrease", "special_cause_concern"),
        ("neutral", "special_cause_neutral_high"),
    ],
)
def test_variation_icon_is_point_type_of_last_point(improvement, expected):
    result = run(BASE + [11, 17], improvement=improvement)
    assert result.summary["variation"].iloc[0] == expected
    assert result.points["point_type"].iloc[-1] == expected
    assert run(BASE + [17, 11], improvement=improvement).summary["variation"].iloc[0] == "common_cause"


def test_short_baseline_flags():
    assert bool(run([10, 12] * 6, fix_after=None).summary["short_baseline"].iloc[0]) is True  # 12 points
    assert bool(run([10, 12] * 6 + [10], fix_after=None).summary["short_baseline"].iloc[0]) is False  # 13
    # a fixed baseline of 6 points is short under mdc (limits rest on 6 points); ptd counts the group
    assert bool(run(BASE * 5, fix_after=6, rules="mdc").summary["short_baseline"].iloc[0]) is True
    assert bool(run(BASE * 5, fix_after=6, rules="ptd").summary["short_baseline"].iloc[0]) is False


def test_rows_sorted_by_x_and_missing_values_dropped():
    data = pd.DataFrame({"x": [3, 1, 2, 4], "y": [3.0, 1.0, np.nan, 4.0]})
    points = spc(data, "x", "y").points
    assert list(points["x"]) == [1, 3, 4]
    assert points["centre"].iloc[0] == pytest.approx(8 / 3)


def test_duplicate_x_is_an_input_error():
    from wardwatch.errors import InputError

    with pytest.raises(InputError, match="more than once"):
        spc(pd.DataFrame({"x": [1, 1, 2], "y": [1.0, 2.0, 3.0]}), "x", "y")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"chart": "zz"}, "unknown chart"),
        ({"improvement": "up"}, "unknown improvement"),
        ({"rules": "excel"}, "unknown rules"),
        ({"run_length": 5}, "run_length"),
        ({"fix_after": 1}, "fix_after"),
        ({"chart": "p"}, "denominator"),
        ({"y": "nope"}, "not found"),
    ],
)
def test_bad_options(kwargs, message):
    from wardwatch.errors import InputError

    data = pd.DataFrame({"x": [1, 2, 3], "y": [1.0, 2.0, 3.0]})
    args = {"x": "x", "y": "y", **kwargs}
    with pytest.raises(InputError, match=message):
        spc(data, **args)


def test_plot_delegates_to_renderer_with_one_series(monkeypatch):
    from wardwatch.render import results

    calls = {}

    def fake_chart(
        points,
        *,
        improvement,
        target,
        annotations=None,
        title=None,
        value_format="number",
        assurance=None,
        variation=None,
    ):
        calls.update(
            points=points,
            improvement=improvement,
            target=target,
            title=title,
            value_format=value_format,
            assurance=assurance,
            variation=variation,
        )
        return "<svg/>"

    monkeypatch.setattr(results, "spc_chart_svg", fake_chart)
    data = pd.DataFrame(
        {"unit": ["A"] * 8 + ["B"] * 8, "x": list(range(8)) * 2, "y": BASE + [11, 17] + BASE + [11, 5]}
    )
    result = spc(data, "x", "y", by=["unit"], improvement="decrease", target=3, fix_after=6)
    assert results.plot_spc(result, series={"unit": "B"}, title="B") == "<svg/>"
    assert list(calls["points"]["unit"].unique()) == ["B"] and len(calls["points"]) == 8
    assert calls["improvement"] == "decrease" and calls["target"] == 3 and calls["value_format"] == "number"
    assert calls["variation"] == "special_cause_improvement"  # 5 is below the LPL, decrease is better
    assert calls["assurance"] == "consistent_fail"  # target 3 below the LPL 5.68
    from wardwatch.errors import InputError

    with pytest.raises(InputError, match="several series"):
        results.plot_spc(result)


def test_plot_draws_a_real_svg():
    result = run(BASE + [11, 17], target=15)
    from wardwatch.render.results import plot_spc

    svg = plot_spc(result, title="demo")
    assert svg.lstrip().startswith("<svg") or svg.lstrip().startswith("<?xml")


def test_trend_peak_shared_by_rising_and_falling_trends():
    # wide limits (mean 10, MR-bar 20): only trends (and a shift below the mean, lower precedence)
    baseline = [0, 20, 0, 20, 0, 20]
    values = [1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3, 2, 1]
    ptd = run(baseline + values, rules="ptd")
    mdc = run(baseline + values, rules="mdc")
    assert labels(ptd) == ["trend"] * 13 and labels(mdc) == ["trend"] * 13
    # ptd: the peak takes the direction of the step after it (next point also in a trend): falling
    assert types(ptd) == ["special_cause_improvement"] * 6 + ["special_cause_concern"] * 7
    # mdc: the peak is in both trends, and improvement wins
    assert types(mdc) == ["special_cause_improvement"] * 7 + ["special_cause_concern"] * 6
    # decrease is better: all 13 points are also a shift below the mean (improvement), so under
    # mdc improvement wins everywhere; the label is the first rule giving improvement
    down = run(baseline + values, rules="mdc", improvement="decrease")
    assert types(down) == ["special_cause_improvement"] * 13
    assert labels(down) == ["shift"] * 6 + ["trend"] * 7
    down_ptd = run(baseline + values, rules="ptd", improvement="decrease")
    assert types(down_ptd) == ["special_cause_concern"] * 6 + ["special_cause_improvement"] * 7
    neutral = run(baseline + values, rules="mdc", improvement="neutral")
    assert types(neutral) == ["special_cause_neutral_high"] * 6 + ["special_cause_neutral_low"] * 7


def test_series_are_independent_and_keep_their_keys():
    data = pd.DataFrame(
        {
            "trust": ["B"] * 8 + ["A"] * 8,
            "site": ["s1"] * 16,
            "x": list(range(8)) * 2,
            "y": BASE + [11, 17] + BASE + [11, 5],
        }
    )
    result = spc(data, "x", "y", by=["trust", "site"], fix_after=6)
    assert list(result.summary["trust"]) == ["A", "B"]  # sorted by series key
    last = result.points.groupby("trust")["special_cause"].last().to_dict()
    assert last == {"A": "outside_limits", "B": "outside_limits"}
    table = result.summary_table()
    assert list(table["variation"]) == ["special_cause_concern", "special_cause_improvement"]


def test_our_codes_are_the_icon_vocabulary():
    """Every point type and assurance code we emit is drawn by the icon functions."""
    from wardwatch.render.icons import assurance_icon_svg, variation_icon_svg
    from wardwatch.vocabulary import POINT_TYPES

    for improvement in ("increase", "decrease", "neutral"):
        for point_type in POINT_TYPES:
            if point_type.startswith("special_cause_neutral") != (improvement == "neutral"):
                continue
            assert "<svg" in variation_icon_svg(point_type, improvement)
    for assurance in ("consistent_pass", "consistent_fail", "inconsistent", "none"):
        assert "<svg" in assurance_icon_svg(assurance)
