"""Adversarial loading corpus: every case folder under ``cases/`` holds input files and
``expected.json``, the outcome written by hand from docs/guide/loading.md.

A case is a list of steps, each a ``wardwatch load --json`` of one input folder (copied first to
the folder name given by ``as``, which may hold ``*``, ``?`` or ``[ ]``) into one warehouse per
case. Each step states the exit code, for an error a fragment of its one line, for a warning a
fragment of stderr, the per-dataset counts, table sizes after the step, the quarantine's
(row_number, reason) pairs, and whether the warehouse must be left exactly as it was (``unchanged``).

Whatever a case says, every step must also keep the promise: no traceback, an error is one
``Error:`` line, and every dataset has read == loaded + quarantined.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

CASES = Path(__file__).parent / "cases"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected.json").is_file())


def snapshot(db: Path) -> object:
    """Equal snapshots = the warehouse is unchanged: table contents for a DuckDB file, else bytes."""
    if not db.exists():
        return None
    if db.is_dir():
        return sorted(str(p.relative_to(db)) for p in db.rglob("*"))
    head = db.read_bytes()[:12]
    if head[8:12] != b"DUCK":
        return hashlib.sha256(db.read_bytes()).hexdigest()
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        content = {
            t: sorted(map(repr, con.execute(f'SELECT * EXCLUDE (loaded_at) FROM "{t}"').fetchall()))
            if t == "quarantine"
            else sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall()))
            for t in tables
        }
    return content


def table_rows(db: Path, table: str) -> int:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_case(name: str, tmp_path: Path, cli) -> None:
    case = CASES / name
    spec = json.loads((case / "expected.json").read_text())
    if "db" in spec:
        db = tmp_path / spec["db"]
        source = case / spec["db"]
        if source.is_dir():
            shutil.copytree(source, db)
        else:
            db.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, db)
    else:
        db = tmp_path / "warehouse.duckdb"
    for number, step in enumerate(spec["steps"], start=1):
        where = f"{name} step {number}"
        folder = tmp_path / f"step{number}" / step.get("as", step["inputs"])
        shutil.copytree(case / step["inputs"], folder)
        before = snapshot(db)
        result = cli("load", folder, "--db", db, "--json", *step.get("args", []))
        output = result.stdout + result.stderr
        assert "Traceback" not in output, where
        assert result.exit_code == step["exit"], f"{where}: {output}"
        if step["exit"]:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("Error: "), f"{where}: {output}"
            assert step["error"] in lines[0], f"{where}: {lines[0]}"
            assert not result.stdout.strip(), where
        if "warning" in step:
            assert step["warning"] in " ".join(result.stderr.split()), f"{where}: {result.stderr}"
        reports = {o["dataset"]: o for o in map(json.loads, result.stdout.splitlines()) if result.stdout.strip()}
        for report in reports.values():
            assert report["read"] == report["loaded"] + report["quarantined"], where
        for dataset, counts in step.get("datasets", {}).items():
            got = {k: reports[dataset][k] for k in counts}
            assert got == counts, where
        for table, n in step.get("table_rows", {}).items():
            assert table_rows(db, table) == n, f"{where}: {table}"
        if "quarantine" in step:
            with duckdb.connect(str(db), read_only=True) as con:
                got = con.execute("SELECT row_number, reason FROM quarantine ORDER BY 1").fetchall()
            assert [list(r) for r in got] == step["quarantine"], where
        if step.get("unchanged"):
            assert snapshot(db) == before, f"{where}: the warehouse changed"
