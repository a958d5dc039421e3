"""Intake semantics: duplicates, quarantine, out-of-order events, cancellations."""

from __future__ import annotations

import itertools
import random
import shutil

from live_helpers import state

from wardwatch.live import messages as m
from wardwatch.live.client import ack_code
from wardwatch.live.store import LiveStore, key_path


def _encounter_stream() -> list[str]:
    """ED arrival, NEWS2 8 (episode), screen, antibiotic, admission to a ward, then discharge."""
    return [
        m.adt("A04", "E1", "2024-03-01 08:00", "900", "V1", "E", "ED", "ZFV01", birth_date="19500101"),
        m.oru_observation("E2", "2024-03-01 08:30", "900", "V1", "NEWS2", "8", "E", "ED"),
        m.oru_observation("E3", "2024-03-01 08:50", "900", "V1", "SEPSIS_SCREEN", "done", "E", "ED"),
        m.ras("E4", "2024-03-01 09:10", "900", "V1", patient_class="E", location="ED"),
        m.adt("A01", "E5", "2024-03-01 11:00", "900", "V1", "I", "WARD3", "ZFV01"),
        m.adt("A03", "E6", "2024-03-02 16:00", "900", "V1", "I", "WARD3", "ZFV01", disposition="01"),
    ]


def test_duplicate_control_id_acknowledged_and_ignored(store):
    msg = _encounter_stream()[0]
    first = store.ingest_hl7([msg, msg])  # twice in one batch
    again = store.ingest_hl7([msg])  # and in a later batch
    assert [o.status for o in first + again] == ["applied", "duplicate", "duplicate"]
    assert all(ack_code(o.ack) == ("AA", "E1") for o in first + again)
    counts = store.counts()
    assert counts["messages"] == 1 and counts["events"] == 1 and counts["encounters"] == 1


def test_same_control_id_from_another_sender_is_a_different_message(store):
    msg = _encounter_stream()[0]
    other = msg.replace("MSH|^~\\&|PAS|", "MSH|^~\\&|PAS2|", 1)
    assert [o.status for o in store.ingest_hl7([msg, other])] == ["applied", "applied"]


def test_malformed_message_quarantined_with_reason_and_not_applied(store):
    bad = _encounter_stream()[0].replace("|V1|", "||")
    (outcome,) = store.ingest_hl7([bad])
    code, control = ack_code(outcome.ack)
    assert outcome.status == "quarantined" and (code, control) == ("AE", "E1")
    assert "ERR|" in outcome.ack
    rows = store.con.execute("SELECT control_id, ack_code, error_code, location, reason, raw FROM quarantine").fetchall()
    assert rows == [("E1", "AE", "101", "PV1-19", outcome.reason, bad)]
    assert store.counts()["messages"] == 0 and store.counts()["events"] == 0
    # a corrected message with the same control ID is then accepted (the quarantine is no dedup)
    (fixed,) = store.ingest_hl7([_encounter_stream()[0]])
    assert fixed.status == "applied"


def test_good_messages_in_a_batch_survive_a_bad_one(store):
    stream = _encounter_stream()
    outcomes = store.ingest_hl7([stream[0], "not hl7 at all", stream[1]])
    assert [o.status for o in outcomes] == ["applied", "quarantined", "applied"]
    assert ack_code(outcomes[1].ack)[0] == "AR"


def test_encounter_state_from_the_full_stream(store):
    store.ingest_hl7(_encounter_stream())
    (enc,) = store.con.execute(
        "SELECT ed_arrival_at, ed_departed_at, admitted_at, discharged_at, disposal, location, age FROM encounters"
    ).fetchall()
    assert enc == ("2024-03-01 08:00:00", "2024-03-01 11:00:00", "2024-03-01 11:00:00",
                   "2024-03-02 16:00:00", "admitted", "WARD3", 74)
    (ep,) = store.con.execute(
        "SELECT episode_id, location, trigger_at, news2, high_risk_at, screened_at, antibiotics_at FROM sepsis"
    ).fetchall()
    assert ep == ("V1-S1", "emergency_department", "2024-03-01 08:30:00", 8, "2024-03-01 08:30:00",
                  "2024-03-01 08:50:00", "2024-03-01 09:10:00")


def test_any_arrival_order_gives_the_same_state(tmp_path, clock):
    """Event-time derivation: every order of arrival (including A03 before A01/A04) converges."""
    stream = _encounter_stream()
    reference = LiveStore(tmp_path / "ref.duckdb", clock=clock)
    reference.ingest_hl7(stream)
    expected = state(reference)
    reference.close()
    orders = list(itertools.permutations(range(len(stream))))
    random.Random(11).shuffle(orders)
    for n, order in enumerate(orders[:20] + [tuple(reversed(range(len(stream))))]):
        folder = tmp_path / f"p{n}"
        folder.mkdir()
        shutil.copy(key_path(tmp_path / "ref.duckdb"), key_path(folder / "ref.duckdb"))  # same pseudonyms
        live = LiveStore(folder / "ref.duckdb", clock=clock)
        for i in order:  # one message per commit, as a live feed would deliver them
            live.ingest_hl7([stream[i]])
        assert state(live) == expected, order
        live.close()


