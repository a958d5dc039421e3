"""Crude mortality against hand counts of handmade.ADMISSION_ROWS (m1..m4)."""

from __future__ import annotations

from measures_helpers import counts


def test_crude_30d_mortality_by_discharge_month(handmade_measures):
    # m1 discharged 31 Jan 23:59:59 died in hospital -> January 1/1.
    # February: m2 (died after discharge) yes, m3 no, m4 (both flags: one death) yes -> 2/3.
    ind = "mortality_crude_30d"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-01-01"): (1, 1),
        ("ZFV", "2019-02-01"): (2, 3),
    }
    # m3 has no site: in the trust row, in no site row.
    assert counts(handmade_measures, ind, "month", "site") == {
        ("ZFV", "ZFV01", "2019-01-01"): (1, 1),
        ("ZFV", "ZFV01", "2019-02-01"): (1, 1),
        ("ZFV", "ZFV02", "2019-02-01"): (1, 1),
    }


def test_unknown_outcome_is_left_out_not_counted_as_survivor():
    # Added to the hand-made spells: m5 (no flag true, one NULL) has an unknown outcome and is left
    # out of numerator and denominator; m6 (died in hospital, 30-day flag NULL) is a known death;
    # m7 (both NULL) unknown. February was 2/3; it becomes 3/4 (m6 added), not 3/6.
    import ibis
    import pandas as pd
    from handmade import _spell, handmade_frames
    from warehouse_helpers import build_warehouse, typed_frame

    from wardwatch.indicators.engine import compute_measures

    frames = handmade_frames()
    extra = [_spell("m5", "ZFV01", "2019-02-20 10:00:00", False, None),
             _spell("m6", "ZFV01", "2019-02-21 10:00:00", True, None),
             _spell("m7", "ZFV01", "2019-02-22 10:00:00", None, None)]
    frames["admissions"] = pd.concat([frames["admissions"], typed_frame("admissions", extra)], ignore_index=True)
    con = build_warehouse(ibis.duckdb.connect(), frames)
    frame = compute_measures(con, ["mortality_crude_30d"])
    con.disconnect()
    assert counts(frame, "mortality_crude_30d", "month") == {
        ("ZFV", "2019-01-01"): (1, 1),
        ("ZFV", "2019-02-01"): (3, 4),
    }
