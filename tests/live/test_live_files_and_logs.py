"""File splitting for ingest-hl7, and no patient identifiers in logs."""

from __future__ import annotations

import logging

from wardwatch.live import messages as m
from wardwatch.live.files import split_hl7

A = m.adt("A04", "F1", "2024-03-01 08:00", "4857773456", "V1", "E", "ED", "ZFV01")
B = m.adt("A03", "F2", "2024-03-01 09:00", "4857773456", "V1", "E", "ED", "ZFV01")


def test_split_plain_mllp_and_batch_files():
    plain = A.replace("\r", "\n") + "\n" + B.replace("\r", "\r\n") + "\r\n"
    framed = f"\x0b{A}\r\x1c\r\x0b{B}\r\x1c\r"
    batch = f"FHS|^~\\&|PAS\rBHS|^~\\&|PAS\r{A}\r{B}\rBTS|2\rFTS|1\r"
    for text in (plain, framed, batch):
        messages, stray = split_hl7(text)
        assert messages == [A + "\r", B + "\r"] and stray == 0
    messages, stray = split_hl7("PID|1||4857773456\r" + A)
    assert len(messages) == 1 and stray == 1


def test_no_patient_identifier_in_logs(store, caplog):
    bad = A.replace("|V1|", "||")  # quarantined: AE, logged
    with caplog.at_level(logging.DEBUG, logger="wardwatch.live"):
        outcomes = store.ingest_hl7([bad, A, B, "PID|1||4857773456"])
    assert [o.status for o in outcomes] == ["quarantined", "applied", "applied", "quarantined"]
    assert caplog.records  # the quarantines were logged ...
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "4857773456" not in text and "SYNTHETIC" not in text  # ... without identifiers
