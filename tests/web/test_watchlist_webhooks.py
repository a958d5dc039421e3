"""Red-transition webhooks against a tiny HTTP receiver on loopback: once per item per red
transition, no identifiers, retries with backoff when the receiver is down or failing."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from wardwatch.errors import InputError
from wardwatch.live import messages as m
from wardwatch.live.notify import WebhookSender, check_url
from wardwatch.web.live import LiveHub

T0 = datetime(2024, 3, 1, 8, 0)


class Receiver:
    """Collects POSTed JSON bodies; answers 503 to the first ``fail`` requests."""

    def __init__(self, port: int = 0, fail: int = 0):
        self.bodies: list[dict] = []
        self.requests = 0
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                outer.requests += 1
                if outer.fail > 0:
                    outer.fail -= 1
                    self.send_response(503)
                else:
                    outer.bodies.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook?secret=abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_only_http_urls():
    assert check_url("https://example.org/x") == "https://example.org/x"
    for bad in ("ftp://x/y", "file:///etc/passwd", "not a url"):
        with pytest.raises(InputError):
            check_url(bad)


def test_a_failing_receiver_is_retried_until_it_answers():
    server = Receiver(fail=2)
    sender = WebhookSender([server.url], backoff=0.05, attempts=5)
    sender.start()
    try:
        sender.send({"n": 1})
        assert wait_for(lambda: sender.delivered == 1)
        assert server.requests == 3 and server.bodies == [{"n": 1}]  # 503, 503, then delivered
    finally:
        sender.stop()
        server.close()


def test_a_receiver_that_is_down_then_up_gets_the_notice_and_one_never_up_is_given_up(caplog):
    port = free_port()
    attempts = []

    def post(url, body, timeout):
        attempts.append(url)
        from wardwatch.live.notify import post_json

        return post_json(url, body, timeout)

    sender = WebhookSender([f"http://127.0.0.1:{port}/hook?token=s3cret"], backoff=0.1, attempts=8, post=post)
    sender.start()
    try:
        sender.send({"n": 2})
        assert wait_for(lambda: len(attempts) >= 2)  # refused at least twice while nothing listens
        assert sender.delivered == 0
        server = Receiver(port=port)
        try:
            assert wait_for(lambda: sender.delivered == 1)
            assert server.bodies == [{"n": 2}]
        finally:
            server.close()
    finally:
        sender.stop()
    gone = WebhookSender([f"http://127.0.0.1:{free_port()}/x?token=s3cret"], backoff=0.01, attempts=3)
    gone.start()
    try:
        gone.send({"n": 3})
        assert wait_for(lambda: gone.failed == 1)
        assert gone.delivered == 0 and gone.pending() == 0
    finally:
        gone.stop()
    assert "s3cret" not in caplog.text  # logs name the host, never the path or query


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def test_red_transition_fires_once_per_item_and_survives_a_restart(tmp_path, receiver):
    db = tmp_path / "w.duckdb"
    clock = Clock(T0 + timedelta(minutes=30))
    hub = LiveHub(db, clock=clock, webhooks=[receiver.url], poll=0.02, tick=0.05, webhook_backoff=0.05)
    hub.start()
    try:
        hub.writer.call(lambda s: s.ingest_hl7([
            m.adt("A04", "A1", T0, "9000001", "V1", "E", "ED", "SITE1"),
            m.oru_observation("C1", T0, "9000002", "V2", "NEWS2", "8", location="WARD4"),
        ])).result(30)
        time.sleep(0.3)  # several watcher checks: nothing is red at 30 minutes
        assert receiver.bodies == []
        clock.now = T0 + timedelta(minutes=61)  # sepsis antibiotics and screen: red from 60 minutes; ED: green
        assert wait_for(lambda: len(receiver.bodies) == 2), receiver.bodies
        time.sleep(0.3)
        clock.now = T0 + timedelta(minutes=100)
        time.sleep(0.3)  # still red: no second notice
        assert sorted(b["watchlist"] for b in receiver.bodies) == ["sepsis_antibiotics_due", "sepsis_screen_due"]
        notice = next(b for b in receiver.bodies if b["watchlist"] == "sepsis_antibiotics_due")
        assert set(notice) == {"event", "watchlist", "patient_ref", "item_ref", "location", "minutes",
                               "rules_version"}
        assert (notice["watchlist"], notice["location"], notice["rules_version"]) == \
            ("sepsis_antibiotics_due", "WARD4", 1)
        assert notice["minutes"] in (61, 62, 100) and notice["patient_ref"].startswith("P-")
        assert not any(x in json.dumps(notice) for x in ("9000002", "V2"))
    finally:
        hub.stop()
    # a restart does not announce the same red item again; a new red item is announced
    clock.now = T0 + timedelta(minutes=725)
    again = LiveHub(db, clock=clock, webhooks=[receiver.url], poll=0.02, tick=0.05, webhook_backoff=0.05)
    again.start()
    try:
        assert wait_for(lambda: len(receiver.bodies) == 3), receiver.bodies
        time.sleep(0.3)
        assert receiver.bodies[2]["watchlist"] == "ed_long_stay" and receiver.bodies[2]["minutes"] == 725
        # antibiotics given: the episode closes and leaves both sepsis lists
        again.writer.call(lambda s: s.ingest_hl7([
            m.ras("R1", T0 + timedelta(minutes=724), "9000002", "V2")])).result(30)
        assert wait_for(lambda: again._red == {("ed_long_stay", "V1", "2024-03-01 08:00:00")})
    finally:
        again.stop()


def test_intake_does_not_wait_for_a_dead_receiver(tmp_path):
    db = tmp_path / "w.duckdb"
    clock = Clock(T0 + timedelta(minutes=90))
    hub = LiveHub(db, clock=clock, webhooks=[f"http://127.0.0.1:{free_port()}/x"], poll=0.02, tick=0.05,
                  webhook_backoff=0.5, webhook_attempts=10)
    hub.start()
    try:
        for i in range(5):
            outcomes = hub.writer.call(lambda s, i=i: s.ingest_hl7([
                m.oru_observation(f"C{i}", T0, f"90{i}", f"V{i}", "NEWS2", "9")])).result(30)
            assert outcomes[0].status == "applied"
        # five patients red on two lists (antibiotics and screen both due within 60 minutes)
        assert wait_for(lambda: hub.sender.queued == 10)
        _, items = hub.items("sepsis_antibiotics_due")
        assert len(items) == 5 and hub.sender.delivered == 0 and hub.sender.failed == 0  # still retrying
    finally:
        hub.stop()
