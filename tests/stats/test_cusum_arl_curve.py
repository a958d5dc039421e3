"""The vectorised ARL curve equals the row-by-row definition (first crossing by binary search per
simulated path), including ties with stored values, zeros and negative zeros."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wardwatch.stats.cusum import _ArlCurve


def row_by_row(running_max: np.ndarray, h: float) -> tuple[float, float]:
    h32 = np.float32(h)
    first = np.array([np.searchsorted(row, h32, side="right") for row in running_max])
    crossed = running_max[:, -1] > h32
    run = np.where(crossed, first + 1, running_max.shape[1])
    events = int(crossed.sum())
    if events == 0:
        return float("inf"), float("inf")
    arl = float(run.sum() / events)
    return arl, float(arl / np.sqrt(events))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 9), horizon=st.integers(1, 60),
       step=st.sampled_from([0.0, 0.5, 1.0]), h=st.floats(0, 80))
def test_matches_row_by_row(seed: int, rows: int, horizon: int, step: float, h: float) -> None:
    rng = np.random.default_rng(seed)
    running_max = np.round(rng.exponential(1.0, (rows, horizon)).cumsum(axis=1) * step, 1).astype(np.float32)
    running_max[:, : min(3, horizon)] = np.float32(-0.0)
    running_max = np.maximum.accumulate(running_max, axis=1)
    curve = _ArlCurve(running_max)
    assert curve(h) == row_by_row(running_max, h)
    for tie in running_max.ravel()[:: max(1, running_max.size // 7)]:
        assert curve(float(tie)) == row_by_row(running_max, float(tie))
