"""Making Data Count special-cause rules, vectorised over all segments (docs/methods.md 2.2).

Every rule is evaluated within a segment (series x rebase group) on row-aligned arrays:

1. outside limits: y > UPL or y < LPL (strict);
2. trend: ``run_length`` consecutive points each strictly higher (or lower) than the one before;
   ties break a trend; all its points are flagged;
3. two-in-three: in a window of three consecutive points all on the same side of the centre
   (points on the centre break it), at least two are beyond the near (2 sigma) limits; only those
   points are flagged. "mdc_2023" counts points beyond 3 sigma too; "ptd" only points strictly
   between the 2 and 3 sigma limits;
4. shift: ``run_length`` consecutive points on the same side of the centre (a point on the centre
   breaks it); all flagged;
5. short gaps (g charts with probability limits only, rare_events.py): a run of consecutive
   gaps at or below the 10th percentile of the fitted distribution, a rise in the event rate;
   flagged low.

Runs are found with run-length encoding over the whole flat array (breaks where the value changes
or a segment starts), and three-point windows with shifted array views: no loop per series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from wardwatch.stats.spc_limits import Limits
from wardwatch.stats.spc_segments import Layout

SPECIAL_CAUSES = ("none", "outside_limits", "trend", "two_in_three", "shift", "short_gaps")
NONE, OUTSIDE, TREND, TWO_IN_THREE, SHIFT, SHORT_GAPS = range(6)


@dataclass(frozen=True)
class Classification:
    """Row-aligned codes into SPECIAL_CAUSES / POINT_TYPES and the direction (+1 high, -1 low, 0)."""

    special_cause: np.ndarray
    point_type: np.ndarray
    direction: np.ndarray


def run_lengths(values: np.ndarray, layout: Layout) -> np.ndarray:
    """Length of the maximal run of equal ``values`` (within its segment) containing each row."""
    size = values.size
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = layout.pos == 0
    starts[1:] |= values[1:] != values[:-1]
    run_id = np.cumsum(starts) - 1
    return np.bincount(run_id)[run_id]


def side_of_centre(y: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """sign(y - centre) as integers; 0 on the centre line or where undefined."""
    return np.nan_to_num(np.sign(y - centre)).astype(np.int8)


def shift_flags(side: np.ndarray, layout: Layout, run_length: int) -> np.ndarray:
    """Points in a run of >= run_length consecutive points on the same side of the centre."""
    return (side != 0) & (run_lengths(side, layout) >= run_length)


def trend_flags(y: np.ndarray, layout: Layout, run_length: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(up, down, step) for trends of ``run_length`` points; step[i] = sign(y_i - y_{i-1}) or 0.

    A trend of L points is L - 1 equal, non-zero steps; the step ending at row i covers rows
    i - 1 and i, so a row is in a trend if the step ending at it or the next one is in a run of
    >= L - 1 equal steps. The first row of a segment has no step (0), which also stops runs of
    steps crossing segments.
    """
    step = np.zeros(y.size, dtype=np.int8)
    if y.size > 1:
        step[1:] = np.nan_to_num(np.sign(np.diff(y))).astype(np.int8)
    step[layout.pos == 0] = 0
    long_steps = run_lengths(step, layout) >= run_length - 1
    ends_up = long_steps & (step == 1)
    ends_down = long_steps & (step == -1)
    up = ends_up.copy()
    down = ends_down.copy()
    up[:-1] |= ends_up[1:]
    down[:-1] |= ends_down[1:]
    return up, down, step


def two_in_three_flags(beyond: np.ndarray, side: np.ndarray, layout: Layout) -> np.ndarray:
    """Points beyond the near limits in a window of 3 (same segment, same side, >= 2 beyond)."""
    size = beyond.size
    flagged = np.zeros(size, dtype=bool)
    if size < 3:
        return flagged
    b = beyond.astype(np.int8)
    same_segment = layout.seg[:-2] == layout.seg[2:]
    same_side = (side[:-2] != 0) & (side[:-2] == side[1:-1]) & (side[1:-1] == side[2:])
    window = same_segment & same_side & (b[:-2] + b[1:-1] + b[2:] >= 2)
    # row j is in the windows starting at j, j - 1 and j - 2
    in_window = np.zeros(size, dtype=bool)
    in_window[:-2] |= window
    in_window[1:-1] |= window
    in_window[2:] |= window
    flagged = beyond & in_window
    return flagged


def ptd_trend_direction(step: np.ndarray, in_trend: np.ndarray, layout: Layout) -> np.ndarray:
    """Direction NHSRplotthedots gives a trend point: if the next point is also in a trend, the
    sign of the step to it, else the sign of the step from the previous point (a zero step reads
    as "Decreasing"). Returns +1 or -1 for every row (used only where ``in_trend``)."""
    next_step = np.zeros_like(step)
    next_step[:-1] = step[1:]
    next_in_trend = np.zeros_like(in_trend)
    next_in_trend[:-1] = in_trend[1:] & (layout.pos[1:] > 0)
    # the last row of a segment with no next point uses its own step, as does any row whose
    # next row is not in a trend
    chosen = np.where(in_trend & next_in_trend, next_step, step)
    return np.where(chosen == 1, 1, -1).astype(np.int8)


