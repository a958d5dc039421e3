"""Durability: SIGKILL the listener mid-stream, restart, resend; every ACKed message is applied
exactly once and none is lost."""

from __future__ import annotations

import os
import signal
import sqlite3

import pytest
from live_listener import start_listener

from wardwatch.live import messages as m
from wardwatch.live.client import MllpClient, ack_code
from wardwatch.live.store import live_path

N = 600


def _stream() -> list[tuple[str, str]]:
    """(control id, message): ED arrivals for N visits; every third visit later leaves."""
    out = []
    for i in range(N):
        out.append((f"R{i}", m.adt("A04", f"R{i}", f"2024-03-01 {8 + i // 120:02d}:{i % 60:02d}", f"{i}",
                                   f"V{i}", "E", "ED", "ZFV01")))
        if i % 3 == 0 and i > 0:
            out.append((f"D{i}", m.adt("A03", f"D{i}", "2024-03-02 10:00", f"{i}", f"V{i}", "E", "ED", "ZFV01")))
    return out


def test_sigkill_mid_stream_loses_no_ack_and_applies_none_twice(tmp_path):
    db = tmp_path / "w.duckdb"
    stream = _stream()
    acked: list[str] = []
    proc, port = start_listener(db)
    killed = False
    try:
        with MllpClient("127.0.0.1", port) as client:

            def on_ack(index: int, ack: str) -> None:
                nonlocal killed
                code, control = ack_code(ack)
                assert code == "AA" and control == stream[index][0]
                acked.append(control)
                if len(acked) == len(stream) // 3 and not killed:
                    os.kill(proc.pid, signal.SIGKILL)  # messages are still in flight
                    killed = True

            with pytest.raises(ConnectionError):
                client.send_many((msg for _, msg in stream), window=16, on_ack=on_ack)
    finally:
        proc.kill()
        proc.wait()
    assert killed and len(stream) // 3 <= len(acked) < len(stream)

    # Before anything is resent: every ACKed message is in the database.
    con = sqlite3.connect(live_path(db))
    stored = {row[0] for row in con.execute("SELECT control_id FROM messages")}
    con.close()
    assert set(acked) <= stored

    # Restart; resend everything not ACKed, plus a slice of ACKed ones again.
    proc, port = start_listener(db)
    try:
        again = [(c, msg) for c, msg in stream if c not in set(acked)] + [
            (c, msg) for c, msg in stream if c in set(acked[:50])]
        with MllpClient("127.0.0.1", port) as client:
            acks = client.send_many((msg for _, msg in again), window=16)
        assert [ack_code(a) for a in acks] == [("AA", c) for c, _ in again]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)

    con = sqlite3.connect(live_path(db))
    # exactly once: one message row and one event per control ID, and the derived state agrees
    assert con.execute("SELECT count(*), count(DISTINCT control_id) FROM messages").fetchone() == (len(stream),) * 2
    per_message = dict(con.execute("SELECT msg_key, count(*) FROM events GROUP BY msg_key").fetchall())
    assert len(per_message) == len(stream) and set(per_message.values()) == {1}
    departed = {f"V{i}" for i in range(1, N) if i % 3 == 0}
    rows = con.execute("SELECT visit_id, ed_arrival_at IS NOT NULL, ed_departed_at IS NOT NULL FROM encounters").fetchall()
    assert len(rows) == N
    assert all(arrived for _, arrived, _ in rows)
    assert {visit for visit, _, left in rows if left} == departed
    con.close()
