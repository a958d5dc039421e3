"""The key of a loaded table stays unique: the loader refuses a second row with a key, within one
file (``duplicate_key``) and across loads (``key_conflict``, or nothing added for an identical row).

No unique index backs the key any more (DuckDB builds one outside its memory limit; see
docs/performance.md "Loading"), so these tests are what holds the loader to it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wardwatch.errors import InputError
from wardwatch.ingest import load

HEADER = "org_code,staff_group,month,establishment_wte,in_post_wte"


def _staffing(folder: Path, rows: list[str]) -> Path:
    folder.mkdir()
    (folder / "staffing.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _stored(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT org_code, staff_group, CAST(month AS VARCHAR), establishment_wte FROM staffing ORDER BY ALL"
        ).fetchall()


def _quarantine(db: Path) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT reason, row_number, column_name FROM quarantine ORDER BY row_number").fetchall()


def test_a_key_twice_in_one_csv_file_keeps_the_first_and_quarantines_the_rest(tmp_path: Path) -> None:
    folder = _staffing(tmp_path / "in", [
        "ZFV,nursing,2024-01-01,100,90",  # line 1 (after the header)
        "ZFV,nursing,2024-02-01,100,90",
        "ZFV,nursing,2024-01-01,120,80",  # line 3: the key of line 1 again
        "ZFV,nursing,2024-01-01,100,90",  # line 4: the same row again
    ])
    report = load(folder, tmp_path / "wh.duckdb")["staffing"]
    assert (report.read, report.loaded, report.quarantined) == (4, 2, 2)
    assert report.reasons == {"duplicate_key": 2}
    assert _stored(tmp_path / "wh.duckdb") == [("ZFV", "nursing", "2024-01-01", 100.0), ("ZFV", "nursing", "2024-02-01", 100.0)]
    assert _quarantine(tmp_path / "wh.duckdb") == [
        ("duplicate_key", 3, "org_code+staff_group+month"),
        ("duplicate_key", 4, "org_code+staff_group+month"),
    ]


def test_a_key_twice_in_one_parquet_file_is_quarantined_at_its_row(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    table = pa.table({
        "attendance_id": ["A1", "A2", "A1", "A3", "A2"],
        "org_code": ["ZFV"] * 5,
        "site_code": ["ZFV01"] * 5,
        "department_type": [1] * 5,
        # one minute apart from 2020-01-26 00:53 UTC, well inside the plausible range
        "arrival_at": pa.array([1_580_000_000_000_000 + i * 60_000_000 for i in range(5)], pa.timestamp("us")),
        "initial_assessment_at": pa.nulls(5, pa.timestamp("us")),
        "clinician_seen_at": pa.nulls(5, pa.timestamp("us")),
        "departed_at": pa.nulls(5, pa.timestamp("us")),
        "arrival_mode": ["walk_in"] * 5,
        "acuity": pa.nulls(5, pa.int64()),
        "age": [30] * 5,
        "disposal": pa.nulls(5, pa.string()),
    })
    pq.write_table(table, folder / "ed_attendances.parquet")
    db = tmp_path / "wh.duckdb"
    report = load(folder, db)["ed_attendances"]
    assert (report.read, report.loaded, report.quarantined) == (5, 3, 2)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT attendance_id FROM ed_attendances ORDER BY 1").fetchall() == [("A1",), ("A2",), ("A3",)]
        # Parquet row numbers are the row's index + 1: rows 3 and 5 repeat rows 1 and 2
        assert con.execute("SELECT reason, row_number FROM quarantine ORDER BY 2").fetchall() == [
            ("duplicate_key", 3), ("duplicate_key", 5)]


def test_a_key_loaded_before_is_refused_or_adds_nothing_in_the_next_load(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_staffing(tmp_path / "one", ["ZFV,nursing,2024-01-01,100,90", "ZFV,nursing,2024-02-01,100,90"]), db)
    second = load(_staffing(tmp_path / "two", [
        "ZFV,nursing,2024-01-01,100,90",  # identical to a stored row: loaded, nothing added
        "ZFV,nursing,2024-02-01,150,90",  # stored key, other values: key_conflict
        "ZFV,nursing,2024-03-01,100,90",  # new key
    ]), db)["staffing"]
    assert (second.read, second.loaded, second.added, second.quarantined) == (3, 2, 1, 1)
    assert second.reasons == {"key_conflict": 1}
    assert _stored(db) == [
        ("ZFV", "nursing", "2024-01-01", 100.0),
        ("ZFV", "nursing", "2024-02-01", 100.0),  # the stored value, not 150
        ("ZFV", "nursing", "2024-03-01", 100.0),
    ]
    assert _quarantine(db) == [("key_conflict", 2, "org_code+staff_group+month")]
    third = load(tmp_path / "two", db)["staffing"]  # the same file again adds nothing
    assert (third.added, third.quarantined, third.quarantine_added) == (0, 1, 0)
    assert len(_stored(db)) == 3


def test_the_table_has_no_unique_index_and_the_marker_says_who_keeps_the_key(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_staffing(tmp_path / "in", ["ZFV,nursing,2024-01-01,100,90"]), db)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'staffing'").fetchone()[0] == 0
        assert con.execute(
            "SELECT value FROM wardwatch_warehouse WHERE key = 'unique_key:staffing'"
        ).fetchall() == [("wardwatch load",)]


def _indexed_warehouse(db: Path) -> None:
    """A warehouse as wardwatch wrote it before 2026-12-04: a unique index on the key."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE wardwatch_warehouse (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO wardwatch_warehouse VALUES ('format_version', '1')")
        con.execute(
            "CREATE TABLE staffing (org_code VARCHAR, staff_group VARCHAR, month DATE, "
            "establishment_wte DOUBLE, in_post_wte DOUBLE, bank_agency_wte DOUBLE)"
        )
        con.execute("INSERT INTO staffing VALUES ('ZFV', 'nursing', '2024-01-01', 100, 90, NULL), "
                    "('ZFV', 'nursing', '2024-02-01', 100, 90, NULL)")
        con.execute("CREATE UNIQUE INDEX staffing_key ON staffing (org_code, staff_group, month)")


