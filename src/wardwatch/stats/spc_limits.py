"""Centre lines and limits of the XmR (individuals) chart, per row, for all segments at once.

Formulas (docs/methods.md 2.1, NHSRplotthedots R/ptd_spc_standard.R): for the baseline rows of a
segment, CL = mean(y); MR_i = |y_i - y_{i-1}|; MR-bar = mean(MR) (optionally screened, Nelson
1982); process limits CL +/- 2.66 MR-bar; near (2 sigma) limits CL +/- (2/3)(2.66) MR-bar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wardwatch.stats.spc_constants import MR_SCREEN, XMR_LIMIT, XMR_NEAR
from wardwatch.stats.spc_segments import Layout, mean_moving_range, segment_mean


@dataclass(frozen=True)
class Limits:
    """Row-aligned centre line and limits (NaN where a chart has no limits)."""

    centre: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    lower_near: np.ndarray
    upper_near: np.ndarray


def xmr_limits(layout: Layout, y: np.ndarray, screen: bool) -> Limits:
    """XmR limits: CL +/- 2.66 MR-bar and CL +/- 1.7733 MR-bar per segment (docs/methods.md 2.1)."""
    centre_seg = segment_mean(layout, y, layout.baseline)
    amr_seg = mean_moving_range(layout, y, screen, MR_SCREEN)
    centre = centre_seg[layout.seg]
    amr = amr_seg[layout.seg]
    return Limits(
        centre=centre,
        lpl=centre - XMR_LIMIT * amr,
        upl=centre + XMR_LIMIT * amr,
        lower_near=centre - XMR_NEAR * amr,
        upper_near=centre + XMR_NEAR * amr,
    )


def sigma_limits(
    centre: np.ndarray,
    sigma: np.ndarray,
    *,
    limit: float,
    near: float,
    lower_bound: float | None = None,
    upper_bound: float | None = None,
) -> Limits:
    """Limits centre +/- limit*sigma and centre +/- near*sigma, clipped to [lower, upper] bounds."""
    lpl = centre - limit * sigma
    upl = centre + limit * sigma
    lower_near = centre - near * sigma
    upper_near = centre + near * sigma
    if lower_bound is not None:
        lpl = np.where(lpl < lower_bound, lower_bound, lpl)
        lower_near = np.where(lower_near < lower_bound, lower_bound, lower_near)
    if upper_bound is not None:
        upl = np.where(upl > upper_bound, upper_bound, upl)
        upper_near = np.where(upper_near > upper_bound, upper_bound, upper_near)
    return Limits(centre, lpl, upl, lower_near, upper_near)
