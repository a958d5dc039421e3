"""Hand calculations and properties for wardwatch.stats.funnel (docs/methods.md 3.1-3.3)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.errors import InputError
from wardwatch.stats.exact import Z95, Z998, garwood_interval, interpolated_quantile_limits
from wardwatch.stats.funnel import BAND_AS, BAND_HIGH, BAND_LOW, dispersion, funnel, truncate, winsorise


def _type7(x, p):
    """R's default quantile, written out: h = (n-1)p, interpolate between order statistics."""
    xs = sorted(x)
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    return xs[lo] + (h - lo) * (xs[min(lo + 1, len(xs) - 1)] - xs[lo])


SR_TINY = pd.DataFrame({
    "unit": ["A", "B", "C", "D", "E", "F"],
    "obs": [30, 55, 20, 100, 41, 9],
    "exp": [25.0, 50.0, 30.0, 80.0, 40.0, 12.0],
})


def test_cqc_sr_by_hand():
    res = funnel(SR_TINY, "unit", "obs", "exp", type="SR", method="spiegelhalter", od="additive")
    o, e = SR_TINY["obs"].to_numpy(float), SR_TINY["exp"].to_numpy(float)
    z = [(math.sqrt(oi / ei) - 1.0) / (1.0 / (2 * math.sqrt(ei))) for oi, ei in zip(o, e)]
    lz, uz = _type7(z, 0.1), _type7(z, 0.9)
    zw = [min(max(v, lz), uz) for v in z]
    n = len(zw)
    phi = sum(v * v for v in zw) / n
    w = [4 * ei for ei in e]  # 1/s^2 with s = 1/(2 sqrt(E))
    tau2 = max(0.0, (n * phi - (n - 1)) / (sum(w) - sum(x * x for x in w) / sum(w)))
    u = res.units.set_index("group")
    assert np.allclose(u["z"].to_numpy(), z, rtol=1e-12)
    assert np.allclose(u["z_trimmed"].to_numpy(), zw, rtol=1e-12)
    assert res.phi == pytest.approx(phi, rel=1e-12)
    assert res.tau2 == pytest.approx(tau2, rel=1e-12)
    assert tau2 > 0 and res.od_adjusted
    # default style squares the root-scale limit back to the ratio scale
    sd = math.sqrt(1 / (4 * 80.0) + tau2)
    assert u.loc["D", "ul95"] == pytest.approx((1 + Z95 * sd) ** 2, rel=1e-12)
    assert u.loc["D", "ll998"] == pytest.approx(max(0.0, 1 - Z998 * sd) ** 2, rel=1e-12)
    # winsorising flags: the smallest and largest z sit at/over the quantiles
    assert u["trimmed"].sum() == 2


def test_shmi_truncation_ranks_by_hand():
    z = np.array([0.3, -2.0, 5.0, 1.1, -0.4, 0.0, 2.2, -1.5, 0.7, 3.3, -0.9, 1.8])  # N = 12
    z_w, dropped, rank, sp = truncate(z, 0.1)
    # rank of each z (no ties) and sp = floor(rank * 10 / 13); keep 0 < sp < 9
    expected_rank = np.argsort(np.argsort(z)) + 1
    assert (rank == expected_rank).all()
    assert (sp == np.floor(expected_rank * 10 / 13)).all()
    # rank 1 -> sp 0 (dropped), rank 12 -> sp 9 (dropped), ranks 2..11 -> sp 1..8 (kept)
    assert set(z[dropped]) == {-2.0, 5.0}
    assert np.isnan(z_w[dropped]).all() and (z_w[~dropped] == z[~dropped]).all()


def test_ties_get_average_rank():
    z = np.array([1.0, 1.0, 0.0, 2.0, 3.0])
    _, _, rank, _ = truncate(z, 0.1)
    assert list(rank) == [2.5, 2.5, 1.0, 4.0, 5.0]


def test_winsorise_by_hand():
    z = np.array([-10.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 50.0, 7.0])
    z_w, flagged = winsorise(z, 0.1)
    lz, uz = _type7(list(z), 0.1), _type7(list(z), 0.9)
    assert lz == pytest.approx(-1.0) and uz == pytest.approx(7.0)
    assert z_w[0] == lz and z_w[9] == uz and z_w[4] == 2.0
    assert flagged.sum() == 4  # -10 and 50 moved; -1 and 7 sit exactly on the quantiles


def test_multiplicative_limits():
    res = funnel(SR_TINY, "unit", "obs", "exp", type="SR", method="shmi", od="multiplicative")
    u = res.units.set_index("group")
    assert res.n_used * res.phi > res.n_used - 1 and res.od_adjusted
    e = 80.0
    assert u.loc["D", "ul95"] == pytest.approx(math.exp(Z95 * math.sqrt(res.phi) / math.sqrt(e)), rel=1e-12)


