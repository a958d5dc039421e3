"""The shipped mappings sepsis_audit, ris and esr_training, each loaded from its worked example.

Expected counts come from reading the example rows by eye (tests/data/mappings/README.md says what
each file holds), not from an earlier run of the loader. Measures are computed with the same
engine the CLI uses and compared with hand counts written out row by row below.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from ingest_cases import query_rows as _rows

from wardwatch.errors import InputError
from wardwatch.indicators.engine import compute_measures
from wardwatch.ingest import load
from wardwatch.mappings import load_mapping, shipped_names
from wardwatch.warehouse import connect_duckdb

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "mappings"
SEPSIS = DATA / "sepsis_audit_example.xlsx"
RIS = DATA / "ris_example.csv"
ESR = DATA / "esr_training_example.csv"


def _folder(tmp_path: Path, example: Path) -> Path:
    folder = tmp_path / "extract"
    folder.mkdir()
    shutil.copy(example, folder / example.name)
    return folder


def _measure(db: Path, indicator: str, level: str = "trust") -> dict:
    """{(unit or None, month start): (numerator, denominator)} of a monthly indicator."""
    con = connect_duckdb(db, read_only=True)
    try:
        frame = compute_measures(con, [indicator], grains=["month"])
    finally:
        con.disconnect()
    frame = frame[frame.indicator_id == indicator]
    if level == "trust":
        frame = frame[frame.site_code.isna() & frame.unit_code.isna()]
    else:
        frame = frame[frame.unit_code.notna()]
    return {
        (None if pd.isna(r.unit_code) else r.unit_code, r.period_start): (r.numerator, r.denominator)
        for r in frame.itertuples()
    }


def _quarantined(db: Path) -> list[tuple]:
    return _rows(db, "SELECT reason, column_name, row_number FROM quarantine ORDER BY row_number")


# ------------------------------------------------------------------ names


def test_all_shipped_mappings_parse_and_are_listed() -> None:
    assert shipped_names() == ("ecds", "esr_training", "ris", "sepsis_audit")
    datasets = {name: sorted(load_mapping(name).datasets) for name in shipped_names()}
    assert datasets == {
        "ecds": ["ed_attendances"],
        "esr_training": ["staff_training"],
        "ris": ["imaging_requests"],
        "sepsis_audit": ["sepsis_episodes"],
    }


def test_unknown_mapping_name_lists_all_four(tmp_path: Path, cli) -> None:
    result = cli("load", tmp_path, "--db", tmp_path / "wh.duckdb", "--mapping", "nosuch")
    assert result.exit_code != 0
    text = " ".join(result.output.split())  # the message may be wrapped
    assert "no shipped mapping of that name (shipped: ecds, esr_training, ris, sepsis_audit)" in text
    assert not (tmp_path / "wh.duckdb").exists()
    with pytest.raises(InputError, match=r"shipped: ecds, esr_training, ris, sepsis_audit\)"):
        load_mapping("nosuch")


# ------------------------------------------------------------------ sepsis_audit


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_sepsis", ROOT / "scripts" / "make_sepsis_audit_example.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sepsis_example_is_regenerated_byte_for_byte(tmp_path: Path) -> None:
    _generator().write(tmp_path / "again.xlsx")
    assert (tmp_path / "again.xlsx").read_bytes() == SEPSIS.read_bytes()


def test_sepsis_audit_example_counts_and_reasons(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    item = load(_folder(tmp_path, SEPSIS), db, mapping="sepsis_audit")["sepsis_episodes"]
    assert (item.read, item.loaded, item.quarantined, item.filtered) == (24, 21, 3, 0)
    assert item.read == item.loaded + item.quarantined + item.filtered
    assert item.reasons == {"unmapped_code": 1, "bad_timestamp": 1, "blank_required_value": 1}
    assert item.unmapped_codes == {"location": {"Theatres": 1}}
    # SA0019 in theatres (unmapped), SA0020 on 30/02/2025, SA0021 with no NEWS2 (sheet rows 19-21)
    assert [(r, c) for r, c, _ in _quarantined(db)] == [
        ("unmapped_code", "location"),
        ("bad_timestamp", "trigger_at"),
        ("blank_required_value", "news2"),
    ]
    records = [json.loads(r) for (r,) in _rows(db, "SELECT record FROM quarantine ORDER BY row_number")]
    assert [r["Audit ID"] for r in records] == ["SA0019", "SA0020", "SA0021"]


def test_sepsis_audit_values_translated(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, SEPSIS), db, mapping="sepsis_audit")
    got = _rows(
        db,
        "SELECT episode_id, site_code, location, trigger_at, news2, antibiotics_at, age, died_within_30d "
        "FROM sepsis_episodes WHERE episode_id IN ('SA0003', 'SA0006', 'SA0008', 'SA0016') ORDER BY 1",
    )
    assert got == [
        # 07/01/2025 is 7 January (day first); antibiotics after midnight on the 8th
        (
            "SA0003",
            "RXA01",
            "assessment_unit",
            datetime(2025, 1, 7, 23, 20),
            9,
            datetime(2025, 1, 8, 0, 35),
            81,
            True,
        ),
        (
            "SA0006",
            "RXA02",
            "assessment_unit",
            datetime(2025, 1, 10, 16, 45),
            7,
            None,
            39,
            None,
        ),  # SAU, Unknown
        (
            "SA0008",
            "RXA01",
            "inpatient_ward",
            datetime(2025, 1, 13, 2, 40),
            7,
            datetime(2025, 1, 13, 2, 15),
            88,
            True,
        ),
        (
            "SA0016",
            "RXA01",
            "assessment_unit",
            datetime(2025, 1, 22, 10, 40),
            6,
            datetime(2025, 1, 22, 12, 20),
            44,
            False,
        ),
    ]


def test_sepsis_antibiotics_1h_news2_7_plus_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, SEPSIS), db, mapping="sepsis_audit")
    # Loaded episodes with NEWS2 >= 7, all with time zero in January 2025:
    #   within 1 h: SA0001 (45 min), SA0002 (exactly 60 min), SA0005 (40), SA0008 (given before time
    #     zero), SA0011 (45), SA0012 (55), SA0015 (55), SA0018 (58), SA0022 (50), SA0024 (50, past midnight)
    #   not: SA0003 (75 min), SA0006 (no time), SA0010 (61 min), SA0014 (90), SA0017 (80)
    # -> 10 / 15. SA0019 (theatres) and SA0020 (30 February) are quarantined and not counted.
    ind = "sepsis_antibiotics_1h_news2_7plus"
    assert _measure(db, ind) == {(None, date(2025, 1, 1)): (10, 15)}
    assert _measure(db, ind, "unit") == {
        ("emergency_department", date(2025, 1, 1)): (9, 10),  # SA0017 the one late
        ("assessment_unit", date(2025, 1, 1)): (0, 3),  # SA0003, SA0010 (AMU), SA0006 (SAU)
        ("inpatient_ward", date(2025, 1, 1)): (1, 2),  # SA0008 yes, SA0014 no
    }


def test_sepsis_real_date_cells_read_whatever_the_format(tmp_path: Path) -> None:
    """Time zero typed as real date/time cells (style numFmt 14 = date, 20 = h:mm) instead of text:
    a real date AND a real time load; a real date next to a TEXT time is refused, not guessed."""
    gen = _generator()
    first, second = list(gen.ROWS[0]), list(gen.ROWS[1])  # SA0001 08:10 and SA0002 14:30 on 06/01/2025
    parts = dict(gen.workbook_parts("Audit", [gen.HEADER, first, second]))
    sheet = parts["xl/worksheets/sheet1.xml"]
    for text_cell, real_cell in [
        ('<c r="E2" t="inlineStr"><is><t>06/01/2025</t></is></c>', '<c r="E2" s="1"><v>45663</v></c>'),
        ('<c r="E3" t="inlineStr"><is><t>06/01/2025</t></is></c>', '<c r="E3" s="1"><v>45663</v></c>'),
        (
            '<c r="F3" t="inlineStr"><is><t>14:30</t></is></c>',
            '<c r="F3" s="2"><v>0.6041666666666666</v></c>',
        ),
    ]:
        assert text_cell in sheet
        sheet = sheet.replace(text_cell, real_cell)
    parts["xl/worksheets/sheet1.xml"] = sheet
    parts["xl/styles.xml"] = (
        '<?xml version="1.0" encoding="UTF-8"?><styleSheet '
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="3"><xf numFmtId="0"/>'
        '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="20" applyNumberFormat="1"/></cellXfs></styleSheet>'
    )
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
    parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
        "</Relationships>", f'<Relationship Id="rId2" Type="{rel}" Target="styles.xml"/></Relationships>'
    )
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        "</Types>", f'<Override PartName="/xl/styles.xml" ContentType="{content_type}"/></Types>'
    )
    folder = tmp_path / "in"
    folder.mkdir()
    with zipfile.ZipFile(folder / "sepsis_audit_dates.xlsx", "w") as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    db = tmp_path / "wh.duckdb"
    item = load(folder, db, mapping="sepsis_audit")["sepsis_episodes"]
    assert (item.read, item.loaded, item.reasons) == (2, 1, {"bad_timestamp": 1})
    assert _rows(db, "SELECT episode_id, trigger_at FROM sepsis_episodes") == [
        ("SA0002", datetime(2025, 1, 6, 14, 30))
    ]
    assert _quarantined(db) == [("bad_timestamp", "trigger_at", 1)]  # SA0001: real date, text "08:10"


# ------------------------------------------------------------------ ris


def test_ris_example_is_cp1252() -> None:
    raw = RIS.read_bytes()
    assert b"\x96" in raw  # the en dash in "CT Head \u2013 non contrast", one byte in Windows-1252
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_ris_example_counts_and_reasons(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    item = load(_folder(tmp_path, RIS), db, mapping="ris")["imaging_requests"]
    assert (item.read, item.loaded, item.quarantined, item.filtered) == (27, 24, 3, 0)
    assert item.read == item.loaded + item.quarantined + item.filtered
    assert item.reasons == {"unmapped_code": 1, "bad_timestamp": 1, "blank_required_value": 1}
    assert item.unmapped_codes == {"modality": {"PX": 1}}
    # RXA25030119 dental panoramic (PX), RXA25030120 examined 29/02/2025, RXA25030121 no trust code
    assert _quarantined(db) == [
        ("unmapped_code", "modality", 19),
        ("bad_timestamp", "performed_at", 20),
        ("blank_required_value", "org_code", 21),
    ]
    record = json.loads(_rows(db, "SELECT record FROM quarantine WHERE row_number = 20")[0][0])
    assert record["Examination"] == "CT Head \u2013 trauma"  # decoded from cp1252


def test_ris_codes_translated(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, RIS), db, mapping="ris")
    modalities = dict(
        _rows(
            db,
            "SELECT request_id, modality FROM imaging_requests WHERE request_id IN "
            "('RXA25030102', 'RXA25030105', 'RXA25030109', 'RXA25030110', 'RXA25030117', 'RXA25030111')",
        )
    )
    assert modalities == {
        "RXA25030102": "XR",  # CR
        "RXA25030105": "XR",  # DX
        "RXA25030109": "FL",  # RF
        "RXA25030110": "DEXA",  # DXA
        "RXA25030117": "DEXA",  # BMD
        "RXA25030111": "MG",
    }
    got = _rows(
        db,
        "SELECT request_id, patient_type, priority, requested_at, performed_at, reported_at, cancelled_at "
        "FROM imaging_requests WHERE request_id IN ('RXA25030106', 'RXA25030114', 'RXA25030116') ORDER BY 1",
    )
    assert got == [
        (
            "RXA25030106",
            "emergency",
            "urgent",
            datetime(2025, 3, 5, 18, 40),
            datetime(2025, 3, 5, 19, 30),
            datetime(2025, 3, 5, 20, 10),
            None,
        ),
        (
            "RXA25030114",
            "inpatient",
            "routine",
            datetime(2025, 3, 11, 9, 0),
            None,
            None,
            datetime(2025, 3, 11, 16, 0),
        ),
        ("RXA25030116", "outpatient", "routine", datetime(2025, 3, 12, 10, 15), None, None, None),
    ]


def test_ris_inpatients_scanned_within_24h_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, RIS), db, mapping="ris")
    # Loaded inpatient (IP) requests, all requested in March 2025:
    #   within 24 h: ...01 (55 min), ...02 (exactly 24 h), ...12 (23 h 59), ...13 (40 min), ...23 (45 min),
    #     ...26 (9 h 30), ...27 (6 h, scanned on 1 April but requested in March)
    #   not: ...03 (24 h 45), ...07 (not scanned), ...15 (24 h 01), ...25 (29 h)
    #   left out: ...14 (cancelled without a scan); ...20 (quarantined, 29 February)
    # -> 7 / 11.
    assert _measure(db, "imaging_inpatient_scanned_24h") == {(None, date(2025, 3, 1)): (7, 11)}


# ------------------------------------------------------------------ esr_training


def test_esr_example_is_utf8_with_bom() -> None:
    raw = ESR.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfRecord Number,")
    assert "\u2013".encode() in raw  # "RXA Ward 7 \u2013 Respiratory"


def test_esr_training_example_counts_and_reasons(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    item = load(_folder(tmp_path, ESR), db, mapping="esr_training")["staff_training"]
    assert (item.read, item.loaded, item.quarantined, item.filtered) == (28, 25, 3, 0)
    assert item.read == item.loaded + item.quarantined + item.filtered
    assert item.reasons == {"unmapped_code": 1, "bad_date": 1, "blank_required_value": 1}
    assert item.unmapped_codes == {"course": {"RXA|LOCAL|Blood Transfusion|3 Years": 1}}
    # ESR00024 blood transfusion (a local course), ESR00025 achieved 31/09/2024, ESR00026 no employee number
    assert _quarantined(db) == [
        ("unmapped_code", "course", 24),
        ("bad_date", "completed_on", 25),
        ("blank_required_value", "staff_id", 26),
    ]


def test_esr_values_translated(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, ESR), db, mapping="esr_training")
    got = _rows(
        db,
        "SELECT record_id, staff_group, role, course, modality, required_from, completed_on, valid_until "
        "FROM staff_training WHERE record_id IN ('ESR00005', 'ESR00009', 'ESR00012', 'ESR00013', 'ESR00020', "
        "'ESR00022', 'ESR00023') ORDER BY 1",
    )
    assert got == [
        ("ESR00005", "medical", "Specialty Registrar", "resuscitation", None, date(2024, 8, 7), None, None),
        (
            "ESR00009",
            "admin",
            "Medical Secretary",
            "equality_diversity",
            None,
            date(2021, 9, 1),
            date(2021, 9, 20),
            date(2024, 9, 20),
        ),
        (
            "ESR00012",
            "support",
            "Healthcare Assistant",
            "moving_handling",
            None,
            date(2025, 3, 3),
            date(2025, 3, 17),
            date(2027, 3, 17),
        ),
        (
            "ESR00013",
            "healthcare_science",
            "Clinical Scientist",
            "preventing_radicalisation",
            None,
            date(2023, 5, 1),
            date(2023, 5, 15),
            date(2026, 5, 15),
        ),
        (
            "ESR00020",
            "medical",
            "Consultant Radiologist",
            "irmer_practitioner",
            "CT",
            date(2022, 6, 1),
            date(2024, 6, 20),
            date(2026, 6, 20),
        ),
        (
            "ESR00022",
            "radiography",
            "Assistant Practitioner (Radiography)",
            "irmer_operator",
            "FL",
            date(2025, 3, 15),
            date(2025, 3, 28),
            date(2027, 3, 28),
        ),
        (
            "ESR00023",
            "nursing",
            "Sister",
            "sepsis",
            None,
            date(2024, 1, 1),
            date(2024, 2, 1),
            date(2025, 2, 1),
        ),
    ]


def test_esr_mandatory_training_compliance_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, ESR), db, mapping="esr_training")
    # Census 31 March 2025, one requirement per (employee, course) applying by then:
    #   in date: E1001 fire safety, E1001 safeguarding adults, E1002 fire safety (ESR00004; the expired
    #     ESR00028 is the same requirement, counted once), E1002 data security (information governance),
    #     E1003 moving and handling (expires on the census day), E1003 conflict resolution, E1004 health
    #     and safety, E1005 moving and handling, E1006 preventing radicalisation, E2001 fire safety,
    #     E1008 safeguarding adults                                                         -> 11
    #   not: E1001 infection prevention (expired 10/03/2025), E1002 resuscitation (never done),
    #     E1004 equality and diversity (expired 20/09/2024), E1006 safeguarding children (never done) -> 4
    #   not yet required: E1005 fire safety (from 01/04/2025). IR(ME)R and sepsis courses are not mandatory.
    frame = _measure(db, "mandatory_training_compliance")
    assert frame[(None, date(2025, 3, 1))] == (11, 15)
    # 30 April 2025: E1005 fire safety now applies and is not done, and E1003 moving and handling
    # (valid through 31 March) has expired -> 10 / 16
    assert frame[(None, date(2025, 4, 1))] == (10, 16)


def test_esr_irmer_training_in_date_by_hand(tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(_folder(tmp_path, ESR), db, mapping="esr_training")
    # Census 31 March 2025, requirements (employee, IR(ME)R course, ionising modality):
    #   in date: E2001 operator CT, E2001 operator XR, E2003 practitioner CT, E2004 operator FL (from 15/03/2025)
    #   not: E2002 operator CT (expired 05/02/2025), E2003 practitioner NM (never done)
    #   MR (E2002) is not ionising: outside IR(ME)R.                                     -> 4 / 6
    frame = _measure(db, "irmer_training_in_date", "unit")
    march = {unit: counts for (unit, month), counts in frame.items() if month == date(2025, 3, 1)}
    assert march == {"CT": (2, 3), "XR": (1, 1), "FL": (1, 1), "NM": (0, 1)}
    assert _measure(db, "irmer_training_in_date")[(None, date(2025, 3, 1))] == (4, 6)
