"""Loads as separate processes: two at once, killed part way, running out of file space, and other
commands meeting a warehouse that is not one or is being written.

Each runs ``python -m wardwatch`` on this checkout's sources in a subprocess, as a user would.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

import wardwatch
from wardwatch.warehouse import connect_raw

SRC = Path(wardwatch.__file__).resolve().parents[1]
ED_HEADER = (
    "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
    "decision_to_admit_at,departed_at,arrival_mode,acuity,age,disposal"
)


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC), "COLUMNS": "200"}


def wardwatch_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "wardwatch", *map(str, args)]


def run(*args: object, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(wardwatch_cmd(*args), check=False, capture_output=True, text=True, env=env(), timeout=300, **kwargs)


def write_ed(folder: Path, rows: int, bad_every: int = 50) -> int:
    """An ED extract of ``rows`` rows, every ``bad_every``-th with a negative age; returns the good count."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [ED_HEADER]
    for i in range(rows):
        age = -1 if i % bad_every == 0 else 40
        minute = i % 60
        lines.append(
            f"A{i},ZFV,ZFV01,1,2023-04-01 10:{minute:02d},,,,2023-04-01 12:{minute:02d},walk_in,,{age},discharged"
        )
    (folder / "ed_attendances.csv").write_text("\n".join(lines) + "\n")
    return rows - len(range(0, rows, bad_every))


