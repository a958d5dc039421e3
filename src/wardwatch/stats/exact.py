"""Exact interval helpers shared by the funnel plot and the SMR tables.

Pure NumPy/SciPy, vectorised over arrays.

- ``poisson_ratio_limits_chisq``: the chi-square form of the Poisson limits for an O/E ratio
  used by FunnelPlotR (docs/methods.md 3.1): lower = qchisq(a, 2E)/(2E), upper = qchisq(1-a, 2(E+1))/(2E).
- ``interpolated_quantile_limits``: Spiegelhalter (2005, Stat Med 24:1185, appendix A.1.1) exact
  binomial/Poisson control limits with interpolation between the discrete quantiles: with r_p the
  p-quantile of the null distribution (smallest r with F(r) >= p),
  alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1)) and the limit on the count scale is r_p - alpha.
- ``garwood_interval``: exact (Garwood 1936) confidence interval for a Poisson mean given an
  observed count O: [qchisq(a/2, 2O)/2, qchisq(1-a/2, 2(O+1))/2]; lower bound 0 when O = 0.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

Z95 = 1.959964  # docs/methods.md 3.1, constant as used by FunnelPlotR
Z998 = 3.090232


def poisson_ratio_limits_chisq(expected: np.ndarray, prob: float) -> np.ndarray:
    """Limit of O/E at tail probability ``prob`` (e.g. 0.025 lower, 0.975 upper), chi-square form.

    For ``prob < 0.5`` the lower form qchisq(prob, 2E)/(2E) is used, otherwise the upper form
    qchisq(prob, 2(E+1))/(2E) (FunnelPlotR ``calculate_limits``; docs/methods.md 3.1).
    """
    e = np.asarray(expected, dtype=float)
    if prob < 0.5:
        return stats.chi2.ppf(prob, 2.0 * e) / (2.0 * e)
    return stats.chi2.ppf(prob, 2.0 * (e + 1.0)) / (2.0 * e)


def interpolated_quantile_limits(
    denominator: np.ndarray, target: float, prob: float, family: str
) -> np.ndarray:
    """Spiegelhalter (2005) interpolated exact limit of the *rate* y/n at tail probability ``prob``.

    ``family="binomial"``: y ~ Binomial(n, target), n rounded to an integer; limit (r_p - alpha)/n.
    ``family="poisson"``: y ~ Poisson(target * n) (n = expected count for a ratio); limit
    (r_p - alpha)/n, so with target 1 it is a limit of O/E.
    """
    n = np.asarray(denominator, dtype=float)
    # the distributions' functions are called unfrozen: freezing one formats its docstring, which
    # costs more than the quantiles of a small funnel
    if family == "binomial":
        n_int = np.maximum(np.rint(n), 1.0)
        args: tuple = (n_int, target)
        family_dist = stats.binom
        scale = n_int
    elif family == "poisson":
        args = (target * n,)
        family_dist = stats.poisson
        scale = n
    else:  # pragma: no cover - programming error
        raise ValueError(f"family must be 'binomial' or 'poisson', not {family!r}")
    r_p = family_dist.ppf(prob, *args)
    f_r = family_dist.cdf(r_p, *args)
    f_below = family_dist.cdf(r_p - 1.0, *args)
    step = f_r - f_below
    # step > 0 always (r_p is a support point); guard against underflow in extreme tails
    alpha = np.where(step > 0, (f_r - prob) / np.where(step > 0, step, 1.0), 0.0)
    # when the quantile is 0 the interpolation reaches below 0 (r_p - alpha in (-1, 0]): a rate
    # cannot be negative, and a binomial proportion cannot exceed 1
    limit = np.maximum((r_p - alpha) / scale, 0.0)
    return np.minimum(limit, 1.0) if family == "binomial" else limit


def garwood_interval(observed: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson confidence interval for the mean count given observed counts (Garwood 1936).

    Returns (lower, upper) on the count scale; divide by E for an SMR interval.
    Textbook check: O = 10 gives 4.795 to 18.39 at 95%.
    """
    o = np.asarray(observed, dtype=float)
    a = 1.0 - level
    with np.errstate(invalid="ignore"):
        lower = np.where(o > 0, stats.chi2.ppf(a / 2.0, 2.0 * np.maximum(o, 1e-300)) / 2.0, 0.0)
    upper = stats.chi2.ppf(1.0 - a / 2.0, 2.0 * (o + 1.0)) / 2.0
    return lower, upper
