"""Write the adversarial loading corpus under cases/ (the files are committed; re-run after editing a case).

The expected outcomes below are written by hand from docs/guide/loading.md, not taken from a run.
"""
import gzip
import json
import sqlite3
import tempfile
from pathlib import Path

ROOT = Path(__file__).with_name("cases")
ED_H = "attendance_id,org_code,site_code,department_type,arrival_at,initial_assessment_at,clinician_seen_at,decision_to_admit_at,departed_at,arrival_mode,acuity,age,disposal"
ST_H = "org_code,staff_group,month,establishment_wte,in_post_wte,bank_agency_wte"

def ed(i, arrival="2023-04-01 10:00", departed="2023-04-01 13:00", extra=None):
    return f"A{i},ZFV,ZFV01,1,{arrival},,,,{departed},walk_in,,30,discharged"

def st(org="ZFV", group="nursing", month="2023-04-01", est="100", inpost="90", bank=""):
    return f"{org},{group},{month},{est},{inpost},{bank}"

def case(name, description, files, steps, db=None):
    d = ROOT / name
    d.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_bytes(content.encode("utf-8"))
    spec = {"description": description, "steps": steps}
    if db:
        spec["db"] = db
    (d / "expected.json").write_text(json.dumps(spec, indent=2) + "\n")

def counts(read, loaded, reasons=None):
    return {"read": read, "loaded": loaded, "quarantined": read - loaded, "reasons": reasons or {}}

staff_rows = lambda n, org="ZFV": "\n".join(st(org=org, month=f"{2000 + i // 12:04d}-{i % 12 + 1:02d}-01") for i in range(n))

# 1. path patterns: folder names with * ? [ ] next to folders they would match
case("path_star_folder", "A folder named extract* must be read literally, not as a pattern that also matches extractB.",
     {"in/staffing.csv": ST_H + "\n" + staff_rows(3) + "\n", "neighbour/staffing.csv": ST_H + "\n" + staff_rows(7, "RXX") + "\n"},
     [{"inputs": "neighbour", "as": "extractB", "exit": 0},
      {"inputs": "in", "as": "extract*", "exit": 0, "datasets": {"staffing": counts(3, 3)}}])
case("path_brackets_folder", "A folder named e[1] must not be read as the pattern matching e1.",
     {"in/staffing.csv": ST_H + "\n" + staff_rows(2) + "\n", "neighbour/staffing.csv": ST_H + "\n" + staff_rows(5, "RXX") + "\n"},
     [{"inputs": "neighbour", "as": "e1", "exit": 0},
      {"inputs": "in", "as": "e[1]", "exit": 0, "datasets": {"staffing": counts(2, 2)}}])
case("path_question_folder", "A folder named ab? must not also read abc.",
     {"in/staffing.csv": ST_H + "\n" + staff_rows(4) + "\n", "neighbour/staffing.csv": ST_H + "\n" + staff_rows(6, "RXX") + "\n"},
     [{"inputs": "neighbour", "as": "abc", "exit": 0},
      {"inputs": "in", "as": "ab?", "exit": 0, "datasets": {"staffing": counts(4, 4)}}])
case("path_quote_folder", "A folder name with a single quote (O'Brien) is read.",
     {"in/staffing.csv": ST_H + "\n" + staff_rows(2) + "\n"},
     [{"inputs": "in", "as": "O'Brien {data}", "exit": 0, "datasets": {"staffing": counts(2, 2)}}])

# 3. headers that would swallow the file
case("header_unterminated_quote", "A header with an open quote would read as 0 rows: refused, not loaded as nothing.",
     {"in/staffing.csv": '"org_code,staff_group,month,establishment_wte,in_post_wte\n' + staff_rows(3) + "\n"},
     [{"inputs": "in", "exit": 2, "error": "unterminated quote", "unchanged": True}])

# 11. read errors keep DuckDB's reason and say the fix
case("not_utf8", "Latin-1 bytes in a data row: the error says the file is not UTF-8 and how to fix it.",
     {"in/ed_attendances.csv": (ED_H + "\n" + ed(1) + "\n").encode() + b"A2,ZFV,ZFV01,1,2023-04-01 10:00,,,,,walk_in,,30,caf\xe9\n"},
     [{"inputs": "in", "exit": 2, "error": "save the file as UTF-8", "unchanged": True}])
