"""Flat, sorted layout of many SPC series, and the segment reductions every chart needs.

All series are held in one set of NumPy arrays sorted by (series, x). A *segment* is a rebase
group of one series (docs/methods.md 2.4); segments are contiguous runs of rows and are numbered
0..G-1 over all series, so per-segment statistics are ``np.bincount`` / ``np.add.reduceat``
over the whole data at once: no Python loop per series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layout:
    """Row-aligned arrays for all series (rows sorted by series, then x).

    ``seg``: global segment id of each row; ``seg_start``: first row of each segment;
    ``seg_count``: rows per segment; ``pos``: 0-based position of the row in its segment;
    ``baseline``: row is used for the centre line and limits (first ``fix_after`` rows of its
    segment, or all rows); ``seg_series``: series id of each segment; ``seg_local``: 0-based
    segment number within its series.
    """

    seg: np.ndarray
    seg_start: np.ndarray
    seg_count: np.ndarray
    pos: np.ndarray
    baseline: np.ndarray
    seg_series: np.ndarray
    seg_local: np.ndarray

    @property
    def n_segments(self) -> int:
        return int(self.seg_start.size)

    @property
    def seg_last(self) -> np.ndarray:
        return self.seg_start + self.seg_count - 1

    def baseline_count(self) -> np.ndarray:
        return np.bincount(self.seg, weights=self.baseline, minlength=self.n_segments)


def build_layout(series: np.ndarray, local_segment: np.ndarray, fix_after: int | None) -> Layout:
    """Segment ids for rows already sorted by (series, x).

    ``series`` are series ids (non-decreasing); ``local_segment`` the rebase group of each row
    within its series (non-decreasing within a series, need not start at 0 or be dense).
    """
    size = series.size
    new_seg = np.ones(size, dtype=bool)
    if size > 1:
        new_seg[1:] = (series[1:] != series[:-1]) | (local_segment[1:] != local_segment[:-1])
    seg = np.cumsum(new_seg) - 1
    seg_start = np.flatnonzero(new_seg)
    seg_count = np.diff(np.append(seg_start, size))
    pos = np.arange(size) - seg_start[seg]
    baseline = np.ones(size, dtype=bool) if fix_after is None else pos < fix_after
    seg_series = series[seg_start]
    # dense 0-based numbering of the segments inside each series
    first_of_series = np.ones(seg_start.size, dtype=bool)
    first_of_series[1:] = seg_series[1:] != seg_series[:-1]
    series_first_seg = np.flatnonzero(first_of_series)
    seg_local = np.arange(seg_start.size) - np.repeat(
        series_first_seg, np.diff(np.append(series_first_seg, seg_start.size))
    )
    return Layout(seg, seg_start, seg_count, pos, baseline, seg_series, seg_local)


def segment_sum(layout: Layout, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Sum of ``values`` over each segment (only rows where ``mask``)."""
    weights = values if mask is None else np.where(mask, values, 0.0)
    return np.bincount(layout.seg, weights=weights, minlength=layout.n_segments)


def segment_mean(layout: Layout, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over the rows of each segment where ``mask`` (NaN when none).

    Two passes, as R's ``mean()``: m = sum / count, then m + mean(values - m). The correction
    removes the rounding of the running sum, so a constant segment has exactly its value as
    mean (a one-pass mean of twelve 83.7s is 83.70000000000002, which put every point of a
    constant XmR chart "outside" limits that had collapsed onto it).
    """
    count = np.bincount(layout.seg, weights=mask.astype(float), minlength=layout.n_segments)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = segment_sum(layout, values, mask) / count
        residual = np.where(mask, values - first[layout.seg], 0.0)
        correction = np.bincount(layout.seg, weights=residual, minlength=layout.n_segments) / count
    # a non-finite first pass (inf values) has no meaningful correction: keep it as it is
    return np.where(np.isfinite(first), first + correction, first)


def baseline_moving_ranges(layout: Layout, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moving ranges |v_i - v_{i-1}| between consecutive baseline rows of the same segment.

    Returns (mr, valid) aligned with rows: the moving range ending at row i, and whether it
    exists (i is a baseline row and not the first row of its segment). The baseline is a prefix
    of each segment, so row i-1 is then a baseline row too.
    """
    mr = np.zeros(values.size)
    if values.size > 1:
        mr[1:] = np.abs(np.diff(values))
    valid = layout.baseline & (layout.pos > 0)
    return mr, valid


def mean_moving_range(layout: Layout, values: np.ndarray, screen: bool, screen_factor: float) -> np.ndarray:
    """Mean moving range of each segment's baseline, optionally screened (docs/methods.md 2.1).

    Screening (Nelson 1982, as NHSRplotthedots): moving ranges >= ``screen_factor`` x their mean
    are dropped and the mean is recomputed once. When every moving range is 0 there is nothing
    to screen (``mr < 3.267 x 0`` would drop them all and leave no mean): they are all kept.
    """
    mr, valid = baseline_moving_ranges(layout, values)
    amr = segment_mean(layout, mr, valid)
    if screen:
        amr_row = amr[layout.seg]
        keep = valid & ((mr < screen_factor * amr_row) | (amr_row == 0))
        amr = segment_mean(layout, mr, keep)
    return amr


def segment_median(layout: Layout, values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Median of ``values`` over rows of each segment where ``mask`` (NaN when none).

    One lexsort over all rows (segment, masked-out last, value), then the middle one or two
    values of each segment's masked block.
    """
    order = np.lexsort((values, ~mask, layout.seg))
    sorted_values = values[order]
    count = np.bincount(layout.seg, weights=mask.astype(float), minlength=layout.n_segments).astype(np.int64)
    start = layout.seg_start
    has = count > 0
    low = start + np.maximum(count - 1, 0) // 2
    high = start + np.maximum(count, 1) // 2
    high = np.where(has, high, start)
    median = 0.5 * (sorted_values[low] + sorted_values[high])
    return np.where(has, median, np.nan)
