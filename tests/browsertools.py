"""axe-core in a Playwright page (the browser fixture is in conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).parents[1] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core (npm, node_modules) run on the page: the violations of the given impacts."""
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `bash scripts/browser-deps.sh` (make test does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in impacts
    ]


def sign_in_through_the_form(page, base: str, name: str, password: str) -> None:
    """Sign in as a person would, through the sign-in page's form; waits for the start page."""
    page.goto(f"{base}/sign-in")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
