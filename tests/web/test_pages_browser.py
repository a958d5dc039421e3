"""The dashboard in a real browser (Playwright, Debian chromium): sign in, visit every read-only
page on the small demo warehouse, check it with axe-core (no serious or critical violation) and
that the NHS.UK stylesheet was applied, and take a 1280-wide screenshot of each.

Screenshots go to a temporary folder; set WARDWATCH_SCREENSHOTS=docs/guide/img to refresh the
ones in the guide (docs/guide/web.md). WARDWATCH_WEB_DEMO_DB=FILE uses a copy of a warehouse this
fixture built before instead of building one (to iterate on the pages).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from wardwatch.web import store

pytestmark = pytest.mark.slow  # builds the small demo warehouse (~60 s CPU)

PASSWORD = "correct horse battery"
BAD_STAFFING = """org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte
ZFV,medical,2020-13-01,887.8,790.54,43.36
ZFV,nursing,31/03/2020,887.8,790.54,43.36
ZFV,matron,2020-03-01,887.8,790.54,43.36
,medical,2020-03-01,887.8,790.54,43.36
"""
#: (screenshot name, path): every page this module's author owns
PAGES = [
    ("sign-in", None),
    ("home", "/"),
    ("overview", "/orgs/ZFV"),
    ("overview-site", "/orgs/ZFV?site=ZFV01&grain=month"),
    ("overview-as-at", "/orgs/ZFV?service=DIAGNOSTIC_IMAGING&as_of=2019-06-30"),
    ("indicator", "/orgs/ZFV/indicators/ed_4h?grain=month"),
    ("funnel", "/indicators/sepsis_antibiotics_1h_news2_7plus/funnel?org=ZFV"),
    ("mortality", "/orgs/ZFV/mortality"),
    ("ratings", "/orgs/ZFV/ratings"),
    ("data-quality", "/data-quality"),
    ("search", "/search?q=sepsis"),
]


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The small demo warehouse up to its refresh (no board pack), plus a staffing extract whose
    four rows are all refused at load, refreshed again so the data-quality page has a quarantine."""
    from wardwatch import demo
    from wardwatch.ingest import load
    from wardwatch.results.refresh import refresh
    from wardwatch.warehouse import web_writer

    out = tmp_path_factory.mktemp("demo")
    if os.environ.get("WARDWATCH_WEB_DEMO_DB"):
        import shutil

        shutil.copy(os.environ["WARDWATCH_WEB_DEMO_DB"], out / "warehouse.duckdb")
        return out / "warehouse.duckdb"
    state = demo.DemoState(out_dir=out, seed=0, scale="small")
    state.con = demo.fresh_warehouse(state.db_path)
    try:
        for name, step in demo.STEPS:
            if step in (demo.step_export, demo.step_report):
                continue
            demo._run_step(state, name, step)
    finally:
        state.close()
    bad = out / "bad"
    bad.mkdir()
    (bad / "staffing.csv").write_text(BAD_STAFFING)
    load(bad, state.db_path)
    refresh(state.db_path)  # only the data-quality unit changes
    with web_writer(state.db_path) as raw:
        store.add_user(raw, "demo", "analyst", PASSWORD)
    return state.db_path


@pytest.fixture(scope="module")
def server(demo_db):
    import uvicorn

    from wardwatch.web.app import create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(demo_db, secure_cookies=False), host="127.0.0.1", port=port,
                            log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    assert running.started, "the test server did not start"
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_every_page_is_styled_accessible_and_screenshotted(browser, server, tmp_path):
    from browsertools import axe_violations

    shots = Path(os.environ.get("WARDWATCH_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    # axe-core is injected as a script, which the pages' Content-Security-Policy refuses: this
    # context bypasses it; the one without JavaScript below keeps it
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems = {}
    # a failed sign-in: the NHS.UK error summary, checked too
    page.goto(f"{server}/sign-in")
    page.fill("#name", "demo")
    page.fill("#password", "not the password")
    page.click("button[type=submit]")
    assert page.locator(".nhsuk-error-summary").inner_text().startswith("There is a problem")
    failed = axe_violations(page)
    if failed:
        problems["sign-in failed"] = failed
    for name, path in PAGES:
        if path is None:
            page.goto(f"{server}/sign-in")
        else:
            response = page.goto(f"{server}{path}")
            assert response.status == 200, (path, response.status)
        # the NHS.UK stylesheet applied: the header is NHS blue
        header = page.eval_on_selector(".nhsuk-header", "e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(0, 94, 184)", (name, header)
        violations = axe_violations(page)
        if violations:
            problems[name] = violations
        height = min(page.evaluate("document.documentElement.scrollHeight"), 1800)  # the top of long pages
        page.screenshot(path=str(shots / f"web-{name}.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1280, "height": height})
        if path is None:
            page.fill("#name", "demo")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/")
    assert problems == {}
    # the pages need no JavaScript: the overview's filter form works with it switched off, and
    # the stylesheet is applied under the Content-Security-Policy
    plain = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    plain.add_cookies(context.cookies())
    nojs = plain.new_page()
    blocked: list[str] = []
    nojs.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text
            and "assets.nhs.uk" not in m.text else None)
    nojs.goto(f"{server}/orgs/ZFV")
    assert nojs.eval_on_selector(".nhsuk-header", "e => getComputedStyle(e).backgroundColor") == "rgb(0, 94, 184)"
    nojs.select_option("#site", "ZFV01")
    nojs.click("form.ww-filters button")
    assert "site=ZFV01" in nojs.url and "at site ZFV01" in nojs.content()
    nojs.select_option("#site", "")
    nojs.select_option("#service", "DIAGNOSTIC_IMAGING")
    as_at = nojs.eval_on_selector_all("#as_of option", "os => os.map(o => o.value)")
    assert as_at[0] == "" and len(as_at) >= 3  # Latest, then the stored month ends
    nojs.select_option("#as_of", as_at[2])
    nojs.click("form.ww-filters button")
    assert "service=DIAGNOSTIC_IMAGING" in nojs.url and f"as_of={as_at[2]}" in nojs.url
    shown = nojs.eval_on_selector_all("tbody th a[href*='/indicators/']", "as => as.map(a => a.href)")
    assert shown and all("imaging" in href or "irmer" in href or "dm01" in href for href in shown), shown
    assert "as they stood on" in nojs.content()
    assert blocked == []  # nothing of ours refused by the Content-Security-Policy
    plain.close()
    context.close()


def test_org_names_in_one_go_equal_the_one_by_one_lookup_on_the_demo(demo_db):
    from wardwatch.warehouse import reader
    from wardwatch.web import data, pagedata

    with reader(demo_db) as raw:
        together = pagedata.org_names(raw)
        one_by_one = {code: data.org_name(raw, code) for code in data.org_codes(raw)}
    assert len(together) > 200  # the demo's 15 trusts and the published statistics' organisations
    assert together == one_by_one
    assert together["ZFV"] == "Fenvale Hospitals NHS Trust"
