"""`wardwatch spc` never guesses day/month order (issue 12, item 6)."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def slashed(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("month,v\n01/04/2016,3\n01/05/2016,4\n01/06/2016,5\n13/07/2016,2\n")
    return path


def _run(cli, path, tmp_path, *extra):
    return cli("spc", path, "--out", tmp_path / "o.csv", "--x", "month", "--y", "v",
               "--improvement", "increase", *extra)


def test_ambiguous_dates_are_refused_with_one_line(cli, slashed, tmp_path):
    result = _run(cli, slashed, tmp_path)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert "'01/04/2016'" in result.output and "--date-format" in result.output
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("fmt, first", [("%d/%m/%Y", "2016-04-01"), ("%d/%m/%y", None)])
def test_date_format_is_obeyed(cli, slashed, tmp_path, fmt, first):
    result = _run(cli, slashed, tmp_path, "--date-format", fmt)
    if first is None:  # two-digit year format does not match four-digit years: refused, not guessed
        assert result.exit_code == 2 and "not in --date-format" in result.output
        return
    assert result.exit_code == 0, result.output
    x = pd.read_csv(tmp_path / "o.csv")["x"].tolist()
    assert x == ["2016-04-01", "2016-05-01", "2016-06-01", "2016-07-13"]


def test_month_first_format_reads_january(cli, tmp_path):
    path = tmp_path / "us.csv"
    path.write_text("month,v\n01/04/2016,3\n02/04/2016,4\n03/04/2016,5\n")
    result = _run(cli, path, tmp_path, "--date-format", "%m/%d/%Y")
    assert result.exit_code == 0, result.output
    assert pd.read_csv(tmp_path / "o.csv")["x"].tolist() == ["2016-01-04", "2016-02-04", "2016-03-04"]


def test_iso_dates_and_numbers_need_no_format(cli, tmp_path):
    path = tmp_path / "iso.csv"
    path.write_text("month,v\n2016-04-01,3\n2016-05-01,4\n2016-06-01,5\n")
    assert _run(cli, path, tmp_path).exit_code == 0
    path.write_text("month,v\n1,3\n2,4\n3,5\n")
    assert _run(cli, path, tmp_path).exit_code == 0


def test_rows_not_charted_are_counted(cli, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("month,v\n2016-04-01,3\n2016-05-01,\n2016-06-01,5\n2016-07-01,6\n")
    result = _run(cli, path, tmp_path)
    assert result.exit_code == 0 and "1 of 4 input row(s) not charted" in result.output


def test_usage_errors_are_one_line(cli):
    for args in (["spc"], ["nope"], ["--nope"], ["ratings", "nope"], ["synth", "--out", "x", "--rows", "-1"]):
        result = cli(*args)
        assert result.exit_code == 2
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
        assert "╭" not in result.output
