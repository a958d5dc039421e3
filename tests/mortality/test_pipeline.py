"""wardwatch.mortality: the pipeline on a small admissions table built directly in DuckDB."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from scipy import stats

from wardwatch.errors import InputError
from wardwatch.mortality import (
    prepare,
    read_admissions,
    run_mortality,
    sepsis_answer,
    smr_table,
)
from wardwatch.stats.funnel import BAND_AS
from wardwatch.stats.riskmodel import fit_risk_model

GROUPS = {"sepsis": -1.6, "pneumonia": -2.0, "stroke": -2.3}


@pytest.fixture(scope="module")
def result(warehouse, tmp_path_factory):
    path, _ = warehouse
    out = tmp_path_factory.mktemp("out")
    return run_mortality(path, out, focal_org="AAA", arl_years=50, n_sim=100, seed=3), out


def test_outputs_written(result):
    _res, out = result
    for name in ("smr.csv", "cusum_alerts.csv", "calibration.csv", "model.json", "funnel_sepsis.csv",
                 "cusum_thresholds.csv"):
        assert (out / name).exists(), name
    smr = pd.read_csv(out / "smr.csv")
    assert {"org_code", "diagnosis_group", "period", "observed", "expected", "smr", "ci_low", "ci_high",
            "band"} <= set(smr.columns)
    assert set(smr["period"]) == {"2017/18", "2018/19", "2019/20", "overall"}
    assert set(smr["diagnosis_group"]) == set(GROUPS) | {"all"}


def test_smr_sums_and_garwood_intervals(result, warehouse):
    res, _ = result
    _, data = warehouse
    smr = res.smr
    # follow-up: spells discharged within 30 + 14 days of the latest discharge are excluded
    through = data["discharged_at"].max().normalize() + pd.Timedelta(days=1) - pd.Timedelta(seconds=1) \
        - pd.Timedelta(days=44)
    kept = data[data["discharged_at"] <= through]
    assert res.follow_up.spells_excluded == len(data) - len(kept) > 0
    # observed deaths = in hospital or within 30 days, among the spells kept
    deaths = int((kept["died_in_hospital"] | kept["died_within_30d_of_discharge"]).sum())
    allrows = smr[(smr["diagnosis_group"] == "all") & (smr["period"] == "overall")]
    assert allrows["observed"].sum() == deaths and allrows["spells"].sum() == len(kept)
    # leave-one-trust-out: AAA's expected deaths are the predictions of a model fitted, spell by
    # spell, on the other trusts only (the pipeline fits on aggregated covariate patterns)
    spells = prepare(kept)
    others = fit_risk_model(spells[spells["org_code"] != "AAA"], "died")
    e_aaa = others.predict(spells[spells["org_code"] == "AAA"]).sum()
    assert allrows.set_index("org_code").loc["AAA", "expected"] == pytest.approx(e_aaa, rel=1e-9)
    # whereas the in-sample (pooled) fit gives total E = total O (logistic MLE with an intercept)
    assert fit_risk_model(spells, "died").predict(spells).sum() == pytest.approx(deaths, rel=1e-6)
    # Garwood CI from the chi-square formula, computed here
    row = smr.iloc[0]
    o, e = row["observed"], row["expected"]
    assert row["ci_low"] == pytest.approx(stats.chi2.ppf(0.025, 2 * o) / 2 / e, rel=1e-10)
    assert row["ci_high"] == pytest.approx(stats.chi2.ppf(0.975, 2 * (o + 1)) / 2 / e, rel=1e-10)


def test_smr_ci_textbook_value():
    spells = pd.DataFrame({"org_code": ["X"] * 10 + ["Y"] * 5 + ["Z"] * 5, "diagnosis_group": "sepsis",
                           "fin_year": 2018, "died": [1] * 10 + [0] * 10, "expected": [1.0] * 10 + [0.5] * 10})
    t = smr_table(spells)
    x = t[(t["org_code"] == "X") & (t["period"] == "overall") & (t["diagnosis_group"] == "sepsis")].iloc[0]
    assert x["observed"] == 10 and x["expected"] == 10 and x["smr"] == 1.0
    assert x["ci_low"] == pytest.approx(0.4795, abs=1e-4) and x["ci_high"] == pytest.approx(1.839, abs=1e-3)


def test_high_mortality_org_is_flagged(result):
    res, _ = result
    smr = res.smr
    high = smr[(smr["org_code"] == "HIGH") & (smr["diagnosis_group"] == "all") & (smr["period"] == "overall")].iloc[0]
    assert high["smr"] > 1.3 and high["band"] == "higher than expected"
    alerts = res.alerts
    assert ((alerts["org_code"] == "HIGH") & (alerts["direction"] == "higher")).any()
    a = alerts.iloc[0]
    assert a["patients_since_reset"] > 0 and a["observed_since_reset"] >= 0
    assert {"org_code", "diagnosis_group", "date_signalled", "patients_since_reset", "observed_since_reset",
            "expected_since_reset"} <= set(alerts.columns)


def test_sepsis_answer_focal(result):
    res, _ = result
    ans = sepsis_answer(res, "AAA")
    row = res.smr[(res.smr["org_code"] == "AAA") & (res.smr["diagnosis_group"] == "sepsis")
                  & (res.smr["period"] == "overall")].iloc[0]
    assert ans.observed == row["observed"] and ans.expected == pytest.approx(row["expected"])
    assert ans.ci_low < ans.smr < ans.ci_high
    assert ans.band == BAND_AS and not ans.below_expected
    assert "expected" in ans.statement and f"{ans.observed} deaths" in ans.statement
    with pytest.raises(InputError):
        sepsis_answer(res, "NOPE")


def test_reads_ibis_backend_and_errors(warehouse, tmp_path):
    from wardwatch.warehouse import connect_duckdb

    path, data = warehouse
    con = connect_duckdb(path, read_only=True)
    frame = read_admissions(con)
    assert len(frame) == len(data)
    assert prepare(frame)["died"].sum() == int(data["died_within_30d_of_discharge"].sum())
    with pytest.raises(InputError, match="not found"):
        read_admissions(tmp_path / "missing.duckdb")
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(InputError, match="admissions"):
        read_admissions(empty)


def test_calibration_and_model(result):
    res, out = result
    cal = pd.read_csv(out / "calibration.csv")
    assert len(cal) == 10 and 0.6 < cal["c_statistic"].iloc[0] < 0.95
    assert res.model.groups["sepsis"].spec in ("full", "reduced")
