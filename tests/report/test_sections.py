"""Section views of the board report, each checked against hand-made inputs or the raw data."""

from __future__ import annotations

import csv
from datetime import date
from importlib import resources
from types import SimpleNamespace

import pandas as pd

from wardwatch.report.format import SmallNumberRule


def test_ae_context_rna_matches_the_raw_file(tmp_path):
    from wardwatch.published import sample_path
    from wardwatch.published.ae_monthly import load_ae_monthly
    from wardwatch.report.ae_context import ae_context_view, stored_context
    from wardwatch.results.refresh import refresh
    from wardwatch.warehouse import connect_duckdb, connect_raw

    # independent hand computation from the packaged CSV: RNA, type 1, April 2018 to March 2019
    path = resources.files("wardwatch").joinpath("data", "nhse_ae_attendances_2016_2019.csv")
    attendances = breaches = 0
    months = set()
    with resources.as_file(path) as p, open(p, newline="") as fh:
        for row in csv.DictReader(fh):
            if (
                row["org_code"] == "RNA"
                and row["type"] == "1"
                and "2018-04-01" <= row["period"] <= "2019-03-01"
            ):
                attendances += int(row["attendances"])
                breaches += int(row["breaches"])
                months.add(row["period"])
    assert len(months) == 12
    expected = f"{100 * (attendances - breaches) / attendances:.1f}%"

    db = tmp_path / "published.duckdb"
    con = connect_duckdb(db)
    load_ae_monthly(sample_path("ae-monthly"), con)
    con.disconnect()
    refresh(db)
    raw = connect_raw(db, read_only=True)
    view = ae_context_view(stored_context(raw, "RNA", "public"), "The Dudley Group NHS Foundation Trust")
    assert stored_context(raw, "ZFV", "public") is None  # no published figures: no borrowed trust
    raw.close()
    assert view.period == "2018/19"
    assert f"saw {expected} of type 1" in view.answer
    assert f"({attendances - breaches:,} of {attendances:,})" in view.answer
    assert view.funnel is not None and "RNA" in view.funnel.svg
    assert view.spc is not None and "<svg" in view.spc.svg


def test_stored_ae_funnel_matches_the_golden_input_units(tmp_path):
    """The refresh stage's financial-year A&E funnel (the only A&E four-hour calculation on
    published data) selects exactly the trusts and counts of the FunnelPlotR golden input."""
    from pathlib import Path

    from wardwatch.published import sample_path
    from wardwatch.published.ae_monthly import load_ae_monthly
    from wardwatch.results import read
    from wardwatch.results.refresh import refresh
    from wardwatch.warehouse import connect_duckdb, connect_raw

    ref = pd.read_csv(Path(__file__).parents[1] / "data/reference/funnel/funnel_input.csv")
    ref = ref[ref["case_id"] == "PR"].set_index("group")
    db = tmp_path / "published.duckdb"
    con = connect_duckdb(db)
    load_ae_monthly(sample_path("ae-monthly"), con)
    con.disconnect()
    refresh(db)
    raw = connect_raw(db, read_only=True)
    fy2017 = read.funnel(raw, "ae_4h_type1", "year", date(2017, 4, 1))
    fy2018 = read.funnel(raw, "ae_4h_type1", "year", date(2018, 4, 1))
    raw.close()
    units = fy2017.units.set_index("group")
    assert set(units.index) == set(ref.index)
    assert (units.loc[ref.index, "numerator"] == ref["numerator"]).all()
    assert (units.loc[ref.index, "denominator"] == ref["denominator"]).all()
    rna = fy2018.units.set_index("group").loc["RNA"]
    assert rna["value"] == rna["numerator"] / rna["denominator"]
    assert fy2018.type == "PR" and fy2018.od_adjusted


