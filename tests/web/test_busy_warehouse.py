"""The web's short connections wait for another process's to close (``serve --workers N``: one
worker's sign-in, a write, can meet another's read), and give up with the one-line busy error
after ``wait`` seconds. The other process is a real one: DuckDB's file lock is per process."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import pytest

from wardwatch.warehouse import WarehouseBusy, connect_raw, web_writer

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "warehouse.duckdb"
    connect_raw(path).close()
    return path


def _hold_for(path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


def test_a_write_waits_for_another_process_s_read_to_end(warehouse):
    holder = _hold_for(warehouse, 0.6)
    began = time.monotonic()
    with web_writer(warehouse, wait=10) as raw:
        raw.execute("CREATE TABLE written (x INTEGER)")
    waited = time.monotonic() - began
    holder.wait(10)
    assert waited >= 0.3  # it did wait (the reader held the file ~0.6 s after saying so)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM written").fetchone() == (0,)


def test_a_write_gives_up_with_the_busy_error_after_its_wait(warehouse):
    holder = _hold_for(warehouse, 5)
    try:
        began = time.monotonic()
        with pytest.raises(WarehouseBusy, match="being written \\(or read\\) by another process"):
            with web_writer(warehouse, wait=0.5):
                pass
        assert 0.3 <= time.monotonic() - began < 4
    finally:
        holder.kill()
        holder.wait(10)
