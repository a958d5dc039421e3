"""Shared test helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REFERENCE = DATA / "reference"


@pytest.fixture
def cli():
    """Run the wardwatch CLI in-process: ``result = cli("load", dir, "--db", db)``."""
    from typer.testing import CliRunner

    from wardwatch.cli import get_app

    runner = CliRunner()

    def run(*args: object):
        return runner.invoke(get_app(), [str(a) for a in args], catch_exceptions=False)

    return run