def classify(
    layout: Layout,
    y: np.ndarray,
    limits: Limits,
    *,
    improvement_sign: int,
    run_length: int,
    two_in_three_mode: str,
    conflict: str,
    long_run: np.ndarray | None = None,
    short_gaps: np.ndarray | None = None,
) -> Classification:
    """Special cause and point type of every row.

    ``improvement_sign``: +1 (increase is better), -1 (decrease), 0 (neutral).
    ``conflict``: "precedence" (first rule in the order outside, trend, two-in-three, shift wins,
    as NHSRplotthedots) or "improvement" (MDC Single Chart tool: when rules disagree on the
    direction, improvement wins; the label is the first rule that gives that direction).
    ``long_run``: for run charts, the Anhoej long-run flags replace the four MDC rules (label
    "shift").
    ``short_gaps``: flags of the g chart's short-gap rule (a low signal, after the four rules in
    precedence); None for other charts.
    """
    side = side_of_centre(y, limits.centre)
    size = y.size
    if long_run is not None:
        up_flags = [np.zeros(size, bool), np.zeros(size, bool), np.zeros(size, bool), long_run & (side > 0)]
        down_flags = [np.zeros(size, bool), np.zeros(size, bool), np.zeros(size, bool), long_run & (side < 0)]
        trend_dir = np.zeros(size, dtype=np.int8)
    else:
        above = y > limits.upl
        below = y < limits.lpl
        outside = above | below
        near = (y > limits.upper_near) | (y < limits.lower_near)
        beyond = near & ~outside if two_in_three_mode == "ptd" else near
        two = two_in_three_flags(beyond, side, layout)
        shift = shift_flags(side, layout, run_length)
        trend_up, trend_down, step = trend_flags(y, layout, run_length)
        trend_dir = ptd_trend_direction(step, trend_up | trend_down, layout)
        # an outside point is labelled by its side of the mean (as NHSRplotthedots)
        up_flags = [outside & (side > 0), trend_up, two & (side > 0), shift & (side > 0)]
        down_flags = [outside & (side <= 0), trend_down, two & (side < 0), shift & (side < 0)]

    rule_codes = [OUTSIDE, TREND, TWO_IN_THREE, SHIFT]
    if short_gaps is not None:
        up_flags.append(np.zeros(size, bool))
        down_flags.append(short_gaps)
        rule_codes.append(SHORT_GAPS)
    any_flags = [u | d for u, d in zip(up_flags, down_flags)]
    first_rule = np.select(any_flags, rule_codes, default=NONE).astype(np.int8)

    # direction of the first rule (precedence); a trend point uses the ptd step convention
    side_dir = np.where(side > 0, 1, -1).astype(np.int8)
    precedence_dir = np.where(first_rule == TREND, trend_dir, side_dir)
    # short gaps are low by definition, even above an odd median (baseline 0, 0, 0, 0, 1000)
    precedence_dir = np.where(first_rule == SHORT_GAPS, -1, precedence_dir)
    precedence_dir = np.where(first_rule == NONE, 0, precedence_dir).astype(np.int8)

    if conflict == "improvement" and improvement_sign != 0:
        good = up_flags if improvement_sign > 0 else down_flags
        bad = down_flags if improvement_sign > 0 else up_flags
        good_rule = np.select(good, rule_codes, default=NONE)
        bad_rule = np.select(bad, rule_codes, default=NONE)
        special = np.where(good_rule != NONE, good_rule, bad_rule).astype(np.int8)
        direction = np.where(
            good_rule != NONE, improvement_sign, np.where(bad_rule != NONE, -improvement_sign, 0)
        ).astype(np.int8)
    else:
        special = first_rule
        direction = precedence_dir
        if conflict == "improvement":
            # mdc with a neutral direction: a point in one trend only takes that trend's direction;
            # a point shared by a rising and a falling trend (a peak) keeps the ptd step convention
            only_up = (first_rule == TREND) & up_flags[1] & ~down_flags[1]
            only_down = (first_rule == TREND) & down_flags[1] & ~up_flags[1]
            direction = np.where(only_up, 1, np.where(only_down, -1, direction)).astype(np.int8)

    point_type = _point_type(direction, improvement_sign)
    return Classification(special, point_type, direction)


def _point_type(direction: np.ndarray, improvement_sign: int) -> np.ndarray:
    if improvement_sign == 0:
        return np.select([direction > 0, direction < 0], [3, 4], default=0).astype(np.int8)
    oriented = direction * improvement_sign
    return np.select([oriented > 0, oriented < 0], [1, 2], default=0).astype(np.int8)
