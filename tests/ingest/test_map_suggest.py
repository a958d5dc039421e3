"""`wardwatch map suggest`: a mapping proposed from an extract's header and values.

The done-when test writes the same attendances twice, once as a trust might extract them (plain
column names, dd/mm/yyyy dates and hh:mm times in separate columns, words for codes, cp1252) and
once in wardwatch's own format, loads the first with the suggested mapping as written and the
second without a mapping, and compares the ED measures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from test_mappings import _write_xlsx

from wardwatch.contracts.schema import CONTRACTS
from wardwatch.errors import InputError
from wardwatch.ingest import load
from wardwatch.mappings import load_mapping, parse_mapping
from wardwatch.mappings.suggest import (
    CONFIRM_DAY_MONTH,
    detect_encoding,
    detect_format,
    suggest,
    temporal_role,
    words,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "mappings" / "ecds_example.csv"

T = dt.datetime


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return T(2025, 2, 1) + dt.timedelta(days=day - 1, hours=hour, minutes=minute)


# (id, dept type, arrival, assessed after (min), seen after (min), DTA after (min), departed after
# (min), arrival mode, acuity, age, disposal); None: blank. Days above and below 12, stays across
# midnight, 4-hour and 12-hour breaches, assessments later than 15 minutes.
ATTENDANCES = [
    ("T001", "01", _at(3, 8, 15), 10, 50, None, 205, "Walk In", 4, 34, "Discharged"),
    ("T002", "01", _at(3, 9, 2), 4, 18, 103, 428, "Ambulance", 2, 81, "Admitted"),
    ("T003", "03", _at(4, 23, 50), 15, 80, None, 160, "Walk In", 3, 45, "Discharged"),
    ("T004", "01", _at(7, 14, 0), 35, 90, 300, 900, "Ambulance", 2, 77, "Admitted"),
    ("T005", "01", _at(12, 7, 30), 5, 20, None, 230, "Police", 3, 29, "Transferred"),
    ("T006", "01", _at(13, 20, 0), 20, 45, 165, 810, "Ambulance", 1, 88, "Admitted"),
    ("T007", "03", _at(14, 10, 10), None, 30, None, 75, "Walk In", None, 6, "Discharged"),
    ("T008", "01", _at(15, 18, 45), 12, 140, None, 260, "Walk In", 5, 23, "Left Before Treatment"),
    ("T009", "01", _at(17, 1, 5), 9, 40, 200, 780, "Ambulance", 2, 92, "Died"),
    ("T010", "01", _at(19, 11, 0), 16, 60, None, 239, "Walk In", 4, 51, "Discharged"),
    ("T011", "01", _at(21, 22, 30), 14, 70, 240, 1500, "Ambulance", 2, 70, "Admitted"),
    ("T012", "03", _at(24, 12, 0), 2, 15, None, 60, "Walk In", 5, 19, "Discharged"),
    ("T013", "01", _at(26, 16, 20), 25, 95, None, 241, "Walk In", 3, 40, "Referred"),
    ("T014", "01", _at(28, 9, 0), 8, 35, 120, 330, "Ambulance", 3, 66, "Admitted"),
    ("T015", "01", _at(28, 21, 0), 6, None, None, None, "Walk In", 4, 37, None),  # still in the department
]

TRUST_HEADER = [
    "Attendance ID", "Trust Code", "Site", "Site Name", "Department Type", "Arrival Date", "Arrival Time",
    "Initial Assessment Date", "Initial Assessment Time", "Seen By Clinician Date", "Seen By Clinician Time",
    "Decision To Admit Date", "Decision To Admit Time", "Departure Date", "Departure Time", "Arrival Mode",
    "Acuity", "Age", "Disposal",
]

OWN_WORDS = {
    "Walk In": "walk_in", "Ambulance": "ambulance", "Police": "police", "Discharged": "discharged",
    "Admitted": "admitted", "Transferred": "transferred", "Left Before Treatment": "left_before_treatment",
    "Died": "died", "Referred": "referred",
}


def _later(arrival: dt.datetime, minutes: int | None) -> dt.datetime | None:
    return None if minutes is None else arrival + dt.timedelta(minutes=minutes)


def _events(row: tuple) -> list[dt.datetime | None]:
    arrival = row[2]
    return [arrival, *(_later(arrival, m) for m in row[3:7])]


def _csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def trust_rows(date_format: str = "%d/%m/%Y") -> list[list[str]]:
    rows = []
    for row in ATTENDANCES:
        pairs: list[str] = []
        for when in _events(row):
            pairs += ["", ""] if when is None else [when.strftime(date_format), when.strftime("%H:%M")]
        rows.append([row[0], "RXA", "RXA01", "St Mary\u2019s Hospital", row[1], *pairs, row[7],
                     "" if row[8] is None else str(row[8]), str(row[9]), row[10] or ""])
    return rows


def own_rows() -> list[list[str]]:
    rows = []
    for row in ATTENDANCES:
        stamps = ["" if when is None else when.strftime("%Y-%m-%d %H:%M") for when in _events(row)]
        rows.append([row[0], "RXA", "RXA01", str(int(row[1])), *stamps, OWN_WORDS[row[7]],
                     "" if row[8] is None else str(row[8]), str(row[9]), OWN_WORDS.get(row[10] or "", "")])
    return rows


def _measures(cli, db: Path, out: Path) -> pd.DataFrame:
    result = cli("measures", "--db", db, "--out", out, "--computed-only")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    ed = frame[frame.indicator_id.str.startswith("ed_")]
    keys = [c for c in ("indicator_id", "period_grain", "period_start", "org_code", "site_code", "unit_code")
            if c in ed.columns]
    return ed[[*keys, "numerator", "denominator"]].sort_values(keys).reset_index(drop=True)


def _table(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT * FROM ed_attendances ORDER BY attendance_id").fetchall()
    finally:
        con.close()


def test_suggested_mapping_loads_unedited_and_gives_the_same_ed_measures(tmp_path: Path, cli) -> None:
    extract = tmp_path / "extract"
    extract.mkdir()
    trust_file = extract / "ED attendances Feb 2025.csv"
    # Excel on Windows: cp1252 (the site name's ’ is the single byte 0x92)
    trust_file.write_bytes(_csv_text(TRUST_HEADER, trust_rows()).encode("cp1252"))
    mapping = tmp_path / "trust.yaml"

    result = cli("map", "suggest", trust_file, "--dataset", "ed_attendances", "--out", mapping)
    assert result.exit_code == 0, result.output
    text = mapping.read_text(encoding="utf-8")
    assert "CONFIRM:" not in text and "CONFIRM" not in result.output  # every column matched with confidence
    assert "every contract column matched" in result.output
    suggested = yaml.safe_load(text)["ed_attendances"]
    assert suggested["encoding"] == "cp1252"
    assert suggested["columns"]["arrival_at"] == {
        "date": "Arrival Date", "time": "Arrival Time", "format": "%d/%m/%Y %H:%M"
    }
    assert suggested["columns"]["org_code"] == "Trust Code"
    assert suggested["columns"]["site_code"] == "Site"
    assert suggested["columns"]["clinician_seen_at"]["date"] == "Seen By Clinician Date"
    assert suggested["columns"]["arrival_mode"]["values"] == {
        "Ambulance": "ambulance", "Police": "police", "Walk In": "walk_in"
    }
    assert "decision_to_admit_at" in suggested["columns"]  # optional, but present in the file

    own = tmp_path / "own"
    own.mkdir()
    header = list(CONTRACTS["ed_attendances"].column_names)
    (own / "ed_attendances.csv").write_text(_csv_text(header, own_rows()), encoding="utf-8")

    mapped_db, own_db = tmp_path / "mapped.duckdb", tmp_path / "own.duckdb"
    loaded = cli("load", extract, "--db", mapped_db, "--mapping", mapping, "--dataset", "ed_attendances")
    assert loaded.exit_code == 0, loaded.output
    assert cli("load", own, "--db", own_db, "--dataset", "ed_attendances").exit_code == 0
    rows = _table(mapped_db)
    assert len(rows) == len(ATTENDANCES)  # nothing quarantined
    assert rows == _table(own_db)
    # 13/02/2025 20:00 is 13 February, and 03/02/2025 is 3 February (never 2 March)
    by_id = {r[0]: r for r in rows}
    assert by_id["T006"][4] == T(2025, 2, 13, 20, 0)
    assert by_id["T001"][4] == T(2025, 2, 3, 8, 15)

    mapped, expected = _measures(cli, mapped_db, tmp_path / "m1.csv"), _measures(cli, own_db, tmp_path / "m2.csv")
    assert len(expected) > 0
    assert {"ed_4h", "ed_initial_assessment_15min", "ed_12h_from_arrival"} <= set(expected.indicator_id)
    # not a trivial comparison: some standards are missed
    assert (expected.numerator.astype(float) != expected.denominator.astype(float)).any()
    pd.testing.assert_frame_equal(mapped, expected)


def test_ambiguous_day_month_is_marked_and_printed(tmp_path: Path, cli) -> None:
    early = [r for r in trust_rows() if int(r[5][:2]) <= 12 and all(not v or int(v[:2]) <= 12 for v in r[5:15:2])]
    assert len(early) >= 3
    path = tmp_path / "early.csv"
    path.write_text(_csv_text(TRUST_HEADER, early), encoding="utf-8")
    out = tmp_path / "early.yaml"
    result = cli("map", "suggest", path, "--dataset", "ed_attendances", "--out", out)
    assert result.exit_code == 0, result.output
    assert CONFIRM_DAY_MONTH in result.output
    marked = [line.strip() for line in out.read_text(encoding="utf-8").splitlines() if CONFIRM_DAY_MONTH in line]
    assert len(marked) >= 4  # arrival, assessment, seen, departure ...
    assert all(line.startswith("format: ") for line in marked)  # on the format line itself
    assert "check" in result.output and "marked CONFIRM" in result.output


def test_month_first_values_are_read_month_first(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text(_csv_text(TRUST_HEADER, trust_rows("%m/%d/%Y")), encoding="utf-8")
    result = suggest(path, "ed_attendances")
    assert yaml.safe_load(result.text)["ed_attendances"]["columns"]["arrival_at"]["format"] == "%m/%d/%Y %H:%M"
    assert not result.confirm


def test_unknown_dataset_lists_the_known_ones(tmp_path: Path, cli) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    result = cli("map", "suggest", path, "--dataset", "ed_attendence", "--out", tmp_path / "m.yaml")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("Error: --dataset 'ed_attendence': unknown dataset")
    for name in CONTRACTS:
        assert name in lines[0]
    assert not (tmp_path / "m.yaml").exists()


def test_unmatched_required_column_is_marked(tmp_path: Path, cli) -> None:
    header = [h for h in TRUST_HEADER if h != "Age"]
    rows = [r[:17] + r[18:] for r in trust_rows()]
    path = tmp_path / "no_age.csv"
    path.write_text(_csv_text(header, rows), encoding="utf-8")
    out = tmp_path / "no_age.yaml"
    result = cli("map", "suggest", path, "--dataset", "ed_attendances", "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    age_lines = [line for line in text.splitlines() if line.strip().startswith("# age:")]
    assert len(age_lines) == 1 and "CONFIRM: required, but no column of the file looks like it" in age_lines[0]
    assert "ed_attendances.columns.age: CONFIRM" in result.output
    # left for the user: the loader says what is missing
    folder = tmp_path / "in"
    folder.mkdir()
    path.rename(folder / path.name)
    loaded = cli("load", folder, "--db", tmp_path / "wh.duckdb", "--mapping", out)
    assert loaded.exit_code == 2
    assert "required column 'age' is not mapped" in loaded.output


def test_near_name_is_matched_but_marked(tmp_path: Path) -> None:
    header = [("Age Yrs" if h == "Age" else h) for h in TRUST_HEADER]
    path = tmp_path / "near.csv"
    path.write_text(_csv_text(header, trust_rows()), encoding="utf-8")
    result = suggest(path, "ed_attendances")
    assert [(key, message.split(" only resembles")[0]) for key, message in result.confirm] == [
        ("ed_attendances.columns.age", "CONFIRM: 'Age Yrs'")
    ]
    assert 'age: "Age Yrs"  # CONFIRM' in result.text


def test_unmapped_codes_are_listed(tmp_path: Path) -> None:
    rows = trust_rows()
    rows[0][-1] = "Ward 7 via SDEC"
    rows[1][-1] = "Ward 7 via SDEC"
    rows[2][15] = "Lorry"
    path = tmp_path / "codes.csv"
    path.write_text(_csv_text(TRUST_HEADER, rows), encoding="utf-8")
    result = suggest(path, "ed_attendances")
    messages = dict(result.confirm)
    assert messages["ed_attendances.columns.disposal"].startswith(
        'CONFIRM: codes not mapped: "Ward 7 via SDEC" (2 rows)')
    assert '"Lorry" (1 row)' in messages["ed_attendances.columns.arrival_mode"]
    assert '        # "Ward 7 via SDEC": ""  # 2 rows' in result.text.splitlines()
    columns = yaml.safe_load(result.text)["ed_attendances"]["columns"]
    assert "Ward 7 via SDEC" not in columns["disposal"]["values"]  # never guessed
    assert columns["disposal"]["values"]["Left Before Treatment"] == "left_before_treatment"


def test_ecds_example_gives_the_shipped_mapping_columns(tmp_path: Path) -> None:
    result = suggest(EXAMPLE, "ed_attendances")
    got = parse_mapping(result.text, "suggested").datasets["ed_attendances"]
    shipped = load_mapping("ecds").datasets["ed_attendances"]
    assert got.encoding == "cp1252"
    assert {c.target: (c.sources, c.format) for c in got.columns} == {
        c.target: (c.sources, c.format) for c in shipped.columns
    }
    # codes seen in the file are translated as the shipped mapping does; the one it leaves out is listed
    for col in got.columns:
        if col.values:
            ship = next(c for c in shipped.columns if c.target == col.target)
            assert all(ship.values[code] == to for code, to in col.values.items())
    assert "1066331000000109" in dict(result.confirm)["ed_attendances.columns.disposal"]
    # the invalid date 31/02/2025 in the file is pointed out, not hidden
    assert "'31/02/2025'" in dict(result.confirm)["ed_attendances.columns.arrival_at"]
    # the SUS filters apply because the file has their columns
    assert [(f.column, f.drop_if) for f in got.filters] == [(f.column, f.drop_if) for f in shipped.filters]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    mapping = tmp_path / "suggested.yaml"
    mapping.write_text(result.text, encoding="utf-8")
    ed = load(folder, tmp_path / "wh.duckdb", mapping=mapping)["ed_attendances"]
    # the same counts as the shipped mapping gives (test_mappings.test_ecds_example_counts)
    assert (ed.read, ed.loaded, ed.quarantined, ed.filtered) == (30, 25, 3, 2)


def test_xlsx_sheet(tmp_path: Path) -> None:
    header = ["Request ID", "Provider Code", "Site Code", "Modality", "Patient Type", "Priority",
              "Requested", "Performed", "Reported"]
    rows = [header,
            ["R1", "RXA", "RXA01", "CT", "Inpatient", "Urgent", "2025-03-14 09:00", "2025-03-14 15:00",
             "2025-03-15 11:30"],
            ["R2", "RXA", "RXA01", "MR", "GP", "Routine", "2025-03-02 10:30", None, None],
            [None] * len(header)]
    folder = tmp_path / "in"
    folder.mkdir()
    _write_xlsx(folder / "ris.xlsx", "Requests", rows)
    result = suggest(folder / "ris.xlsx", "imaging_requests")
    assert result.confirm == []
    columns = yaml.safe_load(result.text)["imaging_requests"]
    assert columns["sheet"] == "Requests"
    assert columns["columns"]["requested_at"] == {"source": "Requested", "format": "%Y-%m-%d %H:%M"}
    assert columns["columns"]["patient_type"]["values"] == {"GP": "gp", "Inpatient": "inpatient"}
    mapping = tmp_path / "ris.yaml"
    mapping.write_text(result.text, encoding="utf-8")
    report = load(folder, tmp_path / "wh.duckdb", mapping=mapping)["imaging_requests"]
    assert (report.read, report.loaded) == (2, 2)
    with pytest.raises(InputError, match=r"--sheet 'Nope': no such sheet in ris.xlsx \(sheets: Requests\)"):
        suggest(folder / "ris.xlsx", "imaging_requests", sheet="Nope")


def test_encoding_and_delimiter_detection(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_bytes(b"a,b\n1,2\n")
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfa,b\nCaf\xc3\xa9,2\n")
    windows = tmp_path / "windows.csv"
    windows.write_bytes(b"a,b\nCaf\xe9,2\n")
    assert [detect_encoding(p) for p in (plain, bom, windows)] == ["utf-8", "utf-8-sig", "cp1252"]
    undefined = tmp_path / "undefined.csv"
    undefined.write_bytes(b"a,b\n\x81\xff\xfe,2\n")  # 0x81 is not a cp1252 character, nor utf-8
    with pytest.raises(InputError, match="neither utf-8 nor cp1252"):
        detect_encoding(undefined)
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes("a,b\n1,2\n".encode("utf-16"))
    with pytest.raises(InputError, match="is UTF-16 text"):
        detect_encoding(utf16)
    utf16.write_bytes("a,b\n1,2\n".encode("utf-16-le"))  # no byte order mark: NUL bytes give it away
    with pytest.raises(InputError, match="holds NUL bytes"):
        detect_encoding(utf16)
    semi = tmp_path / "semi.csv"
    semi.write_text(_csv_text(TRUST_HEADER, trust_rows(), delimiter=";"), encoding="utf-8")
    result = suggest(semi, "ed_attendances")
    assert yaml.safe_load(result.text)["ed_attendances"]["delimiter"] == ";"
    assert not result.confirm


def test_name_words_and_temporal_roles() -> None:
    assert words("EC_Arrival_Mode_SNOMED_CT") == ("arrival", "mode")
    assert words("arrivalDateTime") == ("arrival", "date", "time")
    assert temporal_role("Arrival Date") == ("date", ("arrival",))
    assert temporal_role("Time of Arrival") == ("time", ("arrival",))
    assert temporal_role("Arrival Date/Time") == ("stamp", ("arrival",))
    assert temporal_role("Arrival Mode") is None


@pytest.mark.parametrize(
    ("values", "kind", "expected", "confirm"),
    [
        (["13/02/2025", "01/03/2025"], "date", "%d/%m/%Y", None),
        (["02/13/2025", "03/01/2025"], "date", "%m/%d/%Y", None),
        (["01/02/2025", "12/11/2025"], "date", "%d/%m/%Y", CONFIRM_DAY_MONTH),
        (["2025-02-13 08:15", "2025-02-01 23:59"], "timestamp", "%Y-%m-%d %H:%M", None),
        (["2025-02-13T08:15:00"], "timestamp", "%Y-%m-%dT%H:%M:%S", None),
        (["08:15", "23:59"], "time", "%H:%M", None),
        (["08:15:00"], "time", "%H:%M:%S", None),
        (["13/02/2025 08:15", "13/02/2025 08:15:10"], "timestamp", "%d/%m/%Y %H:%M", "CONFIRM: 1 of 2"),
        (["soon", "later"], "date", None, "CONFIRM: no date format"),
        ([], "date", None, "CONFIRM: the column has no values"),
    ],
)
def test_detect_format(values: list[str], kind: str, expected: str | None, confirm: str | None) -> None:
    found = detect_format(values, kind)
    assert found.format == expected
    if confirm is None:
        assert found.confirm is None
    else:
        assert found.confirm is not None and found.confirm.startswith(confirm)


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        (None, ["{tmp}/missing.csv", "--out", "{tmp}/m.yaml"], "file not found"),
        ("", ["{tmp}/x.csv", "--out", "{tmp}/m.yaml"], "is empty"),
        ("\n\nA,B\n", ["{tmp}/x.csv", "--out", "{tmp}/m.yaml"], "the first line is blank; a CSV file needs a header"),
        ("1,2019-01-01\n", ["{tmp}/x.csv", "--out", "{tmp}/m.yaml"], "not column names"),
        ("a,b,A\n", ["{tmp}/x.csv", "--out", "{tmp}/m.yaml"], "appears twice"),
        ('a,b\n"1,2\n', ["{tmp}/x.csv", "--out", "{tmp}/m.yaml"], "not readable as CSV"),
        ("a,b\n", ["{tmp}/x.csv", "--out", "{tmp}/nowhere/m.yaml"], "folder {tmp}/nowhere does not exist"),
        ("a,b\n", ["{tmp}/x.csv", "--out", "{tmp}"], "is a folder"),
        ("a,b\n", ["{tmp}/x.csv", "--out", "{tmp}/m.csv"], "ends in .yaml or .yml"),
        ("a,b\n", ["{tmp}/x.csv", "--out", "{tmp}/old.yaml"], "exists; give another file name, or --force"),
        ("a,b\n", ["{tmp}/x.csv", "--out", "{tmp}/m.yaml", "--sheet", "S"], "is not a spreadsheet"),
    ],
)
def test_one_line_errors(tmp_path: Path, cli, make: str | None, args: list[str], message: str) -> None:
    if make is not None:
        (tmp_path / "x.csv").write_text(make, encoding="utf-8")
    (tmp_path / "old.yaml").write_text("keep me\n", encoding="utf-8")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = cli("map", "suggest", argv[0], "--dataset", "ed_attendances", *argv[1:])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message.replace("{tmp}", str(tmp_path)) in lines[0]
    assert (tmp_path / "old.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert not (tmp_path / "m.yaml").exists()


def test_force_replaces_and_header_only_file_is_marked(tmp_path: Path, cli) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(TRUST_HEADER) + "\n", encoding="utf-8")
    out = tmp_path / "m.yaml"
    out.write_text("old\n", encoding="utf-8")
    result = cli("map", "suggest", path, "--dataset", "ed_attendances", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "the file has no data rows" in text and "the file has no data rows" in result.output
    assert "attendance_id: \"Attendance ID\"" in text


def test_wrong_dataset_hint(tmp_path: Path, cli) -> None:
    path = tmp_path / "wte.csv"
    path.write_text("Trust Code,Staff Group,Month,Establishment WTE,In Post WTE\nRXA,nursing,2025-02-01,10,9\n",
                    encoding="utf-8")
    result = cli("map", "suggest", path, "--dataset", "sepsis_episodes", "--out", tmp_path / "m.yaml")
    assert result.exit_code == 0, result.output
    assert "is --dataset right? The header looks more like staffing (5 columns matched)" in result.output
    right = cli("map", "suggest", path, "--dataset", "staffing", "--out", tmp_path / "s.yaml")
    assert "is --dataset right" not in right.output
    assert "CONFIRM" not in right.output


def test_odd_characters_in_names_and_values_keep_the_yaml_readable(tmp_path: Path) -> None:
    header = ["Attendance\u2028ID", "Note\x7fs", "Age"]
    path = tmp_path / "odd\u2028name.csv"
    path.write_text(_csv_text(header, [["A1", "x\x85y", "40"]]), encoding="utf-8")
    result = suggest(path, "ed_attendances")
    node = yaml.safe_load(result.text)["ed_attendances"]  # not refused, no line folded
    assert node["columns"]["age"] == "Age"
    assert node["file"] == "odd\u2028name.csv"
    assert "Note\\u007fs" in result.text  # the unused column is named in a one-line comment


def test_rows_read_are_bounded_and_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import wardwatch.mappings.suggest as module

    monkeypatch.setattr(module, "MAX_ROWS", 3)
    path = tmp_path / "many.csv"
    path.write_text(_csv_text(TRUST_HEADER, trust_rows()), encoding="utf-8")
    result = suggest(path, "ed_attendances")
    assert len(result.source.rows) == 3 and result.source.truncated
    assert "3 data rows read; the file has more" in result.text
