"""Clock changes: the loader stores each timestamp's UTC instant (``<column>_utc``) and intervals are
measured on it, while periods stay on local dates.

Every expected value is worked out by hand from the UK rules: British Summer Time (UTC+1) from
01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of October. In 2019 those
were 31 March (local 01:00 GMT jumps to 02:00 BST: 01:00-01:59 does not exist) and 27 October
(local 02:00 BST falls back to 01:00 GMT: 01:00-01:59 happens twice). US Eastern time (used for
the other-zone mapping): 2019-03-10 02:00 EST jumps to 03:00 EDT.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import ibis
import pytest
from ingest_cases import query_rows as _rows

from wardwatch.contracts.timezones import to_utc, transitions
from wardwatch.errors import InputError
from wardwatch.indicators.engine import compute_measures
from wardwatch.ingest import load

ED_HEADER = (
    "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
    "decision_to_admit_at,departed_at,arrival_mode,acuity,age,disposal"
)


def _ed(aid: str, arrival: str, departed: str, assessed: str = "") -> str:
    return f"{aid},ZFV,ZFV01,1,{arrival},{assessed},,,{departed},walk_in,3,40,discharged"


ED_ROWS = [
    # autumn: 00:30 BST (23:30 UTC on the 26th) to 03:40 GMT (03:40 UTC): 4 h 10 min, a breach
    # (the wall clock says 3 h 10 min)
    _ed("O1", "2019-10-27 00:30", "2019-10-27 03:40"),
    # autumn: 00:10 BST (23:10 UTC) to 03:10 GMT (03:10 UTC): exactly 4 h, within (wall clock: 3 h)
    _ed("O2", "2019-10-27 00:10", "2019-10-27 03:10"),
    # autumn, both in the repeated hour: arrived 01:55 (first pass, BST: 00:55 UTC), assessed 01:05 and
    # left 01:35: read as first occurrences they would precede the arrival, so both are the second pass
    # (GMT: 01:05 and 01:35 UTC): assessed after 10 min, left after 40 min
    _ed("O3", "2019-10-27 01:55", "2019-10-27 01:35", "2019-10-27 01:05"),
    # spring: 00:30 GMT (00:30 UTC) to 04:45 BST (03:45 UTC): 3 h 15 min, within (wall clock: 4 h 15 min)
    _ed("S1", "2019-03-31 00:30", "2019-03-31 04:45"),
    # spring: arrival 01:30 does not exist -> quarantined
    _ed("S2", "2019-03-31 01:30", "2019-03-31 04:00"),
    # spring: departure 01:59 does not exist -> quarantined, column departed_at
    _ed("S3", "2019-03-31 00:50", "2019-03-31 01:59"),
    # 00:30 BST on 1 April is 23:30 UTC on 31 March: dated 1 April (local), week of Monday 1 April
    _ed("P1", "2019-04-01 00:30", "2019-04-01 01:00"),
]

SEPSIS_HEADER = "episode_id,org_code,site_code,location,trigger_at,news2,screened_at,antibiotics_at,age,died_within_30d"
SEPSIS_ROWS = [
    # NEWS2 8; time zero 00:30 GMT (00:30 UTC), antibiotics 02:20 BST (01:20 UTC): 50 min, within 1 h
    # (wall clock: 1 h 50 min); screened 02:25 BST (01:25 UTC): 55 min, within 1 h
    "E1,ZFV,ZFV01,emergency_department,2019-03-31 00:30,8,2019-03-31 02:25,2019-03-31 02:20,70,false",
    # NEWS2 7; time zero 00:45 BST (23:45 UTC on the 26th), antibiotics 01:40 in the repeated hour: first pass
    # 00:40 UTC is after time zero so it stands: 55 min, within 1 h; screened 00:50 BST: 5 min
    "E2,ZFV,ZFV01,emergency_department,2019-10-27 00:45,7,2019-10-27 00:50,2019-10-27 01:40,70,false",
]

IMAGING_HEADER = (
    "request_id,org_code,site_code,modality,patient_type,priority,requested_at,performed_at,reported_at,cancelled_at"
)
IMAGING_ROWS = [
    # inpatient: requested 26 Oct 10:00 BST (09:00 UTC), scanned 27 Oct 09:30 GMT (09:30 UTC): 24 h 30 min,
    # not within 24 h (wall clock 23 h 30 min); reported 27 Oct 10:00: within 7 days
    "R1,ZFV,ZFV01,CT,inpatient,urgent,2019-10-26 10:00,2019-10-27 09:30,2019-10-27 10:00,",
    # scanned 20 Oct 10:00 BST (09:00 UTC), reported 27 Oct 09:30 GMT (09:30 UTC): 7 days 30 min, not within
    # 7 days (wall clock 6 days 23 h 30 min); requested 19 Oct 12:00, scanned after 22 h: within 24 h
    "R2,ZFV,ZFV01,XR,inpatient,urgent,2019-10-19 12:00,2019-10-20 10:00,2019-10-27 09:30,",
]


def _write(folder: Path, name: str, header: str, rows: list[str]) -> None:
    (folder / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, object]:
    root = tmp_path_factory.mktemp("clocks")
    folder = root / "in"
    folder.mkdir()
    _write(folder, "ed_attendances", ED_HEADER, ED_ROWS)
    _write(folder, "sepsis_episodes", SEPSIS_HEADER, SEPSIS_ROWS)
    _write(folder, "imaging_requests", IMAGING_HEADER, IMAGING_ROWS)
    db = root / "wh.duckdb"
    report = load(folder, db)
    return db, report


@pytest.fixture(scope="module")
def measures(loaded):
    db, _ = loaded
    con = ibis.duckdb.connect(str(db), read_only=True)
    try:
        return compute_measures(con)
    finally:
        con.disconnect()


def _counts(frame, indicator: str, grain: str) -> dict:
    rows = frame[
        (frame.indicator_id == indicator) & (frame.period_grain == grain) & frame.site_code.isna()
        & frame.unit_code.isna()
    ]
    return {r.period_start.isoformat(): (r.numerator, r.denominator) for r in rows.itertuples()}


def test_every_row_counted_and_nonexistent_times_quarantined(loaded) -> None:
    db, report = loaded
    ed = report["ed_attendances"]
    assert (ed.read, ed.loaded, ed.quarantined) == (7, 5, 2)
    assert ed.read == ed.loaded + ed.quarantined
    assert ed.reasons == {"nonexistent_local_time": 2}
    got = _rows(db, "SELECT reason, column_name, json_extract_string(record, '$.attendance_id') FROM quarantine "
                    "WHERE dataset = 'ed_attendances' ORDER BY 3")
    assert got == [
        ("nonexistent_local_time", "arrival_at", "S2"),
        ("nonexistent_local_time", "departed_at", "S3"),
    ]


def test_utc_instants_by_hand(loaded) -> None:
    db, _ = loaded
    got = _rows(
        db,
        "SELECT attendance_id, arrival_at, arrival_at_utc, initial_assessment_at_utc, departed_at, departed_at_utc "
        "FROM ed_attendances ORDER BY 1",
    )
    assert got == [
        ("O1", datetime(2019, 10, 27, 0, 30), datetime(2019, 10, 26, 23, 30), None,
         datetime(2019, 10, 27, 3, 40), datetime(2019, 10, 27, 3, 40)),
        ("O2", datetime(2019, 10, 27, 0, 10), datetime(2019, 10, 26, 23, 10), None,
         datetime(2019, 10, 27, 3, 10), datetime(2019, 10, 27, 3, 10)),
        ("O3", datetime(2019, 10, 27, 1, 55), datetime(2019, 10, 27, 0, 55), datetime(2019, 10, 27, 1, 5),
         datetime(2019, 10, 27, 1, 35), datetime(2019, 10, 27, 1, 35)),
        ("P1", datetime(2019, 4, 1, 0, 30), datetime(2019, 3, 31, 23, 30), None,
         datetime(2019, 4, 1, 1, 0), datetime(2019, 4, 1, 0, 0)),
        ("S1", datetime(2019, 3, 31, 0, 30), datetime(2019, 3, 31, 0, 30), None,
         datetime(2019, 3, 31, 4, 45), datetime(2019, 3, 31, 3, 45)),
    ]
    # the ambiguous antibiotics time with no reason to move it stays the first occurrence (BST)
    assert _rows(db, "SELECT antibiotics_at_utc FROM sepsis_episodes WHERE episode_id = 'E2'") == [
        (datetime(2019, 10, 27, 0, 40),)
    ]


def test_four_hour_standard_on_true_durations(measures) -> None:
    # October: O1 4 h 10 min breach, O2 exactly 4 h within, O3 40 min within -> 2 of 3 (wall clock: 3 of 3).
    # March: S1 3 h 15 min within -> 1 of 1 (wall clock: 0 of 1). April: P1 30 min -> 1 of 1.
    assert _counts(measures, "ed_4h", "month") == {
        "2019-03-01": (1, 1),
        "2019-04-01": (1, 1),
        "2019-10-01": (2, 3),
    }


def test_periods_by_local_date(measures) -> None:
    # P1 arrived 00:30 on Monday 1 April local time (still 31 March in UTC): week of 1 April, April.
    # 31 March and 27 October 2019 are Sundays: weeks of Monday 25 March and Monday 21 October.
    assert _counts(measures, "ed_4h", "week") == {
        "2019-03-25": (1, 1),
        "2019-04-01": (1, 1),
        "2019-10-21": (2, 3),
    }


def test_initial_assessment_in_the_repeated_hour(measures) -> None:
    # O3 assessed 10 min after arrival (its two times in the repeated hour); O1, O2 have no assessment
    # time and have left: not within -> 1 of 3.
    assert _counts(measures, "ed_initial_assessment_15min", "month")["2019-10-01"] == (1, 3)


def test_sepsis_time_to_antibiotics(measures) -> None:
    # E1 (NEWS2 8, March) 50 min; E2 (NEWS2 7, October) 55 min: both within 1 h.
    assert _counts(measures, "sepsis_antibiotics_1h_news2_7plus", "month") == {
        "2019-03-01": (1, 1),
        "2019-10-01": (1, 1),
    }
    # screened within 1 h: E1 55 min, E2 5 min
    assert _counts(measures, "sepsis_screened_1h", "month") == {"2019-03-01": (1, 1), "2019-10-01": (1, 1)}


def test_imaging_turnaround_across_the_change(measures) -> None:
    # R1 scanned after 24 h 30 min: not within; R2 after 22 h: within -> 1 of 2 (both requested in October)
    assert _counts(measures, "imaging_inpatient_scanned_24h", "month") == {"2019-10-01": (1, 2)}
    # dated by the scan: R2 (20 Oct) reported after 7 days 30 min, not within; R1 (27 Oct) after 30 min
    assert _counts(measures, "imaging_report_turnaround_7d", "month") == {"2019-10-01": (1, 2)}


@pytest.mark.spark
def test_same_counts_on_spark(loaded, measures) -> None:
    """The interval indicators on PySpark over the same warehouse: the hand counts above again."""
    from wardwatch.engines import spark_over_duckdb

    db, _ = loaded
    duck = ibis.duckdb.connect(str(db), read_only=True)
    try:
        with spark_over_duckdb(duck, ["ed_attendances", "sepsis_episodes", "imaging_requests"]) as spark:
            on_spark = compute_measures(spark)
    finally:
        duck.disconnect()
    assert _counts(on_spark, "ed_4h", "month") == {"2019-03-01": (1, 1), "2019-04-01": (1, 1), "2019-10-01": (2, 3)}
    assert _counts(on_spark, "ed_4h", "week") == {"2019-03-25": (1, 1), "2019-04-01": (1, 1), "2019-10-21": (2, 3)}
    assert _counts(on_spark, "ed_initial_assessment_15min", "month")["2019-10-01"] == (1, 3)
    assert _counts(on_spark, "imaging_inpatient_scanned_24h", "month") == {"2019-10-01": (1, 2)}
    assert _counts(on_spark, "imaging_report_turnaround_7d", "month") == {"2019-10-01": (1, 2)}
    assert _counts(on_spark, "sepsis_antibiotics_1h_news2_7plus", "month") == {
        "2019-03-01": (1, 1), "2019-10-01": (1, 1),
    }


# --- a source in another zone (mapping `timezone`) -------------------------------------------------

MAPPING = """
ed_attendances:
  file: "attendances*.csv"
  timezone: {zone}
  columns:
    attendance_id: Id
    org_code: Org
    site_code: Site
    department_type: Type
    arrival_at: {{source: Arrived, format: "%Y-%m-%d %H:%M"}}
    departed_at: {{source: Left, format: "%Y-%m-%d %H:%M"}}
    initial_assessment_at: {{source: Assessed, format: "%Y-%m-%d %H:%M"}}
    clinician_seen_at: {{source: Seen, format: "%Y-%m-%d %H:%M"}}
    arrival_mode: Mode
    acuity: Acuity
    age: Age
    disposal: Disposal
