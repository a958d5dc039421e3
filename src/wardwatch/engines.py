"""Connections for computing measures: the DuckDB warehouse, or local PySpark over the same tables.

The Spark path exports the warehouse tables to Parquet in a temporary folder and registers them
as temporary views, so the same Ibis expressions run on PySpark (docs/design.md "Engine rules"). Nothing
is left behind: no ``./spark-warehouse``, no metastore, the temporary folder is removed on exit.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import ibis

from wardwatch.contracts.validate import quote_ident, quote_literal
from wardwatch.warehouse import connect_duckdb

ENGINES = ("duckdb", "spark")


def table_names(con: ibis.BaseBackend) -> list[str]:
    """Tables (and views) of a backend.

    On DuckDB this asks ``duckdb_tables()``/``duckdb_views()`` directly: ibis 12's
    ``list_tables`` calls ``fetch_arrow_table``, which duckdb 2.0 removed.
    """
    if con.name == "duckdb":
        rows = con.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND database_name = current_database() "
            "UNION SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' "
            "AND database_name = current_database() AND NOT internal"
        ).fetchall()
        return sorted(r[0] for r in rows)
    return list(con.list_tables())


def open_duckdb(db: str | Path) -> ibis.BaseBackend:
    """Open an existing warehouse file for writing (never creates one by accident).

    Goes through ``wardwatch.warehouse.connect_duckdb``: only a wardwatch warehouse is opened, and a
    warehouse held by another process gives a one-line error.
    """
    path = Path(db)
    if not path.is_file():
        raise FileNotFoundError(path)
    return connect_duckdb(path)


def spark_session(
    scratch: str | Path, *, master: str = "local[2]", app_name: str = "wardwatch", driver_memory: str = "4g"
) -> Any:
    """A local SparkSession: UI off, UTC session time zone, warehouse and metastore under ``scratch``.

    UTC because naive warehouse timestamps must not move: with a local zone, Spark would shift
    them across daylight-saving changes and second-exact comparisons would differ from DuckDB.
    """
    from pyspark.sql import SparkSession

    scratch = Path(scratch)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.warehouse.dir", str(scratch / "spark-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={scratch / 'derby'}")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def register_duckdb_tables(
    duck: ibis.BaseBackend, session: Any, scratch: str | Path, tables: Iterable[str] | None = None
) -> ibis.BaseBackend:
    """Export ``tables`` (default: all but ``measures``/``quarantine``) of the DuckDB warehouse to
    Parquet under ``scratch``, register them in ``session`` as temporary views, return the Ibis
    PySpark backend."""
    scratch = Path(scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    names = (
        list(tables)
        if tables is not None
        else [t for t in table_names(duck) if t not in ("measures", "quarantine")]
    )
    for name in names:
        target = scratch / f"{name}.parquet"
        duck.raw_sql(f"COPY (SELECT * FROM {quote_ident(name)}) TO {quote_literal(target.as_posix())} (FORMAT parquet)")
        session.read.parquet(str(target)).createOrReplaceTempView(name)
    return ibis.pyspark.connect(session)


@contextlib.contextmanager
def spark_over_duckdb(
    duck: ibis.BaseBackend, tables: Iterable[str] | None = None
) -> Iterator[ibis.BaseBackend]:
    """Local PySpark backend holding copies of the warehouse tables; cleaned up on exit.

    A SparkSession already running in this process (a notebook, the test suite) is reused and left
    running; one started here is stopped.
    """
    from pyspark.sql import SparkSession

    scratch = Path(tempfile.mkdtemp(prefix="wardwatch-spark-"))
    existing = SparkSession.getActiveSession()
    session = existing
    try:
        if session is None:
            session = spark_session(scratch)
        yield register_duckdb_tables(duck, session, scratch / "tables", tables)
    finally:
        if session is not None:
            for name in tables or ():
                session.catalog.dropTempView(name)
            if existing is None:
                session.stop()
        shutil.rmtree(scratch, ignore_errors=True)
