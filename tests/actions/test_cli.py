"""`wardwatch actions list|add|update|evaluate|demo`."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd

from wardwatch.actions import load_plan


def test_demo_list_add_update(cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    assert cli("actions", "demo", "--out", plan).exit_code == 0
    out = cli("actions", "list", "--plan", plan, "--today", "2020-03-31")
    assert out.exit_code == 0
    assert "REPEAT of F2017-01" in out.output and out.output.count("OVERDUE") == 2
    out = cli("actions", "add", "--plan", plan, "--finding", "F2019-03", "--title", "IR(ME)R e-learning",
              "--owner", "RPA", "--start", "2019-09-01", "--due", "2019-10-31",
              "--indicator", "irmer_training_in_date:increase")
    assert out.exit_code == 0 and "A06" in out.output
    out = cli("actions", "update", "A06", "--plan", plan, "--status", "complete", "--completed-on", "2019-10-30")
    assert out.exit_code == 0
    saved = load_plan(plan)
    assert saved.action("A06").status == "complete" and str(saved.action("A06").completed_on) == "2019-10-30"
    data = json.loads(cli("actions", "list", "--plan", plan, "--today", "2020-03-31", "--json").output)
    assert {a["id"] for a in data["actions"] if a["overdue"]} == {"A04", "A05"}
    bad = cli("actions", "update", "A99", "--plan", plan, "--status", "complete")
    assert bad.exit_code == 2 and "A99" in bad.output


def test_evaluate_from_warehouse(cli, tmp_path):
    plan = tmp_path / "plan.yaml"
    cli("actions", "demo", "--out", plan)
    months = pd.date_range("2017-04-01", "2020-03-01", freq="MS")
    rng = np.random.default_rng(7)
    step = np.where(months >= "2019-04-01", 0.85, 0.60) + rng.normal(0, 0.02, len(months))
    measures = pd.DataFrame({
        "indicator_id": "sepsis_antibiotics_1h_news2_7plus", "org_code": "ZFV", "site_code": None,
        "unit_code": None, "period_start": months.date, "period_grain": "month", "numerator": np.nan,
        "denominator": np.nan, "value": step, "source": "wardwatch"})
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("m", measures)
        con.execute("CREATE TABLE measures AS SELECT * FROM m")
    svg_dir = tmp_path / "svg"
    out = cli("actions", "evaluate", "--plan", plan, "--db", db, "--svg-dir", svg_dir)
    assert out.exit_code == 0, out.output
    assert "A01 Appoint a quality matron for sepsis → sepsis_antibiotics_1h_news2_7plus (increase): IMPROVED" \
        in out.output
    assert "A03 Staffing review → staffing_fill_rate (increase): NO DATA" in out.output
    assert (svg_dir / "A01_sepsis_antibiotics_1h_news2_7plus.svg").read_text().startswith("<svg")
    rows = json.loads(cli("actions", "evaluate", "--plan", plan, "--db", db, "--json").output)
    assert {r["action_id"]: r["verdict"] for r in rows}["A01"] == "improved"
    missing = cli("actions", "evaluate", "--plan", plan, "--db", tmp_path / "nope.duckdb")
    assert missing.exit_code == 2
    a01 = {r["action_id"]: r for r in rows}["A01"]
    assert a01["ci_low"] < a01["effect"] < a01["ci_high"] and 0 <= a01["power"] <= 1
    bad_alpha = cli("actions", "evaluate", "--plan", plan, "--db", db, "--alpha", "1.5")
    assert bad_alpha.exit_code == 2 and "--alpha" in bad_alpha.output
    no_peer = cli("actions", "evaluate", "--plan", plan, "--db", db, "--comparator", "NOPE")
    assert no_peer.exit_code == 2 and "comparator NOPE" in no_peer.output
