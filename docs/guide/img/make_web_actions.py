"""Screenshots of the action-plan page and the SPC tooltip for docs/guide/web.md, on the demo warehouse.

    make demo
    .venv/bin/python docs/guide/img/make_web_actions.py build/demo/warehouse.duckdb

Works on a copy of the warehouse (the demo's is left as it is): adds an analyst account, runs
`wardwatch serve` on it, signs in through the form with headless Chromium (Debian's chromium,
as the tests use), hovers a point of ZFV's sepsis chart, then marks action A04 complete through
the edit form, and writes web-indicator-hover.png and web-actions.png beside this file; then
marks action A02's link to the imaging chart ``rebase`` through the form, runs `wardwatch
refresh` on the copy and writes web-indicator-rebased.png.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.error import URLError

HERE = Path(__file__).parent
NAME, PASSWORD = "docs-analyst", "screenshots-only-password"


def main(db: str) -> None:
    from playwright.sync_api import sync_playwright

    from wardwatch.warehouse import web_writer
    from wardwatch.web import store

    folder = Path(tempfile.mkdtemp())
    copy = folder / "warehouse.duckdb"
    shutil.copyfile(db, copy)
    with web_writer(copy) as raw:
        store.add_user(raw, NAME, "analyst", PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", "from wardwatch.cli import main; main()", "serve", "--db",
                               str(copy), "--port", str(port), "--insecure-cookie"], env=dict(os.environ))
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/health")
                break
            except (URLError, ConnectionError):
                time.sleep(0.1)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = chromium.new_page(viewport={"width": 1150, "height": 760})
            page.goto(f"{base}/sign-in")
            page.fill("#name", NAME)
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")

            page.goto(f"{base}/orgs/ZFV/indicators/sepsis_antibiotics_1h_news2_7plus?grain=month")
            page.hover(".ww-point[data-index='17']")
            page.locator("#spc-figure").screenshot(path=str(HERE / "web-indicator-hover.png"))

            page.goto(f"{base}/orgs/ZFV/actions/A04/edit")
            page.select_option("#edit-status", "complete")
            page.fill("#edit-completed_on", "2020-02-01")
            page.click("form[action='/orgs/ZFV/actions/A04/edit'] button[type=submit]")
            page.wait_for_url(f"{base}/orgs/ZFV/actions?saved=A04#action-A04")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(HERE / "web-actions.png"))

            # A02 moved the imaging chart for good: mark its link rebase, refresh, look again
            page.goto(f"{base}/orgs/ZFV/actions/A02/edit")
            page.fill("#edit-indicators", "imaging_inpatient_scanned_24h:increase:rebase")
            page.click("form[action='/orgs/ZFV/actions/A02/edit'] button[type=submit]")
            page.wait_for_url(f"{base}/orgs/ZFV/actions?saved=A02#action-A02")
            subprocess.run([sys.executable, "-c", "from wardwatch.cli import main; main()", "refresh", "--db",
                            str(copy)], check=True, env=dict(os.environ))
            time.sleep(2.5)  # the answer cache trusts a file only once it has settled
            page.goto(f"{base}/orgs/ZFV/indicators/imaging_inpatient_scanned_24h?grain=month")
            page.locator("#spc-figure").screenshot(path=str(HERE / "web-indicator-rebased.png"))
            chromium.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(folder)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "build/demo/warehouse.duckdb")
