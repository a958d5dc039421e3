"""In a real browser: `wardwatch serve` on a copy of the test warehouse, signed in through the form;
the overview, the SPC chart's tooltip by mouse and by keyboard (checked against the stored point),
an action edited through the form (checked in the audit log), and axe-core on each page."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

import duckdb
import pytest

from .conftest import PASSWORD

SRC = Path(__file__).parents[2] / "src"
INDICATOR = "ed_initial_assessment_15min"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(web_db, tmp_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copyfile(web_db[0], db)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen(
        [sys.executable, "-c", "from wardwatch.cli import main; main()", "serve", "--db", str(db), "--port",
         str(port), "--insecure-cookie"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # readiness wait, not a timed assertion
            if process.poll() is not None:
                pytest.fail(f"serve stopped: {process.stdout.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health") as answer:
                    if answer.status == 200:
                        break
            except (URLError, ConnectionError):
                time.sleep(0.1)
        else:
            pytest.fail("serve did not answer /health")
        yield base, db
    finally:
        process.terminate()
        process.wait(timeout=30)


def stored_point(db: Path, period: str) -> tuple[float, float, float]:
    """(value, numerator, denominator) of the clinical whole-trust monthly point, from the table the
    refresh stored."""
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT plot_y, numerator, denominator FROM result_spc_points WHERE org_code = 'ZT1' AND indicator_id = ? "
            "AND grain = 'month' AND edition = 'clinical' AND coalesce(site_code, '') = '' AND period_start = ?",
            [INDICATOR, period]).fetchone()


def value_text(db: Path, value: float) -> str:
    """What the tooltip should say for ``value``: a percentage (one decimal) and the stored
    proportion for p charts, as the chart's axis labels them; four significant digits otherwise."""
    with duckdb.connect(str(db), read_only=True) as con:
        chart = con.execute("SELECT DISTINCT chart FROM result_spc_series WHERE org_code = 'ZT1' AND indicator_id = ? "
                            "AND grain = 'month'", [INDICATOR]).fetchone()[0]
    return f"{value * 100:.1f}% ({value:.4g})" if chart in ("p", "pp") else f"{value:.4g}"


def test_sign_in_chart_tooltip_and_an_action_edited_in_the_browser(server, browser, tmp_path):
    from browsertools import axe_violations, sign_in_through_the_form

    base, db = server
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)

    # sign in through the form
    sign_in_through_the_form(page, base, "analyst", PASSWORD)
    page.click("a[href='/orgs/ZT1']")
    page.wait_for_url(f"{base}/orgs/ZT1")
    assert page.locator("h1").inner_text().endswith("(ZT1)")

    # the chart: hover a point
    page.goto(f"{base}/orgs/ZT1/indicators/{INDICATOR}?grain=month")
    tips = json.loads(page.locator("#spc-tips").text_content())
    k = 5
    period = tips[k]["x"]
    value, numerator, denominator = stored_point(db, period)
    page.hover(f".ww-point[data-index='{k}']")
    tip = page.locator("#spc-tip")
    assert tip.is_visible()
    text = tip.inner_text()
    assert f"Period: {period}" in text
    assert f"Value: {value_text(db, value)}" in text
    assert f"Numerator / denominator: {numerator:g} / {denominator:g}" in text
    assert "Limits: " in text and "Signal: " in text

    # ... and by keyboard: Tab reaches the chart's one tab stop (the latest point), arrows move
    page.mouse.move(0, 0)
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('ww-point')"):
            break
    else:
        pytest.fail("Tab never reached a point of the chart")
    last = tips[-1]["x"]
    assert f"Period: {last}" in tip.inner_text()
    page.keyboard.press("ArrowLeft")
    before_last = tips[-2]["x"]
    assert f"Period: {before_last}" in tip.inner_text()
    value, numerator, denominator = stored_point(db, before_last)
    assert f"Value: {value_text(db, value)}" in tip.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith(f"Period: {before_last};")
    page.keyboard.press("Escape")
    assert not tip.is_visible()
    assert blocked == []  # the script is the app's own: allowed by script-src 'self'
    page.screenshot(path=str(tmp_path / "indicator.png"))

    # an action edited through the form
    page.goto(f"{base}/orgs/ZT1/actions")
    page.click("a[href='/orgs/ZT1/actions/A1/edit']")
    page.fill("#edit-owner", "Chief Nurse")
    page.select_option("#edit-status", "complete")
    page.fill("#edit-completed_on", "2019-10-15")
    page.click("form[action='/orgs/ZT1/actions/A1/edit'] button[type=submit]")
    page.wait_for_url(f"{base}/orgs/ZT1/actions?saved=A1#action-A1")
    row = page.locator("#action-A1").inner_text()
    assert "Chief Nurse" in row and "complete" in row and "2019-10-15" in row
    with duckdb.connect(str(db), read_only=True) as con:
        user, target = con.execute("SELECT user_name, target FROM audit_log WHERE action = 'action.update'").fetchone()
    assert user == "analyst"
    assert json.loads(target) == {"org": "ZT1", "action": "A1",
                                  "old": {"owner": "Head of Nursing", "status": "in_progress", "completed_on": None},
                                  "new": {"owner": "Chief Nurse", "status": "complete", "completed_on": "2019-10-15"}}

    # a bad date: the error summary, focusable, linking to the field
    page.fill("#new-title", "Bad dates")
    page.fill("#new-start", "2019-08-01")
    page.fill("#new-due", "2019-02-01")
    page.click("form[action='/orgs/ZT1/actions'] button[type=submit]")
    summary = page.locator(".error-summary")
    assert "There is a problem" in summary.inner_text() and "before start" in summary.inner_text()
    context.close()

    # axe-core on the pages this feature touches (its script is injected, so CSP is bypassed here)
    checking = browser.new_context(viewport={"width": 1200, "height": 900}, bypass_csp=True)
    audit = checking.new_page()
    sign_in_through_the_form(audit, base, "analyst", PASSWORD)
    for path in ("/orgs/ZT1", f"/orgs/ZT1/indicators/{INDICATOR}?grain=month", "/orgs/ZT1/actions",
                 "/orgs/ZT1/actions/A1/edit"):
        audit.goto(base + path)
        if "indicators" in path:
            audit.focus(".ww-point[tabindex='0']")
        assert axe_violations(audit) == [], path
    audit.goto(f"{base}/orgs/ZT1/actions")
    audit.fill("#new-title", "x")
    audit.click("form[action='/orgs/ZT1/actions'] button[type=submit]")
    assert audit.locator(".error-summary").count() == 1
    assert axe_violations(audit) == [], "error summary"
    checking.close()
