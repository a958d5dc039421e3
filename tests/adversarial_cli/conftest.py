"""Shared pieces of the adversarial CLI tests (issue 12)."""

from __future__ import annotations

import csv
import re
import signal
from contextlib import contextmanager
from pathlib import Path

import pytest

INPUTS = Path(__file__).parent / "inputs"

# Written independently of wardwatch.csvsafe: a cell a spreadsheet runs as a formula starts with
# = + - @ (or tab / CR, which some spreadsheets strip first) and is not a plain decimal number.
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def formula_cells(path: Path) -> list[tuple[int, int, str]]:
    """(row, column, text) of every cell of the CSV at ``path`` a spreadsheet would evaluate."""
    found = []
    with path.open(newline="", encoding="utf-8") as handle:
        for r, row in enumerate(csv.reader(handle)):
            for c, cell in enumerate(row):
                if cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _PLAIN_NUMBER.fullmatch(cell):
                    found.append((r, c, cell))
    return found


@contextmanager
def time_limit(seconds: int, what: str):
    """Fail (instead of hanging CI) when ``what`` runs longer than ``seconds``."""

    def _expired(signum, frame):
        raise TimeoutError(f"{what} still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A working folder holding a plain file, an empty folder and a DuckDB file of no warehouse."""
    import duckdb

    (tmp_path / "file.txt").write_text("month,admissions\n2019-01-01,3\n")
    (tmp_path / "folder").mkdir()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("CREATE TABLE unrelated (x INTEGER)")
    monkeypatch.chdir(tmp_path)  # a command defaulting to ./build must not write into the repo
    return tmp_path
