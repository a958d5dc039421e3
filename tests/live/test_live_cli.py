"""The live commands end to end: ingest-hl7, ingest-fhir, watchlist, listen + replay."""

from __future__ import annotations

import json
import signal
import sqlite3

from live_listener import start_listener
from test_live_fhir import BUNDLE

from wardwatch.live import messages as m
from wardwatch.live.store import live_path


def test_ingest_hl7_file_then_watchlist(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    path = tmp_path / "feed.hl7"
    feed = [
        m.adt("A04", "F1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01"),
        m.adt("A04", "F2", "2024-03-01 14:00", "2", "V2", "E", "ED", "ZFV01"),
        "MSH|^~\\&|PAS|ZFV|WW|ZFV|20240301||ADT^A04|F3|P|2.5.1\rPID|1||3",  # no PV1: quarantined
        m.adt("A04", "F1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01"),  # duplicate
    ]
    path.write_text("\n".join(msg.replace("\r", "\n") for msg in feed) + "\n")
    result = cli("ingest-hl7", path, "--db", db)
    assert result.exit_code == 0
    assert "applied 2, duplicates 1, quarantined 1" in result.output
    result = cli("watchlist", "ed_long_stay", "--db", db, "--at", "2024-03-01T20:30")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert "2 open: 1 red, 1 amber, 0 green" in lines[-1]
    assert "750  red" in lines[2] and "390  amber" in lines[3]
    assert "'1'" not in result.output and "P-" in lines[2]
    red = cli("watchlist", "ed_long_stay", "--db", db, "--at", "2024-03-01T20:30", "--status", "red")
    assert "1 open: 1 red" in red.output


def test_watchlist_errors_are_one_line(cli, tmp_path):
    result = cli("watchlist", "ed_long_stay", "--db", tmp_path / "none.duckdb")
    assert result.exit_code == 2 and "no live database yet" in result.output
    (tmp_path / "w.duckdb.live.sqlite").touch()
    result = cli("watchlist", "nope", "--db", tmp_path / "w.duckdb")
    assert result.exit_code == 2 and "unknown watchlist" in result.output


def test_ingest_fhir_file(cli, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(BUNDLE))
    result = cli("ingest-fhir", path, "--db", tmp_path / "w.duckdb")
    assert result.exit_code == 0 and "applied 4, duplicates 0, quarantined 0" in result.output
    (tmp_path / "bad.json").write_text("{not json")
    result = cli("ingest-fhir", tmp_path / "bad.json", "--db", tmp_path / "w.duckdb")
    assert result.exit_code == 2 and "not JSON" in result.output


def test_replay_synthetic_rows_into_a_listener(cli, tmp_path):
    data = tmp_path / "synth"
    data.mkdir()
    (data / "ed_attendances.csv").write_text(
        "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,"
        "decision_to_admit_at,departed_at,arrival_mode,acuity,age,disposal\n"
        "ZFV-1,ZFV,ZFV01,1,2024-03-01 08:00:00,,,,2024-03-01 09:00:00,ambulance,2,70,discharged\n"
        "ZFV-2,ZFV,ZFV01,1,2024-03-01 08:30:00,,,,2024-03-01 20:00:00,walk_in,3,40,admitted\n"
        "ZP01-3,ZP01,ZP0101,1,2024-03-01 08:40:00,,,,,walk_in,3,40,\n")
    (data / "imaging_requests.csv").write_text(
        "request_id,org_code,site_code,modality,patient_type,priority,requested_at,performed_at,reported_at,"
        "cancelled_at\n"
        "ZFV-I1,ZFV,ZFV01,CT,inpatient,urgent,2024-02-29 06:00:00,,,\n"
        "ZFV-I2,ZFV,ZFV01,XR,inpatient,routine,2024-03-01 07:00:00,2024-03-01 08:00:00,2024-03-01 09:00:00,\n")
    (data / "sepsis_episodes.csv").write_text(
        "episode_id,org_code,site_code,location,trigger_at,news2,screened_at,antibiotics_at,age,died_within_30d\n"
        "ZFV-S1,ZFV,ZFV01,inpatient_ward,2024-03-01 10:00:00,8,2024-03-01 10:10:00,,80,false\n")
    db = tmp_path / "w.duckdb"
    proc, port = start_listener(db)
    try:
        result = cli("replay", "--data", data, "--to", f"mllp://127.0.0.1:{port}", "--org", "ZFV",
                     "--until", "2024-03-01T12:00")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    # ED: 2 for ZFV-1, 1 for ZFV-2 (its departure is after --until); imaging 1 + 3; sepsis 2
    assert result.exit_code == 0 and "AA 9" in result.output
    con = sqlite3.connect(live_path(db))
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (0,)
    con.close()
    at = ("--at", "2024-03-01T12:00")
    ed = cli("watchlist", "ed_long_stay", "--db", db, *at).output
    assert "1 open: 0 red, 0 amber, 1 green" in ed  # ZFV-2 (ZFV-1 left; ZP01 not replayed)
    img = cli("watchlist", "imaging_inpatient_waiting", "--db", db, *at).output
    assert "1 open: 1 red" in img and "2024-02-29 06:00:00" in img
    abx = cli("watchlist", "sepsis_antibiotics_due", "--db", db, *at).output
    assert "1 open: 1 red" in abx
    assert "0 open" in cli("watchlist", "sepsis_screen_due", "--db", db, *at).output


def test_listen_rejects_a_bad_address(cli, tmp_path):
    result = cli("listen", "--db", tmp_path / "w.duckdb", "--mllp", "localhost")
    assert result.exit_code == 2 and "expected HOST:PORT" in result.output


def test_garbage_on_the_wire_gets_an_ar_and_the_connection_survives(tmp_path):
    from wardwatch.live.client import MllpClient, ack_code

    db = tmp_path / "w.duckdb"
    proc, port = start_listener(db)
    try:
        with MllpClient("127.0.0.1", port) as client:
            assert ack_code(client.send("this is not HL7"))[0] == "AR"
            ok = client.send(m.adt("A04", "G1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01"))
            assert ack_code(ok) == ("AA", "G1")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    con = sqlite3.connect(live_path(db))
    assert con.execute("SELECT ack_code, raw FROM quarantine").fetchall() == [("AR", "this is not HL7")]
    con.close()


def test_site_rules_file_changes_thresholds(cli, tmp_path):
    from importlib import resources

    rules = tmp_path / "site-rules.yaml"
    text = resources.files("wardwatch.live").joinpath("rules.yaml").read_text()
    rules.write_text(text.replace("version: 1", "version: 7").replace("amber_minutes: 240", "amber_minutes: 60"))
    db = tmp_path / "w.duckdb"
    feed = tmp_path / "feed.hl7"
    feed.write_text(m.adt("A04", "F1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01"))
    assert cli("ingest-hl7", feed, "--db", db, "--rules", rules).exit_code == 0
    packaged = cli("watchlist", "ed_long_stay", "--db", db, "--at", "2024-03-01T09:30").output
    site = cli("watchlist", "ed_long_stay", "--db", db, "--at", "2024-03-01T09:30", "--rules", rules).output
    assert "rules v1" in packaged and "1 green" in packaged
    assert "rules v7" in site and "1 amber" in site
