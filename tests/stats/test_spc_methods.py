"""Worked examples published in docs/methods.md (sections 2.1 and 2.6)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.runchart import crossings_min, longest_run_max
from wardwatch.stats.spc import spc

# NHSRplotthedots vignettes/deviations.Rmd test vector (docs/methods.md 2.1)
DEVIATIONS_VECTOR = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def _vector_result(**kwargs):
    data = pd.DataFrame({"x": range(len(DEVIATIONS_VECTOR)), "y": DEVIATIONS_VECTOR})
    return spc(data, "x", "y", **kwargs).summary.iloc[0]


def test_unscreened_limits_match_mdc_excel():
    row = _vector_result(rules="mdc")
    assert round(row["centre"], 2) == 1.94
    assert round(row["upl"], 2) == 6.95
    assert round(row["lpl"], 2) == -3.06


def test_screened_limits_match_nhsrplotthedots():
    row = _vector_result(rules="ptd")
    assert round(row["centre"], 2) == 1.94
    assert round(row["upl"], 2) == 4.60
    assert round(row["lpl"], 2) == -0.72


def test_screen_switch_overrides_rule_set():
    assert round(_vector_result(rules="mdc", screen=True)["upl"], 2) == 4.60
    assert round(_vector_result(rules="ptd", screen=False)["upl"], 2) == 6.95


def test_screening_by_hand():
    # MRs: 1,1,1,8,9,1,... (17 values, sum 32); mean 32/17; 8 and 9 are >= 3.267 * 32/17 = 6.15,
    # so the screened mean is 15/15 = 1 and the limits are mean +/- 2.66
    mean = 35 / 18
    row = _vector_result(rules="ptd")
    assert row["upl"] == pytest.approx(mean + 2.66 * 1.0, rel=1e-12)
    row = _vector_result(rules="mdc")
    assert row["upl"] == pytest.approx(mean + 2.66 * 32 / 17, rel=1e-12)


@pytest.mark.parametrize(
    "n, max_run, min_crossings",
    [(10, 6, 2), (12, 7, 3), (20, 7, 6), (24, 8, 8), (30, 8, 10), (50, 9, 19)],
)
def test_anhoej_thresholds_table(n, max_run, min_crossings):
    assert longest_run_max(np.array([n]))[0] == max_run
    assert crossings_min(np.array([n]))[0] == min_crossings


def test_anhoej_thresholds_reported_in_summary():
    # 24 alternating points: no point on the median, 23 crossings, runs of 1
    y = np.tile([1.0, 3.0], 12)
    row = spc(pd.DataFrame({"x": range(24), "y": y}), "x", "y", chart="run").summary.iloc[0]
    assert (row["longest_run_max"], row["crossings_min"]) == (8, 8)
    assert (row["longest_run"], row["crossings"], row["runs_signal"]) == (1, 23, False)
