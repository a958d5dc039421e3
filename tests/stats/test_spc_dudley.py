"""The worked example of docs/guide/spc.md, recomputed from the packaged NHS England data.

The XmR figures are also NHSRplotthedots 0.2.2's (golden case base_RNA), so this checks the
packaged data file against the reference input as well as the numbers quoted in the guide.
"""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest

from wardwatch.stats.spc import spc


@pytest.fixture(scope="module")
def rna() -> pd.DataFrame:
    ae = pd.read_csv(files("wardwatch") / "data" / "nhse_ae_attendances_2016_2019.csv", dtype={"type": str})
    rna = ae[(ae["org_code"] == "RNA") & (ae["type"] == "1")].copy()
    rna["perf_4h"] = 1 - rna["breaches"] / rna["attendances"]
    rna["within_4h"] = rna["attendances"] - rna["breaches"]
    return rna


def xmr(rna, **kwargs):
    return spc(rna, x="period", y="perf_4h", by=["org_code"], improvement="increase", target=0.95, **kwargs)


def test_guide_xmr_summary(rna):
    result = xmr(rna)
    row = result.summary.iloc[0]
    assert len(rna) == 36
    assert row["centre"] == pytest.approx(0.807181886392999, rel=1e-9)
    assert row["lpl"] == pytest.approx(0.70931194065246, rel=1e-9)
    assert row["upl"] == pytest.approx(0.905051832133537, rel=1e-9)
    assert (row["variation"], row["assurance"], bool(row["short_baseline"])) == (
        "special_cause_concern",
        "consistent_fail",
        False,
    )
    assert (row["longest_run"], row["longest_run_max"], row["crossings"], row["crossings_min"]) == (
        11,
        8,
        7,
        13,
    )
    counts = result.points["point_type"].value_counts().to_dict()
    assert counts == {"special_cause_concern": 16, "special_cause_improvement": 10, "common_cause": 10}
    labels = result.points.set_index(result.points["x"].astype(str))["special_cause"]
    assert labels["2017-11-01"] == "two_in_three" and labels["2018-11-01"] == "two_in_three"


def test_guide_ptd_difference(rna):
    labels = xmr(rna, rules="ptd").points.set_index("x")["special_cause"]
    labels.index = labels.index.astype(str)
    assert (labels != "none").sum() == 25
    assert labels["2017-11-01"] == "shift" and labels["2018-11-01"] == "none"


def test_guide_fixed_baseline_and_rebase(rna):
    fixed = xmr(rna, fix_after=12)
    row = fixed.summary.iloc[0]
    assert (round(row["centre"], 4), round(row["lpl"], 4), round(row["upl"], 4)) == (0.8974, 0.8164, 0.9785)
    assert row["assurance"] == "inconsistent" and bool(row["short_baseline"]) is True
    assert (fixed.points["special_cause"] != "none").sum() == 30
    rebased = xmr(rna, rebase=["2017-11-01"]).summary
    assert rebased["n_points"].tolist() == [19, 17]
    assert [round(v, 4) for v in rebased["centre"]] == [0.8778, 0.7283]
    assert rebased["assurance"].tolist() == ["none", "consistent_fail"]


def test_guide_attribute_and_run_charts(rna):
    pp = spc(
        rna,
        x="period",
        y="within_4h",
        n="attendances",
        by=["org_code"],
        chart="pp",
        improvement="increase",
        target=0.95,
    )
    row = pp.summary.iloc[0]
    assert (round(row["centre"], 4), round(row["lpl"], 4), round(row["upl"], 4)) == (0.8066, 0.7119, 0.9014)
    assert (pp.points["special_cause"] != "none").sum() == 26
    p = spc(
        rna, x="period", y="within_4h", n="attendances", by=["org_code"], chart="p", improvement="increase"
    )
    assert (round(p.summary["lpl"].iloc[0], 4), round(p.summary["upl"].iloc[0], 4)) == (0.7945, 0.8187)
    assert (p.points["special_cause"] != "none").sum() == 33
    run = spc(
        rna, x="period", y="perf_4h", by=["org_code"], chart="run", improvement="increase"
    ).summary.iloc[0]
    assert round(run["centre"], 4) == 0.8076 and bool(run["runs_signal"]) is True
