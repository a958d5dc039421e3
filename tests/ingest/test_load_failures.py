"""Bad input stops the load with one line, exit code 2, and leaves the warehouse as it was."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest
from ingest_cases import CASES
from test_load_datasets import write_case

from wardwatch.errors import InputError
from wardwatch.ingest import load


def snapshot(db: Path) -> dict[str, object]:
    """Tables and their full contents (and the file's bytes): equal snapshots = warehouse unchanged."""
    if not db.exists():
        return {"exists": False}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        content = {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}
    return {"exists": True, "tables": content, "sha": hashlib.sha256(db.read_bytes()).hexdigest()}


@pytest.fixture
def loaded_warehouse(tmp_path: Path) -> Path:
    """A warehouse holding the good rows of the ED and staffing cases."""
    folder = tmp_path / "first"
    write_case(CASES["ed_attendances"], folder, "csv")
    write_case(CASES["staffing"], folder, "csv")
    db = tmp_path / "wh.duckdb"
    load(folder, db)
    return db


def drop_column(case_csv: str, column: str) -> str:
    lines = case_csv.strip("\n").split("\n")
    header = lines[0].split(",")
    i = header.index(column)
    # the chosen cases have no quoted commas in these files
    return "\n".join(",".join(f for j, f in enumerate(line.split(",")) if j != i) for line in lines) + "\n"


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


def test_missing_required_column_exit_2_names_file_and_column(
    tmp_path: Path, cli, loaded_warehouse: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    # a good file next to the bad one must not be loaded either
    write_case(CASES["admissions"], folder, "csv")
    (folder / "ed_attendances.csv").write_text(drop_column(CASES["ed_attendances"].csv, "arrival_at"))
    before = snapshot(loaded_warehouse)
    result = cli("load", folder, "--db", loaded_warehouse)
    assert_one_line_error(result, str(folder / "ed_attendances.csv"), "'arrival_at'")
    assert snapshot(loaded_warehouse) == before


def test_missing_required_column_on_new_warehouse_creates_nothing(tmp_path: Path, cli) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "staffing.csv").write_text(drop_column(CASES["staffing"].csv, "in_post_wte"))
    db = tmp_path / "new.duckdb"
    result = cli("load", folder, "--db", db)
    assert_one_line_error(result, "staffing.csv", "'in_post_wte'")
    assert not db.exists()


def test_missing_optional_column_is_fine(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "staffing.csv").write_text(drop_column(CASES["staffing"].csv, "bank_agency_wte"))
    item = load(folder, tmp_path / "wh.duckdb")["staffing"]
    assert item.read == item.loaded + item.quarantined == CASES["staffing"].n_rows
    # row 13 was refused only for its negative bank/agency WTE: without the column it loads
    assert item.quarantined == len(CASES["staffing"].expected) - 1


def test_missing_required_column_in_parquet(tmp_path: Path, cli) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "bad"
    folder.mkdir()
    pq.write_table(pa.table({"spell_id": ["P1"], "org_code": ["ZFV"]}), folder / "admissions.parquet")
    result = cli("load", folder, "--db", tmp_path / "wh.duckdb")
    assert_one_line_error(result, "admissions.parquet", "'admitted_at'")


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("ed_attendances.parquet", bytes(range(256)) * 40, "cannot be read as Parquet"),
        ("ed_attendances.parquet", b"", "empty"),
        ("ed_attendances.csv", b"", "empty"),
        ("ed_attendances.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not"),
        (
            "staffing.csv",
            b"org_code;staff_group;month;establishment_wte;in_post_wte\nZFV;ahp;2019-04-01;1;1\n",
            "comma-separated",
        ),
        (
            "staffing.csv",
            b"org_code,staff_group,month,establishment_wte,in_post_wte\nZFV,ahp,2019-04-01,1,1,9,9\n",
            "staffing.csv",
        ),
        (
            "staffing.csv",
            b"org_code,staff_group,month,establishment_wte,in_post_wte\rZFV,ahp,2019-04-01,1,1\r",
            "line endings",
        ),
    ],
    ids=[
        "garbage-parquet",
        "empty-parquet",
        "empty-csv",
        "binary-csv",
        "semicolons",
        "too-many-fields",
        "cr-only-line-endings",
    ],
)
def test_unreadable_files_exit_2_and_warehouse_unchanged(
    tmp_path: Path, cli, loaded_warehouse: Path, name: str, content: bytes, fragment: str
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    write_case(CASES["sepsis_episodes"], folder, "csv")  # a good file: must not be loaded either
    (folder / name).write_bytes(content)
    before = snapshot(loaded_warehouse)
    result = cli("load", folder, "--db", loaded_warehouse)
    assert_one_line_error(result, name, fragment)
    assert snapshot(loaded_warehouse) == before


def test_truncated_parquet(tmp_path: Path, cli, loaded_warehouse: Path) -> None:
    folder = tmp_path / "bad"
    write_case(CASES["imaging_requests"], folder, "parquet")
    path = folder / "imaging_requests.parquet"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = snapshot(loaded_warehouse)
    result = cli("load", folder, "--db", loaded_warehouse)
    assert_one_line_error(result, "imaging_requests.parquet")
    assert snapshot(loaded_warehouse) == before


def test_bad_line_far_into_a_csv_writes_nothing(tmp_path: Path, cli, loaded_warehouse: Path) -> None:
    """The header is fine, so only the full read finds the broken line: still nothing written."""
    folder = tmp_path / "bad"
    folder.mkdir()
    write_case(CASES["admissions"], folder, "csv")
    lines = ["staff_id,org_code,modality,entitled_as,recorded_on,withdrawn_on"]
    lines += [f"S{i},ZFV,CT,operator,2019-01-01," for i in range(50_000)]
    lines.append('S50000,ZFV,CT,operator,2019-01-01,,"extra"')
    (folder / "irmer_entitlements.csv").write_text("\n".join(lines) + "\n")
    before = snapshot(loaded_warehouse)
    result = cli("load", folder, "--db", loaded_warehouse)
    assert_one_line_error(result, "irmer_entitlements.csv")
    assert snapshot(loaded_warehouse) == before


def test_no_dataset_file(tmp_path: Path, cli) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = cli("load", tmp_path, "--db", tmp_path / "wh.duckdb")
    assert_one_line_error(result, "no dataset file found", "ed_attendances.csv")
    assert not (tmp_path / "wh.duckdb").exists()


def test_missing_directory(tmp_path: Path, cli) -> None:
    result = cli("load", tmp_path / "nope", "--db", tmp_path / "wh.duckdb")
    assert_one_line_error(result, "no such directory")


def test_both_csv_and_parquet_for_one_dataset(tmp_path: Path) -> None:
    write_case(CASES["staffing"], tmp_path, "csv")
    write_case(CASES["staffing"], tmp_path, "parquet")
    with pytest.raises(InputError, match="keep one"):
        load(tmp_path, tmp_path / "wh.duckdb")


def test_unknown_dataset_name(tmp_path: Path) -> None:
    write_case(CASES["staffing"], tmp_path, "csv")
    with pytest.raises(InputError, match="unknown dataset 'beds'"):
        load(tmp_path, tmp_path / "wh.duckdb", datasets=["beds"])


def test_not_a_warehouse_file(tmp_path: Path, cli) -> None:
    write_case(CASES["staffing"], tmp_path / "in", "csv")
    db = tmp_path / "wh.duckdb"
    db.write_text("this is not a database")
    result = cli("load", tmp_path / "in", "--db", db)
    assert_one_line_error(result, "not a wardwatch warehouse")
    assert db.read_text() == "this is not a database"