def write_staffing(folder: Path, months: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["org_code,staff_group,month,establishment_wte,in_post_wte"]
    lines += [f"ZFV,nursing,{2000 + m // 12}-{m % 12 + 1:02d}-01,100,90" for m in range(months)]
    (folder / "staffing.csv").write_text("\n".join(lines) + "\n")


def counts(db: Path) -> dict[str, tuple[int, int]]:
    """table -> (rows, distinct keys) of the data tables, plus quarantine rows."""
    if not db.exists():
        return {}
    # as the next wardwatch command would open it: a WAL left by a killed load is replayed first
    with connect_raw(db, read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        out = {}
        if "ed_attendances" in tables:
            out["ed_attendances"] = con.execute(
                "SELECT count(*), count(DISTINCT attendance_id) FROM ed_attendances"
            ).fetchone()
        if "staffing" in tables:
            out["staffing"] = con.execute("SELECT count(*), count(DISTINCT month) FROM staffing").fetchone()
        if "quarantine" in tables:
            out["quarantine"] = con.execute("SELECT count(*), count(*) FROM quarantine").fetchone()
        return out


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), proc.stderr
    return lines[0]


@pytest.mark.slow
def test_two_loads_at_once_into_a_new_warehouse_load_each_row_once(tmp_path: Path) -> None:
    good = write_ed(tmp_path / "in", 20_000)
    db = tmp_path / "wh.duckdb"
    procs = [
        subprocess.Popen(
            wardwatch_cmd("load", tmp_path / "in", "--db", db, "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert "Traceback" not in out + err
        if code:
            assert code == 2 and "the warehouse is being written (or read) by another process" in err, err
    assert any(code == 0 for code, _, _ in results)
    assert counts(db)["ed_attendances"] == (good, good)
    # the loser can simply run again: nothing is added twice
    again = run("load", tmp_path / "in", "--db", db, "--json")
    assert again.returncode == 0, again.stderr
    ed = next(o for o in map(json.loads, again.stdout.splitlines()) if o["dataset"] == "ed_attendances")
    assert ed["loaded"] == good and ed["added"] == 0
    assert counts(db)["ed_attendances"] == (good, good)


def test_the_loader_refuses_a_second_row_with_a_loaded_key(tmp_path: Path) -> None:
    # The key is kept unique by the loader (no unique index since 2026-12-04; tests/ingest/test_load_keys.py)
    write_staffing(tmp_path / "in", 3)
    db = tmp_path / "wh.duckdb"
    assert run("load", tmp_path / "in", "--db", db).returncode == 0
    (tmp_path / "in" / "staffing.csv").write_text(
        "org_code,staff_group,month,establishment_wte,in_post_wte\nZFV,nursing,2000-01-01,1,1\n"
    )
    proc = run("load", tmp_path / "in", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    staffing = next(o for o in map(json.loads, proc.stdout.splitlines()) if o["dataset"] == "staffing")
    assert (staffing["added"], staffing["reasons"]) == (0, {"key_conflict": 1})
    assert counts(db)["staffing"] == (3, 3)


def test_old_warehouse_without_keys_gets_them_or_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:  # as written by an earlier wardwatch: no marker, no key
        con.execute(
            "CREATE TABLE staffing (org_code VARCHAR, staff_group VARCHAR, month DATE, "
            "establishment_wte DOUBLE, in_post_wte DOUBLE, bank_agency_wte DOUBLE)"
        )
        con.execute("INSERT INTO staffing VALUES ('ZFV', 'nursing', '2000-01-01', 100, 90, NULL)")
    write_staffing(tmp_path / "in", 2)
    proc = run("load", tmp_path / "in", "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        # checked for keys held twice once, then the loader keeps the key (the marker records it)
        assert con.execute(
            "SELECT count(*) FROM wardwatch_warehouse WHERE key = 'unique_key:staffing'"
        ).fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM staffing").fetchone()[0] == 2
    dup = tmp_path / "dup.duckdb"
    with duckdb.connect(str(dup)) as con:
        con.execute(
            "CREATE TABLE staffing (org_code VARCHAR, staff_group VARCHAR, month DATE, "
            "establishment_wte DOUBLE, in_post_wte DOUBLE, bank_agency_wte DOUBLE)"
        )
        con.execute("INSERT INTO staffing VALUES ('ZFV', 'nursing', '2000-01-01', 100, 90, NULL)")
        con.execute("INSERT INTO staffing SELECT * FROM staffing")
    assert "keys twice" in one_error_line(run("load", tmp_path / "in", "--db", dup))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _killed_load(folder: Path, db: Path, when) -> tuple[int, str]:
    """Start a load, SIGKILL it as soon as ``when(db_size, wal_size)`` holds; (pid, its stdout)."""
    proc = subprocess.Popen(
        wardwatch_cmd("load", folder, "--db", db, "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env(),
    )
    wal = Path(f"{db}.wal")
    while proc.poll() is None and not when(_size(db), _size(wal)):
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    return proc.pid, proc.stdout.read()


#: Moments of a load into a new warehouse, told from the files DuckDB writes: the warehouse file
#: is created (and locked) before the files are staged; the load's one transaction goes to the WAL
#: at commit; the checkpoint then copies it into the file.
KILL_MOMENTS = {
    "staging": lambda db, wal: db > 0,
    "commit": lambda db, wal: wal > 20_000,
    "checkpoint": lambda db, wal: db > 20_000,
}


@pytest.mark.slow
@pytest.mark.parametrize("moment", sorted(KILL_MOMENTS))
def test_load_killed_part_way_commits_all_or_nothing_and_a_rerun_is_right(tmp_path: Path, moment: str) -> None:
    """kill -9 part way; the warehouse then holds exactly what the load's report (if it got as far
    as printing one) said was committed, all datasets or none, and a re-run gives the right counts."""
    folder = tmp_path / "in"
    good_ed = write_ed(folder, 40_000)
    write_staffing(folder, 240)
    db = tmp_path / "wh.duckdb"
    full = {"ed_attendances": (good_ed, good_ed), "staffing": (240, 240)}
    pid, out = _killed_load(folder, db, KILL_MOMENTS[moment])
    state = counts(db)  # reopening replays the WAL: only committed work survives
    data = {k: v for k, v in state.items() if k != "quarantine"}
    reports = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    if reports:  # the load finished before the kill: everything it reported is there
        assert {r["dataset"]: r["added"] for r in reports if r["status"] == "loaded"} == {
            "ed_attendances": good_ed,
            "staffing": 240,
        }
        assert data == full
    # one transaction: everything or nothing, never some datasets or part of one
    assert data in ({}, full), state
    assert state.get("quarantine", (0, 0))[0] in (0, 40_000 - good_ed)
    proc = run("load", folder, "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    by_name = {o["dataset"]: o for o in map(json.loads, proc.stdout.splitlines())}
    assert by_name["ed_attendances"]["loaded"] == good_ed
    assert by_name["ed_attendances"]["added"] == (0 if data else good_ed)
    assert by_name["ed_attendances"]["quarantined"] == 40_000 - good_ed
    assert counts(db) == {**full, "quarantine": (40_000 - good_ed,) * 2}
    # the killed load's scratch folder was removed by the next load
    assert not list(Path(tempfile.gettempdir()).glob(f"wardwatch-load-{pid}-*"))


def test_killed_load_into_existing_warehouse_leaves_it_as_it_was(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_staffing(first, 12)
    db = tmp_path / "wh.duckdb"
    assert run("load", first, "--db", db).returncode == 0
    before = counts(db)
    write_ed(second, 30_000)
    write_staffing(second, 24)
    _killed_load(second, db, KILL_MOMENTS["commit"])
    after = counts(db)
    assert after == before or (after["staffing"] == (24, 24) and after["ed_attendances"][0] > 0), after


def _limit_file_size(limit: int):
    def apply() -> None:
        # Writes past ``limit`` bytes fail with EFBIG (SIGXFSZ ignored), like a full disk.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.slow
def test_write_failure_part_way_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write_staffing(first, 12)
    db = tmp_path / "wh.duckdb"
    assert run("load", first, "--db", db).returncode == 0
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("SELECT * FROM staffing ORDER BY month").fetchall()
    write_ed(second, 40_000)
    write_staffing(second, 24)
    limit = db.stat().st_size + 300_000
    proc = subprocess.run(
        wardwatch_cmd("load", second, "--db", db),
        check=False,
        capture_output=True,
        text=True,
        env=env(),
        timeout=300,
        preexec_fn=_limit_file_size(limit),
    )
    line = one_error_line(proc)
    assert "nothing was loaded" in line or "Nothing was loaded" in line, line
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert "ed_attendances" not in tables or con.execute("SELECT count(*) FROM ed_attendances").fetchone()[0] == 0
        assert con.execute("SELECT * FROM staffing ORDER BY month").fetchall() == before


def test_other_commands_refuse_a_csv_or_sqlite_as_db(tmp_path: Path) -> None:
    csv_db = tmp_path / "measures.csv"
    csv_db.write_text("indicator_id,org_code\nx,ZFV\n")
    line = one_error_line(run("measures", "--db", csv_db))
    assert "not a wardwatch warehouse" in line
    import sqlite3

    sq = tmp_path / "warehouse.db"
    with sqlite3.connect(sq) as con:
        con.execute("CREATE TABLE measures (a)")
    line = one_error_line(run("measures", "--db", sq))
    assert "a SQLite database" in line
    foreign = tmp_path / "other.duckdb"
    with duckdb.connect(str(foreign)) as con:
        con.execute("CREATE TABLE customers (a INT)")
    assert "not a wardwatch warehouse" in one_error_line(run("measures", "--db", foreign))


def test_a_command_meeting_a_warehouse_being_written_says_so_in_one_line(tmp_path: Path) -> None:
    write_staffing(tmp_path / "in", 3)
    db = tmp_path / "wh.duckdb"
    assert run("load", tmp_path / "in", "--db", db).returncode == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, sys, time; c = duckdb.connect({str(db)!r}); print('ok', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ok"
        for args in (("load", tmp_path / "in", "--db", db), ("measures", "--db", db)):
            assert "the warehouse is being written (or read) by another process" in one_error_line(run(*args))
        # a reader is told the warehouse is being written
        assert "the warehouse is being written by another process" in one_error_line(
            run("mortality", "--db", db, "--out", tmp_path / "out")
        )
    finally:
        holder.kill()
        holder.wait()


def test_line_too_long_names_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    long_value = "x" * 2_100_000
    (folder / "staffing.csv").write_text(
        f"org_code,staff_group,month,establishment_wte,in_post_wte\nZFV,{long_value},2000-01-01,1,1\n"
    )
    line = one_error_line(run("load", folder, "--db", tmp_path / "wh.duckdb"))
    assert "longer than 2,000,000 bytes" in line and "line 2" in line
    assert not (tmp_path / "wh.duckdb").exists()
