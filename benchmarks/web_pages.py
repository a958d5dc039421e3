"""Benchmark: how long the dashboard's read-only pages take to render, in process (no network).

    .venv/bin/python benchmarks/web_pages.py --db build/demo/warehouse.duckdb [--org ZFV] [--repeat 5]

The warehouse is copied (the original is not touched) and a throw-away analyst account added to
the copy. Each page is fetched ``--repeat`` times through FastAPI's TestClient after one warm-up
fetch; prints the median wall time and the size of each page.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from wardwatch.warehouse import web_writer
from wardwatch.web import store
from wardwatch.web.app import create_app

PASSWORD = "benchmark-only-password"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--org", default="ZFV")
    parser.add_argument("--funnel", default="sepsis_antibiotics_1h_news2_7plus")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "warehouse.duckdb"
        shutil.copy(args.db, db)
        with web_writer(db) as raw:
            store.add_user(raw, "benchmark", "analyst", PASSWORD)
        client = TestClient(create_app(db, secure_cookies=False))
        client.get("/sign-in")
        signed = client.post("/sign-in", data={"name": "benchmark", "password": PASSWORD,
                                               "csrf": client.cookies.get("ww_csrf")}, follow_redirects=False)
        assert signed.status_code == 303, signed.text
        org = args.org
        pages = ["/", f"/orgs/{org}", f"/orgs/{org}/indicators/ed_4h?grain=month",
                 f"/indicators/{args.funnel}/funnel?org={org}", f"/orgs/{org}/mortality", f"/orgs/{org}/ratings",
                 "/data-quality", "/search?q=sepsis"]
        print(f"{platform.node()} ({platform.processor() or platform.machine()}), Python {platform.python_version()}")
        for page in pages:
            assert client.get(page).status_code == 200, page
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(page)
                times.append(time.perf_counter() - started)
            print(f"{page:64s} {statistics.median(times) * 1000:7.0f} ms  {len(response.content) / 1024:6.0f} KiB")


if __name__ == "__main__":
    main()
