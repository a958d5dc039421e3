"""Issue 12 item 8: load-published refuses bad files with ONE line naming file, line and column.

Each case was a silent wrong answer or a traceback before: duplicate rows were summed, unknown
department types and malformed org codes were loaded, ``inf`` and a header-only file crashed, and a
row with an extra field was blamed on the ``period`` column.
"""

from __future__ import annotations

import pytest

from wardwatch.errors import InputError
from wardwatch.indicators.store import read_measures
from wardwatch.published import LOADERS, load_published, preparer
from wardwatch.published.ae_monthly import load_ae_monthly
from wardwatch.warehouse import connect_duckdb

HEADER = "period,org_code,type,attendances,breaches,admissions\n"
GOOD = "2019-01-01,RNA,1,10,1,0\n"


def _error(tmp_path, content: str, name: str = "bad.csv") -> str:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError) as info:
        load_ae_monthly(path, connect_duckdb(None))
    message = str(info.value)
    assert "\n" not in message  # one line
    assert str(path) in message  # names the file
    return message


def test_duplicate_rows_are_refused_not_summed(tmp_path):
    message = _error(tmp_path, HEADER + GOOD + "2019-01-01,RNA,other,5,0,0\n" + GOOD)
    assert "line 4, columns period, org_code, type: duplicate of line 2" in message


def test_unknown_department_type(tmp_path):
    for bad in ("3", "type 1", "Other ", ""):
        message = _error(tmp_path, HEADER + f"2019-01-01,RNA,{bad},10,1,0\n")
        assert "line 2, column type" in message


@pytest.mark.parametrize("code", ["rna", "R NA", "RN", "RNA!", "RNAAAAA", ""])
def test_malformed_org_code(tmp_path, code):
    message = _error(tmp_path, HEADER + GOOD + f"2019-01-01,{code},1,10,1,0\n")
    assert "line 3, column org_code" in message


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity", "1e3", "10.5", "-1", " "])
def test_non_finite_or_fractional_counts(tmp_path, value):
    message = _error(tmp_path, HEADER + f"2019-01-01,RNA,1,{value},1,0\n")
    assert "line 2, column attendances" in message


def test_header_only_and_empty_files(tmp_path):
    assert "header only, no data rows" in _error(tmp_path, HEADER)
    assert "header only, no data rows" in _error(tmp_path, HEADER + "\n\n")
    assert "the file is empty" in _error(tmp_path, "")


def test_extra_field_is_blamed_on_the_line_not_on_period(tmp_path):
    # pandas took the first field of such a file as an index and blamed "period" for the org code
    message = _error(tmp_path, HEADER + "2019-01-01,RNA,1,10,1,0,99\n")
    assert "line 2: 7 fields but the header has 6" in message
    assert "column period" not in message


def test_line_numbers_count_blank_lines_and_quoted_newlines(tmp_path):
    content = HEADER + GOOD + "\n" + '2019-02-01,"RNA",1,10,1,0\n' + "2019-03-01,RNA,1,10,11,0\n"
    message = _error(tmp_path, content)
    assert "line 5, column breaches: '11' is not at most the attendances" in message


def test_missing_column_and_not_utf8(tmp_path):
    assert "missing column(s) admissions" in _error(tmp_path, "period,org_code,type,attendances,breaches\n")
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "2019-01-01,RNA,1,10,1,0\n").encode() + b"\xff\xfe\n")
    with pytest.raises(InputError, match="not a UTF-8 text file"):
        load_ae_monthly(path, connect_duckdb(None))


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_kind_refuses_header_only_and_ragged_files(tmp_path, kind):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="the file is empty"):
        preparer(kind)(empty)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2,3\n")
    with pytest.raises(InputError, match="line 2: 3 fields but the header has 2"):
        preparer(kind)(ragged)


def test_paths_are_read_literally_not_as_globs(tmp_path):
    # "data[1].csv" as a glob matches "data1.csv"; the loader must read the file with the brackets
    (tmp_path / "data1.csv").write_text(HEADER + "2019-01-01,RNA,1,10,5,0\n")
    literal = tmp_path / "data[1].csv"
    literal.write_text(HEADER + "2019-01-01,RNA,1,10,1,0\n")
    con = connect_duckdb(None)
    load_published("ae-monthly", literal, con)
    frame = read_measures(con, ["ae_4h_type1"])
    assert frame["numerator"].tolist() == [9.0]  # from data[1].csv, not data1.csv (5)
    for pattern in ("*.csv", "data?.csv", "data[0-9].csv"):
        with pytest.raises(InputError, match="no such file"):
            load_published("ae-monthly", tmp_path / pattern, con)


def test_cli_literal_paths_and_header_only(cli, tmp_path):
    literal = tmp_path / "a*b?[c].csv"
    literal.write_text(HEADER + GOOD)
    db = tmp_path / "w[1]*.duckdb"
    ok = cli("load-published", "ae-monthly", literal, "--db", db)
    assert ok.exit_code == 0, ok.output
    assert db.is_file()
    header_only = tmp_path / "h.csv"
    header_only.write_text(HEADER)
    result = cli("load-published", "ae-monthly", header_only, "--db", tmp_path / "new.duckdb")
    assert result.exit_code == 2
    assert "header only" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "new.duckdb").exists()


def test_bom_and_crlf_files_are_read(tmp_path):
    # spreadsheet exports often start with a byte-order mark and end lines with CRLF
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD + "2019-02-01,RNA,1,20,2,0\n").replace("\n", "\r\n").encode())
    con = connect_duckdb(None)
    load_ae_monthly(path, con)
    assert read_measures(con, ["ae_4h_type1"])["denominator"].tolist() == [10.0, 20.0]
    bad = tmp_path / "excel_bad.csv"
    bad.write_bytes(b"\xef\xbb\xbf" + (HEADER + GOOD + "2019-02-01,RNA,9,20,2,0\n").replace("\n", "\r\n").encode())
    with pytest.raises(InputError, match="line 3, column type"):
        load_ae_monthly(bad, con)


def test_rows_of_empty_cells_are_blank_lines(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_text(HEADER + GOOD + ",,,,,\n,,,,,\n")
    result = preparer("ae-monthly")(path)
    assert (result.read, result.loaded) == (1, 1)
    only_empty = tmp_path / "only_empty.csv"
    only_empty.write_text(HEADER + ",,,,,\n")
    with pytest.raises(InputError, match="header only"):
        preparer("ae-monthly")(only_empty)
