"""Run the adversarial CLI corpus (cases.toml): exit code, one-line message, no formula cells."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wardwatch.cli import get_app

from .conftest import INPUTS, formula_cells, time_limit

CASES = tomllib.loads((Path(__file__).parent / "cases.toml").read_text(encoding="utf-8"))["case"]


def _expand(arg: str, tmp: Path) -> str:
    return arg.replace("{in}", str(INPUTS)).replace("{tmp}", str(tmp))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case, sandbox):
    args = [_expand(a, sandbox) for a in case["args"]]
    with time_limit(120, f"wardwatch {' '.join(case['args'])}"):
        result = CliRunner().invoke(get_app(), args)
    output = result.output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == case["exit"], output
    if case["exit"] == 2:
        lines = [line for line in output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), output
    if "message" in case:
        assert case["message"] in output, output
    for name in case.get("outputs", []):
        path = sandbox / name
        assert path.is_file(), f"{name} not written"
        assert formula_cells(path) == []
    for name, text in case.get("contains", []):
        assert text in (sandbox / name).read_text(encoding="utf-8"), f"{text!r} not in {name}"
    if case["exit"] == 2:
        written = {p.name for p in sandbox.iterdir()} - {"file.txt", "folder", "warehouse.duckdb"}
        assert not written, f"a failed command left {written}"
