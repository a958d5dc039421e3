"""Workforce indicators against hand counts of handmade.TRAINING_ROWS, ENTITLEMENT_ROWS, STAFFING_ROWS.

The census runs from the first month a requirement applies or a course was completed (Jun 2018: s1's
requirements start on 1 Jun 2018) to the last month with a recorded completion (IR(ME)R: Mar 2019;
mandatory training: Feb 2019). Months before the first completion count too: they are the 0% months.
"""

from __future__ import annotations

import pytest
from measures_helpers import counts


def test_irmer_training_in_date(handmade_measures):
    # Requirements: s1-CT-operator (from Jun 2018; rows t1 valid to 31 Jan, t2 from 10 Mar), s2-CT-practitioner
    # (from 15 Jan, never done), s3-XR-operator (from 15 Feb, done 28 Feb, valid through 31 Mar). MR: not IR(ME)R.
    # 31 Dec: s1 yes -> 1/1. 31 Jan: s1 yes (valid_until = census day), s2 no -> 1/2.
    # 28 Feb: s1 no (expired, renewal later), s2 no, s3 yes (completed on census day) -> 1/3.
    # 31 Mar: s1 yes (t2), s2 no, s3 yes (valid_until = census day) -> 2/3.
    ind = "irmer_training_in_date"
    assert counts(handmade_measures, ind, "month") == {
        # Jun-Nov 2018: s1's CT operator requirement applies from 1 Jun, first completion 5 Dec -> 0/1
        **{("ZFV", f"2018-{m:02d}-01"): (0, 1) for m in range(6, 12)},
        ("ZFV", "2018-12-01"): (1, 1),
        ("ZFV", "2019-01-01"): (1, 2),
        ("ZFV", "2019-02-01"): (1, 3),
        ("ZFV", "2019-03-01"): (2, 3),
    }
    assert counts(handmade_measures, ind, "month", "unit") == {
        **{("ZFV", "CT", f"2018-{m:02d}-01"): (0, 1) for m in range(6, 12)},
        ("ZFV", "CT", "2018-12-01"): (1, 1),
        ("ZFV", "CT", "2019-01-01"): (1, 2),
        ("ZFV", "CT", "2019-02-01"): (0, 2),
        ("ZFV", "CT", "2019-03-01"): (1, 2),
        ("ZFV", "XR", "2019-02-01"): (1, 1),
        ("ZFV", "XR", "2019-03-01"): (1, 1),
    }


def test_irmer_entitlement_recorded(handmade_measures):
    # s1 CT operator entitled since Jun 2018 (two training rows, counted once); s2 CT practitioner entitled
    # 1 Feb, withdrawn 31 Mar (not current on 31 Mar); s3's XR entitlement is as practitioner but the
    # requirement is operator -> never counts.
    ind = "irmer_entitlement_recorded"
    assert counts(handmade_measures, ind, "month") == {
        **{("ZFV", f"2018-{m:02d}-01"): (1, 1) for m in range(6, 12)},  # s1 entitled and required from Jun
        ("ZFV", "2018-12-01"): (1, 1),  # s1
        ("ZFV", "2019-01-01"): (1, 2),  # s1 yes, s2 not yet recorded
        ("ZFV", "2019-02-01"): (2, 3),  # s1, s2 yes; s3 wrong role
        ("ZFV", "2019-03-01"): (1, 3),  # s2 withdrawn on the census day
    }


def test_mandatory_training(handmade_measures):
    # t6 s1 fire safety valid 20 Dec..27 Feb; t7 s2 fire safety from 1 Jan, done 1 Feb, no expiry;
    # t8 s3 information governance from 1 Jan, never done. (t9 sepsis course is not mandatory.)
    # 30 Jun..30 Nov 2018: s1's fire safety requirement applies from 1 Jun, not done yet -> 0/1.
    # 31 Dec: s1 -> 1/1. 31 Jan: s1 yes, s2 no, s3 no -> 1/3. 28 Feb: s1 expired 27 Feb, s2 yes, s3 no -> 1/3.
    assert counts(handmade_measures, "mandatory_training_compliance", "month") == {
        **{("ZFV", f"2018-{m:02d}-01"): (0, 1) for m in range(6, 12)},
        ("ZFV", "2018-12-01"): (1, 1),
        ("ZFV", "2019-01-01"): (1, 3),
        ("ZFV", "2019-02-01"): (1, 3),
    }


def test_staffing_fill_rate(handmade_measures):
    trust = counts(handmade_measures, "staffing_fill_rate", "month")
    assert trust == {("ZFV", "2019-01-01"): (8.5 + 90.0, 110.0), ("ZFV", "2019-02-01"): (9.25 + 95.5, 110.0)}
    units = counts(handmade_measures, "staffing_fill_rate", "month", "unit")
    assert units[("ZFV", "radiography", "2019-01-01")] == (8.5, 10.0)
    row = handmade_measures[
        (handmade_measures.indicator_id == "staffing_fill_rate") & handmade_measures.unit_code.isna()
    ].iloc[0]
    assert row.value == pytest.approx(98.5 / 110)


def test_census_indicators_without_rows_to_census_are_skipped_not_fatal():
    # Review regression: a training extract with no IR(ME)R rows gave the IR(ME)R census indicators an
    # empty (NaT, NaT) calendar, and compute_measures crashed for every indicator.
    import ibis
    from handmade import _tr
    from warehouse_helpers import build_warehouse, typed_frame

    from wardwatch.indicators.engine import compute_measures

    frames = {
        "staff_training": typed_frame(
            "staff_training",
            [_tr("r1", "s1", "fire_safety", None, "2024-01-01", "2024-02-05", "2025-02-04", group="nursing")],
        )
    }
    con = build_warehouse(ibis.duckdb.connect(), frames)
    measures = compute_measures(con)
    con.disconnect()
    assert set(measures["indicator_id"]) == {"mandatory_training_compliance"}
    # January counts (required from 1 Jan, not yet done): 0/1; February: 1/1
    assert counts(measures, "mandatory_training_compliance", "month") == {
        ("ZFV", "2024-01-01"): (0, 1),
        ("ZFV", "2024-02-01"): (1, 1),
    }
