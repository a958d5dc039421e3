"""Sepsis indicators against hand counts of handmade.SEPSIS_ROWS (e1..e6)."""

from __future__ import annotations

from measures_helpers import counts


def test_antibiotics_1h_news2_7_plus(handmade_measures):
    # NEWS2>=7: e1 (exactly 60:00, within), e2 (60:01, not), e3 (missing, not) -> 1/3 in May.
    # June has no NEWS2>=7 episode -> no row (undefined, not 0/0).
    ind = "sepsis_antibiotics_1h_news2_7plus"
    assert counts(handmade_measures, ind, "month") == {("ZFV", "2019-05-01"): (1, 3)}
    assert counts(handmade_measures, ind, "month", "unit") == {
        ("ZFV", "emergency_department", "2019-05-01"): (1, 2),  # e1, e3
        ("ZFV", "inpatient_ward", "2019-05-01"): (0, 1),  # e2
    }
    assert counts(handmade_measures, ind, "week") == {("ZFV", "2019-04-29"): (1, 3)}


def test_antibiotics_3h_news2_5_6(handmade_measures):
    # e4 NEWS2 5 exactly 3:00:00 within; e5 NEWS2 6 3:00:01 not (trigger 31 May counts in May); e6 NEWS2 4 outside.
    ind = "sepsis_antibiotics_3h_news2_5_6"
    assert counts(handmade_measures, ind, "month") == {("ZFV", "2019-05-01"): (1, 2)}
    assert counts(handmade_measures, ind, "week") == {
        ("ZFV", "2019-04-29"): (1, 1),  # e4 Saturday 4 May
        ("ZFV", "2019-05-27"): (0, 1),  # e5 Friday 31 May
    }


def test_screened_1h_all_episodes(handmade_measures):
    # e1 30 min yes, e2 exactly 60:00 yes, e3 missing no, e4 59:59 yes, e5 1:01 no -> 3/5; June e6 -> 1/1.
    ind = "sepsis_screened_1h"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-05-01"): (3, 5),
        ("ZFV", "2019-06-01"): (1, 1),
    }
    assert counts(handmade_measures, ind, "week") == {
        ("ZFV", "2019-04-29"): (3, 4),
        ("ZFV", "2019-05-27"): (0, 1),
        ("ZFV", "2019-06-03"): (1, 1),
    }


def test_sepsis_mortality(handmade_measures):
    # e2 and e5 died within 30 days; all episodes count, by trigger month.
    ind = "sepsis_mortality_crude_30d"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-05-01"): (2, 5),
        ("ZFV", "2019-06-01"): (0, 1),
    }
    assert counts(handmade_measures, ind, "week") == {}  # monthly only


def test_antibiotics_before_time_zero_are_in_the_denominator_and_met():
    """A patient already on antibiotics when NEWS2 triggers the pathway was treated in time: the
    episode counts in the denominator and as met (the contract no longer quarantines it)."""
    import ibis
    from handmade import _ep
    from warehouse_helpers import build_warehouse, typed_frame

    from wardwatch.contracts.schema import CONTRACTS
    from wardwatch.indicators.engine import compute_measures

    assert not any(
        (r.earlier, r.later) == ("trigger_at", "antibiotics_at") for r in CONTRACTS["sepsis_episodes"].order_rules
    )
    rows = [
        # NEWS2 7, antibiotics 30 min before time zero -> met
        _ep("b1", "inpatient_ward", "2020-02-03 10:00:00", 7, "2020-02-03 10:20:00", "2020-02-03 09:30:00", False),
        # NEWS2 8, antibiotics exactly at time zero -> met
        _ep("b2", "inpatient_ward", "2020-02-04 10:00:00", 8, None, "2020-02-04 10:00:00", False),
        # NEWS2 9, antibiotics 1:00:01 after -> not met
        _ep("b3", "inpatient_ward", "2020-02-05 10:00:00", 9, None, "2020-02-05 11:00:01", False),
        # NEWS2 5, antibiotics the evening before -> met in the 3-hour band
        _ep("b4", "assessment_unit", "2020-02-06 10:00:00", 5, None, "2020-02-05 22:00:00", False),
    ]
    con = build_warehouse(ibis.duckdb.connect(), {"sepsis_episodes": typed_frame("sepsis_episodes", rows)})
    frame = compute_measures(
        con,
        ["sepsis_antibiotics_1h_news2_7plus", "sepsis_antibiotics_3h_news2_5_6"],
        grains=["month"],
        levels=["trust"],
    )
    con.disconnect()
    assert counts(frame, "sepsis_antibiotics_1h_news2_7plus", "month") == {("ZFV", "2020-02-01"): (2, 3)}
    assert counts(frame, "sepsis_antibiotics_3h_news2_5_6", "month") == {("ZFV", "2020-02-01"): (1, 1)}
