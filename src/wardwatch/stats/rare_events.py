"""Rare-event charts: g chart (cases between events) and t chart (time between events).

- g chart (Benneyan 2001, "Number-between g-type statistical quality control charts for
  monitoring adverse events", Health Care Manag Sci 4:305-318; docs/methods.md 7.1): y_i = number of
  cases (or days) between consecutive events, geometric on {0, 1, 2, ...} with
  p-hat = 1 / (g-bar + 1) from the baseline mean g-bar, P(Y > k) = (1 - p)^(k + 1).
  ``g_method="probability"`` (default): **probability limits**. The upper process limit is the
  smallest whole k with P(Y > k) <= 0.00135 (the normal tail beyond 3 sigma), the upper near limit
  the same with 0.02275 (beyond 2 sigma); a lower limit is the largest whole k with
  P(Y < k) <= the tail, which exists (k >= 1) only when P(Y = 0) = p-hat is below the tail, i.e.
  g-bar >= 740 (process) or 43 (near); otherwise it is 0 and cannot be crossed. The centre line is
  the **baseline median** (not the fitted median ln(0.5) / ln(1 - p-hat): around the sample
  median the shift rule is a distribution-free runs test, which stays valid when the gaps are
  more variable than geometric; simulation in the method page). The MDC rules run around it
  (shift, trend, two-in-three with the probability near limits), and a rise in the event rate is
  tested by a run of ``G_SHORT_RUN`` (3) consecutive gaps at or below the 10th percentile of the
  fitted distribution (``short_gaps``). Why, and the simulated false-alarm rates and power:
  docs/methods/rare-event-charts.md.
  ``g_method="sigma"`` (qicharts2 ``qic.g`` parity): limits g-bar +/- 3 sqrt(g-bar (g-bar + 1)),
  near +/- 2 sigma, lower limits clipped at 0, centre line the baseline median, no short-gap
  rule. For geometric data the 3 sigma limit is crossed by about 1.8 % of in-control points
  (e^-4): 37-39 % of in-control series of 24 points show a special cause, 34 % a point above
  the upper limit.
- t chart (Nelson 1994, "A control chart for parts-per-million nonconforming items", J Qual
  Technol 26:239-240; qicharts2 ``qic.t``): times between events y_i > 0 are transformed to
  w_i = y_i ** (1/3.6), which is close to normal for exponential times; an XmR chart is built on
  w (centre mean(w), limits +/- 2.66 MR-bar, near +/- 1.7733 MR-bar, optional MR screening) and
  the centre and limits are back-transformed with ** 3.6; a negative transformed lower limit
  becomes 0. The special-cause rules are applied on the transformed scale (``t_rule_scale``),
  where the centre and limits are exact; only the output is back-transformed, so rounding in
  ``** 3.6`` cannot move a point across a limit (a constant series stays common cause).
  Checked by simulation: in-control exponential times false-alarm no more often than normal data
  on an XmR chart (14 % / 32 % of series of 24 / 50 points against 15 % / 36 %), so the t chart
  keeps Nelson's method (docs/methods/rare-event-charts.md).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wardwatch.stats.spc_constants import (
    G_LIMIT_TAIL,
    G_NEAR_TAIL,
    G_SHORT_QUANTILE,
    G_SHORT_RUN,
    SIGMA_LIMIT,
    SIGMA_NEAR,
    T_CHART_POWER,
)
from wardwatch.stats.spc_limits import Limits, sigma_limits, xmr_limits
from wardwatch.stats.spc_rules import run_lengths
from wardwatch.stats.spc_segments import Layout, segment_mean, segment_median

G_METHODS = ("probability", "sigma")


def geometric_log_survival(mean: np.ndarray) -> np.ndarray:
    """ln(1 - p) for p = 1 / (mean + 1), i.e. -ln(1 + 1/mean) (-inf for mean 0: every gap is 0).

    log1p keeps it accurate for long gaps, where 1 - p is close to 1.
    """
    with np.errstate(divide="ignore"):
        return -np.log1p(1.0 / mean)


def geometric_upper(mean: np.ndarray, tail: float) -> np.ndarray:
    """Smallest whole k >= 0 with P(Y > k) = (1 - p)^(k + 1) <= tail."""
    with np.errstate(invalid="ignore"):
        k = np.ceil(np.log(tail) / geometric_log_survival(mean) - 1.0)
    return np.maximum(k, 0.0)


def geometric_lower(mean: np.ndarray, tail: float) -> np.ndarray:
    """Largest whole k >= 0 with P(Y < k) = 1 - (1 - p)^k <= tail (0: no lower limit, as
    y < 0 cannot happen)."""
    with np.errstate(invalid="ignore"):
        k = np.floor(np.log1p(-tail) / geometric_log_survival(mean))
    return np.maximum(k, 0.0)


def short_gap_bound(mean: np.ndarray, quantile: float = G_SHORT_QUANTILE) -> np.ndarray:
    """Largest whole b with P(Y <= b) = 1 - (1 - p)^(b + 1) <= quantile; -1 when even
    P(Y = 0) = p exceeds it (mean gap < 9 for the 10 % quantile): then no gap is short."""
    return geometric_lower(mean, quantile) - 1.0


def run_probability(n: int, k: int, q: float) -> float:
    """Exact probability that n independent points, each "short" with probability q, contain a
    run of at least k consecutive short points (a Markov chain on the current run length).

    Used to choose ``G_SHORT_RUN`` and to check the simulation against (no approximation).
    """
    state = np.zeros(k + 1)  # state[j]: current run j < k; state[k]: a run of k has occurred
    state[0] = 1.0
    for _ in range(n):
        nxt = np.zeros(k + 1)
        nxt[0] = (1.0 - q) * state[:k].sum()
        nxt[1 : k + 1] += q * state[:k]
        nxt[k] += state[k]
        state = nxt
    return float(state[k])


def g_limits(layout: Layout, y: np.ndarray, method: str = "probability") -> Limits:
    """g chart limits per row (see the module docstring): geometric probability limits, or
    (``method="sigma"``, qicharts2) g-bar +/- 3 sigma; the centre is the baseline median."""
    mean = segment_mean(layout, y, layout.baseline)[layout.seg]
    median = segment_median(layout, y, layout.baseline)[layout.seg]
    if method == "probability":
        return Limits(
            centre=median,
            lpl=geometric_lower(mean, G_LIMIT_TAIL),
            upl=geometric_upper(mean, G_LIMIT_TAIL),
            lower_near=geometric_lower(mean, G_NEAR_TAIL),
            upper_near=geometric_upper(mean, G_NEAR_TAIL),
        )
    sigma = np.sqrt(mean * (mean + 1.0))
    limits = sigma_limits(mean, sigma, limit=SIGMA_LIMIT, near=SIGMA_NEAR, lower_bound=0.0)
    return replace(limits, centre=median)


def g_short_gaps(layout: Layout, y: np.ndarray, run: int = G_SHORT_RUN) -> np.ndarray:
    """Points in a run of >= ``run`` consecutive gaps at or below the short-gap bound (the 10th
    percentile of the geometric distribution fitted to the segment's baseline), within a segment."""
    mean = segment_mean(layout, y, layout.baseline)[layout.seg]
    short = y <= short_gap_bound(mean)
    return short & (run_lengths(short, layout) >= run)


def t_transform(y: np.ndarray) -> np.ndarray:
    """Nelson's transformation of times between events: y ** (1/3.6)."""
    return y ** (1.0 / T_CHART_POWER)


def t_rule_scale(layout: Layout, y: np.ndarray, screen: bool) -> tuple[np.ndarray, Limits]:
    """Transformed values w = y ** (1/3.6) and their XmR limits: the scale the rules run on."""
    transformed = t_transform(y)
    return transformed, xmr_limits(layout, transformed, screen)


def t_back_transform(limits: Limits) -> Limits:
    """Limits on the original scale: ** 3.6, a negative transformed limit becomes 0."""

    def back(v: np.ndarray) -> np.ndarray:
        return np.where(v < 0, 0.0, np.maximum(v, 0.0) ** T_CHART_POWER)

    return Limits(
        centre=back(limits.centre),
        lpl=back(limits.lpl),
        upl=back(limits.upl),
        lower_near=back(limits.lower_near),
        upper_near=back(limits.upper_near),
    )


def t_limits(layout: Layout, y: np.ndarray, screen: bool) -> Limits:
    """t chart limits on the original scale: XmR on y ** (1/3.6), back-transformed with ** 3.6."""
    return t_back_transform(t_rule_scale(layout, y, screen)[1])