def test_ratings_view_of_the_demo_trust():
    from wardwatch.ratings import demo_history
    from wardwatch.report.ratings_section import ratings_view
    from wardwatch.results.ratings import StoredRatings, history_rows

    history = demo_history()
    stored = StoredRatings("ZFV", history.name, history_rows(history, []))
    view = ratings_view("ZFV", stored)
    service, cells = view.rows[-1]
    assert service.startswith("Trust")
    ratings = dict(zip(view.key_questions, (c.rating for c in cells)))
    # docs/design.md, 2019 report: overall RI, Safe Inadequate, Effective and Caring Good,
    # Responsive and Well-led RI
    assert ratings == {
        "Safe": "Inadequate",
        "Effective": "Good",
        "Caring": "Good",
        "Responsive": "Requires improvement",
        "Well-led": "Requires improvement",
        "Overall": "Requires improvement",
    }
    assert [r[0][:10] for r in view.history.rows] == ["2017-09-12", "2019-07-12"]
    assert ratings_view("XYZ", stored) is None  # the demo history is ZFV's only
    assert ratings_view("ZFV", None) is None  # no ratings imported: no section, never the demo's


def _result(smr_rows):
    smr = pd.DataFrame(smr_rows)
    return SimpleNamespace(smr=smr, funnel_sepsis=None, alerts=pd.DataFrame(), cusum=None)


def _smr_row(period, observed, expected, band="as expected", lo=0.5, hi=1.5):
    return {
        "org_code": "ZT1",
        "diagnosis_group": "sepsis",
        "period": period,
        "spells": 100,
        "observed": observed,
        "expected": expected,
        "smr": observed / expected,
        "ci_low": lo,
        "ci_high": hi,
        "band": band,
    }


def test_mortality_view_suppresses_small_death_counts():
    from wardwatch.report.mortality_section import mortality_view

    result = _result(
        [
            _smr_row("2017/18", 20, 25.0),
            _smr_row("2018/19", 4, 5.0),
            _smr_row("2019/20", 16, 20.0),
            _smr_row("overall", 40, 50.0, lo=0.57, hi=1.09),
        ]
    )
    view = mortality_view("ZT1", result, SmallNumberRule())
    rows = {r[0]: r for r in view.stats.rows}
    assert rows["2018/19"][2] == "*" and rows["2018/19"][4] == "*"  # 4 deaths: count and SMR hidden
    # 40 - 20 would give 2018/19 back, so the smaller of the other years (16) is hidden too, SMR and CI
    # with it (O = SMR x E); 2017/18 stays
    assert rows["2019/20"][2] == "*" and rows["2019/20"][4] == "*" and rows["2019/20"][5] == "*"
    assert rows["2017/18"][2] == "20" and rows["2017/18"][4] == "0.80"
    # overall: 40 / 50 = 0.80 by hand
    assert rows["Whole period"][2] == "40" and rows["Whole period"][4] == "0.80"
    assert "SMR 0.80" in view.answer and "as expected" in view.answer
    assert "not evidence that mortality is below expected" in view.answer


def test_cusum_alert_table_suppresses_small_death_counts():
    from wardwatch.report.mortality_section import mortality_view

    result = _result([_smr_row("overall", 40, 50.0)])
    result.alerts = pd.DataFrame(
        [
            {
                "org_code": "ZT1",
                "diagnosis_group": "gi_bleed",
                "direction": "lower",
                "date_signalled": pd.Timestamp("2018-10-12"),
                "patients_since_reset": 221,
                "observed_since_reset": 7.0,
                "expected_since_reset": 17.2,
                "h": 4.45,
            },
            {
                "org_code": "ZT1",
                "diagnosis_group": "sepsis",
                "direction": "higher",
                "date_signalled": pd.Timestamp("2019-01-02"),
                "patients_since_reset": 300,
                "observed_since_reset": 30.0,
                "expected_since_reset": 20.0,
                "h": 5.0,
            },
            {
                "org_code": "ZP05",
                "diagnosis_group": "sepsis",
                "direction": "higher",
                "date_signalled": pd.Timestamp("2019-02-02"),
                "patients_since_reset": 310,
                "observed_since_reset": 31.0,
                "expected_since_reset": 20.0,
                "h": 5.0,
            },
        ]
    )
    view = mortality_view("ZT1", result, SmallNumberRule())
    rows = {r[1]: r for r in view.alerts.rows}
    assert [r[0] for r in view.alerts.rows] == ["ZT1", "ZT1"]  # another trust's alerts are its own
    assert rows["gi bleed"][5] == "*" and rows["sepsis"][5] == "30"
    assert rows["sepsis"][2] == "higher mortality than expected"


