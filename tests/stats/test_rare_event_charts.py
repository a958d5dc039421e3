"""g chart probability limits and short-gap rule, and seeded Monte Carlo checks of the false
alarms and power of g and t charts (docs/methods/rare-event-charts.md, docs/methods.md 7.1).

The limits are checked against brute force over k (no logarithms), the run probability against
full enumeration, and the simulated rates against a reference that does not depend on the code
under test: the same MDC rules on normal data with XmR limits, which is the false-alarm rate the
MDC rules are accepted with.
"""

from __future__ import annotations

import itertools
import math
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from wardwatch.errors import InputError
from wardwatch.render.results import plot_spc
from wardwatch.stats.rare_events import geometric_lower, geometric_upper, run_probability, short_gap_bound
from wardwatch.stats.spc import spc
from wardwatch.stats.spc_constants import G_LIMIT_TAIL, G_NEAR_TAIL, G_SHORT_QUANTILE, G_SHORT_RUN


def brute_upper(mean: float, tail: float) -> int:
    """Smallest k with P(Y > k) = (1 - p)^(k + 1) <= tail, by counting up."""
    survive = mean / (mean + 1)
    k = 0
    while survive ** (k + 1) > tail:
        k += 1
    return k


def brute_lower(mean: float, tail: float) -> int:
    """Largest k with P(Y < k) = sum_{j < k} p (1 - p)^j <= tail, summing the probabilities."""
    p = 1 / (mean + 1)
    k, below = 0, 0.0
    while below + p * (1 - p) ** k <= tail:
        below += p * (1 - p) ** k
        k += 1
    return k


MEANS = [0.5, 3.3, 20.0, 57.7, 333.3, 1234.5, 9876.5]


@pytest.mark.parametrize("mean", MEANS)
def test_probability_limits_equal_brute_force(mean):
    values = np.array([mean])
    for tail in (G_LIMIT_TAIL, G_NEAR_TAIL):
        assert geometric_upper(values, tail)[0] == brute_upper(mean, tail)
        assert geometric_lower(values, tail)[0] == brute_lower(mean, tail)
    assert short_gap_bound(values)[0] == brute_lower(mean, G_SHORT_QUANTILE) - 1


def test_lower_limits_exist_only_for_long_gaps():
    # P(Y = 0) = p = 1 / (mean + 1) must itself be below the tail: mean >= 740 (0.00135) or
    # 43 (0.02275), and 9 for the 10 % short-gap quantile
    means = np.array([739.0, 741.0])
    assert geometric_lower(means, G_LIMIT_TAIL).tolist() == [0.0, 1.0]
    means = np.array([42.9, 43.0])
    assert geometric_lower(means, G_NEAR_TAIL).tolist() == [0.0, 1.0]
    assert short_gap_bound(np.array([8.9, 9.1])).tolist() == [-1.0, 0.0]


def test_all_zero_gaps_give_zero_limits():
    points = spc(pd.DataFrame({"x": range(5), "y": [0.0] * 5}), "x", "y", chart="g").points
    assert (points[["centre", "lpl", "upl", "lower_near", "upper_near"]] == 0).all().all()
    assert (points["special_cause"] == "none").all()


def g_chart(y, **kwargs):
    return spc(pd.DataFrame({"x": range(len(y)), "y": np.asarray(y, float)}), "x", "y", chart="g", **kwargs)


def test_g_chart_probability_limits_end_to_end():
    y = [12, 30, 5, 41, 19, 2, 27, 8]  # mean 18, p = 1/19, median 15.5
    points = g_chart(y).points
    assert points["centre"].iloc[0] == 15.5
    # ln(0.00135) / ln(18/19) - 1 = 121.2 and ln(0.02275) / ln(18/19) - 1 = 68.97, rounded up
    assert points["upl"].iloc[0] == brute_upper(18, 0.00135) == 122
    assert points["upper_near"].iloc[0] == brute_upper(18, 0.02275) == 69
    assert points["lpl"].iloc[0] == 0 and points["lower_near"].iloc[0] == 0
    # after the baseline: 123 > 122 is beyond the limit, 100 > 69 beyond the near limit, and
    # with 20 all three lie above the median
    points = g_chart(y + [123, 100, 20], fix_after=8, improvement="increase").points
    assert points["special_cause"].tolist()[-3:] == ["outside_limits", "two_in_three", "none"]
    assert points["point_type"].iloc[-2] == "special_cause_improvement"


