"""Imaging indicators against hand counts of handmade.IMAGING_ROWS."""

from __future__ import annotations

from measures_helpers import counts


def test_inpatient_scanned_24h(handmade_measures):
    # r1 exactly 24:00:00 yes; r2 24:00:01 no; r3 still waiting no; r4 cancelled without scan: left out;
    # r5 requested 31 May 23:00, scanned 11 h later yes (counts in the request month, May).
    ind = "imaging_inpatient_scanned_24h"
    assert counts(handmade_measures, ind, "month") == {("ZFV", "2019-05-01"): (2, 4)}
    assert counts(handmade_measures, ind, "month", "unit") == {
        ("ZFV", "CT", "2019-05-01"): (2, 3),  # r1, r3, r5
        ("ZFV", "XR", "2019-05-01"): (0, 1),  # r2
    }
    assert counts(handmade_measures, ind, "month", "site") == {
        ("ZFV", "ZFV01", "2019-05-01"): (1, 3),
        ("ZFV", "ZFV02", "2019-05-01"): (1, 1),
    }


def test_report_turnaround_7d_by_scan_month(handmade_measures):
    # May scans: r1 yes, r2 exactly 7 days yes, o3 unreported no, o6 exactly 7 days yes -> 3/4.
    # June scans: r5 7 days + 1 s no, o1 1 day yes -> 1/2.
    ind = "imaging_report_turnaround_7d"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-05-01"): (3, 4),
        ("ZFV", "2019-06-01"): (1, 2),
    }


def test_dm01_month_end_snapshot(handmade_measures):
    # Waiting list of outpatient/GP requests at each month end (o5 is an emergency request: never on it).
    # 31 Mar: no census. The extract's first request is o6 on 1 Mar, so before 12 Apr (1 Mar + 42 days)
    #         no request can have waited 6 weeks: a census then would read 0% whatever the waits
    #         (left censoring; SnapshotSpec.warm_up_days). Without the warm-up it would be 0/1.
    # 30 Apr: o1 (11 d), o2 (10 d), o3 (requested 30 Apr 23:59, scanned 1 May: still waiting at the end of
    #         30 Apr), o6 (60 d, 6 weeks+) -> 1/4.
    # 31 May: o1 exactly 42 days -> 6 weeks+; o2 41 days; o3 scanned; o4 cancelled on 31 May; o6 scanned on
    #         31 May (off the list by the end of the day) -> 1/2.
    # 30 Jun: o1 scanned 5 Jun; o2 71 days yes; o7 10 days -> 1/2.
    ind = "dm01_waiting_6wk_plus"
    assert counts(handmade_measures, ind, "month") == {
        ("ZFV", "2019-04-01"): (1, 4),
        ("ZFV", "2019-05-01"): (1, 2),
        ("ZFV", "2019-06-01"): (1, 2),
    }
    units = counts(handmade_measures, ind, "month", "unit")
    assert units[("ZFV", "MR", "2019-05-01")] == (1, 1)
    assert units[("ZFV", "US", "2019-05-01")] == (0, 1)
    assert ("ZFV", "CT", "2019-05-01") not in units  # o3 scanned 1 May, o5 not a DM01 patient
    assert counts(handmade_measures, ind, "week") == {}