def test_no_overdispersion_uses_exact_limits():
    # counts exactly at expectation: phi = 0, tau2 = 0, limits are the unadjusted exact ones
    d = pd.DataFrame({"g": list("ABCDE"), "o": [10, 20, 30, 40, 50], "e": [10.0, 20.0, 30.0, 40.0, 50.0]})
    res = funnel(d, "g", "o", "e", type="SR", method="shmi")
    assert res.tau2 == 0 and not res.od_adjusted
    u = res.units
    assert np.allclose(u["ll95"], u["ll95_unadj"]) and (u["band"] == BAND_AS).all()


def _binomial_quantile_limit(n: int, p0: float, prob: float) -> float:
    """Spiegelhalter's interpolated limit written from the definition with math.comb."""
    cdf = 0.0
    for r in range(n + 1):
        prev = cdf
        cdf += math.comb(n, r) * p0 ** r * (1 - p0) ** (n - r)
        if cdf >= prob:
            alpha = (cdf - prob) / (cdf - prev)
            return (r - alpha) / n
    return 1.0


@pytest.mark.parametrize("n,p0", [(20, 0.3), (50, 0.82), (137, 0.05), (400, 0.5)])
def test_exact_binomial_limits_by_hand(n, p0):
    for prob in (0.001, 0.025, 0.975, 0.999):
        got = float(interpolated_quantile_limits(np.array([n]), p0, prob, "binomial")[0])
        assert got == pytest.approx(_binomial_quantile_limit(n, p0, prob), abs=1e-9)


def test_exact_poisson_limit_by_hand():
    # Poisson(E = 10), upper 97.5%: F(16) = 0.9730 < 0.975 <= F(17) = 0.9857 -> r_p = 17
    mu = 10.0
    cdf = [sum(math.exp(-mu) * mu ** k / math.factorial(k) for k in range(r + 1)) for r in range(30)]
    assert cdf[16] < 0.975 <= cdf[17]
    alpha = (cdf[17] - 0.975) / (cdf[17] - cdf[16])
    got = float(interpolated_quantile_limits(np.array([mu]), 1.0, 0.975, "poisson")[0])
    assert got == pytest.approx((17 - alpha) / mu, abs=1e-12)


def test_garwood_textbook_value():
    lo, hi = garwood_interval(np.array([10.0, 0.0]))
    assert lo[0] == pytest.approx(4.795, abs=5e-4) and hi[0] == pytest.approx(18.39, abs=5e-3)
    assert lo[1] == 0.0 and hi[1] == pytest.approx(3.689, abs=5e-4)


def test_banding_and_outliers():
    d = pd.DataFrame({"g": [f"T{i}" for i in range(12)],
                      "o": [100, 98, 103, 95, 101, 99, 97, 104, 102, 96, 160, 50],
                      "e": [100.0] * 12})
    res = funnel(d, "g", "o", "e", type="SR", method="shmi", od="additive")
    u = res.units.set_index("group")
    assert u.loc["T10", "band"] == BAND_HIGH and u.loc["T11", "band"] == BAND_LOW
    assert u.loc["T0", "band"] == BAND_AS
    assert u.loc["T10", "outlier"] == "high" and u.loc["T11", "outlier"] == "low"


def test_input_errors():
    with pytest.raises(InputError, match="not found"):
        funnel(SR_TINY, "unit", "nope", "exp", type="SR")
    with pytest.raises(InputError, match="PR, SR or RC"):
        funnel(SR_TINY, "unit", "obs", "exp", type="XX")
    bad = SR_TINY.assign(exp=[0.0, 1, 1, 1, 1, 1])
    with pytest.raises(InputError, match="> 0"):
        funnel(bad, "unit", "obs", "exp", type="SR")
    with pytest.raises(InputError, match="exceeds"):
        funnel(SR_TINY.assign(exp=[1.0] * 6), "unit", "obs", "exp", type="PR")


def test_rc_runs():
    d = pd.DataFrame({"g": list("ABCDEF"), "y": [30, 40, 25, 60, 80, 10], "n": [100, 120, 90, 150, 200, 50]})
    res = funnel(d, "g", "y", "n", type="RC")
    assert np.isfinite(res.units["z"]).all()
    assert (res.limits["ll95"] < res.target).all() and (res.limits["ul95"] > res.target).all()


# ---- properties ------------------------------------------------------------------------------

units_strategy = st.lists(
    st.tuples(st.integers(min_value=20, max_value=5000), st.floats(min_value=0.05, max_value=0.95)),
    min_size=5, max_size=40,
)


