"""Replay: synthetic rows become messages in event-time order; --speed paces them."""

from __future__ import annotations

import signal
import time
from datetime import datetime

import pandas as pd
from live_listener import start_listener

from wardwatch.live.hl7v2 import Hl7Reader
from wardwatch.live.replay import build_stream, send_stream


def _write(data, name, rows):
    pd.DataFrame(rows).to_parquet(data / f"{name}.parquet")


def _data(tmp_path):
    data = tmp_path / "synth"
    data.mkdir()
    _write(data, "ed_attendances", [
        {"attendance_id": "ZFV-1", "org_code": "ZFV", "site_code": "ZFV01", "arrival_at": pd.Timestamp("2024-03-01 10:00"),
         "departed_at": pd.Timestamp("2024-03-01 10:20"), "arrival_mode": "ambulance", "acuity": 2.0, "age": 50,
         "disposal": "died"},
    ])
    _write(data, "imaging_requests", [
        {"request_id": "ZFV-I1", "org_code": "ZFV", "site_code": "ZFV01", "modality": "DEXA",
         "patient_type": "gp", "priority": "routine", "requested_at": pd.Timestamp("2024-03-01 10:05"),
         "performed_at": pd.NaT, "reported_at": pd.NaT, "cancelled_at": pd.Timestamp("2024-03-01 10:10")},
    ])
    _write(data, "sepsis_episodes", [
        {"episode_id": "ZFV-S1", "org_code": "ZFV", "site_code": "ZFV01", "location": "assessment_unit",
         "trigger_at": pd.Timestamp("2024-03-01 10:01"), "news2": 7, "screened_at": pd.Timestamp("2024-03-01 10:15"),
         "antibiotics_at": pd.Timestamp("2024-03-01 10:25")},
    ])
    return data


def test_stream_is_in_event_time_order(tmp_path):
    stream = build_stream(_data(tmp_path))
    times = [at for at, _ in stream]
    assert times == sorted(times) and len(stream) == 7
    kinds = [Hl7Reader(msg).get("MSH", 9) + "^" + Hl7Reader(msg).get("MSH", 9, 2) for _, msg in stream]
    assert kinds == ["ADT^A04", "ORU^R01", "ORM^O01", "ORM^O01", "ORU^R01", "ADT^A03", "RAS^O17"]
    assert Hl7Reader(stream[-2][1]).get("PV1", 36) == "05"  # died


def test_speed_paces_and_state_matches_rows(tmp_path):
    stream = build_stream(_data(tmp_path))  # 25 minutes of events
    db = tmp_path / "w.duckdb"
    proc, port = start_listener(db)
    try:
        began = time.monotonic()
        counts = send_stream(stream, "127.0.0.1", port, speed=3000)  # 25 min / 3000 = 0.5 s
        elapsed = time.monotonic() - began
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    assert counts == {"AA": 7}
    assert elapsed >= 0.45  # the last message waits for its event time (lower bound only)
    from wardwatch.live.completed import completed_rows
    from wardwatch.live.store import open_readonly

    con = open_readonly(db)
    ed = completed_rows(con, "ed_attendances")
    img = completed_rows(con, "imaging_requests")
    sep = completed_rows(con, "sepsis_episodes")
    con.close()
    assert (ed.loc[0, "attendance_id"], ed.loc[0, "disposal"], ed.loc[0, "age"]) == ("ZFV-1", "died", 50)
    assert ed.loc[0, "departed_at"] == pd.Timestamp("2024-03-01 10:20")
    assert (img.loc[0, "modality"], img.loc[0, "patient_type"]) == ("DEXA", "gp")
    assert img.loc[0, "cancelled_at"] == pd.Timestamp("2024-03-01 10:10")
    assert (sep.loc[0, "location"], sep.loc[0, "news2"]) == ("assessment_unit", 7)
    assert sep.loc[0, "trigger_at"] == pd.Timestamp(datetime(2024, 3, 1, 10, 1))
    assert sep.loc[0, "screened_at"] == pd.Timestamp("2024-03-01 10:15")