def test_mortality_view_hides_a_small_overall_count_in_the_answer():
    from wardwatch.report.mortality_section import mortality_view

    view = mortality_view("ZT1", _result([_smr_row("overall", 3, 4.0)]), SmallNumberRule())
    assert "3 deaths" not in view.answer and "suppressed" in view.answer


def test_actions_view_flags_overdue_and_annotates_starts():
    from wardwatch.actions import demo_plan
    from wardwatch.report.actions_section import actions_view

    plan = demo_plan()
    evaluation = pd.DataFrame(
        [
            {
                "action_id": "A01",
                "indicator_id": "sepsis_antibiotics_1h_news2_7plus",
                "verdict": "improved",
                "reason": "hand-made",
            },
            {
                "action_id": "A03",
                "indicator_id": "staffing_fill_rate",
                "verdict": "no change",
                "reason": "hand-made",
            },
        ]
    )
    view, annotations, notes = actions_view("ZFV", plan, date(2020, 3, 31), evaluation)
    by_id = {a.id: a for a in view.actions}
    # in progress and past due on 31 March 2020 -> overdue; complete -> not overdue
    assert by_id["A04"].overdue and by_id["A05"].overdue
    assert not by_id["A01"].overdue and not by_id["A03"].overdue
    assert by_id["A01"].linked[0].effect == "improved"
    assert by_id["A03"].linked[0].effect == "no change"
    assert by_id["A02"].linked[0].effect == "not evaluated"
    assert annotations["sepsis_antibiotics_1h_news2_7plus"] == [(date(2019, 4, 1), "A01 starts")]
    assert "improved" in notes["sepsis_antibiotics_1h_news2_7plus"][0]
    # before its due date nothing is overdue
    early, _, _ = actions_view("ZFV", plan, date(2019, 5, 1), evaluation)
    assert not any(a.overdue for a in early.actions)


class _FakeCusum:
    """Stands in for the mortality module's CUSUM result: the same three-patient path for every series."""

    def series(self, **keys):
        return pd.DataFrame({
            "index": [1, 2, 3],
            "date": pd.to_datetime(["2019-01-01", "2019-01-02", "2019-01-03"]),
            "upper": [0.5, 1.2, 0.0], "lower": [0.0, -0.3, -0.1],
            "signal_upper": [False, True, False], "signal_lower": [False, False, False],
            "h_upper": [1.0] * 3, "h_lower": [-1.0] * 3, "vlad": [0.1, -0.8, -0.7],
        })


def _alert(org, when):
    return {
        "org_code": org,
        "diagnosis_group": "sepsis",
        "direction": "higher",
        "date_signalled": pd.Timestamp(when),
        "patients_since_reset": 300,
        "observed_since_reset": 30.0,
        "expected_since_reset": 20.0,
        "h": 5.0,
    }


def test_public_edition_has_no_patient_level_charts_and_dates_alerts_by_month():
    from wardwatch.report.mortality_section import mortality_view

    result = _result([_smr_row("overall", 40, 50.0)])
    result.alerts = pd.DataFrame([_alert("ZT1", "2019-01-02")])
    result.cusum = _FakeCusum()
    public = mortality_view("ZT1", result, SmallNumberRule())
    assert public.alert_figures == ()
    assert public.alerts.rows[0][3] == "Jan 2019" and public.alerts.columns[3] == "Month signalled"
    assert any("clinical governance edition only" in n for n in public.notes)
    clinical = mortality_view("ZT1", result, SmallNumberRule(enabled=False))
    svgs = " ".join(f.svg for f in clinical.alert_figures)
    assert "ww-cusum--" in svgs and 'class="ww-vlad"' in svgs
    assert clinical.alerts.rows[0][3] == "02 Jan 2019"