case("unterminated_quote_in_data", "A quoted value never closed: line number and the fix.",
     {"in/staffing.csv": ST_H + "\n" + st() + "\n" + 'ZFV,"nursing,2023-05-01,1,1,\n' + st(month="2023-06-01") + "\n"},
     [{"inputs": "in", "exit": 2, "error": "never closed", "unchanged": True}])
case("mixed_line_endings", "CRLF and LF line endings mixed in one file.",
     {"in/staffing.csv": (ST_H + "\r\n" + st(bank="5") + "\n" + st(month="2023-05-01", bank="5") + "\r\n").encode()},
     [{"inputs": "in", "exit": 2, "error": "line ending", "unchanged": True}])
case("too_many_fields", "A data line with more fields than the header.",
     {"in/staffing.csv": ST_H + "\n" + st() + ",extra\n"},
     [{"inputs": "in", "exit": 2, "error": "line 2: 7 fields where the header names 6", "unchanged": True}])
case("utf16_file", "A UTF-16 export (Excel 'Unicode text').",
     {"in/staffing.csv": (ST_H + "\n" + st() + "\n").encode("utf-16")},
     [{"inputs": "in", "exit": 2, "error": "not UTF-8", "unchanged": True}])

# 5. impossible and implausible timestamps
case("impossible_timestamps", "Year 0, 1900, 9999, 24:00 and 23:60 are refused with a reason; a good row loads.",
     {"in/ed_attendances.csv": "\n".join([ED_H, ed(1),
        ed(2, "0000-01-01 10:00", ""), ed(3, "1900-01-01 10:00", ""), ed(4, "9999-12-31 10:00", ""),
        ed(5, "2023-04-01 24:00:00", ""), ed(6, "2023-04-01 23:60", ""), ed(7, "2023-04-01 10:00", "9999-01-01 10:00"),
        ed(8, "2023-04-01 10:00:60", "")]) + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"ed_attendances": counts(8, 1, {
        "bad_timestamp": 3, "implausible_date": 4})}, "table_rows": {"ed_attendances": 1, "quarantine": 7}}])
case("staff_dates_range", "Training records take older dates (1950 on) but not 1900.",
     {"in/irmer_entitlements.csv": "staff_id,org_code,modality,entitled_as,recorded_on\nS1,ZFV,CT,operator,1985-06-01\nS2,ZFV,CT,operator,1900-01-01\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"irmer_entitlements": counts(2, 1, {"implausible_date": 1})}}])

# numbers
case("digit_separators", "1_000 and 1,000 (quoted) are not numbers.",
     {"in/staffing.csv": ST_H + "\n" + st(est="1_000") + "\n" + st(month="2023-05-01", est='"1,000"') + "\n" + st(month="2023-06-01", est="1000") + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"staffing": counts(3, 1, {"bad_number": 2})}}])

# clock change
case("autumn_clock_change", "Arrival 01:50 BST, departure 01:10 GMT on the night the clocks go back: a real 20-minute stay, loaded. The same times on another night are out of order.",
     {"in/ed_attendances.csv": "\n".join([ED_H, ed(1, "2023-10-29 01:50", "2023-10-29 01:10"), ed(2, "2023-10-22 01:50", "2023-10-22 01:10")]) + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"ed_attendances": counts(2, 1, {"events_out_of_order": 1})}}])

# misnamed files
case("upper_case_suffix", "ED_ATTENDANCES.CSV is read.",
     {"in/ED_ATTENDANCES.CSV": ED_H + "\n" + ed(1) + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"ed_attendances": counts(1, 1)}}])
case("gzip_file", "staffing.csv.gz is not silently skipped: refused with the fix.",
     {"in/staffing.csv.gz": gzip.compress((ST_H + "\n" + st() + "\n").encode(), mtime=0), "in/ed_attendances.csv": ED_H + "\n" + ed(1) + "\n"},
     [{"inputs": "in", "exit": 2, "error": "decompress it", "unchanged": True}])
case("excel_file", "staffing.xlsx is refused with the fix.",
     {"in/staffing.xlsx": b"PK\x03\x04 not really a workbook"},
     [{"inputs": "in", "exit": 2, "error": "CSV UTF-8", "unchanged": True}])

# every row refused
case("all_quarantined", "Every row refused: a loud warning; exit 0 without --strict.",
     {"in/staffing.csv": ST_H + "\n" + st(org="zz") + "\n" + st(org="z") + "\n"},
     [{"inputs": "in", "exit": 0, "warning": "every row of staffing (2) was quarantined", "datasets": {"staffing": counts(2, 0, {"bad_code_format": 2})}}])
