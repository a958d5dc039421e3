"""Funnel limits on enormous denominators (issue 12): exact quantiles give way to the normal
approximation where they are pointless, so `funnel` neither hangs nor returns NaN limits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from wardwatch.stats import funnel as funnel_module
from wardwatch.stats.exact import interpolated_quantile_limits
from wardwatch.stats.funnel import count_quantile_limits, funnel


@pytest.mark.parametrize("family, target", [("binomial", 0.3), ("binomial", 0.01), ("binomial", 0.97),
                                            ("poisson", 1.0), ("poisson", 0.2)])
@pytest.mark.parametrize("prob", [0.001, 0.025, 0.975, 0.999])
def test_approximation_matches_exact_where_exact_still_works(family, target, prob, monkeypatch):
    # counts with variance 1e5 .. 1e8: scipy's exact quantiles are still reliable there. The
    # approximation's error is O(1/sd) counts (next Cornish-Fisher term), so 0.01 counts is loose.
    n = np.array([1e6, 1e7, 1e8, 3e8]) / (target * (1 - target) if family == "binomial" else target)
    exact = interpolated_quantile_limits(n, target, prob, family)
    monkeypatch.setattr(funnel_module, "NORMAL_FROM_VARIANCE", 0.0)  # force the approximation
    approx = count_quantile_limits(n, target, prob, family)
    scale = np.maximum(np.rint(n), 1.0) if family == "binomial" else n
    assert np.all(np.abs(approx - exact) * scale < 0.01)


@pytest.mark.parametrize("family", ["binomial", "poisson"])
def test_huge_denominators_give_finite_limits_near_the_normal_formula(family):
    target = 0.3
    n = np.array([1e16, 3e17, 1e18, 1e20])
    for prob in (0.001, 0.999):
        limit = count_quantile_limits(n, target, prob, family)
        variance = target * (1 - target) / n if family == "binomial" else target / n
        by_hand = target + stats.norm.ppf(prob) * np.sqrt(variance)  # Spiegelhalter (2005) eq. 1
        assert np.all(np.isfinite(limit))
        assert np.allclose(limit, by_hand, rtol=1e-12, atol=0)


@pytest.mark.parametrize("ftype", ["PR", "SR"])
def test_funnel_on_denominators_of_1e16_and_more(ftype):
    data = pd.DataFrame({
        "g": ["A", "B", "C", "D", "E"],
        "y": [1e15, 3e15, 2.9e16, 3e17, 2.5e19],
        "n": [1e16, 2e16, 1e17, 1e18, 1e20],
    })
    if ftype == "SR":
        data["n"] = data["y"] * np.array([1.0, 1.1, 0.9, 1.0, 1.02])
    result = funnel(data, "g", "y", "n", type=ftype, od="none")
    limits = result.units[["ll998_unadj", "ll95_unadj", "ul95_unadj", "ul998_unadj"]].to_numpy()
    assert np.all(np.isfinite(limits))
    assert np.all(np.diff(limits, axis=1) > 0)  # 99.8% outside 95% on both sides
    assert np.all(np.isfinite(result.limits[["ll95", "ul95"]].to_numpy()))


def test_infinite_or_overflowing_values_are_refused():
    from wardwatch.errors import InputError

    data = pd.DataFrame({"g": ["A", "B", "C"], "y": [1.0, 2.0, 3.0], "n": [np.inf, 10.0, 10.0]})
    with pytest.raises(InputError, match="finite"):
        funnel(data, "g", "y", "n")
    data["n"] = [1e308, 1e308, 1e308]  # each finite, the total overflows
    with pytest.raises(InputError, match="finite"):
        funnel(data, "g", "y", "n")
