"""Risk-adjusted CUSUM (Steiner et al. 2000) and VLAD: weights, resets, false alarms, detection."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.cusum import (
    arl_from_running_max,
    choose_threshold,
    cusum_path,
    llr_weights,
    run_cusums,
)


@pytest.mark.parametrize("p,died,expected", [
    (0.0246, 1, 0.6688), (0.0246, 0, -0.0243), (0.5424, 1, 0.2598), (0.5424, 0, -0.4333),
])
def test_methods_43_test_vectors(p, died, expected):
    assert llr_weights(np.array([p]), np.array([died]), ra=2.0)[0] == pytest.approx(expected, abs=1e-4)


def test_general_weight_formula_with_r0():
    p, ra, r0 = 0.2, 2.0, 1.5
    death = math.log((1 - p + r0 * p) * ra / ((1 - p + ra * p) * r0))
    survival = math.log((1 - p + r0 * p) / (1 - p + ra * p))
    got = llr_weights(np.array([p, p]), np.array([1, 0]), ra=ra, r0=r0)
    assert got[0] == pytest.approx(death) and got[1] == pytest.approx(survival)


def test_reset_by_hand():
    w = np.array([1.0, 1.0, 1.0, -5.0, 2.0, 2.0, -0.5, 0.2])
    path, signal = cusum_path(w, h=2.5)
    # 1, 2, 3 (> 2.5: signal, restart), 0 (max(0, -5)), 2, 4 (signal, restart), 0, 0.2
    assert list(path) == pytest.approx([1, 2, 3, 0, 2, 4, 0, 0.2])
    assert list(np.flatnonzero(signal)) == [2, 5]
    path_nr, _signal_nr = cusum_path(w, h=2.5, reset=False)
    assert list(path_nr) == pytest.approx([1, 2, 3, 0, 2, 4, 3.5, 3.7])


def test_vectorised_path_equals_plain_recursion():
    rng = np.random.default_rng(8)
    w = rng.normal(-0.05, 0.5, 5000)
    x, ref, sig = 0.0, [], []
    for wt in w:  # the recursion written out
        x = max(0.0, x + wt)
        ref.append(x)
        sig.append(x > 3.0)
        if x > 3.0:
            x = 0.0
    assert sum(sig) > 10  # many restarts, some inside and some across windows
    for window in (4096, 7, 1):  # the state must carry across window boundaries
        path, signal = cusum_path(w, h=3.0, window=window)
        assert np.allclose(path, ref, atol=1e-9) and (signal == np.array(sig)).all()


RISKS = np.random.default_rng(42).beta(1.2, 10.0, 4000)  # case mix: mean risk ~ 0.11


def test_threshold_depends_on_target_and_case_mix():
    low = choose_threshold(RISKS, target_arl=500, n_sim=200, seed=1)
    high = choose_threshold(RISKS, target_arl=3000, n_sim=200, seed=1)
    assert high.h > low.h > 0
    assert low.arl >= 500 and high.arl >= 3000


def test_in_control_false_alarm_rate_within_design():
    target = 2000
    th = choose_threshold(RISKS, target_arl=target, n_sim=300, seed=7)
    # independent check with another seed: long in-control series, count signals (with reset)
    rng = np.random.default_rng(12345)
    n = 400_000
    p = RISKS[rng.integers(0, len(RISKS), n)]
    y = rng.random(n) < p
    _, signal = cusum_path(llr_weights(p, y, 2.0), th.h)
    signals = int(signal.sum())
    arl_hat = n / signals
    # run lengths are ~geometric, so the ARL estimate has relative SE ~ 1/sqrt(signals) (~7%);
    # the false-alarm rate is within design if the ARL is not below target by more than 3 SE,
    # i.e. the false-alarm rate per patient is at most 1/target within Monte-Carlo error
    assert arl_hat >= target * (1 - 3 / math.sqrt(signals)), (arl_hat, signals, th)
    # and the threshold is not grossly conservative either (within 3 SE the other way + 30%)
    assert arl_hat <= 1.3 * target * (1 + 3 / math.sqrt(signals))


def test_lower_chart_threshold_and_in_control():
    th = choose_threshold(RISKS, target_arl=1000, ra=0.5, n_sim=300, seed=3)
    rng = np.random.default_rng(99)
    n = 200_000
    p = RISKS[rng.integers(0, len(RISKS), n)]
    y = rng.random(n) < p
    _, signal = cusum_path(llr_weights(p, y, 0.5), th.h)
    assert n / signal.sum() >= 1000 * (1 - 3 / math.sqrt(signal.sum()))


def test_injected_high_mortality_is_signalled():
    th = choose_threshold(RISKS, target_arl=5000, n_sim=200, seed=5)
    rng = np.random.default_rng(2024)
    n = 3000  # one trust-year of a common diagnosis group
    p = RISKS[rng.integers(0, len(RISKS), n)]
    odds = 1.8 * p / (1 - p)  # true odds ratio 1.8
    y = rng.random(n) < odds / (1 + odds)
    _, signal = cusum_path(llr_weights(p, y, 2.0), th.h)
    assert signal.any()
    first = int(np.flatnonzero(signal)[0])
    assert first < 1000  # far sooner than the in-control ARL of 5000


def test_arl_estimator_censoring():
    # two paths of horizon 4; h = 1: path A crosses at t=2, path B never -> ARL = (2 + 4) / 1
    rmax = np.array([[0.5, 1.5, 1.5, 2.0], [0.1, 0.2, 0.3, 0.9]])
    arl, _ = arl_from_running_max(rmax, 1.0)
    assert arl == pytest.approx(6.0)


def test_run_cusums_alert_list_and_vlad():
    dates = pd.date_range("2018-04-01", periods=8, freq="D")
    frame = pd.DataFrame({
        "org_code": ["A"] * 8 + ["B"] * 3,
        "diagnosis_group": ["sepsis"] * 11,
        "admitted_at": list(dates) + list(dates[:3]),
        "p": [0.1] * 11,
        "died": [1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1],
    })
    res = run_cusums(frame, series=["org_code", "diagnosis_group"], date="admitted_at", risk="p",
                     outcome="died", h_upper=1.5, h_lower=10.0)
    w1 = math.log(2) - math.log(1.1)  # a death at p = 0.1 with RA = 2
    a = res.series(org_code="A")
    assert a["upper"].iloc[0] == pytest.approx(w1)
    assert a["upper"].iloc[1] == pytest.approx(2 * w1)
    alerts = res.alerts
    # 3 * w1 = 1.53 > 1.5 -> first signal at the 3rd patient; then 0 -> -0.0953, then deaths
    first = alerts.iloc[0]
    assert first["org_code"] == "A" and first["direction"] == "higher"
    assert first["date_signalled"] == dates[2] and first["patients_since_reset"] == 3
    assert first["observed"] == 3 and first["expected"] == pytest.approx(0.3)
    # VLAD = cumulative expected - observed
    assert list(a["vlad"]) == pytest.approx(list(np.cumsum([0.1] * 8) - np.cumsum(frame["died"][:8])))
    b = res.series(org_code="B")
    assert list(b["index"]) == [1, 2, 3] and (b["lower"] <= 0).all()


# ---------------------------------------------------------------------------------------------
# regression: bad rows must not silently switch a chart off; empty input; missing series keys


def _two_series(n: int = 60) -> pd.DataFrame:
    dates = pd.date_range("2018-04-01", periods=n, freq="D")
    return pd.DataFrame({
        "org_code": ["A"] * n + ["B"] * n,
        "diagnosis_group": "sepsis",
        "admitted_at": list(dates) * 2,
        "p": 0.1,
        "died": ([1] * 10 + [0] * (n - 10)) * 2,  # 10 deaths in a row: the upper chart must signal
    })


@pytest.mark.parametrize("column,value,what", [
    ("p", np.nan, "risk"), ("p", 1.5, "risk"), ("p", -0.1, "risk"),
    ("died", np.nan, "outcome"), ("died", 2, "outcome"),
])
def test_bad_risk_or_outcome_rejected_with_count(column, value, what):
    from wardwatch.errors import InputError

    frame = _two_series()
    frame[column] = frame[column].astype(float)
    frame.loc[[0, 3, 70], column] = value
    with pytest.raises(InputError, match=rf"3 row\(s\) with an? {what}"):
        run_cusums(frame, series=["org_code", "diagnosis_group"], date="admitted_at", risk="p",
                   outcome="died", h_upper=1.5, h_lower=10.0)


def test_one_nan_weight_no_longer_silences_the_chart():
    from wardwatch.errors import InputError

    w = np.full(20, 1.0)
    w[0] = np.nan  # before: every later X_t was NaN, NaN > h is False, so no signal ever
    with pytest.raises(InputError, match="1 of 20 CUSUM weight"):
        cusum_path(w, h=2.5)


def test_run_cusums_empty_frame():
    empty = _two_series().iloc[:0]
    res = run_cusums(empty, series=["org_code", "diagnosis_group"], date="admitted_at", risk="p",
                     outcome="died", h_upper=1.5, h_lower=10.0)
    assert res.paths.empty and res.alerts.empty and res.thresholds.empty
    assert {"org_code", "diagnosis_group", "h_upper"} <= set(res.thresholds.columns)
    assert {"upper", "lower", "vlad"} <= set(res.paths.columns)


def test_missing_series_key_rejected():
    from wardwatch.errors import InputError

    frame = _two_series()
    frame["org_code"] = frame["org_code"].astype(object)
    frame.loc[[5, 6], "org_code"] = None  # before: each such row became a series of its own
    with pytest.raises(InputError, match=r"2 row\(s\) with a missing series key"):
        run_cusums(frame, series=["org_code", "diagnosis_group"], date="admitted_at", risk="p",
                   outcome="died", h_upper=1.5, h_lower=10.0)


def test_valid_two_series_signal_each():
    res = run_cusums(_two_series(), series=["org_code", "diagnosis_group"], date="admitted_at", risk="p",
                     outcome="died", h_upper=1.5, h_lower=10.0)
    # 3 deaths at p = 0.1 give 3 (ln 2 - ln 1.1) = 1.53 > 1.5: each series signals at its 3rd patient
    first = res.alerts.groupby("org_code")["patients_since_reset"].first()
    assert list(first.index) == ["A", "B"] and list(first) == [3, 3]


@pytest.mark.parametrize("ra", [2.0, 0.5])
def test_extrapolated_threshold_agrees_with_direct_simulation(ra):
    from wardwatch.stats.cusum import threshold_for_chart

    target = 40_000
    direct = choose_threshold(RISKS, target_arl=target, ra=ra, n_sim=200, seed=11)
    extrap = threshold_for_chart(RISKS, target, ra=ra, n_sim=200, seed=12, max_horizon=5_000)
    assert direct.method == "simulated" and extrap.method == "extrapolated"
    # ARL0 ~ exp(h) for a likelihood-ratio CUSUM, so h(40000) - h(5000) ~ ln 8 = 2.08; the
    # extrapolated h must agree with the direct simulation within its Monte Carlo noise
    assert extrap.h == pytest.approx(direct.h, abs=0.3)
    assert extrap.target_arl == target
    # below max_horizon the chart threshold is the plain simulation
    small = threshold_for_chart(RISKS, 3_000, ra=ra, n_sim=200, seed=1, max_horizon=5_000)
    assert small.method == "simulated" and small.h == choose_threshold(RISKS, 3_000, ra=ra, n_sim=200, seed=1).h
