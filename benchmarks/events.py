"""Benchmark: live intake over loopback MLLP, watchlist query time, message-to-red-item time.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/events.py [--messages 20000] [--connections 4]
[--window 32] [--open-items 10000]``

1. Sustained intake: a real ``wardwatch listen`` subprocess (SQLite WAL, synchronous=FULL: every
   commit fsync'd before its ACKs are sent); ``--connections`` clients each pipeline ``--window``
   messages (a mix of ADT A04/A03, ORM, ORU NEWS2 and RAS); rate = messages / (first send -> last
   ACK). Also the strict one-message-at-a-time rate of a single original-mode client.
2. Watchlist query: ``--open-items`` open ED attendances (plus as many closed ones) in the live
   database; p50/p95 of ``watchlist("ed_long_stay")`` over 50 runs, all items and ``--status red``.
3. Message to red item: a NEWS2 8 whose observation time is 61 minutes ago is sent to the
   listener; the time until a reader's ``sepsis_antibiotics_due --status red`` query lists it.
4. Watchlist through the web API: the live database of (2) behind ``wardwatch serve``'s app
   (uvicorn in a thread, a clinician's bearer token, one keep-alive HTTP connection on loopback);
   p50/p95 over 50 requests of ``GET /api/v1/watchlists/ed_long_stay`` (first page of 100, and
   ``limit=10000``: every item as JSON) and of the page ``/watchlists/ed_long_stay`` (200 rows).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "live"))

import psutil
from live_listener import start_listener

from wardwatch.live import messages as m
from wardwatch.live.client import MllpClient, ack_code
from wardwatch.live.store import LiveStore, open_readonly
from wardwatch.live.watchlist import watchlist


def mixed_messages(n: int, tag: str, start: datetime) -> list[str]:
    out = []
    for i in range(n):
        at = start + timedelta(seconds=i)
        visit, patient = f"{tag}V{i // 5}", f"{tag}P{i // 5}"
        kind = i % 5
        if kind == 0:
            out.append(m.adt("A04", f"{tag}{i}", at, patient, visit, "E", "ED", "ZFV01", birth_date="19700101"))
        elif kind == 1:
            out.append(m.orm("NW", f"{tag}{i}", at, patient, f"{tag}R{i}", modality="CT", visit_id=visit))
        elif kind == 2:
            out.append(m.oru_observation(f"{tag}{i}", at, patient, visit, "NEWS2", str(i % 12), "E", "ED"))
        elif kind == 3:
            out.append(m.ras(f"{tag}{i}", at, patient, visit, patient_class="E", location="ED"))
        else:
            out.append(m.adt("A03", f"{tag}{i}", at, patient, visit, "E", "ED", "ZFV01"))
    return out


def intake(db: Path, n: int, connections: int, window: int) -> tuple[float, float, float]:
    proc, port = start_listener(db)
    server = psutil.Process(proc.pid)
    try:
        cpu_before = sum(server.cpu_times()[:2])
        start = datetime(2024, 1, 1)
        shares = [mixed_messages(n // connections, f"c{c}-", start) for c in range(connections)]
        failures: list[str] = []

        def run(share: list[str]) -> None:
            with MllpClient("127.0.0.1", port) as client:
                for ack in client.send_many(share, window=window):
                    if ack_code(ack)[0] != "AA":
                        failures.append(ack)

        threads = [threading.Thread(target=run, args=(s,)) for s in shares]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        pipelined = sum(map(len, shares)) / (time.perf_counter() - began)
        cpu_per_message = (sum(server.cpu_times()[:2]) - cpu_before) / sum(map(len, shares))
        assert not failures, failures[:3]
        single = mixed_messages(min(2000, n // 4), "s-", start)
        with MllpClient("127.0.0.1", port) as client:
            began = time.perf_counter()
            for message in single:
                client.send(message)
            one_at_a_time = len(single) / (time.perf_counter() - began)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return pipelined, one_at_a_time, cpu_per_message


def query_times(db: Path, open_items: int) -> dict[str, tuple[float, float, float]]:
    now = datetime(2024, 6, 1, 12, 0)
    store = LiveStore(db)
    batch: list[str] = []
    for i in range(open_items * 2):
        arrival = now - timedelta(minutes=(i * 7) % 1500)
        batch.append(m.adt("A04", f"Q{i}", arrival, f"QP{i}", f"QV{i}", "E", "ED", "ZFV01"))
        if i % 2:  # every other one has left: half the rows are closed
            batch.append(m.adt("A03", f"QD{i}", arrival + timedelta(minutes=30), f"QP{i}", f"QV{i}", "E"))
        if len(batch) >= 2000:
            store.ingest_hl7(batch)
            batch = []
    store.ingest_hl7(batch)
    rules = store.rules
    store.close()
    con = open_readonly(db)
    results = {}
    for label, status in (("all", None), ("red", "red")):
        times, cpu, count = [], [], 0
        for _ in range(50):
            began, began_cpu = time.perf_counter(), time.process_time()
            count = len(watchlist(con, rules, "ed_long_stay", now, status))
            times.append(time.perf_counter() - began)
            cpu.append(time.process_time() - began_cpu)
        times.sort()
        results[f"{label} ({count} items)"] = (statistics.median(times) * 1000, times[int(0.95 * len(times)) - 1] * 1000,
                                               statistics.median(cpu) * 1000)
    con.close()
    return results


def web_api_times(db: Path, runs: int = 50) -> dict[str, tuple[float, float]]:
    """p50/p95 (ms) of watchlist requests through the web app, over the live database of ``db``."""
    import http.client
    import socket

    import duckdb
    import uvicorn

    from wardwatch.warehouse import web_writer
    from wardwatch.web import store as web_store
    from wardwatch.web.app import create_app
    from wardwatch.web.live import LiveHub
    from wardwatch.web.watchlists import configure

    duckdb.connect(str(db)).close()  # an empty warehouse: the web tables are all the app needs here
    with web_writer(db) as raw:
        web_store.add_user(raw, "bench", "clinician", "benchmark-password")
        token = web_store.create_token(raw, "bench")
    hub = LiveHub(db, clock=lambda: datetime(2024, 6, 1, 12, 0), tick=3600)
    hub.start()
    app = create_app(db, secure_cookies=False, registry={})
    configure(app, hub)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    results = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for label, path in (("API, first 100 items", "/api/v1/watchlists/ed_long_stay"),
                            ("API, every item (limit=10000)", "/api/v1/watchlists/ed_long_stay?limit=10000"),
                            ("page (200 rows)", "/watchlists/ed_long_stay")):
            times = []
            for _ in range(runs):
                began = time.perf_counter()
                conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
                response = conn.getresponse()
                body = response.read()
                times.append(time.perf_counter() - began)
                assert response.status == 200, body[:200]
            times.sort()
            results[f"{label}, {len(body):,} bytes"] = (statistics.median(times) * 1000,
                                                        times[int(0.95 * len(times)) - 1] * 1000)
        conn.close()
    finally:
        server.should_exit = True
        thread.join(30)
        hub.stop()
    return results


def message_to_red(db: Path, trials: int) -> tuple[float, float]:
    proc, port = start_listener(db)
    try:
        store_rules = LiveStore(db).rules
        con = open_readonly(db)
        latencies = []
        with MllpClient("127.0.0.1", port) as client:
            for i in range(trials):
                now = datetime.now()
                message = m.oru_observation(f"RED{i}", now - timedelta(minutes=61), f"RP{i}", f"RV{i}", "NEWS2", "8")
                began = time.perf_counter()
                client.sock.sendall(b"\x0b" + message.encode() + b"\x1c\x0d")
                while True:  # a dashboard poll: no reliance on the ACK
                    items = watchlist(con, store_rules, "sepsis_antibiotics_due", now, "red")
                    if any(item.item_id == f"RV{i}-S1" for item in items):
                        break
                latencies.append(time.perf_counter() - began)
                client._read_ack()
        con.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    latencies.sort()
    return statistics.median(latencies) * 1000, latencies[int(0.95 * len(latencies)) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--window", type=int, default=32)
    parser.add_argument("--open-items", type=int, default=10000)
    parser.add_argument("--trials", type=int, default=100)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
          f"SQLite {sqlite3.sqlite_version}")
    with tempfile.TemporaryDirectory() as tmp:
        pipelined, single, cpu = intake(Path(tmp) / "a.duckdb", args.messages, args.connections, args.window)
        print(f"intake: {pipelined:,.0f} msg/s ({args.connections} connections x window {args.window}, "
              f"{args.messages:,} messages, fsync per commit); one-at-a-time client: {single:,.0f} msg/s")
        print(f"listener CPU (user+system) per message: {cpu * 1e6:.0f} us, i.e. {1 / cpu:,.0f} msg/s "
              "per fully available core")
        for label, (p50, p95, cpu50) in query_times(Path(tmp) / "b.duckdb", args.open_items).items():
            print(f"watchlist ed_long_stay, {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms wall; "
                  f"CPU p50 {cpu50:.1f} ms")
        for label, (p50, p95) in web_api_times(Path(tmp) / "b.duckdb").items():
            print(f"web: {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        p50, p95 = message_to_red(Path(tmp) / "c.duckdb", args.trials)
        print(f"message to red item visible to a reader: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({args.trials} trials)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