def test_three_short_gaps_in_a_row_signal_a_rise_in_the_event_rate():
    baseline = [22, 18, 25, 14, 30, 21, 17, 26, 19, 28, 16, 24]
    mean = float(np.mean(baseline))  # 21.67: p = 0.044, 10th percentile bound 1
    bound = brute_lower(mean, G_SHORT_QUANTILE) - 1
    assert bound == 1
    three = g_chart(baseline + [0, 1, 0, 24], fix_after=12, improvement="increase").points
    assert three["special_cause"].tolist()[-4:] == ["short_gaps"] * 3 + ["none"]
    assert (three["point_type"].iloc[-4:-1] == "special_cause_concern").all()
    # two short gaps, or three with one just above the bound, are not enough
    assert (g_chart(baseline + [0, 1, 24, 0], fix_after=12).points["special_cause"] == "none").all()
    assert (g_chart(baseline + [0, 2, 0, 24], fix_after=12).points["special_cause"] == "none").all()
    # qicharts2-style sigma limits have no such rule
    sigma = g_chart(baseline + [0, 1, 0, 24], fix_after=12, g_method="sigma").points
    assert (sigma["special_cause"] == "none").all()


def test_unknown_g_method_is_an_input_error():
    with pytest.raises(InputError, match="g_method"):
        g_chart([1, 2, 3], g_method="exact")


@pytest.mark.parametrize(("n", "k", "q"), [(6, 2, 0.3), (10, 3, 0.1), (12, 3, 0.45), (9, 4, 0.6)])
def test_run_probability_equals_enumeration(n, k, q):
    total = 0.0
    for seq in itertools.product((0, 1), repeat=n):
        longest = max((len(list(g)) for v, g in itertools.groupby(seq) if v), default=0)
        if longest >= k:
            total += q ** sum(seq) * (1 - q) ** (n - sum(seq))
    assert run_probability(n, k, q) == pytest.approx(total, rel=1e-12)


# ---------------------------------------------------------------- Monte Carlo
#
# Every rate below is a proportion of SERIES independent simulated series; its Monte Carlo
# standard error is sqrt(r (1 - r) / SERIES) (binomial). Comparisons of two independent rates
# allow Z = 4.5 standard errors of their difference, so a correct implementation fails one of
# them with probability below 1e-5 (the seeds make each run the same anyway). Per-point rates use
# the spread of the per-series rates (points of one series share its estimated limits, so they
# are not independent).

SERIES = 4000
Z = 4.5
MEAN_GAP = 20.0

# Figures of docs/methods/rare-event-charts.md (benchmarks/rare_event_charts.py, 20,000 series,
# other seeds): (chart, g_method, n) -> (in-control rate of series with any special cause,
# power: rate of series with a concern among the last n/2 points after the event rate doubled).
DOC_FIGURES = {
    ("g", "sigma", 24): (0.384, 0.385),
    ("g", "sigma", 50): (0.724, 0.613),
    ("g", "probability", 24): (0.074, 0.396),
    ("g", "probability", 50): (0.256, 0.625),
    ("t", None, 24): (0.138, 0.444),
    ("t", None, 50): (0.319, 0.671),
    ("xmr", None, 24): (0.155, None),
    ("xmr", None, 50): (0.364, None),
}
DOC_SERIES = 20000


def long_frame(values: np.ndarray) -> pd.DataFrame:
    n_series, n_points = values.shape
    return pd.DataFrame(
        {
            "s": np.repeat(np.arange(n_series), n_points),
            "x": np.tile(np.arange(n_points), n_series),
            "y": values.ravel().astype(float),
        }
    )


def draw(chart: str, rng: np.random.Generator, shape: tuple[int, int], rate: float = 1.0) -> np.ndarray:
    """In-control gaps (rate 1) or gaps at ``rate`` times the in-control event rate."""
    if chart == "g":
        return (rng.geometric(rate / (MEAN_GAP + 1), size=shape) - 1).astype(float)
    if chart == "t":
        return rng.exponential(1.0 / rate, size=shape)
    return rng.normal(size=shape)


