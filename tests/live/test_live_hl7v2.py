"""HL7 v2 reading: the field reader against python-hl7, translation to events, ACKs."""

from __future__ import annotations

import hl7
import pytest

from wardwatch.live import messages as m
from wardwatch.live.events import MessageError
from wardwatch.live.hl7v2 import Hl7Reader, Hl7Translator, build_ack
from wardwatch.live.pseudo import Pseudonymiser
from wardwatch.live.rules import load_rules

CORPUS = [
    m.adt("A04", "C1", "2024-03-01 10:00", "9990001", "V1", "E", "ED", "ZFV01", birth_date="19800229",
          acuity=2, arrival_mode="ambulance"),
    m.adt("A03", "C2", "2024-03-01 14:00", "9990001", "V1", "E", "ED", "ZFV01", disposition="01"),
    m.orm("NW", "C3", "2024-03-01 09:00", "9990002", "R1", modality="CT", priority="urgent"),
    m.oru_observation("C4", "2024-03-01 11:00", "9990003", "V3", "1104051000000101", "7"),
    m.ras("C5", "2024-03-01 11:30", "9990003", "V3"),
    # escapes, repetitions and components the reader must treat as python-hl7 does
    ("MSH|^~\\&|PAS|ZFV|WW|ZFV|20240301100000||ADT^A08^ADT_A01|C6|P|2.5.1\r"
    "PID|1||111^^^NHS^NH~222^^^ZFV^MR||O\\S\\Brien^Mary\r"
    "PV1|1|I|WARD\\F\\7^B2^1^ZFV01||||||||||||||||V6"),
]


@pytest.mark.parametrize("text", CORPUS)
def test_reader_matches_python_hl7(text):
    """Every field/component we read equals python-hl7's extract_field for the same address."""
    ours, theirs = Hl7Reader(text), hl7.parse(text)
    seen: dict[str, int] = {}
    checked = 0
    for segment in theirs:
        name = str(segment[0])
        occurrence = seen.get(name, 0)
        seen[name] = occurrence + 1
        for field in range(3 if name == "MSH" else 1, len(segment) + (1 if name == "MSH" else 0)):
            for component in (1, 2, 4):
                try:
                    expected = theirs.extract_field(name, occurrence + 1, field, 1, component)
                except IndexError:
                    expected = ""  # python-hl7: path ends before this component
                assert ours.get(name, field, component, occurrence=occurrence) == expected, (name, field, component)
                checked += 1
    assert checked > 30


def test_reader_unescapes_and_takes_first_repetition():
    r = Hl7Reader(CORPUS[-1])
    assert r.get("PID", 5) == "O^Brien"
    assert r.get("PID", 3) == "111" and r.get("PID", 3, 4) == "NHS"
    assert r.get("PV1", 3) == "WARD|7" and r.get("PV1", 3, 4) == "ZFV01"
    assert r.get("MSH", 9, 2) == "A08" and r.get("MSH", 10) == "C6"


@pytest.fixture
def translator():
    return Hl7Translator(Pseudonymiser(b"k" * 32), load_rules().vocabulary)


def test_translation_reads_times_class_location_and_pseudonymises(translator):
    parsed = translator.translate(CORPUS[0])
    assert parsed.key == "PAS|ZFV|C1" and parsed.message_type == "ADT^A04"
    (event,) = parsed.events
    assert (event.entity_type, event.entity_id, event.kind, event.at) == ("enc", "V1", "register",
                                                                         "2024-03-01 10:00:00")
    assert event.data["patient_class"] == "E" and event.data["location"] == "ED"
    assert event.data["site_code"] == "ZFV01" and event.data["acuity"] == 2
    assert event.data["age"] == 44  # born 29 Feb 1980, 1 Mar 2024: birthday reached
    assert "9990001" not in repr(event) and event.data["patient_ref"].startswith("P-")


