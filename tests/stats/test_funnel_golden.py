"""Golden tests: wardwatch.stats.funnel (style="funnelplotr") against FunnelPlotR outputs.

Reference files: tests/data/reference/funnel/ (FunnelPlotR 0.3.9999 on NHS England A&E data,
FY 2017/18; see tests/data/reference/README.md). The test is generic over case_id: the options
for a case are read from its input rows (data_type, sr_method), so another year's files are
compared the same way. Tolerance: abs(diff) <= 1e-9 * max(1, abs(expected)).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.funnel import funnel

REF = __import__("pathlib").Path(__file__).parents[1] / "data" / "reference" / "funnel"
INPUT = pd.read_csv(REF / "funnel_input.csv", dtype={"group": str})
EXPECTED = pd.read_csv(REF / "funnel_expected.csv", dtype={"group": str})
LIMITS = pd.read_csv(REF / "funnel_expected_limits_table.csv")
CASES = sorted(INPUT["case_id"].unique())


def _close(actual, expected, what: str) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, what
    both_nan = np.isnan(actual) & np.isnan(expected)
    tol = 1e-9 * np.maximum(1.0, np.abs(expected))
    ok = both_nan | (np.abs(actual - expected) <= tol)
    assert ok.all(), f"{what}: worst diff {np.nanmax(np.abs(actual - expected))} at {np.where(~ok)[0][:5]}"


def _run(case: str):
    rows = INPUT[INPUT["case_id"] == case]
    data_type = rows["data_type"].iloc[0]
    sr_method = rows["sr_method"].iloc[0]
    method = "shmi" if isinstance(sr_method, str) and sr_method.upper() == "SHMI" else "spiegelhalter"
    res = funnel(rows, "group", "numerator", "denominator", type=data_type, method=method,
                 od="additive", trim=0.1, style="funnelplotr")
    exp = EXPECTED[EXPECTED["case_id"] == case].set_index("group")
    units = res.units.set_index("group").loc[exp.index]
    return res, units, exp


@pytest.mark.parametrize("case", CASES)
def test_unit_level_values(case):
    res, u, e = _run(case)
    assert len(u) == len(e) == len(INPUT[INPUT["case_id"] == case])
    _close(u["numerator"], e["numerator"], "numerator")
    _close(u["denominator"], e["denominator"], "denominator (SHMI: E rounded to 2 dp)")
    _close(u["value"], e["rr"], "rr")
    _close(u["target"], e["target"], "target")
    _close(np.full(len(u), res.phi), e["phi"], "phi")
    _close(np.full(len(u), res.tau2), e["tau2"], "tau2")
    _close(np.full(len(u), res.od_adjusted), e["od_adjusted"].astype(float), "od_adjusted")
    _close(u["Y"], e["Y"], "Y")
    _close(u["s"], e["s"], "s")
    _close(u["z"], e["Uzscore"], "Uzscore")
    _close(u["z_trimmed"], e["Wuzscore"], "Wuzscore (winsorised / truncated z)")
    _close(u["target_transformed"], e["target_transformed"], "target_transformed")


@pytest.mark.parametrize("case", CASES)
def test_trimming_flags(case):
    _, u, e = _run(case)
    if e["rk"].notna().any():  # SHMI truncation
        _close(u["rank"], e["rk"], "rank")
        _close(u["sp"], e["sp"], "sp")
        assert (u["trimmed"].astype(int).to_numpy() == e["truncated"].astype(int).to_numpy()).all()
    else:
        assert (u["trimmed"].astype(int).to_numpy() == e["winsorised"].astype(int).to_numpy()).all()


@pytest.mark.parametrize("case", CASES)
def test_unit_limits_and_outliers(case):
    _, u, e = _run(case)
    for ours, theirs in [("ll95_unadj", "LCL95"), ("ul95_unadj", "UCL95"), ("ll998_unadj", "LCL99"),
                         ("ul998_unadj", "UCL99"), ("ll95_od", "OD95LCL"), ("ul95_od", "OD95UCL"),
                         ("ll998_od", "OD99LCL"), ("ul998_od", "OD99UCL")]:
        _close(u[ours], e[theirs], f"{case} {ours} vs {theirs}")
    # outlier flags are exact-equality checks
    assert (u["outlier95"].astype(int).to_numpy() == e["outlier_95"].to_numpy()).all()
    assert (u["outlier998"].astype(int).to_numpy() == e["outlier_99"].to_numpy()).all()


@pytest.mark.parametrize("case", CASES)
def test_limits_table(case):
    res, _, _ = _run(case)
    exp = LIMITS[LIMITS["case_id"] == case].reset_index(drop=True)
    got = res.limits
    assert len(got) == len(exp)
    _close(got["denominator"], exp["number.seq"], "number.seq")
    _close(got["s"], exp["s"], "s")
    for ours, theirs in [("ll95_unadj", "ll95"), ("ul95_unadj", "ul95"), ("ll998_unadj", "ll998"),
                         ("ul998_unadj", "ul998"), ("ll95_od", "odll95"), ("ul95_od", "odul95"),
                         ("ll998_od", "odll998"), ("ul998_od", "odul998")]:
        _close(got[ours], exp[theirs], f"{case} limits {ours} vs {theirs}")
