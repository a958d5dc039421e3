"""Golden tests: wardwatch SPC against NHSRplotthedots 0.2.2 and qicharts2 0.8.1 outputs.

The reference files (tests/data/reference/, see its README) were produced by the R packages on
real NHS England A&E data. The tests are generic over ``case_id``: the options of each case are
read from its input rows, cases with the same options are computed together in one vectorised
``spc()`` call, and every case present in the files is compared.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from wardwatch.stats.spc import spc

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"

PTD = REFERENCE / "spc_ptd"
QIC = REFERENCE / "qic"
RTOL = 1e-9

# NHSRplotthedots special_cause_type -> (our special_cause, direction)
PTD_LABELS = {
    "Common Cause": ("none", 0),
    "Above UCL": ("outside_limits", 1),
    "Below LCL": ("outside_limits", -1),
    "7 Point Trend (Increasing)": ("trend", 1),
    "7 Point Trend (Decreasing)": ("trend", -1),
    "2 in 3 Above CL": ("two_in_three", 1),
    "2 in 3 Below CL": ("two_in_three", -1),
    "7 Points Above CL": ("shift", 1),
    "7 Points Below CL": ("shift", -1),
}


def assert_close(actual, expected, what: str) -> None:
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, what
    both_nan = np.isnan(actual) & np.isnan(expected)
    diff = np.abs(actual - expected)
    ok = both_nan | (diff <= RTOL * np.maximum(1.0, np.abs(expected)))
    assert ok.all(), (
        f"{what}: {int((~ok).sum())} values differ, e.g. {actual[~ok][:3]} vs {expected[~ok][:3]}"
    )


def _ptd_option_groups() -> list[tuple[dict, list[str]]]:
    inputs = pd.read_csv(PTD / "spc_input.csv", dtype={"case_id": str, "x": str})
    per_case = inputs.groupby("case_id", sort=True).first()
    groups: dict[tuple, list[str]] = {}
    for case_id, row in per_case.iterrows():
        key = (
            row["improvement"],
            None if pd.isna(row["target"]) else float(row["target"]),
            None if pd.isna(row["rebase"]) else str(row["rebase"]),
            None if pd.isna(row["fix_after"]) else int(row["fix_after"]),
            bool(row["screen"]),
        )
        groups.setdefault(key, []).append(case_id)
    return [
        ({"improvement": k[0], "target": k[1], "rebase": k[2], "fix_after": k[3], "screen": k[4]}, cases)
        for k, cases in groups.items()
    ]


@pytest.fixture(scope="module")
def ptd_results():
    inputs = pd.read_csv(PTD / "spc_input.csv", dtype={"case_id": str, "x": str})
    inputs["x"] = pd.to_datetime(inputs["x"])
    points, summaries = [], []
    for opts, cases in _ptd_option_groups():
        data = inputs[inputs["case_id"].isin(cases)]
        result = spc(
            data,
            x="x",
            y="y",
            by=["case_id"],
            chart="xmr",
            improvement=opts["improvement"],
            target=opts["target"],
            # one or more rebase dates (separated by ; , | or spaces)
            rebase=re.split(r"[;,|\s]+", opts["rebase"].strip()) if opts["rebase"] else None,
            fix_after=opts["fix_after"],
            rules="ptd",
            screen=opts["screen"],
        )
        points.append(result.points)
        summaries.append(result.summary)
    return pd.concat(points, ignore_index=True), pd.concat(summaries, ignore_index=True)


def _ptd_expected() -> pd.DataFrame:
    exp = pd.read_csv(PTD / "spc_expected.csv", dtype={"case_id": str, "x": str})
    exp["x"] = pd.to_datetime(exp["x"])
    return exp


def _case_ids(path) -> list[str]:
    return sorted(pd.read_csv(path, usecols=["case_id"], dtype=str)["case_id"].unique())


PTD_CASES = _case_ids(PTD / "spc_expected.csv")
QIC_CASES = _case_ids(QIC / "qic_expected.csv")


def test_golden_files_hold_cases():
    assert len(PTD_CASES) >= 19 and len(QIC_CASES) >= 20


@pytest.mark.parametrize("case_id", PTD_CASES)
def test_ptd_golden_points(ptd_results, case_id):
    points, _ = ptd_results
    points = points[points["case_id"] == case_id]
    exp = _ptd_expected()
    exp = exp[exp["case_id"] == case_id]
    merged = exp.merge(points, on=["case_id", "x"], how="left", suffixes=("_exp", ""), indicator=True)
    assert (merged["_merge"] == "both").all() and len(points) == len(exp)
    assert_close(merged["y"], merged["y_exp"], "y")
    assert_close(merged["centre"], merged["mean_col"], "mean")
    assert_close(merged["lpl"], merged["lpl_exp"], "lpl")
    assert_close(merged["upl"], merged["upl_exp"], "upl")
    # ptd numbers groups cumsum(rebase) (1-based if a rebase falls on the first point); ours are dense 0-based
    first_group = merged.groupby("case_id")["rebase_group"].transform("min")
    assert (merged["segment"] == merged["rebase_group"] - first_group).all()
    mapped = merged["special_cause_type"].map(lambda s: PTD_LABELS[s][0])
    mismatch = merged[mapped != merged["special_cause"]]
    assert mismatch.empty, (
        mismatch[["case_id", "x", "special_cause_type", "special_cause"]].head(10).to_string()
    )
    mismatch = merged[merged["point_type_exp"] != merged["point_type"]]
    assert mismatch.empty, mismatch[["case_id", "x", "point_type_exp", "point_type"]].head(10).to_string()
    # the direction hidden in the ptd label agrees with our point type and improvement direction
    direction = merged["special_cause_type"].map(lambda s: PTD_LABELS[s][1])
    inputs = pd.read_csv(PTD / "spc_input.csv", dtype={"case_id": str})
    sign = merged["case_id"].map(
        inputs.groupby("case_id")["improvement"].first().map({"increase": 1, "decrease": -1})
    )
    expected_type = np.select(
        [direction * sign > 0, direction * sign < 0],
        ["special_cause_improvement", "special_cause_concern"],
        "common_cause",
    )
    assert (expected_type == merged["point_type"].to_numpy()).all()


@pytest.mark.parametrize("case_id", PTD_CASES)
def test_ptd_golden_summary(ptd_results, case_id):
    points, summary = ptd_results
    points = points[points["case_id"] == case_id]
    summary = summary[summary["case_id"] == case_id]
    exp = pd.read_csv(PTD / "spc_expected_summary.csv", dtype={"case_id": str})
    exp = exp[exp["case_id"] == case_id]
    exp["segment"] = exp["rebase_group"].fillna(0).astype(int)
    exp["segment"] -= exp.groupby("case_id")["segment"].transform("min")
    merged = exp.merge(summary, on=["case_id", "segment"], how="left", indicator=True)
    assert (merged["_merge"] == "both").all() and len(summary) == len(exp)
    assert_close(merged["centre"], merged["mean_col"], "mean")
    assert_close(merged["lpl_y"], merged["lpl_x"], "lpl")
    assert_close(merged["upl_y"], merged["upl_x"], "upl")
    assert (merged["n_points"] == merged["n"]).all()
    assert (merged["variation"] == merged["variation_type"]).all()
    assert (merged["assurance"] == merged["assurance_type"].fillna("none")).all()
    types = ["common_cause", "special_cause_improvement", "special_cause_concern"]
    counts = (
        points.groupby(["case_id", "segment"])["point_type"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=types, fill_value=0)
    )
    for column in ("common_cause", "special_cause_improvement", "special_cause_concern"):
        got = (
            counts.reindex(pd.MultiIndex.from_frame(merged[["case_id", "segment"]]))[column]
            .fillna(0)
            .to_numpy()
        )
        assert (got == merged[column].to_numpy()).all(), column
    # short-group warning: per point in the expected file, per segment in ours
    flags = (
        _ptd_expected()
        .query("case_id == @case_id")
        .groupby(["case_id", "rebase_group"])["short_group_warning"]
        .first()
    )
    ours = summary.sort_values("segment")["short_baseline"].to_numpy()
    assert (ours == flags.sort_index().to_numpy()).all()


# ------------------------------------------------------------------------------------ qicharts2


@pytest.fixture(scope="module")
def qic_results():
    inputs = pd.read_csv(QIC / "qic_input.csv", dtype={"case_id": str, "x": str})
    inputs["x"] = pd.to_datetime(inputs["x"])
    points, summaries = [], []
    for chart, data in inputs.groupby("chart", sort=True):
        # default options: screening follows qicharts2 0.8.1 (p' screened, u' not; deviations.md)
        result = spc(
            data,
            x="x",
            y="y",
            n=None if chart == "run" else "n",
            by=["case_id"],
            chart=chart,
            improvement="neutral",
            rules="mdc",
        )
        points.append(result.points)
        summaries.append(result.summary)
    return pd.concat(points, ignore_index=True), pd.concat(summaries, ignore_index=True)


def _qic_expected() -> pd.DataFrame:
    exp = pd.read_csv(QIC / "qic_expected.csv", dtype={"case_id": str, "x": str})
    exp["x"] = pd.to_datetime(exp["x"])
    return exp


@pytest.mark.parametrize("case_id", QIC_CASES)
def test_qic_golden_points(qic_results, case_id):
    points, _ = qic_results
    points = points[points["case_id"] == case_id]
    exp = _qic_expected()
    exp = exp[exp["case_id"] == case_id]
    merged = exp.merge(points, on=["case_id", "x"], how="left", suffixes=("_exp", ""), indicator=True)
    assert (merged["_merge"] == "both").all() and len(points) == len(exp)
    assert_close(merged["centre"], merged["cl"], "cl")
    limited = merged["chart"] != "run"
    m = merged[limited]
    assert_close(m["y"], m["y_exp"], "y")
    assert_close(m["n"], m["n_exp"], "n")
    assert_close(m["lpl"], m["lcl"], "lcl")
    assert_close(m["upl"], m["ucl"], "ucl")
    assert_close(m["lower_near"], m["lcl.95"], "lcl.95")
    assert_close(m["upper_near"], m["ucl.95"], "ucl.95")
    sigma_signal = m["sigma.signal"].astype(bool).to_numpy()
    assert (sigma_signal == (m["special_cause"] == "outside_limits").to_numpy()).all()
    # run charts: no limits
    r = merged[~limited]
    assert r["lpl"].isna().all() and r["upl"].isna().all() and r["lcl"].isna().all()


@pytest.mark.parametrize("case_id", QIC_CASES)
def test_qic_golden_runs_analysis(qic_results, case_id):
    points, summary = qic_results
    points = points[points["case_id"] == case_id]
    exp = _qic_expected().query("case_id == @case_id").groupby("case_id").first()
    s = summary.set_index("case_id").loc[exp.index]
    assert (s["n_points"].to_numpy() == exp["n.obs"].to_numpy()).all()
    useful = points.assign(u=(points["y"] != points["centre"])).groupby("case_id")["u"].sum().loc[exp.index]
    assert (useful.to_numpy() == exp["n.useful"].to_numpy()).all()
    for ours, theirs in [
        ("longest_run", "longest.run"),
        ("longest_run_max", "longest.run.max"),
        ("crossings", "n.crossings"),
        ("crossings_min", "n.crossings.min"),
    ]:
        assert (s[ours].to_numpy() == exp[theirs].to_numpy()).all(), ours
    assert (s["runs_signal"].to_numpy() == exp["runs.signal"].astype(bool).to_numpy()).all()
    # summary file agrees too (sigma-signal counts, centre)
    summ = pd.read_csv(QIC / "qic_expected_summary.csv", dtype={"case_id": str}).set_index("case_id")
    summ = summ.loc[[case_id]]
    n_sigma = points.assign(o=points["special_cause"] == "outside_limits").groupby("case_id")["o"].sum()
    assert (n_sigma.loc[summ.index].to_numpy() == summ["n_sigma_signal"].to_numpy()).all()
    assert_close(s.loc[summ.index, "centre"], summ["cl_if_constant"], "cl")
