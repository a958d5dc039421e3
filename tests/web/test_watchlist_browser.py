"""The watchlist page in a real browser (Playwright + Debian chromium): a clinician sees an item
arrive over the event stream after an HL7 message, acknowledges it, and the audit log has it;
axe-core finds no serious or critical violation.

``WARDWATCH_DOC_IMAGES=1`` also writes docs/guide/img/web-watchlist.png.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from wardwatch.live import messages as m
from wardwatch.live.client import MllpClient, ack_code
from wardwatch.web.app import create_app
from wardwatch.web.live import LiveHub
from wardwatch.web.watchlists import configure

from .conftest import PASSWORD, REGISTRY
from .test_watchlist_webhooks import free_port, wait_for

sys.path.insert(0, str(Path(__file__).parents[1]))
from browsertools import axe_violations, sign_in_through_the_form

NOW = datetime(2024, 3, 1, 14, 0)
DOC_IMAGE = Path(__file__).parents[2] / "docs" / "guide" / "img" / "web-watchlist.png"


class Clock:
    def __call__(self) -> datetime:
        return NOW


@pytest.fixture
def served(web_db, tmp_path):
    import uvicorn

    db = tmp_path / "w.duckdb"
    shutil.copy(web_db[0], db)
    hub = LiveHub(db, clock=Clock(), mllp=("127.0.0.1", 0), poll=0.05, tick=3600)
    hub.start()
    app = create_app(db, secure_cookies=False, registry=REGISTRY)
    configure(app, hub)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           timeout_graceful_shutdown=1))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for(lambda: server.started, 60)
    yield f"http://127.0.0.1:{port}", hub.mllp_port, web_db[1]
    server.should_exit = True
    thread.join(30)
    hub.stop()


def arrivals() -> list[str]:
    """Six ED patients: 13 h 10, 9 h 35, 5 h 05, 4 h 20, 1 h 45 and 25 min before NOW."""
    waits = [790, 575, 305, 260, 105, 25]
    places = [("RESUS", "RXH01"), ("MAJ-04", "RXH01"), ("MAJ-11", "RXH02"), ("<b>CDU</b>", "RXH01"),
              ("MIN-02", "RXH02"), ("TRIAGE", "RXH01")]
    return [m.adt("A04", f"B{i}", NOW - timedelta(minutes=w), f"90000{i}", f"VB{i}", "E", place, site)
            for i, (w, (place, site)) in enumerate(zip(waits, places, strict=True))]


@pytest.mark.slow
def test_clinician_sees_an_item_arrive_acknowledges_it_and_the_audit_log_has_it(served, browser, tmp_path):
    import json
    import urllib.request

    base, mllp_port, tokens = served
    with MllpClient("127.0.0.1", mllp_port) as client:
        for message in arrivals():
            assert ack_code(client.send(message))[0] == "AA"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_through_the_form(page, base, "clinician", PASSWORD)
    page.goto(f"{base}/watchlists/ed_long_stay")
    page.wait_for_selector("#stream-status[data-state=connected]", timeout=30_000)
    assert "Live updates: connected" in page.inner_text("#stream-status")
    rows = page.locator("table.ww-items tbody tr")
    assert rows.count() == 6
    assert page.inner_text("table.ww-items tbody tr:first-child td:nth-child(6)") == "13 h 10 min"
    assert page.locator("text=<b>CDU</b>").count() == 1  # markup in a location is shown as text
    # a new arrival over MLLP appears without a reload
    with MllpClient("127.0.0.1", mllp_port) as client:
        assert ack_code(client.send(m.adt("A04", "NEW1", NOW - timedelta(minutes=5), "9000099", "VNEW", "E",
                                          "MAJ-07", "RXH02")))[0] == "AA"
    page.wait_for_selector("table.ww-items tbody tr:nth-child(7)", timeout=30_000)
    assert rows.count() == 7
    last = page.locator("table.ww-items tbody tr").last
    assert "5 min" in last.inner_text() and "MAJ-07" in last.inner_text()
    item_ref = last.get_attribute("data-item")
    last.get_by_role("button", name="Acknowledge").click()
    page.wait_for_selector(f"[id='{item_ref}'] >> text=Acknowledged by clinician at 14:00", timeout=30_000)
    first_ref = page.locator("table.ww-items tbody tr").first.get_attribute("data-item")
    page.locator(f"[id='{first_ref}'] input[name=assignee]").fill("Dr Priya Shah")
    page.locator(f"[id='{first_ref}'] form.ww-assign button").click()
    page.wait_for_load_state()
    page.locator("ul.ww-done li", has_text="Assigned to Dr Priya Shah").wait_for(timeout=30_000)
    page.locator("table.ww-items tbody tr").nth(1).get_by_role("button", name="Escalate").click()
    page.wait_for_selector("text=Escalated", timeout=30_000)
    page.wait_for_selector("#stream-status[data-state=connected]", timeout=30_000)
    request = urllib.request.Request(f"{base}/api/v1/audit?limit=20",
                                     headers={"Authorization": f"Bearer {tokens['admin']}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        audit = json.loads(response.read())["items"]
    assert {"user": "clinician", "action": "watchlist.acknowledge", "target": f"ed_long_stay {item_ref}"} in \
        [{k: row[k] for k in ("user", "action", "target")} for row in audit]
    page.screenshot(path=str(tmp_path / "web-watchlist.png"), full_page=True)
    if os.environ.get("WARDWATCH_DOC_IMAGES"):
        page.screenshot(path=str(DOC_IMAGE), full_page=True)
    context.close()
    # axe-core is injected as an inline script, which the page's policy (script-src 'self') refuses:
    # check accessibility in a second context that lets the test tool in
    checking = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = checking.new_page()
    sign_in_through_the_form(page, base, "clinician", PASSWORD)
    page.goto(f"{base}/watchlists/ed_long_stay")
    page.wait_for_selector("#stream-status[data-state=connected]", timeout=30_000)
    assert axe_violations(page) == []
    page.goto(f"{base}/watchlists")
    assert axe_violations(page) == []
    checking.close()
