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
    # Completed only (a3 still in the department is left out). a1 exactly 4:00:00 within; a2 4:00:01 not;
    # a4 12 h not; a5 12 h not; a6 30 min within; a7 2 h within (dated by arrival in April, left in May).
    assert counts(handmade_measures, "ed_4h", "month") == {
        ("ZFV", "2019-03-01"): (1, 1),
        ("ZFV", "2019-04-01"): (1, 4),
        ("ZP01", "2019-04-01"): (1, 1),
    }
    assert counts(handmade_measures, "ed_4h", "week") == {
        ("ZFV", "2019-03-25"): (1, 1),
        ("ZFV", "2019-04-01"): (0, 3),  # a2, a4, a5
        ("ZFV", "2019-04-08"): (1, 1),
        ("ZP01", "2019-04-29"): (1, 1),
    }


def test_twelve_hours_from_arrival(handmade_measures):
    # a4 exactly 12:00:00 is not over; a5 12:00:01 is. Denominator: completed attendances.
    assert counts(handmade_measures, "ed_12h_from_arrival", "month") == {
        ("ZFV", "2019-03-01"): (0, 1),
        ("ZFV", "2019-04-01"): (1, 4),
        ("ZP01", "2019-04-01"): (0, 1),
    }
    assert counts(handmade_measures, "ed_12h_from_arrival", "week", "site")[
        ("ZFV", "ZFV02", "2019-04-01")
    ] == (1, 2)


def test_ed_rows_have_no_unit_breakdown(handmade_measures):
    ed = handmade_measures[handmade_measures.indicator_id.str.startswith("ed_")]
    assert ed.unit_code.isna().all()
    assert set(ed.source) == {"wardwatch"}
