"""`wardwatch load --mapping`: extracts read in their own columns, formats, encodings and codes.

Expected values come from reading tests/data/mappings/ecds_example.csv by eye (30 hand-made rows:
2 dropped by the SUS filters, 3 refused, 25 loaded), not from an earlier run of the loader.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from ingest_cases import query_rows as _rows

from wardwatch.errors import InputError
from wardwatch.ingest import load
from wardwatch.mappings import parse_mapping

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "mappings" / "ecds_example.csv"


@pytest.fixture
def ecds_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "extract [Feb*]"  # pattern characters in the folder are read literally
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / EXAMPLE.name)
    return folder


def test_example_file_is_cp1252_with_non_ascii_bytes() -> None:
    raw = EXAMPLE.read_bytes()
    assert b"\x92" in raw and b"\xe9" in raw  # ’ and é as Windows-1252 writes them
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_ecds_example_counts(ecds_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    report = load(ecds_folder, db, mapping="ecds")
    ed = report["ed_attendances"]
    assert (ed.read, ed.loaded, ed.quarantined, ed.filtered) == (30, 25, 3, 2)
    assert ed.read == ed.loaded + ed.quarantined + ed.filtered
    assert ed.filters == {"SUS_Excluded = 'Y'": 1, "Der_Dupe_Flag = '1'": 1}
    assert ed.reasons == {"unmapped_code": 1, "bad_timestamp": 1, "events_out_of_order": 1}
    assert _rows(db, "SELECT count(*) FROM ed_attendances") == [(25,)]
    # the duplicate-flagged copy of ECDS0003 was dropped, not refused as a duplicate key
    assert _rows(db, "SELECT count(*) FROM quarantine WHERE record LIKE '%ECDS0003%'") == [(0,)]
    again = load(ecds_folder, db, mapping="ecds")["ed_attendances"]
    assert (again.read, again.added, again.filtered) == (30, 0, 2)


def test_uk_dates_read_day_first(ecds_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(ecds_folder, db, mapping="ecds")
    # 03/02/2025 08:15 is 3 February (day <= 12: a month-first reader would say 2 March)
    got = _rows(
        db,
        "SELECT arrival_at, initial_assessment_at, departed_at, decision_to_admit_at FROM ed_attendances "
        "WHERE attendance_id IN ('ECDS0001', 'ECDS0013') ORDER BY attendance_id",
    )
    assert got == [
        (datetime(2025, 2, 3, 8, 15), datetime(2025, 2, 3, 8, 25), datetime(2025, 2, 3, 11, 40), None),
        (datetime(2025, 2, 10, 20, 0), datetime(2025, 2, 10, 20, 20), datetime(2025, 2, 11, 3, 30),
         datetime(2025, 2, 10, 22, 45)),
    ]


def test_codes_are_translated(ecds_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(ecds_folder, db, mapping="ecds")
    got = _rows(
        db,
        "SELECT attendance_id, department_type, arrival_mode, acuity, disposal, age FROM ed_attendances "
        "WHERE attendance_id IN ('ECDS0004', 'ECDS0007', 'ECDS0010', 'ECDS0015') ORDER BY 1",
    )
    assert got == [
        ("ECDS0004", 3, "walk_in", 5, "discharged", 23),  # type 03, own transport, non-urgent, home
        ("ECDS0007", 1, "police", 3, "discharged", 29),  # police transport, urgent
        ("ECDS0010", 1, "ambulance", 1, "died", 88),  # emergency road ambulance, resuscitation, mortuary
        ("ECDS0015", 3, "walk_in", None, "discharged", 6),  # acuity not recorded: blank, not unmapped
    ]


def test_cp1252_decoded_in_quarantine_record(ecds_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    load(ecds_folder, db, mapping="ecds")
    records = dict(_rows(db, "SELECT reason, record FROM quarantine"))
    assert json.loads(records["unmapped_code"])["Der_Provider_Site_Name"] == "St Mary\u2019s Hospital"
    assert json.loads(records["events_out_of_order"])["Der_Provider_Site_Name"] == "Caf\u00e9 Quarter UTC"


def test_unmapped_code_quarantined_and_listed(ecds_folder: Path, tmp_path: Path) -> None:
    db = tmp_path / "wh.duckdb"
    ed = load(ecds_folder, db, mapping="ecds")["ed_attendances"]
    assert ed.unmapped_codes == {"disposal": {"1066331000000109": 1}}
    assert _rows(db, "SELECT row_number, column_name FROM quarantine WHERE reason = 'unmapped_code'") == [
        (26, "disposal")
    ]


def test_cli_lists_unmapped_codes_and_filtered(ecds_folder: Path, tmp_path: Path, cli) -> None:
    result = cli("load", ecds_folder, "--db", tmp_path / "wh.duckdb", "--mapping", "ecds", "--json")
    assert result.exit_code == 0, result.output
    ed = next(json.loads(line) for line in result.stdout.splitlines() if '"ed_attendances"' in line)
    assert (ed["read"], ed["loaded"], ed["quarantined"], ed["filtered"]) == (30, 25, 3, 2)
    assert ed["unmapped_codes"] == {"disposal": {"1066331000000109": 1}}
    assert "1066331000000109" in result.stderr


MINIMAL = """
ed_attendances:
  file: "attendances*.csv"
  columns:
    attendance_id: Id
    org_code: Org
    site_code: Site
    department_type: Type
    arrival_at: {date: ArrDate, time: ArrTime, format: "%d/%m/%Y %H:%M"}
    initial_assessment_at: {source: Assessed, format: "%d/%m/%Y %H:%M"}
    clinician_seen_at: {source: Seen, format: "%d/%m/%Y %H:%M"}
    departed_at: {source: Left, format: "%d/%m/%Y %H:%M"}
    arrival_mode: Mode
    acuity: Acuity
    age: Age
    disposal: Disposal
