"""`wardwatch measures --engine spark` gives the same rows as DuckDB and leaves nothing behind."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from handmade import handmade_frames
from warehouse_helpers import build_warehouse

from wardwatch.warehouse import connect_duckdb

pytestmark = pytest.mark.spark


def test_cli_spark_matches_duckdb(cli, tmp_path, monkeypatch, spark):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "ww.duckdb"
    con = connect_duckdb(db)
    frames = handmade_frames()
    build_warehouse(con, {k: frames[k] for k in ("ed_attendances", "staffing")})
    con.disconnect()
    a, b = tmp_path / "duck.csv", tmp_path / "spark.csv"
    pick = ("--indicator", "ed_4h", "--indicator", "ed_12h_from_arrival")
    assert cli("measures", "--db", db, "--out", a, "--computed-only", *pick).exit_code == 0
    result = cli("measures", "--db", db, "--out", b, "--computed-only", "--engine", "spark", *pick)
    assert result.exit_code == 0, result.output
    assert "on spark" in result.output
    on_duckdb, on_spark = pd.read_csv(a), pd.read_csv(b)
    assert set(on_spark.indicator_id) == {"ed_4h", "ed_12h_from_arrival"}
    pd.testing.assert_frame_equal(on_duckdb, on_spark)
    assert not os.path.exists(tmp_path / "spark-warehouse")
    assert not os.path.exists(tmp_path / "metastore_db")