"""
MAPPED_HEADER = "Id,Org,Site,Type,Arrived,Assessed,Seen,Left,Mode,Acuity,Age,Disposal"


def _load_mapped(tmp_path: Path, zone: str, rows: list[str]):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "attendances_oct.csv").write_text("\n".join([MAPPED_HEADER, *rows]) + "\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(MAPPING.format(zone=zone), encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    return db, load(folder, db, mapping=mapping)["ed_attendances"]


def test_utc_source_is_exact_in_the_repeated_hour(tmp_path: Path) -> None:
    # 00:30 UTC is 01:30 BST (first pass); 01:30 UTC is 01:30 GMT (second pass): the same local reading,
    # one hour apart. The local columns hold Europe/London wall-clock time, the UTC ones the source's.
    db, ed = _load_mapped(tmp_path, "UTC", [
        "U1,ZFV,ZFV01,1,2019-10-27 00:30,,,2019-10-27 01:30,walk_in,3,40,discharged",
        "U2,ZFV,ZFV01,1,2019-07-01 10:00,,,2019-07-01 11:00,walk_in,3,40,discharged",
    ])
    assert (ed.read, ed.loaded, ed.quarantined) == (2, 2, 0)
    assert _rows(db, "SELECT attendance_id, arrival_at, arrival_at_utc, departed_at, departed_at_utc "
                     "FROM ed_attendances ORDER BY 1") == [
        ("U1", datetime(2019, 10, 27, 1, 30), datetime(2019, 10, 27, 0, 30),
         datetime(2019, 10, 27, 1, 30), datetime(2019, 10, 27, 1, 30)),
        ("U2", datetime(2019, 7, 1, 11, 0), datetime(2019, 7, 1, 10, 0),
         datetime(2019, 7, 1, 12, 0), datetime(2019, 7, 1, 11, 0)),
    ]


def test_other_zone_has_its_own_gap(tmp_path: Path) -> None:
    # America/New_York skipped 02:00-02:59 on 10 March 2019 (EST UTC-5 -> EDT UTC-4); London did not.
    db, ed = _load_mapped(tmp_path, "America/New_York", [
        "N1,ZFV,ZFV01,1,2019-03-10 02:30,,,2019-03-10 04:00,walk_in,3,40,discharged",
        # 01:30 EST (06:30 UTC) to 03:30 EDT (07:30 UTC): one hour; London 06:30 and 07:30 (GMT)
        "N2,ZFV,ZFV01,1,2019-03-10 01:30,,,2019-03-10 03:30,walk_in,3,40,discharged",
        # London's gap time is an ordinary time in New York: 31 March 01:30 EDT = 05:30 UTC = 06:30 BST
        "N3,ZFV,ZFV01,1,2019-03-31 01:30,,,2019-03-31 02:00,walk_in,3,40,discharged",
    ])
    assert (ed.read, ed.loaded, ed.quarantined, ed.reasons) == (3, 2, 1, {"nonexistent_local_time": 1})
    assert _rows(db, "SELECT attendance_id, arrival_at, arrival_at_utc, departed_at, departed_at_utc "
                     "FROM ed_attendances ORDER BY 1") == [
        ("N2", datetime(2019, 3, 10, 6, 30), datetime(2019, 3, 10, 6, 30),
         datetime(2019, 3, 10, 7, 30), datetime(2019, 3, 10, 7, 30)),
        ("N3", datetime(2019, 3, 31, 6, 30), datetime(2019, 3, 31, 5, 30),
         datetime(2019, 3, 31, 7, 0), datetime(2019, 3, 31, 6, 0)),
    ]
    record = _rows(db, "SELECT record FROM quarantine")[0][0]
    assert json.loads(record)["Id"] == "N1"


# --- the rule table itself ------------------------------------------------------------------------

def test_london_changes_2019() -> None:
    changes = [(t.at, t.before, t.after) for t in transitions("Europe/London") if t.at.year == 2019]
    assert changes == [(datetime(2019, 3, 31, 1, 0), 0, 3600), (datetime(2019, 10, 27, 1, 0), 3600, 0)]


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        (datetime(2019, 3, 31, 0, 59), datetime(2019, 3, 31, 0, 59)),
        (datetime(2019, 3, 31, 1, 0), None),  # first minute of the gap
        (datetime(2019, 3, 31, 1, 59, 59), None),  # last second of the gap
        (datetime(2019, 3, 31, 2, 0), datetime(2019, 3, 31, 1, 0)),
        (datetime(2019, 10, 27, 0, 59), datetime(2019, 10, 26, 23, 59)),
        (datetime(2019, 10, 27, 1, 0), datetime(2019, 10, 27, 0, 0)),  # ambiguous: first pass (BST)
        (datetime(2019, 10, 27, 1, 59), datetime(2019, 10, 27, 0, 59)),
        (datetime(2019, 10, 27, 2, 0), datetime(2019, 10, 27, 2, 0)),
        (datetime(2019, 7, 1, 12, 0), datetime(2019, 7, 1, 11, 0)),
        (datetime(2019, 1, 1, 12, 0), datetime(2019, 1, 1, 12, 0)),
    ],
)
def test_to_utc_edges(local: datetime, utc: datetime | None) -> None:
    assert to_utc(local) == utc


# --- older warehouses and refreshed extracts ------------------------------------------------------

def _one_ed(folder: Path, rows: list[str]) -> None:
    folder.mkdir(exist_ok=True)
    _write(folder, "ed_attendances", ED_HEADER, rows)


def test_table_without_utc_columns_gets_them_filled(tmp_path: Path) -> None:
    # a warehouse written before the UTC columns: simulated by dropping them after a load
    db = tmp_path / "wh.duckdb"
    _one_ed(tmp_path / "a", [_ed("O1", "2019-10-27 00:30", "2019-10-27 03:40")])
    load(tmp_path / "a", db)
    con = duckdb.connect(str(db))
    for col in ("arrival_at", "initial_assessment_at", "clinician_seen_at", "decision_to_admit_at", "departed_at"):
        con.execute(f"ALTER TABLE ed_attendances DROP COLUMN {col}_utc")
    con.close()
    _one_ed(tmp_path / "b", [_ed("S1", "2019-03-31 00:30", "2019-03-31 04:45")])
    item = load(tmp_path / "b", db)["ed_attendances"]
    assert item.added == 1
    # the loader keeps keys unique itself: no index comes back
    assert _rows(db, "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'ed_attendances'") == []
    assert _rows(db, "SELECT attendance_id, arrival_at_utc, departed_at_utc, initial_assessment_at_utc "
                     "FROM ed_attendances ORDER BY 1") == [
        ("O1", datetime(2019, 10, 26, 23, 30), datetime(2019, 10, 27, 3, 40), None),
        ("S1", datetime(2019, 3, 31, 0, 30), datetime(2019, 3, 31, 3, 45), None),
    ]


def test_upsert_rewrites_the_utc_columns(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    _one_ed(tmp_path / "a", [_ed("O1", "2019-10-27 00:30", "2019-10-27 03:40")])
    load(tmp_path / "a", db)
    # the departure corrected from 03:40 to 02:20 GMT: now 2 h 50 min
    _one_ed(tmp_path / "b", [_ed("O1", "2019-10-27 00:30", "2019-10-27 02:20")])
    assert load(tmp_path / "b", db, mode="upsert")["ed_attendances"].updated == 1
    assert _rows(db, "SELECT departed_at, departed_at_utc FROM ed_attendances") == [
        (datetime(2019, 10, 27, 2, 20), datetime(2019, 10, 27, 2, 20))
    ]


def test_offsets_in_the_values_decide_the_repeated_hour(tmp_path: Path) -> None:
    # With %z each value says its own offset: 01:30+0100 is the first 01:30 (BST, 00:30 UTC),
    # 01:30+0000 the second (GMT, 01:30 UTC). The same local reading, one hour apart, without a guess.
    text = MAPPING.format(zone="UTC").replace('"%Y-%m-%d %H:%M"', '"%Y-%m-%d %H:%M%z"')
    folder = tmp_path / "in"
    folder.mkdir()
    row = "Z1,ZFV,ZFV01,1,2019-10-27 01:30+0100,,,2019-10-27 01:30+0000,walk_in,3,40,discharged"
    (folder / "attendances_oct.csv").write_text(f"{MAPPED_HEADER}\n{row}\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    assert load(folder, db, mapping=mapping)["ed_attendances"].loaded == 1
    assert _rows(db, "SELECT arrival_at, arrival_at_utc, departed_at, departed_at_utc FROM ed_attendances") == [
        (datetime(2019, 10, 27, 1, 30), datetime(2019, 10, 27, 0, 30),
         datetime(2019, 10, 27, 1, 30), datetime(2019, 10, 27, 1, 30))
    ]
    # %z with a zone other than UTC is a mistake in the mapping, refused before anything is read
    mapping.write_text(MAPPING.format(zone="Europe/London").replace('"%Y-%m-%d %H:%M"', '"%Y-%m-%d %H:%M%z"'),
                       encoding="utf-8")
    with pytest.raises(InputError, match=r"%z reads each value's own UTC offset: set ed_attendances.timezone: UTC"):
        load(folder, tmp_path / "wh2.duckdb", mapping=mapping)