@pytest.mark.parametrize("mode", ["append", "upsert", "replace-period"])
def test_a_warehouse_with_the_old_unique_index_loads_in_every_mode(tmp_path: Path, mode: str) -> None:
    db = tmp_path / "wh.duckdb"
    _indexed_warehouse(db)
    folder = _staffing(tmp_path / "in", ["ZFV,nursing,2024-02-01,150,90", "ZFV,nursing,2024-03-01,100,90"])
    report = load(folder, db, mode=mode)["staffing"]
    stored = _stored(db)
    if mode == "append":
        assert (report.added, report.reasons) == (1, {"key_conflict": 1})
        assert ("ZFV", "nursing", "2024-02-01", 100.0) in stored
    else:
        assert (report.added, report.updated, report.quarantined) == (1, 1, 0)
        assert ("ZFV", "nursing", "2024-02-01", 150.0) in stored
    assert len(stored) == 3
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_indexes() WHERE table_name = 'staffing'").fetchone()[0] == 0


def test_an_unmarked_table_holding_a_key_twice_is_refused_once_then_trusted(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    with duckdb.connect(str(db)) as con:  # written by an earlier wardwatch: no marker, no index
        con.execute(
            "CREATE TABLE staffing (org_code VARCHAR, staff_group VARCHAR, month DATE, "
            "establishment_wte DOUBLE, in_post_wte DOUBLE, bank_agency_wte DOUBLE)"
        )
        con.execute("INSERT INTO staffing VALUES ('ZFV', 'nursing', '2024-01-01', 100, 90, NULL)")
        con.execute("INSERT INTO staffing SELECT * FROM staffing")
    folder = _staffing(tmp_path / "in", ["ZFV,nursing,2024-03-01,100,90"])
    with pytest.raises(InputError, match="keys twice"):
        load(folder, db)
    with duckdb.connect(str(db)) as con:
        con.execute("DELETE FROM staffing WHERE rowid = (SELECT max(rowid) FROM staffing)")
    assert load(folder, db)["staffing"].added == 1
    assert len(_stored(db)) == 2
