"""Hypothesis fuzz of the *contents* of spc and funnel input files (issue 12).

Values mix ordinary numbers with NaN, infinities, negatives, huge and tiny magnitudes, blanks and
text. Whatever the file holds: exit 0 or 2, one ``Error:`` line on failure, never a traceback.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wardwatch.cli import get_app

from .conftest import formula_cells, time_limit

CELL = st.one_of(
    st.integers(min_value=-5, max_value=500).map(str),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "-1e308", "1e-300", "1e16", "1e20", "0", "-0",
                     "x", "=1+1", "1,5", " 7 "]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(args: list[str], folder: Path) -> None:
    with time_limit(60, f"wardwatch {args}"):
        result = CliRunner().invoke(get_app(), args)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for path in folder.glob("o*.csv"):
        assert formula_cells(path) == []


@SETTINGS
@given(
    rows=st.lists(st.tuples(st.sampled_from(["A", "B"]), CELL, CELL), min_size=0, max_size=25),
    chart=st.sampled_from(["xmr", "p", "pp", "u", "up", "c", "run", "g", "t"]),
)
def test_spc_survives_any_values(rows, chart):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with (folder / "in.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["series", "month", "events", "total"])
            months = {}
            for series, events, total in rows:
                months[series] = months.get(series, 0) + 1
                writer.writerow([series, f"{2000 + months[series] // 12}-{months[series] % 12 + 1:02d}-01",
                                 events, total])
        args = ["spc", str(folder / "in.csv"), "--out", str(folder / "o.csv"), "--summary",
                str(folder / "o_summary.csv"), "--x", "month", "--y", "events", "--by", "series",
                "--chart", chart, "--improvement", "increase"]
        if chart in ("p", "pp", "u", "up"):
            args += ["--n", "total"]
        _check(args, folder)


@SETTINGS
@given(
    rows=st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "E", "F"]), CELL, CELL), min_size=0,
                  max_size=20),
    ftype=st.sampled_from(["PR", "SR", "RC"]),
    style=st.sampled_from(["spiegelhalter", "funnelplotr"]),
)
def test_funnel_survives_any_values(rows, ftype, style):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with (folder / "in.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["group", "events", "total"])
            writer.writerows(rows)
        _check(["funnel", str(folder / "in.csv"), "--group", "group", "--numerator", "events",
                "--denominator", "total", "--type", ftype, "--style", style, "--out", str(folder / "o.csv")],
               folder)
