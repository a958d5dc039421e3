"""Each dataset's hand-made file loads with the exact reason expected for every refused row."""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from ingest_cases import CASES, Case

from wardwatch.contracts.schema import CONTRACTS
from wardwatch.ingest import load

DUCKDB_TYPES = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}


def write_case(case: Case, folder: Path, fmt: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        path = folder / f"{case.dataset}.csv"
        path.write_text(case.csv.strip("\n") + "\n", encoding="utf-8")
        return path
    rows = list(csv.reader(io.StringIO(case.csv.strip("\n"))))
    header, body = rows[0], rows[1:]
    # Every column as text: the same values as the CSV, through the Parquet reader.
    table = pa.table({name: pa.array([r[i] for r in body], pa.string()) for i, name in enumerate(header)})
    path = folder / f"{case.dataset}.parquet"
    pq.write_table(table, path)
    return path


def quarantine_reasons(db: Path, dataset: str) -> dict[int, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT row_number, reason FROM quarantine WHERE dataset = ? ORDER BY row_number", [dataset]
        ).fetchall()
    return dict(rows)


def table_count(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("dataset", list(CASES))
def test_each_row_loaded_or_quarantined_with_expected_reason(tmp_path: Path, dataset: str, fmt: str) -> None:
    case = CASES[dataset]
    path = write_case(case, tmp_path / "in", fmt)
    db = tmp_path / "wh.duckdb"

    report = load(tmp_path / "in", db)
    item = report[dataset]
    assert item.file == str(path)
    assert item.read == case.n_rows
    assert item.read == item.loaded + item.quarantined
    assert item.quarantined == len(case.expected)
    assert item.loaded == item.added == case.n_good
    assert dict(item.reasons) == dict(Counter(case.expected.values()))
    assert quarantine_reasons(db, dataset) == case.expected
    assert table_count(db, dataset) == case.n_good
    # the other six datasets had no file: skipped, and said so
    assert set(report.skipped) == set(CONTRACTS) - {dataset}


@pytest.mark.parametrize("dataset", list(CASES))
def test_typed_table_has_contract_columns_in_order_and_types(tmp_path: Path, dataset: str) -> None:
    write_case(CASES[dataset], tmp_path / "in", "csv")
    db = tmp_path / "wh.duckdb"
    load(tmp_path / "in", db)
    with duckdb.connect(str(db), read_only=True) as con:
        described = con.execute(f'DESCRIBE "{dataset}"').fetchall()
    expected = [(c.name, DUCKDB_TYPES[c.dtype]) for c in CONTRACTS[dataset].columns]
    # then the UTC instant of every timestamp column, in contract order (contracts/timezones.py)
    expected += [(f"{c.name}_utc", "TIMESTAMP") for c in CONTRACTS[dataset].columns if c.dtype == "timestamp"]
    assert [(name, dtype) for name, dtype, *_ in described] == expected


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("dataset", list(CASES))
def test_reload_of_the_same_file_adds_nothing(tmp_path: Path, dataset: str, fmt: str) -> None:
    case = CASES[dataset]
    write_case(case, tmp_path / "in", fmt)
    db = tmp_path / "wh.duckdb"
    load(tmp_path / "in", db)
    again = load(tmp_path / "in", db)[dataset]
    assert again.read == case.n_rows
    assert again.loaded == case.n_good  # already there with identical values: loaded ...
    assert again.added == 0  # ... but not added
    assert again.quarantined == len(case.expected)
    assert again.quarantine_added == 0
    assert table_count(db, dataset) == case.n_good
    assert table_count(db, "quarantine") == len(case.expected)


def test_values_are_typed_as_read(tmp_path: Path) -> None:
    """Spot checks of the typed ED rows against the hand-made file."""
    write_case(CASES["ed_attendances"], tmp_path / "in", "csv")
    db = tmp_path / "wh.duckdb"
    load(tmp_path / "in", db)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = {
            r[0]: r
            for r in con.execute(
                "SELECT attendance_id, CAST(arrival_at AS VARCHAR), departed_at IS NULL, acuity, age, disposal, "
                "decision_to_admit_at IS NULL FROM ed_attendances"
            ).fetchall()
        }
    assert set(rows) == {"A1", "A2", "A18", "A20"}
    assert rows["A2"] == ("A2", "2019-04-01 11:00:00", True, None, 5, None, True)  # 'T' separator accepted
    assert rows["A18"][4] == 40  # '40.0' read as the whole number 40
    assert rows["A1"][1] == "2019-04-01 10:00:00" and rows["A1"][3] == 2 and rows["A1"][5] == "admitted"
    assert rows["A1"][6] is False


def test_quarantine_record_keeps_raw_values_and_location(tmp_path: Path) -> None:
    path = write_case(CASES["staffing"], tmp_path / "in", "csv")
    db = tmp_path / "wh.duckdb"
    load(tmp_path / "in", db)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT source_file, source_hash, column_name, record::JSON->>'establishment_wte', "
            "record::JSON->>'month' FROM quarantine WHERE row_number = 5"
        ).fetchone()
    import hashlib

    assert row[0] == str(path)
    assert row[1] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert row[2] == "establishment_wte"
    assert row[3] == "abc" and row[4] == "2019-05-01"
