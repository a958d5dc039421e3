"""`wardwatch serve --mllp`: intake and pages in one process. HL7 messages sent over MLLP show
up in the API and in the event stream, and a red item fires the webhook."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from wardwatch.live import messages as m
from wardwatch.live.client import MllpClient, ack_code

from .test_watchlist_webhooks import Receiver, free_port, wait_for

SRC = Path(__file__).resolve().parents[2] / "src"


def start_serve(db: Path, *extra: str) -> tuple[subprocess.Popen, int, int]:
    """`wardwatch serve --mllp 127.0.0.1:0`: (process, HTTP port, MLLP port)."""
    http_port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "wardwatch", "serve", "--db", str(db), "--port", str(http_port),
         "--mllp", "127.0.0.1:0", "--insecure-cookie", *extra],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": str(SRC)})
    assert proc.stderr is not None
    mllp_port = None
    while mllp_port is None:
        line = proc.stderr.readline()
        if not line:
            raise RuntimeError("serve did not start")
        found = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        mllp_port = int(found.group(1)) if found else None
    threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained

    def up() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=2)
            conn.request("GET", "/health")
            return conn.getresponse().status == 200
        except OSError:
            return False

    assert wait_for(up, 60), "the web server did not answer"
    return proc, http_port, mllp_port


def get_json(port: int, path: str, token: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    assert response.status == 200, response.read()
    return json.loads(response.read())


@pytest.mark.slow
def test_serve_with_mllp_shows_messages_in_api_and_stream_and_fires_the_webhook(web_db, tmp_path):
    db = tmp_path / "w.duckdb"
    shutil.copy(web_db[0], db)
    token = web_db[1]["clinician"]
    receiver = Receiver()
    proc, port, mllp_port = start_serve(db, "--webhook", receiver.url)
    events: list[dict] = []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/watchlists/ed_long_stay/events", headers={"Authorization": f"Bearer {token}"})
        stream = conn.getresponse()
        assert stream.status == 200 and stream.getheader("content-type").startswith("text/event-stream")

        def read_events() -> None:
            while True:
                try:
                    line = stream.readline()
                except (OSError, AttributeError, ValueError):  # the test closed the connection
                    return
                if not line:
                    return
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))

        threading.Thread(target=read_events, daemon=True).start()
        assert wait_for(lambda: len(events) >= 1)
        assert events[0]["total"] == 0
        now = datetime.now().replace(microsecond=0)
        with MllpClient("127.0.0.1", mllp_port) as client:
            ack = client.send(m.adt("A04", "S1", now - timedelta(minutes=10), "9000001", "V1", "E", "ED", "SITE1"))
            assert ack_code(ack) == ("AA", "S1")
            ack = client.send(m.oru_observation("S2", now - timedelta(minutes=61), "9000002", "V2", "NEWS2", "8",
                                                location="WARD4"))
            assert ack_code(ack) == ("AA", "S2")
        items = get_json(port, "/api/v1/watchlists/ed_long_stay", token)["items"]
        assert [(i["location"], i["site_code"], i["status"]) for i in items] == [("ED", "SITE1", "green")]
        assert items[0]["minutes"] in (10, 11)
        assert wait_for(lambda: any(e["total"] == 1 for e in events))
        seen = next(e for e in events if e["total"] == 1)
        assert seen["items"][0]["item_ref"] == items[0]["item_ref"]
        # NEWS2 8 observed 61 minutes ago: red on both sepsis lists, one notice each
        assert wait_for(lambda: len(receiver.bodies) == 2)
        assert sorted(b["watchlist"] for b in receiver.bodies) == ["sepsis_antibiotics_due", "sepsis_screen_due"]
        assert all(b["location"] == "WARD4" and b["minutes"] >= 61 for b in receiver.bodies)
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        receiver.close()
    assert proc.returncode == 0
