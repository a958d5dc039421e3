"""`wardwatch mortality` CLI, and the pipeline on the synthetic world (wardwatch.synth)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd


def test_mortality_cli(cli, small_db, tmp_path):
    out = tmp_path / "out"
    result = cli("mortality", "--db", small_db, "--out", out, "--focal", "AAA", "--n-sim", "60", "--arl-years", "30")
    assert result.exit_code == 0, result.output
    assert "Is sepsis mortality at AAA below expected?" in result.output
    assert "SMR" in result.output and "95% CI" in result.output
    assert (out / "smr.csv").exists() and (out / "model.json").exists()
    assert (out / "funnel_sepsis.svg").read_text().lstrip().startswith("<svg")
    assert list((out / "charts").glob("cusum_AAA_sepsis.svg"))
    # the settings are printed and written: fit mode, cut-off, lag, screening note
    assert "leave-one-trust-out fit" in result.output and "Follow-up: death data to" in result.output
    assert "screening device" in result.output
    settings = json.loads((out / "mortality_settings.json").read_text())
    assert settings["fit"] == "leave-one-trust-out" and settings["follow_up"]["death_lag_days"] == 14
    assert (out / "calibration_levels.csv").exists()
    # model.json is the model fitted on all trusts: applied to the same data it reproduces the
    # pooled (in-sample) fit, not the leave-one-trust-out one
    out_pooled, out2 = tmp_path / "pooled", tmp_path / "out2"
    result = cli("mortality", "--db", small_db, "--out", out_pooled, "--fit", "pooled", "--n-sim", "60", "--no-charts")
    assert result.exit_code == 0, result.output
    result = cli("mortality", "--db", small_db, "--out", out2, "--model", out / "model.json", "--n-sim", "60",
                 "--no-charts")
    assert result.exit_code == 0, result.output
    a = pd.read_csv(out_pooled / "smr.csv")
    b = pd.read_csv(out2 / "smr.csv")
    loo = pd.read_csv(out / "smr.csv")
    assert (a["expected"] - b["expected"]).abs().max() < 1e-6
    assert (a["expected"] - loo["expected"]).abs().max() > 0.1


def test_mortality_cli_errors(cli, small_db, tmp_path):
    for args, message in [
        (("mortality", "--db", tmp_path / "nope.duckdb", "--out", tmp_path), "does not exist"),
        (("mortality", "--db", small_db, "--out", tmp_path, "--focal", "ZZZ"), "focal organisation"),
        (("mortality", "--db", small_db, "--out", tmp_path, "--fit", "magic"), "--fit must be one of"),
        (("mortality", "--db", small_db, "--out", tmp_path, "--cutoff", "soon"), "is not a date"),
        (("mortality", "--db", small_db, "--out", tmp_path, "--cutoff", "2000-01-01"), "no admission has complete"),
    ]:
        result = cli(*args)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_synthetic_world_signals(tmp_path):
    from wardwatch import synth
    from wardwatch.mortality import run_mortality, sepsis_answer

    paths = synth.synthesise(tmp_path / "synth", seed=0, scale="small", datasets=["admissions"])
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(f"create table admissions as select * from read_parquet('{paths['admissions']}')")
    res = run_mortality(db, tmp_path / "out", focal_org=synth.FOCAL_ORG, n_sim=100, charts=False)
    smr = res.smr
    overall = smr[(smr["diagnosis_group"] == "all") & (smr["period"] == "overall")].set_index("org_code")
    # signal 4: ZP07 has odds ratio 1.8 on every group -> higher than expected, and CUSUM alerts
    assert overall.loc[synth.HIGH_MORTALITY_PEER, "band"] == "higher than expected"
    assert ((res.alerts["org_code"] == synth.HIGH_MORTALITY_PEER) & (res.alerts["direction"] == "higher")).any()
    # signal 5: focal sepsis odds ratio 0.92 -> SMR below 1 is not "below expected"
    ans = sepsis_answer(res, synth.FOCAL_ORG)
    assert ans.band == "as expected" and not ans.below_expected
