"""`wardwatch live-sync`: settling hold-back, late screens, errors (the one-day comparison is in
test_one_source_of_truth.py)."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import pytest

from wardwatch.errors import InputError
from wardwatch.live import messages as m
from wardwatch.live.export import sync_completed
from wardwatch.live.store import LiveStore

# holds the warehouse open for writing until its stdin closes
HOLD_WAREHOUSE = ("import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
                  "sys.stdin.read()")


@pytest.fixture
def db(tmp_path):
    return tmp_path / "w.duckdb"


def _feed(db, messages):
    store = LiveStore(db)
    try:
        store.ingest_hl7(messages)
    finally:
        store.close()


def test_unreported_scan_waits_seven_days_then_loads_once(db, cli):
    _feed(db, [
        m.orm("NW", "B1", "2024-03-01 07:00", "3", "R1", modality="CT", priority="urgent", site="ZFV01"),
        m.orm("SC", "B2", "2024-03-01 10:00", "3", "R1", status="CM", performed_at="2024-03-01 10:00"),
    ])
    early = cli("live-sync", "--db", db, "--at", "2024-03-08T09:59")  # 6 days 23:59 after the scan
    assert "imaging_requests: 1 completed, 1 held back, 0 read, 0 added" in early.output
    assert not db.exists()  # nothing to load: the warehouse is not even created
    settled = cli("live-sync", "--db", db, "--at", "2024-03-08T10:01")
    assert "imaging_requests: 1 completed, 0 held back, 1 read, 1 added, 0 already loaded" in settled.output
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT request_id, reported_at FROM imaging_requests").fetchall() == [("R1", None)]
    finally:
        con.close()


def test_a_changed_row_is_quarantined_and_the_first_version_kept(db, cli):
    _feed(db, [
        m.orm("NW", "B1", "2024-03-01 07:00", "3", "R1", modality="CT", priority="urgent", site="ZFV01"),
        m.orm("SC", "B2", "2024-03-01 10:00", "3", "R1", status="CM", performed_at="2024-03-01 10:00"),
    ])
    assert cli("live-sync", "--db", db, "--at", "2024-03-20T00:00").exit_code == 0
    _feed(db, [m.oru_report("B3", "2024-03-21 09:00", "3", "R1", "2024-03-01 10:00", "2024-03-21 09:00")])
    again = cli("live-sync", "--db", db, "--at", "2024-03-22T00:00")
    assert "imaging_requests: 1 completed, 0 held back, 1 read, 0 added, 0 already loaded, 1 quarantined " \
           "(key_conflict 1)" in again.output


def test_screen_after_antibiotics_stays_on_the_episode(store):
    store.ingest_hl7([
        m.oru_observation("C1", "2024-03-01 08:30", "1", "V1", "NEWS2", "8", "E", "ED", "ZFV01"),
        m.ras("C2", "2024-03-01 08:50", "1", "V1", patient_class="E", location="ED"),
        m.oru_observation("C3", "2024-03-01 09:10", "1", "V1", "SEPSIS_SCREEN", "completed", "E", "ED", "ZFV01"),
        # a new episode after the first closed takes its own screen, not the first episode's
        m.oru_observation("C4", "2024-03-01 20:00", "1", "V1", "NEWS2", "6", "E", "ED", "ZFV01"),
        m.oru_observation("C5", "2024-03-01 20:15", "1", "V1", "SEPSIS_SCREEN", "completed", "E", "ED", "ZFV01"),
    ])
    rows = store.con.execute("SELECT episode_id, screened_at, antibiotics_at FROM sepsis ORDER BY 1").fetchall()
    assert rows == [("V1-S1", "2024-03-01 09:10:00", "2024-03-01 08:50:00"),
                    ("V1-S2", "2024-03-01 20:15:00", None)]


def test_unscreened_episode_waits_a_day(db):
    _feed(db, [
        m.oru_observation("C1", "2024-03-01 08:30", "1", "V1", "NEWS2", "8", "E", "ED", "ZFV01"),
        m.ras("C2", "2024-03-01 08:50", "1", "V1", patient_class="E", location="ED"),
    ])
    from datetime import datetime

    held = sync_completed(db, datetime(2024, 3, 2, 8, 29))
    assert held.held_back["sepsis_episodes"] == 1 and held.load is None
    done = sync_completed(db, datetime(2024, 3, 2, 8, 31))
    assert done.load["sepsis_episodes"].added == 1


def test_no_live_database_is_a_one_line_error(db):
    with pytest.raises(InputError, match="no live database yet"):
        sync_completed(db)



def test_refused_rows_are_quarantined_with_their_reason(db, cli):
    # no PV2-38 mode of arrival: the contract requires one, and the sync does not invent it
    _feed(db, [m.adt("A04", "A1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01", birth_date="19600315"),
               m.adt("A03", "A2", "2024-03-01 09:00", "1", "V1", "E", "ED", "ZFV01")])
    out = cli("live-sync", "--db", db).output
    assert "ed_attendances: 1 completed, 0 held back, 1 read, 0 added, 0 already loaded, 1 quarantined " \
           "(blank_required_value 1)" in out
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT dataset, reason, column_name FROM quarantine").fetchall() == [
            ("ed_attendances", "blank_required_value", "arrival_mode")]
    finally:
        con.close()


def test_refused_while_another_process_writes_the_warehouse(db, cli):
    _feed(db, [m.adt("A04", "A1", "2024-03-01 08:00", "1", "V1", "E", "ED", "ZFV01", birth_date="19600315",
                     arrival_mode="ambulance"),
               m.adt("A03", "A2", "2024-03-01 09:00", "1", "V1", "E", "ED", "ZFV01")])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_WAREHOUSE, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        refused = cli("live-sync", "--db", db)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert refused.exit_code == 2 and "being written (or read) by another process" in refused.output
    loaded = cli("live-sync", "--db", db)  # once the other writer is gone
    assert "ed_attendances: 1 completed, 0 held back, 1 read, 1 added" in loaded.output