case("all_quarantined_strict", "Every row refused with --strict: exit 2 and nothing written, not even the quarantine rows.",
     {"in/staffing.csv": ST_H + "\n" + st(org="zz") + "\n", "in/ed_attendances.csv": ED_H + "\n" + ed(1) + "\n"},
     [{"inputs": "in", "args": ["--strict"], "exit": 2, "error": "every row of staffing was refused", "unchanged": True}])

# cumulative extracts
m1 = ST_H + "\n" + st() + "\n" + st(org="zz") + "\n"
m2 = ST_H + "\n" + st() + "\n\n" + st(org="zz") + "\n" + st(month="2023-05-01") + "\n"
case("cumulative_extract", "Month 2 repeats month 1 (with a blank line): the refused row is kept once in quarantine, loaded rows are not added twice.",
     {"m1/staffing.csv": m1, "m2/staffing.csv": m2},
     [{"inputs": "m1", "exit": 0, "datasets": {"staffing": counts(2, 1, {"bad_code_format": 1})}, "table_rows": {"staffing": 1, "quarantine": 1}},
      {"inputs": "m2", "exit": 0, "datasets": {"staffing": counts(3, 2, {"bad_code_format": 1})}, "table_rows": {"staffing": 2, "quarantine": 1}},
      {"inputs": "m2", "exit": 0, "unchanged": True}])

# --db that is not a warehouse
sq = Path(tempfile.mkdtemp()) / "tiny.sqlite"
c = sqlite3.connect(sq); c.execute("create table t (a)"); c.commit(); c.close()
case("db_is_csv", "--db naming a CSV file is refused before DuckDB opens it.",
     {"in/staffing.csv": ST_H + "\n" + st() + "\n", "db/warehouse.duckdb": ST_H + "\n" + st() + "\n"},
     [{"inputs": "in", "exit": 2, "error": "not a wardwatch warehouse (a text file", "unchanged": True}], db="db/warehouse.duckdb")
case("db_is_sqlite", "--db naming a SQLite file is refused from its header (DuckDB would try to load its sqlite extension).",
     {"in/staffing.csv": ST_H + "\n" + st() + "\n", "db/warehouse.db": sq.read_bytes()},
     [{"inputs": "in", "exit": 2, "error": "a SQLite database", "unchanged": True}], db="db/warehouse.db")
case("db_is_folder", "--db naming a folder.",
     {"in/staffing.csv": ST_H + "\n" + st() + "\n", "db/wh/keep.txt": "x\n"},
     [{"inputs": "in", "exit": 2, "error": "is a folder", "unchanged": True}], db="db/wh")

# duplicates and reloads
case("reload_adds_nothing", "Loading the same files twice adds nothing and changes nothing.",
     {"in/ed_attendances.csv": "\n".join([ED_H, ed(1), ed(2), ed(2), "A4,zz,ZFV01,1,2023-04-01 10:00,,,,,walk_in,,30,"]) + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"ed_attendances": counts(4, 2, {"duplicate_key": 1, "bad_code_format": 1})}, "table_rows": {"ed_attendances": 2, "quarantine": 2}},
      {"inputs": "in", "exit": 0, "unchanged": True, "datasets": {"ed_attendances": counts(4, 2, {"duplicate_key": 1, "bad_code_format": 1})}}])
case("header_only", "A file with a header and no rows: loads nothing, says so.",
     {"in/staffing.csv": ST_H + "\n\n\n"},
     [{"inputs": "in", "exit": 0, "warning": "holds no data rows", "datasets": {"staffing": counts(0, 0)}}])

# row numbers point at the line even after blank lines and values spanning lines
case("blank_lines_row_numbers", "Quarantine row_number is the file line minus the header, even after blank lines and a quoted value spanning two lines.",
     {"in/staffing.csv": ST_H + "\n" + st() + "\n\n" + st(org="zz") + "\n" + '"ZFV","med\nical",2023-04-01,1,1,\n' + st(month="2023-05-01", est="-1") + "\n"},
     [{"inputs": "in", "exit": 0, "datasets": {"staffing": counts(4, 1, {"unknown_code": 1, "bad_code_format": 1, "out_of_range": 1})},
       "quarantine": [[3, "bad_code_format"], [4, "unknown_code"], [6, "out_of_range"]]}])
