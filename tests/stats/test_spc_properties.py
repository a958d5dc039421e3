"""Hypothesis properties of the SPC engine (invariances that hold for any data)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from wardwatch.stats.spc import spc

LIMIT_COLUMNS = ["centre", "lpl", "upl", "lower_near", "upper_near"]

values = st.lists(st.integers(min_value=0, max_value=200), min_size=3, max_size=40)


def frame(y) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(len(y)), "y": np.asarray(y, dtype=float)})


def clear_of_boundaries(points: pd.DataFrame) -> bool:
    """No point within rounding distance of a line, so a label cannot flip on the last bit."""
    y = points["y"].to_numpy()
    scale = max(1.0, float(np.nanmax(np.abs(y))))
    for column in LIMIT_COLUMNS:
        gap = np.abs(y - points[column].to_numpy())
        if np.nanmin(gap) < 1e-7 * scale:
            return False
    return True


@settings(max_examples=150, deadline=None)
@given(values, st.integers(min_value=-10_000, max_value=10_000), st.sampled_from(["mdc", "ptd"]))
def test_shifting_values_shifts_centre_and_limits(y, shift, rules):
    base = spc(frame(y), "x", "y", rules=rules).points
    assume(clear_of_boundaries(base))
    moved = spc(frame(np.asarray(y) + shift), "x", "y", rules=rules).points
    for column in LIMIT_COLUMNS:
        np.testing.assert_allclose(moved[column], base[column] + shift, rtol=1e-9, atol=1e-7)
    assert (moved["special_cause"] == base["special_cause"]).all()
    assert (moved["point_type"] == base["point_type"]).all()


@settings(max_examples=150, deadline=None)
@given(values, st.floats(min_value=0.01, max_value=1000), st.sampled_from(["mdc", "ptd"]))
def test_scaling_values_scales_centre_and_limits(y, factor, rules):
    base = spc(frame(y), "x", "y", rules=rules).points
    assume(clear_of_boundaries(base))
    scaled = spc(frame(np.asarray(y) * factor), "x", "y", rules=rules).points
    for column in LIMIT_COLUMNS:
        np.testing.assert_allclose(scaled[column], base[column] * factor, rtol=1e-9, atol=1e-9)
    assert (scaled["special_cause"] == base["special_cause"]).all()
    assert (scaled["point_type"] == base["point_type"]).all()


SWAP = {
    "special_cause_improvement": "special_cause_concern",
    "special_cause_concern": "special_cause_improvement",
    "common_cause": "common_cause",
}


@settings(max_examples=150, deadline=None)
@given(values, st.sampled_from(["xmr", "c", "g", "run"]))
def test_reversing_improvement_swaps_improvement_and_concern_ptd(y, chart):
    up = spc(frame(y), "x", "y", chart=chart, rules="ptd", improvement="increase").points
    down = spc(frame(y), "x", "y", chart=chart, rules="ptd", improvement="decrease").points
    assert (down["point_type"] == up["point_type"].map(SWAP)).all()
    assert (down["special_cause"] == up["special_cause"]).all()


@settings(max_examples=150, deadline=None)
@given(values)
def test_reversing_improvement_under_mdc_conflicts(y):
    """MDC resolves conflicts to improvement, so a concern always becomes an improvement when
    the direction is reversed, and the set of special-cause points is unchanged."""
    up = spc(frame(y), "x", "y", rules="mdc", improvement="increase").points
    down = spc(frame(y), "x", "y", rules="mdc", improvement="decrease").points
    assert ((up["special_cause"] == "none") == (down["special_cause"] == "none")).all()
    assert (
        down.loc[up["point_type"] == "special_cause_concern", "point_type"] == "special_cause_improvement"
    ).all()
    assert (
        up.loc[down["point_type"] == "special_cause_concern", "point_type"] == "special_cause_improvement"
    ).all()


series_lists = st.lists(
    st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=30), min_size=1, max_size=6
)


@settings(max_examples=80, deadline=None)
@given(
    series_lists,
    st.sampled_from(["xmr", "p", "pp", "u", "up", "c", "run", "g", "t"]),
    st.sampled_from(["mdc", "ptd"]),
    st.sampled_from([None, 5]),
    st.sampled_from([None, [4]]),
)
def test_many_series_at_once_equals_each_alone(series, chart, rules, fix_after, rebase):
    frames = []
    for i, ys in enumerate(series):
        y = np.asarray(ys, dtype=float)
        if chart == "t":
            y = y + 1
        f = pd.DataFrame({"unit": f"U{i}", "x": np.arange(len(ys)), "y": y, "n": y + 7 + i})
        frames.append(f.iloc[::-1])  # unsorted input: the engine sorts
    data = pd.concat(frames, ignore_index=True)
    kwargs = {
        "x": "x",
        "y": "y",
        "n": "n" if chart in ("p", "pp", "u", "up") else None,
        "chart": chart,
        "rules": rules,
        "fix_after": fix_after,
        "rebase": rebase,
        "target": 20.0,
    }
    together = spc(data, by=["unit"], **kwargs)
    for i, f in enumerate(frames):
        alone = spc(f, **kwargs)
        got = together.points[together.points["unit"] == f"U{i}"].drop(columns="unit").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone.points, check_exact=True)
        got_summary = together.summary[together.summary["unit"] == f"U{i}"].drop(columns="unit")
        pd.testing.assert_frame_equal(got_summary.reset_index(drop=True), alone.summary, check_exact=True)
