"""ED indicators against hand counts of handmade.ED_ROWS (a1..a7; see the comments there)."""

from __future__ import annotations

from measures_helpers import counts

IA = "ed_initial_assessment_15min"


def test_initial_assessment_monthly(handmade_measures):
    # March: a1 (exactly 15:00 counts) -> 1/1. April ZFV: a2 15:01 no, a3 missing no, a4 14:59 yes,
    # a5 10:01 yes, a6 0:00 yes -> 3/5. ZP01 April: a7 20 min -> 0/1.
    assert counts(handmade_measures, IA, "month") == {
        ("ZFV", "2019-03-01"): (1, 1),
        ("ZFV", "2019-04-01"): (3, 5),
        ("ZP01", "2019-04-01"): (0, 1),
    }


def test_initial_assessment_weekly_weeks_start_monday(handmade_measures):
    # a1 arrived Sunday 31 March 23:50 -> week of Monday 25 March; a2 Monday 00:00:00 opens week 1 April;
    # a5 Sunday 7 April 23:59:59 still in week 1 April; a6 Monday 8 April; a7 Tuesday 30 April -> 29 April.
    assert counts(handmade_measures, IA, "week") == {
        ("ZFV", "2019-03-25"): (1, 1),  # a1
        ("ZFV", "2019-04-01"): (2, 4),  # a2 no, a3 no, a4 yes, a5 yes
        ("ZFV", "2019-04-08"): (1, 1),  # a6
        ("ZP01", "2019-04-29"): (0, 1),  # a7
    }


def test_initial_assessment_by_site(handmade_measures):
    assert counts(handmade_measures, IA, "month", "site") == {
        ("ZFV", "ZFV01", "2019-03-01"): (1, 1),  # a1
        ("ZFV", "ZFV01", "2019-04-01"): (1, 3),  # a2 no, a3 no, a6 yes
        ("ZFV", "ZFV02", "2019-04-01"): (2, 2),  # a4, a5
        ("ZP01", "ZP011", "2019-04-01"): (0, 1),  # a7
    }


def test_four_hours(handmade_measures):
    # a1 exactly 4:00:00 within; a2 4:00:01 not; a4 12 h not; a5 12 h not; a6 30 min within; a7 2 h
    # within (dated by arrival in April, left in May). a3 has no departure and arrived 2 Apr 10:00; ZFV's
    # extract time is its latest timestamp, a5's departure 8 Apr 12:00:00, so a3 has been there six
    # days: a breach, in the denominator and not the numerator.
    assert counts(handmade_measures, "ed_4h", "month") == {
        ("ZFV", "2019-03-01"): (1, 1),
        ("ZFV", "2019-04-01"): (1, 5),
        ("ZP01", "2019-04-01"): (1, 1),
    }
    assert counts(handmade_measures, "ed_4h", "week") == {
        ("ZFV", "2019-03-25"): (1, 1),
        ("ZFV", "2019-04-01"): (0, 4),  # a2, a3 (open), a4, a5
        ("ZFV", "2019-04-08"): (1, 1),
        ("ZP01", "2019-04-29"): (1, 1),
    }


def test_twelve_hours_from_arrival(handmade_measures):
    # a4 exactly 12:00:00 is not over; a5 12:00:01 is; a3 still open six days after arrival is over.
    assert counts(handmade_measures, "ed_12h_from_arrival", "month") == {
        ("ZFV", "2019-03-01"): (0, 1),
        ("ZFV", "2019-04-01"): (2, 5),
        ("ZP01", "2019-04-01"): (0, 1),
    }
    assert counts(handmade_measures, "ed_12h_from_arrival", "week", "site")[
        ("ZFV", "ZFV02", "2019-04-01")
    ] == (1, 2)


def _open_attendances_measures():
    """A small extract with attendances still open at the extract time, counted by hand below."""
    import ibis
    from handmade import _ed
    from warehouse_helpers import build_warehouse, typed_frame

    from wardwatch.indicators.engine import compute_measures

    rows = [
        # the extract time of ZT1 is o0's departure, 10 May 2021 20:00:00 (its latest timestamp)
        _ed("o0", "ZT1", "ZT101", "2021-05-10 08:00:00", "2021-05-10 08:05:00", "2021-05-10 20:00:00"),
        # open, exactly 4:00:00 at the extract time: not yet a breach of either standard -> left out
        _ed("o1", "ZT1", "ZT101", "2021-05-10 16:00:00", "2021-05-10 16:05:00", None),
        # open, 4:00:01: a 4-hour breach; not over 12 h and still open -> left out of the 12-hour measure
        _ed("o2", "ZT1", "ZT101", "2021-05-10 15:59:59", "2021-05-10 16:05:00", None),
        # open, exactly 12:00:00: a 4-hour breach; not over 12 h -> left out of the 12-hour measure
        _ed("o3", "ZT1", "ZT101", "2021-05-10 08:00:00", "2021-05-10 08:05:00", None),
        # open, 12:00:01: breach of both
        _ed("o4", "ZT1", "ZT101", "2021-05-10 07:59:59", "2021-05-10 08:05:00", None),
        # another trust's later extract does not move ZT1's extract time
        _ed("p1", "ZT2", "ZT201", "2021-05-12 07:00:00", "2021-05-12 07:05:00", "2021-05-12 09:00:00"),
        # no assessment yet, open 10 min at the extract time: not yet known -> left out of all three
        _ed("o5", "ZT1", "ZT101", "2021-05-10 19:50:00", None, None),
        # no assessment yet, open 15:01 at the extract time: a 15-minute miss; left out of 4 h and 12 h
        _ed("o6", "ZT1", "ZT101", "2021-05-10 19:44:59", None, None),
        # ZT2: open 1 h at its own extract time (12 May 09:00) -> left out of both
        _ed("p2", "ZT2", "ZT201", "2021-05-12 08:00:00", "2021-05-12 08:05:00", None),
    ]
    con = build_warehouse(ibis.duckdb.connect(), {"ed_attendances": typed_frame("ed_attendances", rows)})
    ids = ["ed_4h", "ed_12h_from_arrival", IA]
    frame = compute_measures(con, ids, grains=["month"], levels=["trust"])
    con.disconnect()
    return frame


def test_open_attendances_past_the_standard_at_the_extract_time_are_breaches():
    frame = _open_attendances_measures()
    # 4 h: o0 (12 h, a breach) + o2, o3, o4 open past 4 h; o1 left out -> 0 within of 4
    assert counts(frame, "ed_4h", "month") == {("ZT1", "2021-05-01"): (0, 4), ("ZT2", "2021-05-01"): (1, 1)}
    # 12 h: o0 exactly 12:00:00 (not over) + o4 open 12:00:01 (over); o1..o3 left out -> 1 of 2
    assert counts(frame, "ed_12h_from_arrival", "month") == {
        ("ZT1", "2021-05-01"): (1, 2),
        ("ZT2", "2021-05-01"): (0, 1),
    }
    # 15 min: o0..o4 assessed after 5:00 or 5:01 (within); o6 unassessed 15:01 (miss); o5 left out -> 5 of 6
    assert counts(frame, IA, "month") == {("ZT1", "2021-05-01"): (5, 6), ("ZT2", "2021-05-01"): (2, 2)}


def test_ed_rows_have_no_unit_breakdown(handmade_measures):
    ed = handmade_measures[handmade_measures.indicator_id.str.startswith("ed_")]
    assert ed.unit_code.isna().all()
    assert set(ed.source) == {"wardwatch"}
