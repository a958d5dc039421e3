"""`wardwatch measures` on a warehouse file."""

from __future__ import annotations

import pandas as pd
import pytest
from handmade import handmade_frames
from warehouse_helpers import build_warehouse

from wardwatch.warehouse import connect_duckdb


@pytest.fixture
def warehouse_file(tmp_path):
    db = tmp_path / "ww.duckdb"
    con = connect_duckdb(db)
    frames = handmade_frames()
    build_warehouse(con, {k: v for k, v in frames.items() if k != "admissions"})
    con.disconnect()
    return db


def test_measures_writes_table_and_csv(cli, warehouse_file, tmp_path):
    out = tmp_path / "measures.csv"
    result = cli("measures", "--db", warehouse_file, "--out", out)
    assert result.exit_code == 0, result.output
    assert "skipped mortality_crude_30d: table admissions not in the warehouse" in result.output
    csv = pd.read_csv(out)
    march = csv[
        (csv.indicator_id == "ed_4h")
        & (csv.period_grain == "month")
        & csv.site_code.isna()
        & (csv.org_code == "ZFV")
    ]
    assert march[["period_start", "numerator", "denominator"]].values.tolist() == [
        ["2019-03-01", 1.0, 1.0],
        ["2019-04-01", 1.0, 5.0],  # a3, still in the department six days after arrival, is a breach
    ]
    # stored in the warehouse too, and a second run does not duplicate
    assert cli("measures", "--db", warehouse_file, "--out", out).exit_code == 0
    assert len(pd.read_csv(out)) == len(csv)
    con = connect_duckdb(warehouse_file)
    assert con.table("measures").count().execute() == len(csv)
    con.disconnect()


def test_measures_one_indicator(cli, warehouse_file, tmp_path):
    out = tmp_path / "m.csv"
    result = cli("measures", "--db", warehouse_file, "--out", out, "--indicator", "sepsis_screened_1h")
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out).indicator_id) == {"sepsis_screened_1h"}


def test_missing_db_is_a_one_line_error(cli, tmp_path):
    result = cli("measures", "--db", tmp_path / "nope.duckdb")
    assert result.exit_code == 2
    assert "no such warehouse file" in result.output


def test_needed_table_missing_for_requested_indicator(cli, warehouse_file):
    result = cli("measures", "--db", warehouse_file, "--indicator", "mortality_crude_30d")
    assert result.exit_code == 2
    assert "admissions" in result.output


def test_unknown_engine_and_indicator(cli, warehouse_file):
    assert cli("measures", "--db", warehouse_file, "--engine", "oracle").exit_code == 2
    assert cli("measures", "--db", warehouse_file, "--indicator", "ed_5h").exit_code == 2


def test_window_options(cli, warehouse_file, tmp_path):
    out = tmp_path / "w.csv"
    result = cli(
        "measures",
        "--db",
        warehouse_file,
        "--out",
        out,
        "--computed-only",
        "--indicator",
        "ed_4h",
        "--from",
        "2019-04-01",
        "--to",
        "2019-04-30",
    )
    assert result.exit_code == 0, result.output
    months = pd.read_csv(out).query("period_grain == 'month'").period_start.unique().tolist()
    assert months == ["2019-04-01"]  # March is outside the window
    bad = cli("measures", "--db", warehouse_file, "--from", "1 April")
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
