"""The last, incomplete period of an indicator: flagged from the extract's cut-off (hand-checked on
handmade.py: ZFV's latest event is the imaging request of Thursday 20 June 2019, ZP01's only row
the ED arrival of Tuesday 30 April 2019)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from wardwatch.indicators.engine import complete, run_measures, write_measures


def _incomplete(run) -> set[tuple[str, str, str, str]]:
    f = run.frame[~run.complete]
    return {(r.indicator_id, r.org_code, r.period_grain, r.period_start.isoformat()) for r in f.itertuples()}


def test_cut_off_is_the_latest_event_day_of_the_organisation(handmade_con):
    run = run_measures(handmade_con)
    cut = {(r.indicator_id, r.org_code): r.data_until for r in run.cut_offs.itertuples()}
    assert cut[("ed_4h", "ZFV")] == dt.date(2019, 6, 20)  # the trust's extract, not the ED table alone
    assert cut[("sepsis_screened_1h", "ZFV")] == dt.date(2019, 6, 20)
    assert cut[("ed_4h", "ZP01")] == dt.date(2019, 4, 30)
    assert cut[("sepsis_mortality_crude_30d", "ZFV")] == dt.date(2019, 6, 20) - dt.timedelta(days=44)
    # monthly returns (staffing, dated by a date) and month-end censuses have no cut-off
    assert not run.cut_offs.indicator_id.isin(["staffing_fill_rate", "dm01_waiting_6wk_plus"]).any()


def test_periods_running_past_the_cut_off_are_incomplete(handmade_con):
    run = run_measures(handmade_con)
    # ZFV to Thu 20 June: June is incomplete for every ZFV indicator with a June row (only these
    # three have one); its week of Mon 17 June would be too but none has a row that week.
    # ZP01 to Tue 30 April: April (ends 30 April) is complete, its week of Mon 29 April is not.
    assert _incomplete(run) == {
        ("imaging_report_turnaround_7d", "ZFV", "month", "2019-06-01"),
        ("sepsis_mortality_crude_30d", "ZFV", "month", "2019-06-01"),
        # 30-day mortality needs 30 days of follow-up and 14 of death-data lag: its cut-off is
        # 20 June - 44 days = 7 May, so May (ends 31 May) is incomplete as well
        ("sepsis_mortality_crude_30d", "ZFV", "month", "2019-05-01"),
        ("sepsis_screened_1h", "ZFV", "month", "2019-06-01"),
        ("ed_4h", "ZP01", "week", "2019-04-29"),
        ("ed_12h_from_arrival", "ZP01", "week", "2019-04-29"),
        ("ed_initial_assessment_15min", "ZP01", "week", "2019-04-29"),
    }


def test_complete_boundaries():
    frame = pd.DataFrame(
        {
            "indicator_id": ["x"] * 4 + ["y"],
            "org_code": ["A"] * 5,
            "period_start": [
                dt.date(2021, 3, 1),
                dt.date(2021, 3, 22),
                dt.date(2021, 3, 29),
                dt.date(2021, 1, 1),
                dt.date(2021, 4, 1),
            ],
            "period_grain": ["month", "week", "week", "year", "month"],
        }
    )
    cut = pd.DataFrame({"indicator_id": ["x"], "org_code": ["A"], "data_until": [dt.date(2021, 3, 31)]})
    # March ends 31 March (= cut-off: covered); week of 22 March ends Sunday 28th; week of 29 March
    # ends Sunday 4 April (after); the year ends 31 December; y has no cut-off (published data)
    assert complete(frame, cut).tolist() == [True, True, False, False, True]


def test_write_measures_stores_the_cut_offs(handmade_con):
    write_measures(handmade_con, ["ed_4h"])
    sql = "SELECT org_code, data_until FROM measures_data_until ORDER BY 1"
    stored = handmade_con.con.execute(sql).fetchall()
    # computed alone, ed_4h sees only the ED table: ZFV's last arrival is Monday 8 April (a6)
    assert stored == [("ZFV", dt.date(2019, 4, 8)), ("ZP01", dt.date(2019, 4, 30))]
    write_measures(handmade_con, ["ed_4h"])  # recomputing replaces, never duplicates
    assert handmade_con.con.execute("SELECT count(*) FROM measures_data_until").fetchone() == (2,)
