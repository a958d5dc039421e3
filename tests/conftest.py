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


# ---------------------------------------------------------------- real browser (Playwright + Debian chromium)

def chromium_path() -> str:
    """Debian's chromium (scripts/browser-deps.sh installs it), or $WARDWATCH_CHROMIUM."""
    import os
    import shutil

    path = os.environ.get("WARDWATCH_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("no chromium: run `bash scripts/browser-deps.sh` (make test does) or set WARDWATCH_CHROMIUM")
    return path


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium driven by Playwright; never a downloaded browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield chromium
        chromium.close()
