"""Write tests/data/mappings/sepsis_audit_example.xlsx, the worked example of the sepsis_audit mapping.

Synthetic rows written for wardwatch (no patient data). No spreadsheet library is needed: the
workbook is a handful of XML parts in a zip, with text cells stored inline and numbers as numbers.
The output is byte-for-byte the same on every run (fixed zip timestamps and member order), so the
committed file can be checked against this script:

    python scripts/make_sepsis_audit_example.py            # rewrite the committed file
    python scripts/make_sepsis_audit_example.py OUT.xlsx   # write elsewhere
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

SHEET = "Audit"
# One spreadsheet row per line:
# fmt: off
HEADER = [
    "Audit ID", "Trust Code", "Site Code", "Location", "Time Zero Date", "Time Zero Time", "NEWS2 Score",
    "Screen Date", "Screen Time", "Antibiotics Date", "Antibiotics Time", "Age", "Died Within 30 Days",
    "Auditor Notes",
]
# Dates and times are TEXT cells (as typed into a sheet formatted as text); NEWS2 and age are numbers.
ROWS: list[list[object]] = [
    ["SA0001", "RXA", "RXA01", "ED", "06/01/2025", "08:10", 8, "06/01/2025", "08:25", "06/01/2025", "08:55", 72, "No", None],
    ["SA0002", "RXA", "RXA01", "ED", "06/01/2025", "14:30", 7, "06/01/2025", "14:40", "06/01/2025", "15:30", 65, "Yes", "Antibiotics at exactly 60 minutes"],
    ["SA0003", "RXA", "RXA01", "AMU", "07/01/2025", "23:20", 9, "07/01/2025", "23:35", "08/01/2025", "00:35", 81, "Yes", None],
    ["SA0004", "RXA", "RXA01", "Ward", "08/01/2025", "03:00", 5, "08/01/2025", "03:30", "08/01/2025", "05:10", 58, "No", None],
    ["SA0005", "RXA", "RXA02", "ED", "09/01/2025", "10:00", 11, "09/01/2025", "10:05", "09/01/2025", "10:40", 47, "No", None],
    ["SA0006", "RXA", "RXA02", "SAU", "10/01/2025", "16:45", 7, "10/01/2025", "17:00", None, None, 39, "Unknown", "No antibiotic time recorded"],
    ["SA0007", "RXA", "RXA01", "ED", "12/01/2025", "19:15", 6, "12/01/2025", "19:30", "12/01/2025", "21:00", 66, "No", None],
    ["SA0008", "RXA", "RXA01", "Ward", "13/01/2025", "02:40", 7, "13/01/2025", "03:10", "13/01/2025", "02:15", 88, "Yes", "Already on IV antibiotics"],
    ["SA0009", "RXA", "RXA01", "ED", "14/01/2025", "09:00", 4, "14/01/2025", "09:20", "14/01/2025", "11:30", 30, "No", "Clinical concern"],
    ["SA0010", "RXA", "RXA02", "AMU", "15/01/2025", "11:30", 8, "15/01/2025", "11:45", "15/01/2025", "12:31", 77, "No", None],
    ["SA0011", "RXA", "RXA01", "ED", "16/01/2025", "07:05", 10, "16/01/2025", "07:10", "16/01/2025", "07:50", 84, "Yes", None],
    ["SA0012", "RXA", "RXA01", "ED", "17/01/2025", "21:50", 7, "17/01/2025", "22:05", "17/01/2025", "22:45", 52, "No", None],
    ["SA0013", "RXA", "RXA01", "AMU", "18/01/2025", "13:20", 5, "18/01/2025", "13:50", "18/01/2025", "15:00", 71, "No", None],
    ["SA0014", "RXA", "RXA02", "Ward", "19/01/2025", "04:30", 12, "19/01/2025", "04:40", "19/01/2025", "06:00", 90, "Yes", None],
    ["SA0015", "RXA", "RXA01", "ED", "20/01/2025", "15:00", 7, "20/01/2025", "15:10", "20/01/2025", "15:55", 29, "No", None],
    ["SA0016", "RXA", "RXA01", "SAU", "22/01/2025", "10:40", 6, "22/01/2025", "10:55", "22/01/2025", "12:20", 44, "No", None],
    ["SA0017", "RXA", "RXA02", "ED", "24/01/2025", "18:00", 9, "24/01/2025", "18:20", "24/01/2025", "19:20", 68, "No", None],
    ["SA0018", "RXA", "RXA01", "ED", "27/01/2025", "12:00", 7, "27/01/2025", "12:15", "27/01/2025", "12:58", 57, "No", None],
    ["SA0019", "RXA", "RXA01", "Theatres", "28/01/2025", "09:30", 8, "28/01/2025", "09:40", "28/01/2025", "10:05", 61, "No", "Deteriorated in recovery"],
    ["SA0020", "RXA", "RXA01", "ED", "30/02/2025", "11:15", 7, "30/02/2025", "11:30", "30/02/2025", "12:00", 49, "No", "Date as typed"],
    ["SA0021", "RXA", "RXA01", "AMU", "29/01/2025", "14:00", None, "29/01/2025", "14:20", "29/01/2025", "15:10", 36, "No", "NEWS2 not documented"],
    ["SA0022", "RXA", "RXA02", "ED", "30/01/2025", "08:30", 7, "30/01/2025", "08:45", "30/01/2025", "09:20", 63, "No", None],
    ["SA0023", "RXA", "RXA01", "Ward", "31/01/2025", "22:10", 5, "31/01/2025", "22:30", "31/01/2025", "23:55", 80, "Unknown", None],
    ["SA0024", "RXA", "RXA01", "ED", "31/01/2025", "23:40", 8, "31/01/2025", "23:50", "01/02/2025", "00:30", 74, "No", None],
]
# fmt: on

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "mappings" / "sepsis_audit_example.xlsx"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def _ref(col: int, row: int) -> str:
    """A1-style reference of a zero-based column and one-based row."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(ord("A") + rem) + name
    return f"{name}{row}"


def _cell(col: int, row: int, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("write yes/no as text, as an audit sheet holds it")
    if isinstance(value, (int, float)):
        return f'<c r="{_ref(col, row)}"><v>{value}</v></c>'
    return f'<c r="{_ref(col, row)}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def workbook_parts(sheet: str, rows: list[list[object]]) -> list[tuple[str, str]]:
    """(member name, XML) of a one-sheet workbook, in zip order."""
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(c, r, v) for c, v in enumerate(values)) + "</row>"
        for r, values in enumerate(rows, start=1)
    )
    sheet_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    book_ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    return [
        (
            "[Content_Types].xml",
            _XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{book_ct}"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_ct}"/></Types>',
        ),
        (
            "_rels/.rels",
            _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        ),
        (
            "xl/workbook.xml",
            _XML + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(sheet)} sheetId="1" r:id="rId1"/></sheets></workbook>',
        ),
        (
            "xl/_rels/workbook.xml.rels",
            _XML + f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" '
            f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        ),
        (
            "xl/worksheets/sheet1.xml",
            _XML + f'<worksheet xmlns="{_MAIN}"><sheetData>{body}</sheetData></worksheet>',
        ),
    ]


def write(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, xml in workbook_parts(SHEET, [HEADER, *ROWS]):
            info = zipfile.ZipInfo(name, date_time=(2025, 2, 1, 0, 0, 0))  # fixed: same bytes every run
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, xml)


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
