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