def simulate(chart: str, n: int, seed: int, g_method: str | None = None, rise: float | None = None):
    """One spc() call on SERIES series of n points. In control: limits from all points. With
    ``rise``: limits from the first n/2 points, the event rate multiplied by ``rise`` after."""
    rng = np.random.default_rng(seed)
    values = draw(chart, rng, (SERIES, n))
    options = {"g_method": g_method} if g_method else {}
    if rise is not None:
        values[:, n // 2 :] = draw(chart, rng, (SERIES, n - n // 2), rise)
        options.update(fix_after=n // 2, improvement="increase")
    points = spc(long_frame(values), "x", "y", by=["s"], chart=chart, **options).points
    return points.assign(s=points["s"].astype(int))


def series_rate(points: pd.DataFrame, flag: np.ndarray) -> float:
    return float(pd.Series(flag).groupby(points["s"].to_numpy()).any().mean())


def any_special(points: pd.DataFrame) -> float:
    return series_rate(points, (points["special_cause"] != "none").to_numpy())


def concern_after_change(points: pd.DataFrame, n: int) -> float:
    after = points["x"].to_numpy() >= n // 2
    return series_rate(points, after & (points["point_type"] == "special_cause_concern").to_numpy())


def se(rate: float, series: int = SERIES) -> float:
    return math.sqrt(max(rate * (1 - rate), 1e-4) / series)


def se_diff(a: float, b: float) -> float:
    return math.hypot(se(a), se(b))


def per_point_outside(points: pd.DataFrame) -> tuple[float, float]:
    """Rate of points outside the process limits and its standard error over series."""
    per_series = (points["special_cause"] == "outside_limits").groupby(points["s"]).mean()
    return float(per_series.mean()), float(per_series.std(ddof=1) / math.sqrt(per_series.size))


@pytest.mark.parametrize(("n", "seed"), [(24, 11), (50, 12)])
def test_g_chart_false_alarms_before_and_after_probability_limits(n, seed):
    reference = any_special(simulate("xmr", n, seed))  # MDC rules on normal data: 0.155 / 0.364
    before_points = simulate("g", n, seed + 100, g_method="sigma")
    after_points = simulate("g", n, seed + 100, g_method="probability")  # the same gaps
    before, after = any_special(before_points), any_special(after_points)
    # before: 38 % (24 points) / 72 % (50) of in-control series false-alarm, 2-2.5x the reference
    assert before > reference + Z * se_diff(before, reference)
    # after: 7 % / 26 %, no more than the MDC rules give on normal data
    assert after < reference + Z * se_diff(after, reference)
    # per point, the 3-sigma limit is crossed ~1.5 % of the time (e^-4 = 1.8 % with p known),
    # the probability limit at most 0.135 % (by construction; 0.05-0.09 % with p estimated)
    rate, rate_se = per_point_outside(before_points)
    assert rate > 5 * G_LIMIT_TAIL + Z * rate_se
    rate, rate_se = per_point_outside(after_points)
    assert rate < G_LIMIT_TAIL + Z * rate_se
    # the short-gap rule alone: at most the exact rate for a known p (q = 10 %, runs of 3):
    # 1.9 % for 24 points, 4.2 % for 50; the estimated p and the discrete bound make it rarer
    short = series_rate(after_points, (after_points["special_cause"] == "short_gaps").to_numpy())
    exact = run_probability(n, G_SHORT_RUN, G_SHORT_QUANTILE)
    assert short < exact + Z * se(exact)
    # and the documented figures hold
    for method, measured in (("sigma", before), ("probability", after)):
        documented = DOC_FIGURES[("g", method, n)][0]
        assert abs(measured - documented) < Z * math.hypot(se(documented), se(documented, DOC_SERIES))
    documented = DOC_FIGURES[("xmr", None, n)][0]
    assert abs(reference - documented) < Z * math.hypot(se(documented), se(documented, DOC_SERIES))


@pytest.mark.parametrize(("n", "seed"), [(24, 21), (50, 22)])
def test_t_chart_false_alarms_are_those_of_the_xmr_rules(n, seed):
    reference = any_special(simulate("xmr", n, seed))
    points = simulate("t", n, seed + 100)
    rate = any_special(points)
    # 14 % / 32 %: Nelson's transformation makes exponential times close enough to normal that
    # the MDC rules false-alarm no more often than on normal data, so the t chart is kept
    assert rate < reference + Z * se_diff(rate, reference)
    per_point, per_point_se = per_point_outside(points)
    assert per_point < 2 * G_LIMIT_TAIL + Z * per_point_se  # two-sided 0.27 %
    documented = DOC_FIGURES[("t", None, n)][0]
    assert abs(rate - documented) < Z * math.hypot(se(documented), se(documented, DOC_SERIES))


@pytest.mark.parametrize(("n", "seed"), [(24, 31), (50, 32)])
def test_power_to_detect_a_doubling_of_the_event_rate(n, seed):
    powers = {}
    for chart, method in (("g", "sigma"), ("g", "probability"), ("t", None)):
        points = simulate(chart, n, seed, g_method=method, rise=2.0)
        powers[(chart, method)] = power = concern_after_change(points, n)
        documented = DOC_FIGURES[(chart, method, n)][1]
        assert abs(power - documented) < Z * math.hypot(se(documented), se(documented, DOC_SERIES))
    before, after = powers[("g", "sigma")], powers[("g", "probability")]
    # the probability limits cost no power for rises (about 40 % within 12 points, 63 % within 25)
    assert after > before - Z * se_diff(after, before)
    # and a doubling is found far more often than in-control data give a concern
    in_control = concern_after_change(simulate("g", n, seed + 100, g_method="probability", rise=1.0), n)
    assert after > in_control + Z * se_diff(after, in_control)


@pytest.mark.parametrize("chart", ["g", "t"])
def test_rare_event_charts_draw_their_limits(chart):
    gaps = [21, 31, 17, 27, 6, 140, 0, 85, 17, 9, 16, 9, 27, 32, 57, 6, 95, 22, 10, 26, 0, 2, 1, 14]
    y = np.asarray(gaps, float) + (chart == "t")  # t: times must be > 0
    result = spc(pd.DataFrame({"x": range(len(y)), "y": y}), "x", "y", chart=chart, fix_after=20)
    svg = plot_spc(result, title=f"{chart} chart")
    root = ElementTree.fromstring(svg)
    classes = [element.get("class") or "" for element in root.iter()]
    assert any("ww-limit--upper" in c for c in classes)
    text = "".join(root.itertext())
    assert "UPL" in text
    if chart == "g":  # the label shows the computed probability limit (a whole number of cases)
        assert result.points["upl"].iloc[0] == brute_upper(float(np.mean(gaps[:20])), G_LIMIT_TAIL) == 219
        assert "UPL 219" in text


def test_user_guide_example():
    """The numbers of docs/guide/spc.md section 5 (falls with harm, illustrative)."""
    gaps = [21, 31, 17, 27, 6, 140, 0, 85, 17, 9, 16, 9, 27, 32, 57, 6, 95, 22, 10, 26, 0, 2, 1, 14]
    falls = pd.DataFrame({"fall": range(1, 25), "admissions_between": gaps})
    options = {
        "x": "fall",
        "y": "admissions_between",
        "chart": "g",
        "improvement": "increase",
        "fix_after": 20,
    }
    points = spc(falls, **options).points
    mean = float(np.mean(gaps[:20]))
    assert mean == pytest.approx(32.65)
    first = points.iloc[0]
    assert (first["centre"], first["upl"], first["upper_near"], first["lpl"]) == (21.5, 219, 125, 0)
    assert brute_lower(mean, G_SHORT_QUANTILE) - 1 == 2
    flagged = points[points["special_cause"] != "none"]
    assert flagged["x"].tolist() == [21, 22, 23]
    assert (flagged["special_cause"] == "short_gaps").all()
    assert (flagged["point_type"] == "special_cause_concern").all()
    sigma = spc(falls, g_method="sigma", **options).points
    assert sigma["upl"].iloc[0] == pytest.approx(mean + 3 * math.sqrt(mean * (mean + 1)))
    assert round(sigma["upl"].iloc[0], 1) == 132.1
    sigma_flagged = sigma[sigma["special_cause"] != "none"]
    assert sigma_flagged["x"].tolist() == [6]
    assert sigma_flagged["point_type"].tolist() == ["special_cause_improvement"]


@pytest.mark.parametrize(
    ("rules", "improvement"), [("ptd", "increase"), ("mdc", "neutral"), ("mdc", "increase")]
)
def test_short_gaps_are_low_even_above_the_median(rules, improvement):
    # baseline median 0 but mean 200: the short-gap bound (20) lies above the median, so the
    # short gaps 5, 6, 4 are above the centre line; they still mean a rise in the event rate
    bound = brute_lower(200.0, G_SHORT_QUANTILE) - 1
    assert bound == 20
    points = g_chart([0, 0, 0, 0, 1000, 5, 6, 4], fix_after=5, rules=rules, improvement=improvement).points
    tail = points.iloc[-3:]
    assert (tail["special_cause"] == "short_gaps").all()
    expected = "special_cause_neutral_low" if improvement == "neutral" else "special_cause_concern"
    assert (tail["point_type"] == expected).all()
