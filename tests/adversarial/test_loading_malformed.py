"""Property: whatever bytes a CSV holds, a load keeps the promise.

Hypothesis starts from a valid staffing extract and damages it (stray quotes, commas, blank
lines, carriage returns, NUL and non-UTF-8 bytes, truncation, extra and missing fields, odd
numbers and dates). For every damaged file, loaded through the command line into a warehouse that
already holds data:

* no traceback: exit 0, or exit 2 with one ``Error:`` line;
* exit 0: read == loaded + quarantined, the table grew by exactly ``added``, and no row that
  Python's own CSV reader finds in the file is lost (read equals its count of records);
* exit 2: the warehouse is exactly as it was.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wardwatch.cli import get_app

HEADER = "org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte"
GOOD_ROWS = [f"ZFV,nursing,{2010 + m // 12}-{m % 12 + 1:02d}-01,{100 + m},{90 + m},{m % 3}" for m in range(12)]

FRAGMENTS = [
    '"', ",", "\n", "\r\n", "\r", "\n\n", "\x00", " ", '""', '"a,b"', "1_000", "NaN", "-1", "2023-02-30",
    "0000-01-01", "9999-12-31", "24:00", "é", "\ufeff", "\t", ";", "zz", ",,,,,,,,", "1e400",
]
RAW_BYTES = [b"\xe9", b"\xff\xfe", b"\x80", b"\xc3"]

edit = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(FRAGMENTS)),
    st.tuples(st.just("bytes"), st.integers(0, 10_000), st.sampled_from(RAW_BYTES)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 5)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
)


def damage(edits: list[tuple]) -> bytes:
    data = ("\n".join([HEADER, *GOOD_ROWS]) + "\n").encode()
    for kind, at, what in edits:
        # keep the header intact most of the time: header damage is covered by the corpus
        pos = len(HEADER) + 1 + at % max(1, len(data) - len(HEADER) - 1)
        if kind == "insert":
            data = data[:pos] + what.encode() + data[pos:]
        elif kind == "bytes":
            data = data[:pos] + what + data[pos:]
        elif kind == "delete":
            data = data[:pos] + data[pos + what :]
        else:
            data = data[:pos]
    return data


def python_records(data: bytes) -> int | None:
    """Data records as Python's csv module reads the file, or None if it is not clean UTF-8 CSV."""
    try:
        text = data.decode("utf-8")
        if "\x00" in text:
            return None
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error):
        return None
    return sum(1 for row in rows[1:] if row)


def table_state(db: Path) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {t: sorted(map(repr, con.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(edit, min_size=1, max_size=4))
def test_damaged_csv_keeps_the_promise(tmp_path_factory, edits: list[tuple]) -> None:
    base = tmp_path_factory.mktemp("malformed")
    first = base / "first"
    first.mkdir()
    (first / "staffing.csv").write_text(
        f"{HEADER}\nRXX,medical,2000-01-01,10,9,0\nRXX,nursing,2000-01-01,10,9,0\n"
    )
    db = base / "wh.duckdb"
    runner = CliRunner()
    app = get_app()
    assert runner.invoke(app, ["load", str(first), "--db", str(db)], catch_exceptions=False).exit_code == 0
    before = table_state(db)

    data = damage(edits)
    folder = base / "in"
    folder.mkdir()
    (folder / "staffing.csv").write_bytes(data)
    result = runner.invoke(app, ["load", str(folder), "--db", str(db), "--json"], catch_exceptions=False)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert result.exit_code in (0, 2), output
    if result.exit_code == 2:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), output
        assert table_state(db) == before
        return
    report = next(o for o in map(json.loads, result.stdout.splitlines()) if o["dataset"] == "staffing")
    assert report["read"] == report["loaded"] + report["quarantined"]
    after = table_state(db)
    assert len(after["staffing"]) == len(before["staffing"]) + report["added"]
    expected = python_records(data)
    if expected is not None:
        assert report["read"] == expected, (data, report)