"""

MINIMAL_HEADER = "Id,Org,Site,Type,ArrDate,ArrTime,Assessed,Seen,Left,Mode,Acuity,Age,Disposal"


def _minimal_folder(tmp_path: Path, rows: list[str], text: str | None = None) -> tuple[Path, Path]:
    folder = tmp_path / "in"
    folder.mkdir(exist_ok=True)
    (folder / "attendances_feb.csv").write_text("\n".join([MINIMAL_HEADER, *rows]) + "\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text or MINIMAL, encoding="utf-8")
    return folder, mapping


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("ArrDate", "Arrival_Dte"), "mapping ed_attendances.columns.arrival_at: unknown source column 'Arrival_Dte'"),
        (("ed_attendances:", "ed_attendence:"), "mapping ed_attendence: unknown dataset"),
        (("    age: Age\n", ""), "mapping ed_attendances.columns: required column 'age' is not mapped"),
        (("    age: Age", "    age_years: Age"), "mapping ed_attendances.columns.age_years: ed_attendances has no column"),
        (('format: "%d/%m/%Y %H:%M"}\n    initial', '}\n    initial'), "mapping ed_attendances.columns.arrival_at.format: required"),
        (("  columns:", "  encoding: latin-9\n  columns:"), "mapping ed_attendances.encoding: 'latin-9' is not supported"),
        (("  columns:", "  timezone: Europe/Londres\n  columns:"), "mapping ed_attendances.timezone: unknown time zone"),
        (("    age: Age", "    age: {source: Age, format: '%Y'}"), "mapping ed_attendances.columns.age.format: only date"),
        (("    arrival_mode: Mode", "    arrival_mode: {source: Mode, values: {A: lorry}}"),
         "mapping ed_attendances.columns.arrival_mode.values.A: 'lorry' is not a arrival_mode code"),
        (("  columns:", "  filters:\n    - column: Excl\n      drop_if: yes\n  columns:"),
         "mapping ed_attendances.filters[0].drop_if: value True is not text"),
        (("  columns:", "  colour: blue\n  columns:"), "mapping ed_attendances: unknown key 'colour'"),
        (('file: "attendances*.csv"', 'file: "nothing*.csv"'), "no dataset file found"),
    ],
)
def test_mapping_errors_are_one_line_naming_the_key(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in MINIMAL
    folder, mapping = _minimal_folder(tmp_path, [], MINIMAL.replace(old, new))
    with pytest.raises(InputError) as raised:
        load(folder, tmp_path / "wh.duckdb", mapping=mapping)
    text = raised.value.message
    assert message in text
    assert "\n" not in text
    assert not (tmp_path / "wh.duckdb").exists()


def test_unknown_shipped_name_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no shipped mapping of that name .shipped: ecds"):
        load(tmp_path, tmp_path / "wh.duckdb", mapping="ecds2")
    with pytest.raises(InputError, match=r"mapping x: not valid YAML at line 2"):
        parse_mapping("ed_attendances: x\n  file: y\n", "x")  # indented under a value


def test_text_not_matching_the_format_is_refused_not_guessed(tmp_path: Path) -> None:
    good = "A1,RXA,RXA01,1,01/02/2025,10:00,01/02/2025 10:05,01/02/2025 10:30,01/02/2025 12:00,walk_in,3,40,discharged"
    iso = "A2,RXA,RXA01,1,2025-02-01,10:00,,,,walk_in,3,40,"  # ISO date where the format says dd/mm/yyyy
    no_time = "A3,RXA,RXA01,1,01/02/2025,,,,,walk_in,3,40,"
    folder, mapping = _minimal_folder(tmp_path, [good, iso, no_time])
    db = tmp_path / "wh.duckdb"
    ed = load(folder, db, mapping=mapping)["ed_attendances"]
    assert (ed.read, ed.loaded, ed.reasons) == (3, 1, {"bad_timestamp": 2})
    assert _rows(db, "SELECT arrival_at FROM ed_attendances") == [(datetime(2025, 2, 1, 10, 0),)]


def test_other_timezone_is_stored_as_london_local_time(tmp_path: Path) -> None:
    text = MINIMAL.replace("  columns:", "  timezone: UTC\n  columns:")
    summer = "S1,RXA,RXA01,1,01/07/2025,10:00,,,,walk_in,3,40,"  # BST: UTC+1
    winter = "W1,RXA,RXA01,1,01/01/2025,10:00,,,,walk_in,3,40,"  # GMT: UTC+0
    folder, mapping = _minimal_folder(tmp_path, [summer, winter], text)
    db = tmp_path / "wh.duckdb"
    load(folder, db, mapping=mapping)
    assert _rows(db, "SELECT attendance_id, arrival_at FROM ed_attendances ORDER BY 1") == [
        ("S1", datetime(2025, 7, 1, 11, 0)),
        ("W1", datetime(2025, 1, 1, 10, 0)),
    ]


def test_pipe_delimited_utf8_sig(tmp_path: Path) -> None:
    text = MINIMAL.replace("  columns:", "  delimiter: '|'\n  encoding: utf-8-sig\n  columns:")
    folder = tmp_path / "in"
    folder.mkdir()
    row = "B1|RXA|RXA01|1|05/11/2025|09:30||||walk_in|2|70|"
    (folder / "attendances.csv").write_text(
        "\ufeff" + MINIMAL_HEADER.replace(",", "|") + "\n" + row + "\n", encoding="utf-8"
    )
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    assert load(folder, db, mapping=mapping)["ed_attendances"].loaded == 1
    assert _rows(db, "SELECT attendance_id, arrival_at FROM ed_attendances") == [
        ("B1", datetime(2025, 11, 5, 9, 30))
    ]


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _write_xlsx(path: Path, sheet_name: str, rows: list[list[object]]) -> None:
    """A minimal Office Open XML workbook (no writer library is installed): inline strings and numbers."""
    cells_xml = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_column_letter(c)}{r}"
            if value is None:
                continue
            if isinstance(value, (int, float)):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        cells_xml.append(f'<row r="{r}">{"".join(cells)}</row>')
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel_ns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel_ns}><sheets>'
            f'<sheet name="{escape(sheet_name)}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(cells_xml)}'
            "</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)


def test_xlsx_sheet_loads(tmp_path: Path) -> None:
    text = MINIMAL.replace('file: "attendances*.csv"', 'file: "attendances*.xlsx"\n  sheet: "ED Feb"')
    text = text.replace("    acuity: Acuity", "    acuity: {source: Acuity, values: {'1064911000000105': '3'}}")
    header = MINIMAL_HEADER.split(",")
    rows = [
        header,
        # numbers stored as numbers (age 40, type 1) must read as 40 and 1, not 40.0
        ["X1", "RXA", "RXA01", 1, "07/03/2025", "10:15", None, None, "07/03/2025 12:00", "walk_in",
         "1064911000000105", 40, "discharged"],
        ["X2", "RXA", "RXA01", 1, "08/03/2025", "11:00", None, None, None, "ambulance", "999", 75, None],
        [None] * len(header),  # an empty row at the end of the sheet is not a row of the extract
    ]
    folder = tmp_path / "in"
    folder.mkdir()
    _write_xlsx(folder / "attendances_march.xlsx", "ED Feb", rows)
    mapping = tmp_path / "map.yaml"
    mapping.write_text(text, encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    ed = load(folder, db, mapping=mapping)["ed_attendances"]
    assert (ed.read, ed.loaded, ed.reasons) == (2, 1, {"unmapped_code": 1})
    assert ed.unmapped_codes == {"acuity": {"999": 1}}
    assert _rows(db, "SELECT attendance_id, department_type, arrival_at, departed_at, acuity, age FROM ed_attendances") == [
        ("X1", 1, datetime(2025, 3, 7, 10, 15), datetime(2025, 3, 7, 12, 0), 3, 40)
    ]
    wrong_sheet = text.replace('sheet: "ED Feb"', 'sheet: "ED March"')
    mapping.write_text(wrong_sheet, encoding="utf-8")
    with pytest.raises(InputError, match=r"mapping ed_attendances.sheet: no sheet 'ED March' .*sheets: ED Feb"):
        load(folder, tmp_path / "wh2.duckdb", mapping=mapping)


def test_cp1252_file_read_as_utf8_names_the_encoding_key(ecds_folder: Path, tmp_path: Path) -> None:
    text = (Path(__file__).resolve().parents[2] / "src" / "wardwatch" / "mappings" / "ecds.yaml").read_text(
        encoding="utf-8"
    )
    mapping = tmp_path / "utf8.yaml"
    mapping.write_text(text.replace("encoding: cp1252", "encoding: utf-8"), encoding="utf-8")
    with pytest.raises(InputError, match=r"^mapping ed_attendances.encoding: ecds_example.csv is not utf-8 text"):
        load(ecds_folder, tmp_path / "wh.duckdb", mapping=mapping)
    assert not (tmp_path / "wh.duckdb").exists()


def test_report_frame_counts_filtered(ecds_folder: Path, tmp_path: Path) -> None:
    frame = load(ecds_folder, tmp_path / "wh.duckdb", mapping="ecds").to_frame().set_index("dataset")
    assert frame.loc["ed_attendances", "filtered"] == 2
