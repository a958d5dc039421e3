"""Benchmark: `wardwatch serve` under 50 concurrent clients (trust overview page, indicator page,
SPC API), on loopback only.

    .venv/bin/python benchmarks/web.py --db build/demo/warehouse.duckdb
    .venv/bin/python benchmarks/web.py                  # builds a medium demo warehouse first

The warehouse is copied (an account and a token are added to the copy, not to the original).
`wardwatch serve` runs in a subprocess on 127.0.0.1 (a free port); the pages are fetched with a
signed-in session cookie, the API with a bearer token. Each endpoint gets its own phase: CLIENTS
asyncio clients (httpx) request it back to back for SECONDS, then stop. Prints, per endpoint,
requests, errors (non-200 or transport failures), throughput and the p50/p95/p99 latency, and
the load average before and after (other processes on the machine count).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

PASSWORD = "benchmark-password-not-secret"


def wardwatch(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "wardwatch", *args], input=stdin, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"wardwatch {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        if server.poll() is not None:
            sys.exit(f"wardwatch serve stopped: {server.stderr.read().decode()[-500:]}")
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    sys.exit("wardwatch serve did not answer /health within 60 s")


def sign_in(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        form = client.get("/sign-in")
        answer = client.post("/sign-in", data={"name": "bench", "password": PASSWORD,
                                               "csrf": form.cookies["ww_csrf"]})
        if answer.status_code != 303:
            sys.exit(f"sign-in failed: {answer.status_code}")
        return answer.cookies["ww_session"]


def pick_series(base: str, token: str) -> tuple[str, str]:
    """The first organisation (the focal trust of the demo) and an indicator with a monthly series
    (sepsis screening when there is one)."""
    head = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=head, timeout=30) as client:
        orgs = [o["org_code"] for o in client.get("/api/v1/orgs").json()["items"]]
        indicators = [i["indicator_id"] for i in client.get("/api/v1/indicators", params={"limit": 1000}).json()["items"]]
        org = "ZFV" if "ZFV" in orgs else orgs[0]
        for ind in sorted(indicators, key=lambda i: i != "sepsis_screened_1h"):
            if client.get(f"/api/v1/orgs/{org}/indicators/{ind}/spc").status_code == 200:
                return org, ind
    sys.exit("no organisation with a monthly SPC series in this warehouse")


async def phase(base: str, url: str, clients: int, seconds: float, headers: dict, cookies: dict) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, headers=headers, cookies=cookies, limits=limits,
                                 timeout=60) as client:
        stop = time.monotonic() + seconds

        async def one_client() -> None:
            while time.monotonic() < stop:
                start = time.perf_counter()
                try:
                    answer = await client.get(url)
                    await answer.aread()
                    status = str(answer.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                elapsed = time.perf_counter() - start
                if status == "200":
                    latencies.append(elapsed)
                else:
                    errors[status] = errors.get(status, 0) + 1

        began = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        wall = time.monotonic() - began
    ms = np.array(latencies) * 1000 if latencies else np.array([np.nan])
    return {"requests": len(latencies) + sum(errors.values()), "ok": len(latencies), "errors": errors,
            "per_s": len(latencies) / wall, "p50": np.percentile(ms, 50), "p95": np.percentile(ms, 95),
            "p99": np.percentile(ms, 99), "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a warehouse with results (default: build a medium demo one)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients per endpoint (50)")
    parser.add_argument("--seconds", type=float, default=30, help="seconds per endpoint (30)")
    parser.add_argument("--workers", type=int, default=1, help="wardwatch serve --workers (1)")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.release()}; load average at start {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        if args.db is None:
            print("building a medium demo warehouse (wardwatch demo --scale medium) ...", flush=True)
            wardwatch("demo", "--out", str(Path(tmp) / "demo"), "--scale", "medium", "--quiet")
            shutil.move(Path(tmp) / "demo" / "warehouse.duckdb", db)
        else:
            shutil.copy(args.db, db)
            wal = args.db.with_name(args.db.name + ".wal")
            if wal.exists():
                shutil.copy(wal, db.with_name(db.name + ".wal"))
        wardwatch("users", "add", "bench", "--role", "analyst", "--db", str(db), stdin=PASSWORD + "\n")
        token = wardwatch("tokens", "create", "bench", "--db", str(db)).strip()
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [sys.executable, "-m", "wardwatch", "serve", "--db", str(db), "--port", str(port),
                   "--insecure-cookie"]
        if args.workers != 1:
            command += ["--workers", str(args.workers)]
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until_up(base, server)
            session = sign_in(base)
            org, ind = pick_series(base, token)
            o, i = quote(org, safe=""), quote(ind, safe="")
            endpoints = [
                ("trust overview page", f"/orgs/{o}", {}, {"ww_session": session}),
                ("indicator page", f"/orgs/{o}/indicators/{i}", {}, {"ww_session": session}),
                ("SPC API (JSON)", f"/api/v1/orgs/{o}/indicators/{i}/spc",
                 {"Authorization": f"Bearer {token}"}, {}),
            ]
            print(f"{org}, {ind}; {args.clients} clients x {args.seconds:.0f} s per endpoint; "
                  f"server workers {args.workers}")
            print(f"{'endpoint':<22} {'requests':>8} {'errors':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8}  load average after")
            for label, url, headers, cookies in endpoints:
                r = asyncio.run(phase(base, url, args.clients, args.seconds, headers, cookies))
                errors = sum(r["errors"].values())
                print(f"{label:<22} {r['requests']:>8} {errors:>8} {r['per_s']:>7.1f} {r['p50']:>8.0f} "
                      f"{r['p95']:>8.0f} {r['p99']:>8.0f}  {load_average()}"
                      + (f"  {r['errors']}" if errors else ""), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
