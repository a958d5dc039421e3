"""Benchmark: `wardwatch serve` under 50 concurrent clients (trust overview page, indicator page,
SPC API), on loopback only.

    .venv/bin/python benchmarks/web.py --db build/demo/warehouse.duckdb
    .venv/bin/python benchmarks/web.py                  # builds a medium demo warehouse first

The warehouse is copied (an account and a token are added to the copy, not to the original).
`wardwatch serve` runs in a subprocess on 127.0.0.1 (a free port); the pages are fetched with a
signed-in session cookie, the API with a bearer token. Each endpoint gets its own phase: CLIENTS
asyncio clients (one keep-alive connection each) request it back to back (or, with THINK, a
random 0 to 2 x THINK seconds apart, starting at random moments: people do not click in step)
for SECONDS, then stop. Prints, per endpoint,
requests, errors (non-200 or transport failures), throughput, the p50/p95/p99 latency, the
server's CPU milliseconds per request (its worker processes included: the figure that depends
least on what else the machine runs), the clients' own CPU milliseconds per request (the load
generator shares the machine), and the load average before and after.
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
import psutil

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


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


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


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server and its worker processes."""
    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


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
        orgs = [o["org_code"] for o in client.get("/api/v1/orgs", params={"limit": 1000}).json()["items"]]
        indicators = [i["indicator_id"] for i in client.get("/api/v1/indicators", params={"limit": 1000}).json()["items"]]
        org = "ZFV" if "ZFV" in orgs else orgs[0]
        for ind in sorted(indicators, key=lambda i: i != "sepsis_screened_1h"):
            if client.get(f"/api/v1/orgs/{org}/indicators/{ind}/spc").status_code == 200:
                return org, ind
    sys.exit("no organisation with a monthly SPC series in this warehouse")


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, written by hand: httpx spends more CPU
    per request than the server does, and the load generator shares the machine's two cores."""

    def __init__(self, port: int, request: bytes) -> None:
        self.port, self.request = port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> str:
        """The status code of one answer (its body read in full), or the failure's name."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(self.request)
            head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 60)
            lines = head.decode("latin-1").split("\r\n")
            status = lines[0].split(" ")[1]
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            if "content-length" in fields:
                await self.reader.readexactly(int(fields["content-length"]))
            elif fields.get("transfer-encoding") == "chunked":
                while True:
                    size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await self.reader.readexactly(size + 2)
                    if size == 0:
                        break
            if fields.get("connection", "").lower() == "close":
                await self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError,
                ValueError, IndexError) as exc:
            await self.close()
            return type(exc).__name__

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None


async def phase(port: int, url: str, clients: int, seconds: float, headers: dict, think: float) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    request = (f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    stop = time.monotonic() + seconds
    # people do not click in step: each client starts at a random moment of the first think time
    # and waits a random time between requests (uniform on 0 to twice ``think``: mean ``think``);
    # the same seed every run
    draws = np.random.default_rng(20261204)

    async def one_client() -> None:
        connection = Connection(port, request)
        if think:
            await asyncio.sleep(draws.uniform(0, think))
        while time.monotonic() < stop:
            start = time.perf_counter()
            status = await connection.get()
            elapsed = time.perf_counter() - start
            if status == "200":
                latencies.append(elapsed)
            else:
                errors[status] = errors.get(status, 0) + 1
            if think:
                await asyncio.sleep(draws.uniform(0, 2 * think))
        await connection.close()

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
    parser.add_argument("--think", type=float, default=0,
                        help="mean seconds each client waits between its requests, drawn uniformly "
                             "from 0 to twice this (0: back to back)")
    args = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, "
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
            cookie = {"Cookie": f"ww_session={session}"}
            endpoints = [
                ("trust overview page", f"/orgs/{o}", cookie),
                ("indicator page", f"/orgs/{o}/indicators/{i}", cookie),
                ("SPC API (JSON)", f"/api/v1/orgs/{o}/indicators/{i}/spc", {"Authorization": f"Bearer {token}"}),
            ]
            print(f"{org}, {ind}; {args.clients} clients x {args.seconds:.0f} s per endpoint, "
                  f"think time {args.think:g} s; server workers {args.workers}")
            print(f"{'endpoint':<22} {'requests':>8} {'errors':>8} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'server CPU ms':>13} {'client CPU ms':>13}  load average after")
            for label, url, headers in endpoints:
                cpu, mine = server_cpu(server.pid), time.process_time()
                r = asyncio.run(phase(port, url, args.clients, args.seconds, headers, args.think))
                cpu = (server_cpu(server.pid) - cpu) * 1000 / max(r["requests"], 1)
                mine = (time.process_time() - mine) * 1000 / max(r["requests"], 1)
                errors = sum(r["errors"].values())
                print(f"{label:<22} {r['requests']:>8} {errors:>8} {r['per_s']:>7.1f} {r['p50']:>8.0f} "
                      f"{r['p95']:>8.0f} {r['p99']:>8.0f} {cpu:>13.1f} {mine:>13.1f}  {load_average()}"
                      + (f"  {r['errors']}" if errors else ""), flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


if __name__ == "__main__":
    main()