def test_funnel_leaves_out_trusts_whose_smr_and_e_give_a_small_death_count():
    from wardwatch.report.mortality_section import mortality_view
    from wardwatch.stats.funnel import funnel

    # ZT1 40/50, ZP1 5 deaths of 4.0 expected (O = SMR x E = 1.25 x 4.0 = 5: must not be drawn),
    # ZP2 0 deaths (zero is shown), ZP3..ZP6 ordinary trusts
    peers = pd.DataFrame(
        {
            "org_code": ["ZT1", "ZP1", "ZP2", "ZP3", "ZP4", "ZP5", "ZP6"],
            "observed": [40, 5, 0, 30, 55, 61, 25],
            "expected": [50.0, 4.0, 3.0, 33.0, 50.0, 58.0, 28.0],
        }
    )
    fun = funnel(peers, "org_code", "observed", "expected", type="SR", method="shmi", od="additive")
    result = _result([_smr_row("overall", 40, 50.0)])
    result.funnel_sepsis = fun
    public = mortality_view("ZT1", result, SmallNumberRule())
    assert 'data-group="ZP1"' not in public.funnel.svg and "ZP1" not in public.funnel.svg
    assert 'data-group="ZP2"' in public.funnel.svg and 'data-group="ZT1"' in public.funnel.svg
    assert "1 trust(s) with 1 to 7 deaths are not drawn" in public.funnel.caption
    clinical = mortality_view("ZT1", result, SmallNumberRule(enabled=False))
    assert 'data-group="ZP1"' in clinical.funnel.svg


def test_a_cut_off_marks_the_last_month_incomplete_whatever_its_size(warehouse, tmp_path):
    import duckdb

    from wardwatch.report import build_report
    from wardwatch.report.build import read_panels, reading
    from wardwatch.results.refresh import refresh

    from .conftest import FOCAL, REGISTRY

    con = duckdb.connect(str(warehouse))
    con.execute("CREATE TABLE measures_data_until (indicator_id VARCHAR, org_code VARCHAR, data_until DATE)")
    # mortality's March 2020 has its full 2000 discharges in the hand-made table, but the data end
    # on Friday 20 March: the month is incomplete, not drawn and not the latest value
    con.execute("INSERT INTO measures_data_until VALUES ('mortality_crude_30d', 'ZT1', DATE '2020-03-20')")
    con.close()
    summary = refresh(warehouse, registry=REGISTRY)
    # the cut-off is an input of that one series only (ZT1's monthly crude mortality)
    assert summary.stages["spc"]["recomputed"] == 1
    with reading(warehouse) as raw:
        panels = read_panels(raw, FOCAL, "public", REGISTRY)
    panel = {p.meta.id: p for p in panels}["mortality_crude_30d"]
    assert panel.latest["period_start"] == date(2020, 2, 1)
    assert pd.Timestamp("2020-03-01").date() not in set(panel.charted["period_start"])
    assert "The last period (01 Mar 2020) is incomplete (data until 20 Mar 2020) and not shown." in panel.spc_note
    # other indicators keep the size rule (no cut-off stored for them): sepsis still ends in April
    sepsis = {p.meta.id: p for p in panels}["sepsis_screened_1h"]
    assert sepsis.latest["period_start"] == date(2020, 4, 1)
    html = build_report(warehouse, tmp_path / "cut", FOCAL, registry=REGISTRY).read_text(encoding="utf-8")
    assert "incomplete (data until 20 Mar 2020)" in html
