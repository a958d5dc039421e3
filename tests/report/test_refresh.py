"""``wardwatch refresh`` on the hand-made warehouse: nothing recomputed when nothing changed, only
the touched units when something did, the same bytes every time, and the ratings and action-effect
stages fed by imported documents."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pandas as pd
import pytest

from wardwatch.actions.effect import VERDICTS
from wardwatch.results.refresh import refresh
from wardwatch.results.tables import RESULT_COLUMNS

from .conftest import FOCAL, REGISTRY

HISTORY = """\
provider:
  org_code: ZT1
  name: Test Trust
  locations: {ZT101: Test Hospital}
inspections:
  - id: ZT1-2019
    published: 2019-06-01
    inspection_start: 2019-02-01
    inspection_end: 2019-02-28
    framework: kloe_2014
    ruleset: nhs_trust_2014
    trust_well_led: G
    published_trust: {safe: G, overall: G}
    services:
      - {location: ZT101, service: UEC, ratings: [G, G, G, G, G]}
      - {location: ZT101, service: MEDICAL, ratings: [G, G, G, G, G]}
"""

PLAN = """\
org_code: ZT1
title: ZT1 plan
findings:
  - {id: F1, inspection: ZT1-2019, date: 2019-06-01, service: UEC, key_question: safe, text: slow assessment}
actions:
  - id: A1
    finding_id: F1
    title: Triage nurse at the front door
    owner: Head of Nursing
    start: 2019-04-01
    due: 2019-09-30
    status: in_progress
    indicators: ["ed_initial_assessment_15min:increase"]
