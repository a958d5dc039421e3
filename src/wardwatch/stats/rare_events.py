"""Rare-event charts: g chart (cases between events) and t chart (time between events).

- g chart (Benneyan 2001, "Number-between g-type statistical quality control charts for
  monitoring adverse events", Health Care Manag Sci 4:305-318; Montgomery, Introduction to SQC,
  geometric distribution): y_i = number of cases (or days) between consecutive events; centre
  g-bar = mean(y) of the baseline; sigma = sqrt(g-bar (g-bar + 1)) (standard deviation of the
  geometric distribution with mean g-bar); limits g-bar +/- 3 sigma, near limits +/- 2 sigma,
  lower limits clipped at 0. The centre line is the **median** of the baseline (as qicharts2
  draws it): geometric data are skewed, so about half the points lie above the median but only
  ~37% above the mean, and a shift / runs analysis around the mean fires on in-control data
  (about one series in five of 24 points). The limits stay built around the mean (see
  docs/deviations.md).
- t chart (Nelson 1994, "A control chart for parts-per-million nonconforming items", J Qual
  Technol 26:239-240; qicharts2 ``qic.t``): times between events y_i > 0 are transformed to
  w_i = y_i ** (1/3.6), which is close to normal for exponential times; an XmR chart is built on
  w (centre mean(w), limits +/- 2.66 MR-bar, near +/- 1.7733 MR-bar, optional MR screening) and
  the centre and limits are back-transformed with ** 3.6; a negative transformed lower limit
  becomes 0. The special-cause rules are applied on the transformed scale (``t_rule_scale``),
  where the centre and limits are exact; only the output is back-transformed, so rounding in
  ``** 3.6`` cannot move a point across a limit (a constant series stays common cause).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wardwatch.stats.spc_constants import SIGMA_LIMIT, SIGMA_NEAR, T_CHART_POWER
from wardwatch.stats.spc_limits import Limits, sigma_limits, xmr_limits
from wardwatch.stats.spc_segments import Layout, segment_mean, segment_median


def g_limits(layout: Layout, y: np.ndarray) -> Limits:
    """g chart: limits g-bar +/- 3 sqrt(g-bar (g-bar + 1)) from the baseline mean g-bar, centre
    line the baseline median (qicharts2 ``qic.g``; Benneyan 2001)."""
    mean = segment_mean(layout, y, layout.baseline)[layout.seg]
    sigma = np.sqrt(mean * (mean + 1.0))
    limits = sigma_limits(mean, sigma, limit=SIGMA_LIMIT, near=SIGMA_NEAR, lower_bound=0.0)
    median = segment_median(layout, y, layout.baseline)[layout.seg]
    return replace(limits, centre=median)


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
