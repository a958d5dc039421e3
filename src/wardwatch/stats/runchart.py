"""Run charts and the Anhoej runs analysis, vectorised over all segments.

Anhoej rules (docs/methods.md 2.6; Anhoej & Olesen 2014, PLoS ONE 9(11):e113825; qicharts2
``runs.analysis``): relative to the centre line, points exactly on it are dropped and the rest
(the *useful* observations, n) form runs of consecutive points on the same side.

- Unusually long run: longest run > round(log2(n)) + 3 (Schilling 2012).
- Too few crossings: crossings = runs - 1 < the 5% quantile of Binomial(n - 1, 0.5) (Chen 2010).

Either signals non-random variation. A run chart's centre is the median of the baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from wardwatch.stats.spc_constants import RUNS_CROSSINGS_QUANTILE, RUNS_LONGEST_OFFSET
from wardwatch.stats.spc_limits import Limits
from wardwatch.stats.spc_segments import Layout, segment_median


@dataclass(frozen=True)
class RunsAnalysis:
    """Per-segment Anhoej statistics plus a per-row flag for points in an unusually long run.

    Segment arrays: ``n_useful`` (points not on the centre), ``longest_run``,
    ``longest_run_max``, ``crossings``, ``crossings_min`` (NaN when n_useful == 0) and
    ``signal``. Row arrays: ``long_run`` (point belongs to a run longer than longest_run_max).
    """

    n_useful: np.ndarray
    longest_run: np.ndarray
    longest_run_max: np.ndarray
    crossings: np.ndarray
    crossings_min: np.ndarray
    signal: np.ndarray
    long_run: np.ndarray


def run_chart_limits(layout: Layout, y: np.ndarray) -> Limits:
    """Run chart: median centre line of the baseline, no limits."""
    centre = segment_median(layout, y, layout.baseline)[layout.seg]
    nan = np.full(y.size, np.nan)
    return Limits(centre, nan, nan.copy(), nan.copy(), nan.copy())


def longest_run_max(n_useful: np.ndarray) -> np.ndarray:
    """round(log2(n)) + 3 (R and NumPy both round half to even); NaN for n = 0."""
    n = np.asarray(n_useful, dtype=float)
    with np.errstate(divide="ignore"):
        out = np.round(np.log2(n)) + RUNS_LONGEST_OFFSET
    return np.where(n > 0, out, np.nan)


def crossings_min(n_useful: np.ndarray) -> np.ndarray:
    """qbinom(0.05, n - 1, 0.5): the smallest k with P(X <= k) >= 0.05, X ~ Bin(n - 1, 1/2).

    scipy's ppf is checked against the CDF and nudged by one where rounding disagrees, so the
    result is the exact quantile definition R uses.
    """
    # many segments share a length: evaluate the quantile once per distinct n
    distinct, inverse = np.unique(np.asarray(n_useful, dtype=float), return_inverse=True)
    trials = np.maximum(distinct - 1, 0)
    k = stats.binom.ppf(RUNS_CROSSINGS_QUANTILE, trials, 0.5)
    k = np.where(stats.binom.cdf(k - 1, trials, 0.5) >= RUNS_CROSSINGS_QUANTILE, k - 1, k)
    k = np.where(stats.binom.cdf(k, trials, 0.5) < RUNS_CROSSINGS_QUANTILE, k + 1, k)
    return np.where(distinct > 0, np.maximum(k, 0), np.nan)[inverse.reshape(-1)]


def runs_analysis(layout: Layout, y: np.ndarray, centre: np.ndarray) -> RunsAnalysis:
    """Anhoej runs analysis of every segment relative to its (row-aligned) centre line."""
    n_seg = layout.n_segments
    side = np.sign(y - centre)
    useful_rows = np.flatnonzero(np.nan_to_num(side) != 0)
    seg = layout.seg[useful_rows]
    s = side[useful_rows]
    starts = np.ones(useful_rows.size, dtype=bool)
    if useful_rows.size > 1:
        starts[1:] = (seg[1:] != seg[:-1]) | (s[1:] != s[:-1])
    run_id = np.cumsum(starts) - 1
    run_length = np.bincount(run_id)
    run_seg = seg[starts]

    n_useful = np.bincount(seg, minlength=n_seg).astype(float)
    n_runs = np.bincount(run_seg, minlength=n_seg).astype(float)
    # runs are contiguous by segment: a max-reduce over each segment's block of runs
    longest = np.zeros(n_seg)
    if run_seg.size:
        block_start = np.flatnonzero(np.r_[True, run_seg[1:] != run_seg[:-1]])
        longest[run_seg[block_start]] = np.maximum.reduceat(run_length, block_start)
    has = n_useful > 0
    longest = np.where(has, longest, np.nan)
    lmax = longest_run_max(n_useful)
    crossings = np.where(has, np.maximum(n_runs - 1, 0), np.nan)
    cmin = crossings_min(n_useful)
    signal = has & ((longest > lmax) | (crossings < cmin))

    long_run = np.zeros(y.size, dtype=bool)
    long_run[useful_rows] = run_length[run_id] > lmax[seg]
    return RunsAnalysis(n_useful, longest, lmax, crossings, cmin, signal, long_run)
