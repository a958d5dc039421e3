"""Attribute charts: p, Laney p', u, Laney u' and c, vectorised over all segments.

Definitions (docs/methods.md 2.5; qicharts2 0.8.1 ``qic.p``, ``qic.pp``, ``qic.u``, ``qic.up``,
``qic.c``), with y_i events and n_i denominators of the baseline rows of a segment:

- p chart: p-bar = sum(y)/sum(n); sigma_i = sqrt(p-bar (1 - p-bar) / n_i); limits p-bar +/- 3 sigma_i,
  near limits +/- 2 sigma_i, all clipped to [0, 1].
- u chart: u-bar = sum(y)/sum(n); sigma_i = sqrt(u-bar / n_i); lower limits clipped at 0.
- Laney p' / u' (Laney 2002): z_i = (y_i/n_i - CL) / sigma_i on the baseline;
  sigma_z = mean(|z_i - z_{i-1}|) / 1.128 (optionally screened at 3.267 x the mean); limits
  CL +/- 3 sigma_i sigma_z (same clipping as p / u). With p-bar = 0 or 1 (u-bar = 0) sigma_i = 0
  and the limits equal the centre, as for p / u.
- c chart: c-bar = mean(y); limits c-bar +/- 3 sqrt(c-bar), near +/- 2 sqrt(c-bar), lower clipped at 0.

Plotted values are proportions / rates y_i / n_i for p, p', u, u' and counts for c.
"""

from __future__ import annotations

import numpy as np

from wardwatch.stats.spc_constants import D2, MR_SCREEN, SIGMA_LIMIT, SIGMA_NEAR
from wardwatch.stats.spc_limits import Limits, sigma_limits
from wardwatch.stats.spc_segments import Layout, mean_moving_range, segment_mean, segment_sum

ATTRIBUTE_CHARTS = ("p", "pp", "u", "up", "c")


def attribute_limits(
    layout: Layout, chart: str, events: np.ndarray, denominators: np.ndarray | None, screen: bool
) -> tuple[np.ndarray, Limits]:
    """Plotted values and limits of an attribute chart; ``chart`` in p, pp, u, up, c."""
    if chart == "c":
        centre_seg = segment_mean(layout, events, layout.baseline)
        centre = centre_seg[layout.seg]
        sigma = np.sqrt(centre)
        return events, sigma_limits(centre, sigma, limit=SIGMA_LIMIT, near=SIGMA_NEAR, lower_bound=0.0)

    if denominators is None:
        raise ValueError(f"chart {chart!r} needs denominators")
    value = events / denominators
    centre_seg = segment_sum(layout, events, layout.baseline) / segment_sum(
        layout, denominators, layout.baseline
    )
    centre = centre_seg[layout.seg]
    with np.errstate(invalid="ignore", divide="ignore"):
        if chart in ("p", "pp"):
            sigma = np.sqrt(centre * (1.0 - centre) / denominators)
        else:
            sigma = np.sqrt(centre / denominators)
    if chart in ("pp", "up"):
        sigma = sigma * laney_sigma_z(layout, value, centre, sigma, screen)[layout.seg]
    upper = 1.0 if chart in ("p", "pp") else None
    return value, sigma_limits(
        centre, sigma, limit=SIGMA_LIMIT, near=SIGMA_NEAR, lower_bound=0.0, upper_bound=upper
    )


def laney_sigma_z(
    layout: Layout, value: np.ndarray, centre: np.ndarray, sigma: np.ndarray, screen: bool
) -> np.ndarray:
    """Laney's between-subgroup factor sigma_z per segment: mean moving range of z / 1.128.

    A baseline with p-bar = 0 or 1 (or u-bar = 0) has sigma_i = 0 and every baseline value on
    the centre, so z = 0/0: z is taken as 0 there (the value is on the centre line). sigma_z is
    then 0 and the limits collapse onto the centre, exactly as the plain p / u chart's
    (sigma_i = 0) instead of NaN.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(sigma > 0, (value - centre) / sigma, 0.0)
    return mean_moving_range(layout, z, screen, MR_SCREEN) / D2