def _frame(units):
    return pd.DataFrame({"g": [f"U{i:03d}" for i in range(len(units))],
                         "y": [round(n * p) for n, p in units], "n": [n for n, _ in units]})


@settings(max_examples=40, deadline=None)
@given(units_strategy, st.sampled_from(["additive", "multiplicative", "none"]))
def test_limits_widen_as_denominator_falls(units, od):
    res = funnel(_frame(units), "g", "y", "n", type="PR", od=od, unadjusted="normal")
    lim = res.limits.sort_values("denominator")
    width95 = (lim["ul95"] - lim["ll95"]).to_numpy()
    # never narrower at a smaller denominator (equality only where clipped at 0 or 1)
    assert (np.diff(width95) <= 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(units_strategy, st.sampled_from(["additive", "multiplicative", "none"]),
       st.sampled_from(["exact", "normal"]))
def test_998_contains_95(units, od, unadj):
    res = funnel(_frame(units), "g", "y", "n", type="PR", od=od, unadjusted=unadj)
    for frame in (res.units, res.limits):
        assert (frame["ll998"] <= frame["ll95"] + 1e-12).all()
        assert (frame["ul998"] >= frame["ul95"] - 1e-12).all()
        assert (frame["ll95"] <= frame["target"] + 1e-12).all() and (frame["ul95"] >= frame["target"] - 1e-12).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-6, 6), st.floats(0.01, 2.0)), min_size=2, max_size=60))
def test_tau2_zero_iff_n_phi_le_n_minus_1(zs):
    z = np.array([a for a, _ in zs])
    s = np.array([b for _, b in zs])
    w = 1 / s ** 2
    if w.sum() - (w ** 2).sum() / w.sum() <= 1e-9 * w.sum():  # all weights equal: undefined ratio
        return
    phi, tau2, n = dispersion(z, s)
    assert (tau2 == 0) == (n * phi <= n - 1)


@settings(max_examples=60, deadline=None)
@given(st.floats(min_value=0.02, max_value=0.98), st.integers(min_value=10, max_value=5000),
       st.sampled_from([(0.025, 0.975), (0.001, 0.999)]))
def test_exact_limit_width_grows_as_denominator_falls(p0, start, probs):
    # Spiegelhalter's interpolated exact limits: each limit may wiggle a little between
    # neighbouring n (discreteness), but the funnel's width never grows with n. Where the lower
    # limit is floored at 0 (tiny n x p0) only the upper limit moves, and its own wiggle shows,
    # so those n are excluded.
    n = np.arange(start, start + 400)
    for family, target in (("binomial", p0), ("poisson", 1.0)):
        lo = interpolated_quantile_limits(n, target, probs[0], family)
        hi = interpolated_quantile_limits(n, target, probs[1], family)
        unfloored = (lo[:-1] > 0) & (lo[1:] > 0)
        assert (np.diff(hi - lo)[unfloored] <= 1e-12).all()


def test_shmi_zero_death_units_are_truncated_consistently():
    # 20 units, 5 with no deaths: their z = ln(0) = -inf ties at average rank 3, so
    # sp = floor(3 * 10 / 21) = 1, inside the kept range 0 < sp < 9. Before the fix they were
    # reported as kept (trimmed False) yet silently left out of phi and n_used.
    rng = np.random.default_rng(4)
    expected = np.round(rng.uniform(5, 40, 20), 2)
    observed = np.round(expected * rng.uniform(0.6, 1.6, 20))
    observed[:5] = 0
    data = pd.DataFrame({"g": [f"U{i:02d}" for i in range(20)], "o": observed, "e": expected})
    res = funnel(data, "g", "o", "e", type="SR", method="shmi", od="additive")
    u = res.units
    zero = u["numerator"] == 0
    assert (u.loc[zero, "rank"] == 3).all() and (u.loc[zero, "sp"] == 1).all()
    assert u.loc[zero, "trimmed"].all() and u.loc[zero, "z_trimmed"].isna().all()
    kept = ~u["trimmed"]
    assert res.n_used == int(kept.sum())
    # phi by hand from the kept units: mean of z^2 with z = sqrt(E) ln(O/E) (docs/methods.md 3.1-3.2)
    z_kept = np.sqrt(u.loc[kept, "denominator"]) * np.log(u.loc[kept, "numerator"] / u.loc[kept, "denominator"])
    assert res.phi == pytest.approx(float(np.mean(z_kept ** 2)), rel=1e-12)
    # the non-zero units' truncation follows the rank rule unchanged
    other = ~zero
    by_rule = ~((u["sp"] > 0) & (u["sp"] < 9))
    assert (u.loc[other, "trimmed"] == by_rule[other]).all()
