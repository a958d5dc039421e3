"""Fixtures: the hand-made warehouse on DuckDB, and (for the parity suite) a local SparkSession."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import ibis
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from handmade import handmade_frames
from warehouse_helpers import build_warehouse


@pytest.fixture
def handmade_con():
    con = build_warehouse(ibis.duckdb.connect(), handmade_frames())
    yield con
    con.disconnect()


@pytest.fixture(scope="session")
def handmade_measures():
    from wardwatch.indicators.engine import compute_measures

    con = build_warehouse(ibis.duckdb.connect(), handmade_frames())
    frame = compute_measures(con)
    con.disconnect()
    return frame


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the parity suite (UTC, UI off, scratch dirs removed afterwards)."""
    from wardwatch.engines import spark_session

    scratch = Path(tempfile.mkdtemp(prefix="wardwatch-test-spark-"))
    session = spark_session(scratch)
    yield session
    session.stop()
    shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture
def spark_scratch(tmp_path):
    return tmp_path / "spark-tables"