def test_order_news2_and_antibiotic_events(translator):
    (order,) = translator.translate(CORPUS[2]).events
    assert (order.entity_type, order.kind, order.data["modality"], order.data["priority"]) == (
        "ord", "order", "CT", "urgent")
    assert order.data["patient_class"] == "I"
    (news2,) = translator.translate(CORPUS[3]).events
    assert news2.kind == "news2" and news2.data["score"] == 7 and news2.entity_id == "V3"
    (given,) = translator.translate(CORPUS[4]).events
    assert given.kind == "antibiotic" and given.at == "2024-03-01 11:30:00"
    not_antibiotic = m.ras("C7", "2024-03-01 11:30", "9", "V3", drug="N02BE01^Paracetamol^ATC")
    assert translator.translate(not_antibiotic).events == []


def test_omi_o23_is_an_imaging_order(translator):
    text = m.orm("NW", "C8", "2024-03-01 09:00", "1", "R8", modality="MR", message="OMI^O23^OMI_O23")
    (event,) = translator.translate(text).events
    assert event.kind == "order" and event.data["modality"] == "MR"


@pytest.mark.parametrize(
    ("text", "ack_code", "error", "words"),
    [
        ("PID|1||123", "AR", "100", "MSH"),
        (CORPUS[0].replace("|C1|", "||"), "AR", "101", "MSH-10"),
        (CORPUS[0].replace("ADT^A04", "ADT^A31"), "AR", "201", "A31"),
        (CORPUS[0].replace("ADT^A04", "MFN^M02"), "AR", "200", "MFN"),
        (CORPUS[0].replace("|V1|", "||"), "AE", "101", "PV1-19"),
        (CORPUS[0].replace("20240301100000", "2024-03-01"), "AE", "102", "date/time"),
        (m.oru_observation("C9", "2024-03-01 11:00", "1", "V3", "NEWS2", "high"), "AE", "102", "NEWS2"),
    ],
)
def test_malformed_messages_give_reason(translator, text, ack_code, error, words):
    with pytest.raises(MessageError) as caught:
        translator.translate(text)
    assert caught.value.ack_code == ack_code and caught.value.hl7_error == error
    assert words in caught.value.reason


def test_ack_has_msa_and_err_with_reason():
    ok = build_ack(CORPUS[0], "AA")
    assert "\rMSA|AA|C1" in ok and ok.startswith("MSH|^~\\&|WARDWATCH|ZFV|PAS|ZFV|") and "ERR" not in ok
    err = MessageError("PV1-19 (visit number) is required but empty", hl7_error="101", location="PV1-19")
    bad = build_ack(CORPUS[0], "AE", error=err)
    segments = bad.strip("\r").split("\r")
    assert segments[1].startswith("MSA|AE|C1|PV1-19")
    fields = segments[2].split("|")
    assert fields[0] == "ERR" and fields[2] == "PV1^1^19" and fields[3] == "101" and fields[4] == "E"
    assert "visit number" in fields[8]
    assert hl7.parse(bad).extract_field("MSA", 1, 1) == "AE"  # a conforming message python-hl7 can read


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20240301", "2024-03-01 00:00:00"),
        ("2024030110", "2024-03-01 10:00:00"),
        ("202403011030", "2024-03-01 10:30:00"),
        ("20240301103005", "2024-03-01 10:30:05"),
        ("20240301103005.1234", "2024-03-01 10:30:05"),
        ("20240301103005+0000", "2024-03-01 10:30:05"),
        ("202407011030+0100", "2024-07-01 09:30:00"),  # BST offset converted to UTC
        ("202403010030-0500", "2024-03-01 05:30:00"),
    ],
)
def test_hl7_times(text, expected):
    from wardwatch.live.events import parse_hl7_ts

    assert parse_hl7_ts(text, "EVN-2") == expected


@pytest.mark.parametrize("text", ["20240230", "2024-03-01", "20241301", "2024", "20240301250000"])
def test_impossible_hl7_times_are_errors(text):
    from wardwatch.live.events import parse_hl7_ts

    with pytest.raises(MessageError) as caught:
        parse_hl7_ts(text, "EVN-2")
    assert caught.value.hl7_error == "102" and caught.value.location == "EVN-2"
