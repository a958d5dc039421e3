"""`wardwatch load --mode append|upsert|replace-period`: refreshed extracts that change rows."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from wardwatch.errors import InputError
from wardwatch.ingest import load

ED_HEADER = (
    "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
    "departed_at,arrival_mode,acuity,age,disposal"
)
FIRST = [
    "A1,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 10:05,,,walk_in,3,40,",  # still in the department
    "A2,ZFV,ZFV01,1,2019-04-02 10:00,2019-04-02 10:05,2019-04-02 10:30,2019-04-02 12:00,walk_in,3,41,discharged",
    "A3,ZFV,ZFV01,1,2019-05-02 10:00,2019-05-02 10:05,2019-05-02 10:30,2019-05-02 12:00,walk_in,3,42,discharged",
    "B1,ZP01,ZP011,1,2019-04-05 10:00,2019-04-05 10:05,2019-04-05 10:30,2019-04-05 12:00,walk_in,3,43,discharged",
]
A1_DEPARTED = "A1,ZFV,ZFV01,1,2019-04-01 10:00,2019-04-01 10:05,2019-04-01 10:40,2019-04-01 15:00,walk_in,3,40,admitted"
A2 = FIRST[1]
A4 = "A4,ZFV,ZFV01,1,2019-04-03 10:00,2019-04-03 10:05,2019-04-03 10:30,2019-04-03 12:00,walk_in,3,44,discharged"


def _extract(folder: Path, rows: list[str]) -> Path:
    folder.mkdir()
    (folder / "ed_attendances.csv").write_text(ED_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _rows(db: Path) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT attendance_id, departed_at, disposal FROM ed_attendances").fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.fixture
def warehouse(tmp_path):
    db = tmp_path / "wh.duckdb"
    load(_extract(tmp_path / "first", FIRST), db)
    return db


def test_append_keeps_the_stored_row_and_quarantines_the_change(warehouse, tmp_path):
    item = load(_extract(tmp_path / "refreshed", [A1_DEPARTED, A2, A4]), warehouse)["ed_attendances"]
    assert item.reasons == {"key_conflict": 1} and item.added == 1
    assert _rows(warehouse)["A1"] == (None, None)


def test_upsert_replaces_a_changed_row_and_records_old_and_new_values(warehouse, tmp_path):
    refreshed = _extract(tmp_path / "refreshed", [A1_DEPARTED, A2, A4])
    item = load(refreshed, warehouse, mode="upsert")["ed_attendances"]
    assert (item.read, item.loaded, item.quarantined) == (3, 3, 0)
    assert (item.updated, item.added) == (1, 1)  # A1 replaced, A4 new, A2 unchanged
    rows = _rows(warehouse)
    assert rows["A1"][1] == "admitted" and str(rows["A1"][0]) == "2019-04-01 15:00:00"
    assert set(rows) == {"A1", "A2", "A3", "A4", "B1"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        changes = con.execute("SELECT dataset, key, changed_columns, old, new FROM load_changes").fetchall()
    assert len(changes) == 1
    dataset, key, columns, old, new = changes[0]
    assert dataset == "ed_attendances" and json.loads(key) == {"attendance_id": "A1"}
    assert columns.split(",") == ["clinician_seen_at", "departed_at", "disposal"]
    assert json.loads(old)["departed_at"] is None and json.loads(new)["disposal"] == "admitted"
    # the same extract again changes nothing and records nothing
    again = load(refreshed, warehouse, mode="upsert")["ed_attendances"]
    assert (again.updated, again.added) == (0, 0)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM load_changes").fetchone()[0] == 1


def test_replace_period_replaces_only_the_months_and_trusts_in_the_file(warehouse, tmp_path):
    # an April re-extract of ZFV: A2 has gone (e.g. a duplicate removed at source), A1 changed, A4 new
    item = load(_extract(tmp_path / "april", [A1_DEPARTED, A4]), warehouse, mode="replace-period")["ed_attendances"]
    assert (item.removed, item.updated, item.added, item.quarantined) == (1, 1, 1, 0)
    rows = _rows(warehouse)
    assert set(rows) == {"A1", "A3", "A4", "B1"}  # May (A3) and the other trust's April (B1) untouched
    assert rows["A1"][1] == "admitted"


def test_replace_period_refuses_a_dataset_without_periods(warehouse, tmp_path):
    folder = tmp_path / "training"
    folder.mkdir()
    from wardwatch.contracts.schema import CONTRACTS

    header = ",".join(CONTRACTS["staff_training"].column_names)
    (folder / "staff_training.csv").write_text(header + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="staff_training has no period column"):
        load(folder, warehouse, mode="replace-period")


def test_unknown_mode_is_one_line(warehouse, tmp_path):
    with pytest.raises(InputError, match="--mode 'merge': use one of append, upsert, replace-period"):
        load(_extract(tmp_path / "x", [A4]), warehouse, mode="merge")


def test_cli_mode_upsert_reports_the_replaced_rows(warehouse, tmp_path, cli):
    folder = _extract(tmp_path / "refreshed", [A1_DEPARTED])
    result = cli("load", folder, "--db", warehouse, "--mode", "upsert")
    assert result.exit_code == 0, result.output
    assert "1 stored rows replaced by changed rows" in result.output
    bad = cli("load", folder, "--db", warehouse, "--mode", "merge")
    assert bad.exit_code == 2 and "use one of append, upsert, replace-period" in bad.output


def test_memory_limit_is_applied_and_checked(tmp_path, cli):
    from wardwatch.ingest import check_memory_limit

    assert check_memory_limit(" 512 MiB ") == "512MiB"
    with pytest.raises(InputError, match="give a size such as 2GB"):
        check_memory_limit("lots")
    from wardwatch.ingest import _warehouse

    with _warehouse(tmp_path / "w.duckdb", "64MB") as wh:  # the load's own connection carries it
        assert wh.con.execute("SELECT current_setting('memory_limit')").fetchone()[0] in ("61.0 MiB", "64.0 MB")
    folder = _extract(tmp_path / "x", FIRST)
    result = cli("load", folder, "--db", tmp_path / "a.duckdb", "--memory-limit", "64MB")
    assert result.exit_code == 0, result.output
    bad = cli("load", folder, "--db", tmp_path / "b.duckdb", "--memory-limit", "two")
    assert bad.exit_code == 2 and "--memory-limit 'two'" in bad.output


def test_progress_bar_counts_every_step_of_the_load(warehouse, tmp_path):
    """The CLI's bar is sized from the files found and reaches its total when the load ends."""
    import io

    from rich.console import Console

    from wardwatch.cli.load import _progress_bar

    folder = _extract(tmp_path / "bar", [A4])
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    steps = []
    with _progress_bar(console, folder, None, None) as on_progress:
        def record(name, step):
            steps.append(step)
            on_progress(name, step)

        load(folder, warehouse, on_progress=record)
    assert steps.count("reading and checking") == 1 and "committing" in steps
    assert "3/3" in console.file.getvalue()