def test_discharge_before_registration(store):
    a04 = m.adt("A04", "D1", "2024-03-01 10:00", "7", "V9", "E", "ED", "ZFV01")
    a03 = m.adt("A03", "D2", "2024-03-01 13:00", "7", "V9", "E", "ED", "ZFV01", disposition="02")
    store.ingest_hl7([a03])
    assert store.con.execute("SELECT ed_arrival_at FROM encounters").fetchone() == (None,)
    store.ingest_hl7([a04])
    assert store.con.execute("SELECT ed_arrival_at, ed_departed_at, disposal FROM encounters").fetchone() == (
        "2024-03-01 10:00:00", "2024-03-01 13:00:00", "transferred")


def test_cancel_admit_and_cancel_discharge(store):
    store.ingest_hl7([
        m.adt("A04", "K1", "2024-03-01 10:00", "7", "V5", "E", "ED", "ZFV01"),
        m.adt("A03", "K2", "2024-03-01 12:00", "7", "V5", "E", "ED", "ZFV01"),
        m.adt("A13", "K3", "2024-03-01 12:05", "7", "V5", "E", "ED", "ZFV01"),
    ])
    # the discharge was cancelled: still in the ED
    assert store.con.execute("SELECT ed_departed_at FROM encounters").fetchone() == (None,)
    store.ingest_hl7([m.adt("A11", "K4", "2024-03-01 12:10", "7", "V5", "E", "ED", "ZFV01")])
    assert store.con.execute("SELECT ed_arrival_at FROM encounters").fetchone() == (None,)


def test_imaging_report_before_order_and_cancellation(store):
    store.ingest_hl7([
        m.oru_report("I1", "2024-03-01 15:00", "5", "R1", "2024-03-01 13:00", "2024-03-01 15:00"),
        m.orm("NW", "I2", "2024-03-01 09:00", "5", "R1", modality="US"),
        m.orm("NW", "I3", "2024-03-01 09:30", "6", "R2", modality="CT", priority="urgent"),
        m.orm("CA", "I4", "2024-03-01 10:00", "6", "R2", status="CA"),
    ])
    rows = store.con.execute(
        "SELECT request_id, modality, patient_type, requested_at, performed_at, reported_at, cancelled_at"
        " FROM imaging ORDER BY 1").fetchall()
    assert rows == [
        ("R1", "US", "inpatient", "2024-03-01 09:00:00", "2024-03-01 13:00:00", "2024-03-01 15:00:00", None),
        ("R2", "CT", "inpatient", "2024-03-01 09:30:00", None, None, "2024-03-01 10:00:00"),
    ]


def test_news2_below_threshold_opens_no_episode_and_escalation_starts_antibiotic_clock(store):
    store.ingest_hl7([
        m.oru_observation("S1", "2024-03-01 08:00", "3", "V7", "NEWS2", "4"),
        m.oru_observation("S2", "2024-03-01 09:00", "3", "V7", "NEWS2", "5"),
        m.oru_observation("S3", "2024-03-01 10:00", "3", "V7", "NEWS2", "7"),
        m.oru_observation("S4", "2024-03-01 10:30", "3", "V7", "NEWS2", "9"),
    ])
    assert store.con.execute("SELECT trigger_at, news2, high_risk_at, location FROM sepsis").fetchall() == [
        ("2024-03-01 09:00:00", 5, "2024-03-01 10:00:00", "inpatient_ward")]


def test_patient_identifier_never_stored_outside_quarantine(store):
    store.ingest_hl7(_encounter_stream())
    con = store.con
    for table in ("messages", "events", "encounters", "sepsis", "imaging"):
        dump = repr(con.execute(f"SELECT * FROM {table}").fetchall())
        assert "900^" not in dump and "'900'" not in dump and "SYNTHETIC" not in dump
    key = store.pseudonymise("900", "ZFV")
    assert con.execute("SELECT count(*) FROM encounters WHERE patient_ref = ?", (key,)).fetchone() == (1,)


def test_transfer_and_update_move_the_patient(store):
    store.ingest_hl7([
        m.adt("A04", "T1", "2024-03-01 10:00", "8", "V8", "E", "ED", "ZFV01"),
        m.adt("A08", "T2", "2024-03-01 10:30", "8", "V8", "E", "ED-RESUS", "ZFV01"),
    ])
    assert store.con.execute("SELECT location, ed_departed_at FROM encounters").fetchone() == ("ED-RESUS", None)
    store.ingest_hl7([m.adt("A02", "T3", "2024-03-01 13:00", "8", "V8", "I", "AMU", "ZFV01")])
    assert store.con.execute("SELECT location, ed_departed_at, disposal FROM encounters").fetchone() == (
        "AMU", "2024-03-01 13:00:00", "admitted")
