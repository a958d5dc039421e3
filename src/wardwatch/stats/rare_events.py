"""Rare-event charts: g chart (cases between events) and t chart (time between events).

- g chart (Benneyan 2001, "Number-between g-type statistical quality control charts for
  monitoring adverse events", Health Care Manag Sci 4:305-318; Montgomery, Introduction to SQC,
  geometric distribution): y_i = number of cases (or days) between consecutive events; centre
  g-bar = mean(y) of the baseline; sigma = sqrt(g-bar (g-bar + 1)) (standard deviation of the
  geometric distribution with mean g-bar); limits g-bar +/- 3 sigma, near limits +/- 2 sigma,
  lower limits clipped at 0. (qicharts2 draws the median as centre line; we keep the mean, the
  centre the limits are built around: see docs/deviations.md.)
- t chart (Nelson 1994, "A control chart for parts-per-million nonconforming items", J Qual
  Technol 26:239-240; qicharts2 ``qic.t``): times between events y_i > 0 are transformed to
  w_i = y_i ** (1/3.6), which is close to normal for exponential times; an XmR chart is built on
  w (centre mean(w), limits +/- 2.66 MR-bar, near +/- 1.7733 MR-bar, optional MR screening) and
  the centre and limits are back-transformed with ** 3.6; a negative transformed lower limit
  becomes 0.
"""

from __future__ import annotations

import numpy as np

from wardwatch.stats.spc_constants import SIGMA_LIMIT, SIGMA_NEAR, T_CHART_POWER
from wardwatch.stats.spc_limits import Limits, sigma_limits, xmr_limits
from wardwatch.stats.spc_segments import Layout, segment_mean


def g_limits(layout: Layout, y: np.ndarray) -> Limits:
    """g chart limits from the geometric distribution (mean-centred)."""
    centre = segment_mean(layout, y, layout.baseline)[layout.seg]
    sigma = np.sqrt(centre * (centre + 1.0))
    return sigma_limits(centre, sigma, limit=SIGMA_LIMIT, near=SIGMA_NEAR, lower_bound=0.0)


def t_limits(layout: Layout, y: np.ndarray, screen: bool) -> Limits:
    """t chart limits: XmR on y ** (1/3.6), back-transformed with ** 3.6."""
    transformed = xmr_limits(layout, y ** (1.0 / T_CHART_POWER), screen)

    def back(v: np.ndarray) -> np.ndarray:
        return np.where(v < 0, 0.0, np.maximum(v, 0.0) ** T_CHART_POWER)

    return Limits(
        centre=back(transformed.centre),
        lpl=back(transformed.lpl),
        upl=back(transformed.upl),
        lower_near=back(transformed.lower_near),
        upper_near=back(transformed.upper_near),
    )