"""


def _tables(path) -> dict[str, pd.DataFrame]:
    """Every result table without its run stamp, in a fixed row order."""
    with duckdb.connect(str(path), read_only=True) as con:
        out = {}
        for name, columns in RESULT_COLUMNS.items():
            keep = [c for c in columns if c != "run_id"]
            out[name] = con.execute(f"SELECT {', '.join(keep)} FROM {name} ORDER BY ALL").df()
        return out


def test_a_second_refresh_recomputes_nothing_and_a_forced_one_gives_the_same_bytes(warehouse):
    before = _tables(warehouse)
    again = refresh(warehouse, registry=REGISTRY)
    assert again.recomputed == 0
    forced = refresh(warehouse, registry=REGISTRY, force=True)
    assert forced.stages["spc"]["recomputed"] == forced.stages["spc"]["units"] > 0
    after = _tables(warehouse)
    for name in before:
        # to the bit: the CSV text of each table, floats written with every digit
        assert before[name].to_csv(float_format="%.17g") == after[name].to_csv(float_format="%.17g"), name
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 3


def test_a_changed_measure_recomputes_only_its_series_and_funnel(warehouse):
    with duckdb.connect(str(warehouse)) as con:
        # a third trust: funnels need three
        con.execute("INSERT INTO measures SELECT indicator_id, 'ZT3', site_code, unit_code, period_start, "
                    "period_grain, numerator + 5, denominator, (numerator + 5) / denominator, source "
                    "FROM measures WHERE org_code = 'ZT2'")
    first = refresh(warehouse, registry=REGISTRY)
    assert first.stages["funnel"]["units"] > 2 and first.stages["spc"]["recomputed"] == 1
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE measures SET numerator = numerator + 1, value = (numerator + 1) / denominator "
                    "WHERE indicator_id = 'sepsis_screened_1h' AND org_code = 'ZT2' AND period_start = '2019-01-01'")
    summary = refresh(warehouse, registry=REGISTRY)
    assert summary.stages["spc"]["recomputed"] == 1  # ZT2's monthly sepsis screening
    # the January 2019 funnel across trusts, and the 2018/19 financial-year funnel it falls in
    assert summary.stages["funnel"]["recomputed"] == 2
    assert summary.stages["funnel"]["recomputed"] < summary.stages["funnel"]["units"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        value = con.execute("SELECT value FROM result_spc_points WHERE org_code = 'ZT2' AND "
                            "period_start = DATE '2019-01-01' AND edition = 'clinical'").fetchone()[0]
    assert value == pytest.approx(14 / 100)


def test_an_imported_history_is_aggregated_with_its_published_ratings_and_overrides(warehouse, tmp_path):
    from wardwatch.report.ratings_section import ratings_view
    from wardwatch.results.ratings import read_history

    path = tmp_path / "inspections.yaml"
    path.write_text(HISTORY, encoding="utf-8")
    summary = refresh(warehouse, registry=REGISTRY, ratings_files=[path])
    assert summary.stages["ratings"] == {"units": 1, "recomputed": 1, "removed": 0}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = read_history(con, FOCAL)
        assert read_history(con, "ZT2") is None
    trust = stored.cells[stored.cells["level"] == "trust"].set_index("key_question")
    # every service Good: Good at the location and at the trust, whatever the rule
    assert set(trust["rating"]) == {"Good"}
    assert trust.loc["safe", "published_rating"] == "Good"
    assert trust.loc["overall", "rule_id"] != "INPUT" and trust.loc["overall", "explanation"]
    # an override of the trust's Safe rating (with its reason) recomputes that trust's ratings only
    with duckdb.connect(str(warehouse)) as con:
        con.execute('CREATE TABLE rating_overrides (level VARCHAR, org VARCHAR, location VARCHAR, service VARCHAR, '
                    'key_question VARCHAR, from_rating VARCHAR, to_rating VARCHAR, reason VARCHAR, who VARCHAR, '
                    '"when" VARCHAR)')
        con.execute("INSERT INTO rating_overrides VALUES ('trust', 'ZT1', NULL, NULL, 'safe', 'Good', "
                    "'Requires improvement', 'never event in theatres', 'QA lead', ?)",
                    [datetime(2019, 7, 1).isoformat()])
    summary = refresh(warehouse, registry=REGISTRY)
    assert summary.stages["ratings"]["recomputed"] == 1 and summary.stages["spc"]["recomputed"] == 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        stored = read_history(con, FOCAL)
    safe = stored.cells[(stored.cells["level"] == "trust") & (stored.cells["key_question"] == "safe")].iloc[0]
    assert safe["rating"] == "Requires improvement" and safe["override_reason"] == "never event in theatres"
    view = ratings_view(FOCAL, stored)
    trust_row = dict(zip(view.key_questions, (c.rating for c in view.rows[-1][1]), strict=True))
    assert view.rows[-1][0] == "Trust: Test Trust" and trust_row["Safe"] == "Requires improvement"
    assert view.history.rows[0][2] == "Requires improvement (published: Good)"


def test_an_imported_plan_is_evaluated_and_re_evaluated_when_its_indicator_changes(warehouse, tmp_path):
    from wardwatch.results.actions import read_plan

    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    summary = refresh(warehouse, registry=REGISTRY, action_plans=[path])
    assert summary.stages["actions"] == {"units": 1, "recomputed": 1, "removed": 0}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        plan, effects = read_plan(con, FOCAL)
        assert read_plan(con, "ZT2") is None
    assert plan.title == "ZT1 plan" and [a.id for a in plan.actions] == ["A1"]
    assert list(effects[["action_id", "indicator_id"]].itertuples(index=False, name=None)) == [
        ("A1", "ed_initial_assessment_15min")]
    assert effects["verdict"].iloc[0] in VERDICTS and effects["reason"].iloc[0]
    assert effects["start"].iloc[0].date() == date(2019, 4, 1)
    before = effects.iloc[0]
    # measures of an indicator the plan does not link leave the effects alone ...
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE measures SET value = value WHERE indicator_id = 'mortality_crude_30d'")
        con.execute("UPDATE measures SET numerator = numerator - 40, value = (numerator - 40) / denominator "
                    "WHERE indicator_id = 'mortality_crude_30d' AND period_start = '2019-05-01'")
    assert refresh(warehouse, registry=REGISTRY).stages["actions"]["recomputed"] == 0
    # ... a linked one re-evaluates them
    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE measures SET numerator = numerator + 400, value = (numerator + 400) / denominator "
                    "WHERE indicator_id = 'ed_initial_assessment_15min' AND period_grain = 'month' "
                    "AND period_start >= '2019-04-01'")
    assert refresh(warehouse, registry=REGISTRY).stages["actions"]["recomputed"] == 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        _, effects = read_plan(con, FOCAL)
    # 400 more of 4,300 assessed in time from the start month on: the step regressor of the
    # interrupted time series takes exactly that step (least squares is linear in y)
    after = effects.iloc[0]
    assert after["level_change"] - before["level_change"] == pytest.approx(400 / 4300, rel=1e-6)


def test_a_bad_history_is_a_one_line_error_and_nothing_is_imported(warehouse, tmp_path):
    from wardwatch.errors import InputError

    path = tmp_path / "inspections.yaml"
    path.write_text("provider: {org_code: ZT1}\ninspections:\n  - id: X\n", encoding="utf-8")
    with pytest.raises(InputError, match="inspection history is malformed"):
        refresh(warehouse, registry=REGISTRY, ratings_files=[path])
    with pytest.raises(InputError, match="no such file"):
        refresh(warehouse, registry=REGISTRY, action_plans=[tmp_path / "missing.yaml"])
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert "input_documents" not in tables


def test_a_rebasing_link_splits_the_stored_chart_of_its_series_at_the_action_start(warehouse, tmp_path):
    path = tmp_path / "plan.yaml"
    rebasing = PLAN.replace(":increase", ":increase:rebase")
    path.write_text(rebasing, encoding="utf-8")
    summary = refresh(warehouse, registry=REGISTRY, action_plans=[path])
    # the trust's weekly and monthly series of the linked indicator, in both editions' one unit each
    assert summary.stages["spc"]["recomputed"] == 2
    with duckdb.connect(str(warehouse), read_only=True) as con:
        points = con.execute("SELECT grain, period_start, segment, centre FROM result_spc_points "
                             "WHERE indicator_id = 'ed_initial_assessment_15min' AND org_code = ? "
                             "AND edition = 'clinical' AND status = 'charted' ORDER BY grain, period_start",
                             [FOCAL]).df()
        others = con.execute("SELECT max(segment) FROM result_spc_points WHERE indicator_id <> "
                             "'ed_initial_assessment_15min' OR org_code <> ?", [FOCAL]).fetchone()[0]
    assert others == 0
    for grain, rows in points.groupby("grain"):
        # the first period starting on or after 1 April 2019 opens segment 1
        starts = pd.to_datetime(rows["period_start"])
        assert (rows["segment"] == (starts >= "2019-04-01").astype(int)).all(), grain
        # one centre line per segment
        assert rows.groupby("segment")["centre"].nunique().eq(1).all(), grain
    # the fixture's 12 + 12 months straddle the start; its 30 charted weeks all end before it
    assert points.groupby(["grain", "segment"]).size().to_dict() == {("month", 0): 12, ("month", 1): 12,
                                                                      ("week", 0): 30}
    # the plan without the rebase flag: the charts are one segment again
    path.write_text(PLAN, encoding="utf-8")
    assert refresh(warehouse, registry=REGISTRY, action_plans=[path]).stages["spc"]["recomputed"] == 2
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT max(segment) FROM result_spc_points").fetchone()[0] == 0
