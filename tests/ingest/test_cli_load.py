"""`wardwatch load` on the command line: tables, --json shape, --help."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from ingest_cases import CASES
from test_load_datasets import write_case

from wardwatch.contracts.schema import CONTRACTS


def test_help(cli) -> None:
    result = cli("load", "--help")
    assert result.exit_code == 0
    for option in ("--db", "--json", "--dataset"):
        assert option in result.output


def test_json_output_one_object_per_dataset(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"
    write_case(CASES["ed_attendances"], folder, "csv")
    write_case(CASES["admissions"], folder, "parquet")
    db = tmp_path / "wh.duckdb"
    result = cli("load", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["dataset"] for o in objects] == list(CONTRACTS)  # one per dataset, contract order
    keys = {"dataset", "file", "read", "loaded", "added", "quarantined", "reasons"}
    for obj in objects:
        assert keys <= set(obj)
        assert obj["read"] == obj["loaded"] + obj["quarantined"]
    by_name = {o["dataset"]: o for o in objects}
    ed = by_name["ed_attendances"]
    assert ed["file"] == str(folder / "ed_attendances.csv")
    assert ed["status"] == "loaded"
    assert ed["read"] == CASES["ed_attendances"].n_rows
    assert ed["added"] == CASES["ed_attendances"].n_good
    assert ed["reasons"] == dict(Counter(CASES["ed_attendances"].expected.values()))
    assert by_name["admissions"]["file"] == str(folder / "admissions.parquet")
    assert by_name["staffing"] == {
        "dataset": "staffing",
        "file": None,
        "status": "skipped",
        "read": 0,
        "loaded": 0,
        "added": 0,
        "quarantined": 0,
        "reasons": {},
    }
    again = [json.loads(line) for line in cli("load", folder, "--db", db, "--json").output.splitlines()]
    assert [o["added"] for o in again] == [0] * len(CONTRACTS)


def test_table_output(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"
    write_case(CASES["irmer_entitlements"], folder, "csv")
    result = cli("load", folder, "--db", tmp_path / "wh.duckdb")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "irmer_entitlements" in out and "irmer_entitlements.csv" in out
    # every reason of the file is listed with its human label
    for label in (
        "Duplicate key in file",
        "Blank key",
        "Events out of order",
        "Unknown code",
        "Blank required value",
        "Unreadable date",
        "Badly formed code",
    ):
        assert label in out
    assert "Skipped (no <dataset>.csv or <dataset>.parquet file in the folder)" in out and "staffing" in out


def test_skipped_datasets_name_the_files_that_would_have_been_read(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"
    write_case(CASES["staffing"], folder, "csv")
    # ecds maps ed_attendances from '*ecds*.csv'; the folder holds no such file
    result = cli("load", folder, "--db", tmp_path / "wh.duckdb", "--mapping", "ecds")
    assert result.exit_code == 0, result.output
    lines = [" ".join(line.split()) for line in result.output.splitlines() if line.startswith("Skipped")]
    others = [n for n in CONTRACTS if n not in ("staffing", "ed_attendances")]
    assert lines == [
        f"Skipped (no <dataset>.csv or <dataset>.parquet file in the folder): {', '.join(others)}.",
        "Skipped (no file in the folder matches the mapping's file pattern; a spreadsheet .xlsx, .xlsm, "
        ".xlsb, .xls, .ods or a delimited text file is read): ed_attendances ('*ecds*.csv').",
    ]


def test_dataset_option_limits_the_load(tmp_path: Path, cli) -> None:
    folder = tmp_path / "in"
    write_case(CASES["staffing"], folder, "csv")
    write_case(CASES["admissions"], folder, "csv")
    result = cli("load", folder, "--db", tmp_path / "wh.duckdb", "--json", "--dataset", "staffing")
    objects = [json.loads(line) for line in result.output.splitlines()]
    assert [o["dataset"] for o in objects] == ["staffing"]
