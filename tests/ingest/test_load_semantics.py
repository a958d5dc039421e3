"""Key conflicts across loads, typed Parquet input, row numbers in large files, API objects."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import wardwatch as ww
from wardwatch.ingest import LoadReport, load

ED_HEADER = (
    "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
    "departed_at,arrival_mode,acuity,age,disposal"
)


def test_key_conflict_with_rows_already_loaded(tmp_path: Path) -> None:
    first, second = tmp_path / "m1", tmp_path / "m2"
    first.mkdir()
    second.mkdir()
    (first / "ed_attendances.csv").write_text(
        ED_HEADER + "\n"
        "A1,ZFV,ZFV01,1,2019-04-01 10:00,,,,walk_in,,30,\n"
        "A2,ZFV,ZFV01,1,2019-04-01 11:00,,,,walk_in,,40,\n"
    )
    (second / "ed_attendances.csv").write_text(
        ED_HEADER + "\n"
        "A2,ZFV,ZFV01,1,2019-04-01T11:00:00,,,,walk_in,,40.0,\n"  # same values, written differently
        "A1,ZFV,ZFV01,1,2019-04-01 10:00,,,2019-04-01 12:00,walk_in,,30,discharged\n"  # changed
        "A3,ZFV,ZFV01,1,2019-04-01 12:00,,,,walk_in,,50,\n"  # new
        "A3,ZFV,ZFV01,1,2019-04-01 12:00,,,,walk_in,,51,\n"  # duplicate in file (before the conflict check)
    )
    db = tmp_path / "wh.duckdb"
    load(first, db)
    item = load(second, db)["ed_attendances"]
    assert (item.read, item.loaded, item.added, item.quarantined) == (4, 2, 1, 2)
    assert dict(item.reasons) == {"duplicate_key": 1, "key_conflict": 1}
    with duckdb.connect(str(db), read_only=True) as con:
        q = dict(
            con.execute("SELECT row_number, reason FROM quarantine WHERE source_file LIKE '%m2%'").fetchall()
        )
        stored = dict(con.execute("SELECT attendance_id, age FROM ed_attendances").fetchall())
    assert q == {2: "key_conflict", 4: "duplicate_key"}
    assert stored == {"A1": 30, "A2": 40, "A3": 50}  # the first load's A1 is kept


def test_typed_parquet_values(tmp_path: Path) -> None:
    """Native Parquet types: timestamps, integers, floats with NaN, booleans, dates."""
    ts = [
        datetime(2019, 4, 1, 10, 0),
        datetime(2019, 4, 1, 11, 0),
        datetime(2019, 4, 1, 12, 0),
        datetime(2019, 4, 1, 13, 0),
    ]
    pq.write_table(
        pa.table(
            {
                "attendance_id": ["A1", "A2", "A3", "A4"],
                "org_code": ["ZFV"] * 4,
                "site_code": ["ZFV01"] * 4,
                "department_type": pa.array([1, 2, 3, 1], pa.int32()),
                "arrival_at": pa.array(ts, pa.timestamp("ns")),
                "initial_assessment_at": pa.array([ts[0], None, ts[1], None], pa.timestamp("ms")),
                "clinician_seen_at": pa.array([None] * 4, pa.timestamp("us")),
                "departed_at": pa.array([ts[1], None, None, ts[2]], pa.timestamp("us")),
                "arrival_mode": ["walk_in"] * 4,
                "acuity": [3.0, float("nan"), 2.5, None],  # float column for an int: NaN blank, 2.5 refused
                "age": pa.array([30, 40, 50, -1], pa.int64()),
                "disposal": [None, "admitted", None, None],
            }
        ),
        tmp_path / "ed_attendances.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "org_code": ["ZFV", "ZFV", "ZFV"],
                "staff_group": ["nursing", "medical", "ahp"],
                "month": pa.array([date(2019, 4, 1), date(2019, 4, 1), date(2019, 4, 1)], pa.date32()),
                "establishment_wte": [10.0, 20.0, float("nan")],
                "in_post_wte": pa.array([9, 19, 1], pa.int16()),
                "bank_agency_wte": [float("nan"), float("inf"), 2.0],
            }
        ),
        tmp_path / "staffing.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "episode_id": ["S1", "S2", "S3"],
                "org_code": ["ZFV"] * 3,
                "site_code": ["ZFV01"] * 3,
                "location": ["inpatient_ward"] * 3,
                "trigger_at": pa.array(ts[:3], pa.timestamp("us")),
                "news2": [5, 6, 7],
                "screened_at": pa.array([None] * 3, pa.timestamp("us")),
                "antibiotics_at": pa.array([None] * 3, pa.timestamp("us")),
                "died_within_30d": pa.array([1, 0, 2], pa.int8()),  # 0/1 integers are booleans; 2 is not
            }
        ),
        tmp_path / "sepsis_episodes.parquet",
    )
    db = tmp_path / "wh.duckdb"
    report = load(tmp_path, db)
    assert dict(report["ed_attendances"].reasons) == {"bad_number": 1, "out_of_range": 1}
    assert dict(report["staffing"].reasons) == {"bad_number": 1, "blank_required_value": 1}
    assert dict(report["sepsis_episodes"].reasons) == {"bad_boolean": 1}
    with duckdb.connect(str(db), read_only=True) as con:
        ed = con.execute("SELECT attendance_id, acuity, arrival_at FROM ed_attendances ORDER BY 1").fetchall()
        q = con.execute("SELECT dataset, row_number, reason FROM quarantine ORDER BY 1, 2").fetchall()
        st = con.execute(
            "SELECT staff_group, in_post_wte, bank_agency_wte FROM staffing ORDER BY 1"
        ).fetchall()
        se = con.execute("SELECT episode_id, died_within_30d FROM sepsis_episodes ORDER BY 1").fetchall()
    assert ed == [("A1", 3, ts[0]), ("A2", None, ts[1])]
    assert q == [
        ("ed_attendances", 3, "bad_number"),
        ("ed_attendances", 4, "out_of_range"),
        ("sepsis_episodes", 3, "bad_boolean"),
        ("staffing", 2, "bad_number"),  # bank/agency WTE infinite
        ("staffing", 3, "blank_required_value"),  # establishment NaN = blank
    ]
    assert st == [("nursing", 9.0, None)]
    assert se == [("S1", True), ("S2", False)]


def test_row_numbers_follow_the_file_in_a_large_csv(tmp_path: Path) -> None:
    """DuckDB reads big CSV files in parallel: row numbers must still be positions in the file."""
    n = 400_000
    bad = {1, 137_041, 250_000, n}
    ids = np.arange(1, n + 1)
    dates = np.where(np.isin(ids, list(bad)), "2019-02-30", "2019-01-01")
    body = "\n".join(f"S{i},ZFV,CT,operator,{d}," for i, d in zip(ids.tolist(), dates.tolist()))
    (tmp_path / "irmer_entitlements.csv").write_text(
        "staff_id,org_code,modality,entitled_as,recorded_on,withdrawn_on\n" + body + "\n"
    )
    db = tmp_path / "wh.duckdb"
    item = load(tmp_path, db)["irmer_entitlements"]
    assert (item.read, item.quarantined) == (n, len(bad))
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT row_number, record::JSON->>'staff_id' FROM quarantine").fetchall()
    assert sorted(rows) == sorted((i, f"S{i}") for i in bad)


def test_public_api_and_report_frames(tmp_path: Path) -> None:
    (tmp_path / "staffing.csv").write_text(
        "org_code,staff_group,month,establishment_wte,in_post_wte\nZFV,ahp,2019-04-01,10,9\nZFV,ahp,2019-04-01,10,8\n"
    )
    report = ww.load(tmp_path, tmp_path / "wh.duckdb")
    assert isinstance(report, LoadReport)
    frame = report.to_frame()
    row = frame.set_index("dataset").loc["staffing"]
    assert (row["read"], row["loaded"], row["added"], row["quarantined"]) == (2, 1, 1, 1)
    reasons = report.reasons_frame()
    assert reasons.to_dict("records") == [
        {"dataset": "staffing", "reason": "duplicate_key", "label": "Duplicate key in file", "rows": 1}
    ]


def test_load_into_an_open_ibis_backend(tmp_path: Path) -> None:
    from wardwatch.warehouse import connect_duckdb

    (tmp_path / "staffing.csv").write_text(
        "org_code,staff_group,month,establishment_wte,in_post_wte\nZFV,ahp,2019-04-01,10,9\n"
    )
    backend = connect_duckdb(tmp_path / "wh.duckdb")
    report = load(tmp_path, backend)
    assert report["staffing"].added == 1
    assert backend.table("staffing").count().execute() == 1
    assert load(tmp_path, backend)["staffing"].added == 0
    temps = backend.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchone()[0]
    assert temps == 0  # staging tables cleaned up


def test_windows_csv_with_bom_crlf_and_odd_header_case(tmp_path: Path) -> None:
    text = (
        '\ufeff"Org_Code", staff_group ,MONTH,establishment_wte,in_post_wte,notes\r\n'
        'ZFV,nursing,2019-04-01,10,9,"free text, with a comma"\r\n'
        "ZFV,medical,2019-04-01,10,x,\r\n"
    )
    (tmp_path / "staffing.csv").write_bytes(text.encode("utf-8"))
    db = tmp_path / "wh.duckdb"
    item = load(tmp_path, db)["staffing"]
    assert (item.read, item.loaded, item.quarantined) == (2, 1, 1)
    assert dict(item.reasons) == {"bad_number": 1}
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT org_code, staff_group, in_post_wte FROM staffing").fetchall() == [
            ("ZFV", "nursing", 9.0)
        ]
        record = con.execute("SELECT record::JSON->>'notes', row_number FROM quarantine").fetchall()
    assert record == [(None, 2)]  # the extra column is kept in the raw record (blank here)


def test_flags_written_as_floats_load_as_booleans(tmp_path: Path) -> None:
    """issue 10: 1.0/0.0 in a flag column (pandas writes an int column with blanks as float) are
    true/false in Parquet and in CSV; 0.5 is not a flag and is quarantined as bad_boolean."""
    base = {
        "spell_id": ["S1", "S2", "S3"], "org_code": ["ZFV"] * 3, "site_code": [None] * 3,
        "admitted_at": [datetime(2019, 4, 1, 10)] * 3, "discharged_at": [datetime(2019, 4, 3, 10)] * 3,
        "age": [70, 71, 72], "sex": ["F", "M", "F"], "admission_method": ["emergency"] * 3,
        "diagnosis_group": ["sepsis"] * 3, "charlson_index": [1, 2, 3],
        "died_in_hospital": [1.0, 0.0, 0.5], "died_within_30d_of_discharge": [0.0, 1.0, 0.0],
    }
    parquet = tmp_path / "parquet"
    parquet.mkdir()
    pq.write_table(pa.table(base), parquet / "admissions.parquet")
    csv = tmp_path / "csv"
    csv.mkdir()
    frame = pa.table(base).to_pandas()
    frame["died_in_hospital"] = ["1.0", "0.0", "0.5"]
    frame.to_csv(csv / "admissions.csv", index=False)
    for folder in (parquet, csv):
        db = tmp_path / f"{folder.name}.duckdb"
        item = load(folder, db)["admissions"]
        assert (item.loaded, item.reasons) == (2, {"bad_boolean": 1}), folder.name
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute(
                "SELECT spell_id, died_in_hospital, died_within_30d_of_discharge FROM admissions ORDER BY 1"
            ).fetchall()
        assert rows == [("S1", True, False), ("S2", False, True)], folder.name
