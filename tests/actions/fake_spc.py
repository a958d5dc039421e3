"""A tiny, independent XmR for testing the effect rule by dependency injection.

Centre = mean, limits = centre ± 2.66 × mean moving range per rebase segment (docs/methods.md 2.1);
rules: outside the limits, and a shift of 7 points on one side of the centre (docs/methods.md 2.2).
``fix_after`` takes the limits from the first N points of each segment; ``by`` charts each series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class FakeResult:
    points: pd.DataFrame
    summary: pd.DataFrame


def fake_spc(data, x, y, chart="xmr", improvement="increase", rebase=None, fix_after=None, by=None, **_):
    if by:
        parts = [fake_spc(group, x, y, chart, improvement, rebase, fix_after).points.assign(**dict(zip(by, key)))
                 for key, group in data.groupby(by)]
        points = pd.concat(parts, ignore_index=True)
        return FakeResult(points, points.groupby(by + ["segment"]).agg(centre=("centre", "last")).reset_index())
    frame = data.sort_values(x).reset_index(drop=True)
    xs = pd.to_datetime(frame[x])
    segment = np.zeros(len(frame), dtype=int)
    for r in rebase or []:
        segment += (xs >= pd.Timestamp(r)).to_numpy().astype(int)
    values = frame[y].to_numpy(float)
    centre = np.empty_like(values)
    mr_bar = np.empty_like(values)
    for s in np.unique(segment):
        idx = segment == s
        v = values[idx][:fix_after] if fix_after else values[idx]
        centre[idx] = v.mean()
        mr_bar[idx] = np.abs(np.diff(v)).mean() if len(v) > 1 else np.nan
    upl, lpl = centre + 2.66 * mr_bar, centre - 2.66 * mr_bar
    side = np.sign(values - centre)
    flag = np.where(values > upl, 1, np.where(values < lpl, -1, 0))
    cause = np.where(flag != 0, "outside_limits", "none").astype(object)
    for s in np.unique(segment):
        where = np.flatnonzero(segment == s)
        for i in range(len(where) - 6):
            window = where[i:i + 7]
            if abs(side[window].sum()) == 7:
                cause[window] = np.where(flag[window] == 0, "shift", cause[window])
                flag[window] = np.where(flag[window] == 0, side[window[0]], flag[window])
    sign = 1 if improvement == "increase" else -1
    point_type = np.where(flag * sign > 0, "special_cause_improvement",
                          np.where(flag * sign < 0, "special_cause_concern", "common_cause"))
    points = pd.DataFrame({"x": frame[x], "y": values, "centre": centre, "lpl": lpl, "upl": upl,
                           "segment": segment, "special_cause": cause, "point_type": point_type})
    summary = points.groupby("segment").agg(centre=("centre", "last"), upl=("upl", "last")).reset_index()
    return FakeResult(points, summary)
