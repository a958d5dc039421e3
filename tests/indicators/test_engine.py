"""Engine behaviour: skipping absent tables, grain/level selection, writing measures."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from handmade import handmade_frames
from warehouse_helpers import build_warehouse

from wardwatch.indicators.engine import compute_measures, run_measures, write_measures
from wardwatch.indicators.store import read_measures, replace_measures


def test_indicator_with_absent_table_is_skipped():
    frames = handmade_frames()
    con = build_warehouse(ibis.duckdb.connect(), {"ed_attendances": frames["ed_attendances"]})
    run = run_measures(con)
    assert set(run.frame.indicator_id) == {"ed_initial_assessment_15min", "ed_4h", "ed_12h_from_arrival"}
    assert run.skipped["sepsis_screened_1h"] == "table sepsis_episodes not in the warehouse"
    assert "irmer_entitlements" in run.skipped["irmer_entitlement_recorded"]


def test_grain_and_level_selection(handmade_con):
    frame = compute_measures(handmade_con, ["ed_4h"], grains=["month"], levels=["trust"])
    assert set(frame.period_grain) == {"month"}
    assert frame.site_code.isna().all() and frame.unit_code.isna().all()
    assert len(frame) == 3  # ZFV March, ZFV April, ZP01 April


def test_unknown_or_published_ids_are_refused(handmade_con):
    with pytest.raises(ValueError, match="unknown"):
        compute_measures(handmade_con, ["ed_5h"])
    with pytest.raises(ValueError, match="published"):
        compute_measures(handmade_con, ["ae_4h_type1"])


def test_empty_table_gives_no_rows():
    frames = handmade_frames()
    con = build_warehouse(ibis.duckdb.connect(), {"ed_attendances": frames["ed_attendances"].iloc[0:0]})
    assert compute_measures(con).empty


def test_write_measures_replaces_own_rows_and_keeps_published(handmade_con):
    published = pd.DataFrame(
        [
            {
                "indicator_id": "ae_4h_type1",
                "org_code": "RNA",
                "site_code": None,
                "unit_code": None,
                "period_start": pd.Timestamp("2019-01-01").date(),
                "period_grain": "month",
                "numerator": 9.0,
                "denominator": 10.0,
                "value": 0.9,
                "source": "NHS England A&E monthly",
            }
        ]
    )
    replace_measures(handmade_con, published, source="NHS England A&E monthly")
    first = write_measures(handmade_con, ["ed_4h", "sepsis_screened_1h"])
    second = write_measures(handmade_con, ["ed_4h"])
    stored = read_measures(handmade_con)
    # ed_4h recomputed (replaced, not duplicated); sepsis rows from the first run kept; published kept
    n_ed = int((first.frame.indicator_id == "ed_4h").sum())
    assert n_ed == len(second.frame) == int((stored.indicator_id == "ed_4h").sum())
    assert int((stored.indicator_id == "sepsis_screened_1h").sum()) == int(
        (first.frame.indicator_id == "sepsis_screened_1h").sum()
    )
    assert stored[stored.indicator_id == "ae_4h_type1"].value.tolist() == [0.9]
    assert list(stored.columns) == [
        "indicator_id",
        "org_code",
        "site_code",
        "unit_code",
        "period_start",
        "period_grain",
        "numerator",
        "denominator",
        "value",
        "source",
    ]


def test_window_keeps_overlapping_periods_and_bounds_census(handmade_con):
    import datetime as dt

    frame = compute_measures(
        handmade_con,
        ["ed_initial_assessment_15min", "irmer_training_in_date"],
        levels=["trust"],
        start=dt.date(2019, 4, 3),
        end=dt.date(2019, 4, 30),
    )
    ed = frame[frame.indicator_id == "ed_initial_assessment_15min"]
    # the week of Monday 1 April overlaps the window and is kept whole (2/4); March is outside
    assert set(zip(ed.period_grain, ed.period_start.astype(str))) == {
        ("month", "2019-04-01"),
        ("week", "2019-04-01"),
        ("week", "2019-04-08"),
        ("week", "2019-04-29"),
    }
    assert ed[(ed.period_grain == "week") & (ed.org_code == "ZFV")].numerator.tolist()[0] == 2
    # the IR(ME)R census (Dec 2018 - Mar 2019 in the data) has no month end inside the window
    assert frame[frame.indicator_id == "irmer_training_in_date"].empty
