"""The warehouse: an embedded DuckDB file by default, reached through Ibis.

Tables: one per input dataset (named after its contract), ``quarantine`` (rows refused at
load, with the reason) and ``measures`` (the long table every chart and judgement reads).

Every command that opens a warehouse file goes through ``connect_duckdb`` (an Ibis backend) or
``connect_raw`` (a duckdb connection); the loader attaches the file with the same checks
(``check_warehouse_file``, ``open_error``, ``ensure_marked``). The policy:

* Only a wardwatch warehouse is opened: the file must be a DuckDB database (checked from its
  first bytes, before DuckDB sees it, so a SQLite or CSV file never reaches DuckDB's readers or
  extension loader) holding the marker table ``wardwatch_warehouse`` (written when the warehouse
  is created). A DuckDB file written by an earlier wardwatch (no marker, but wardwatch tables) is
  accepted and marked the next time it is opened for writing.
* One writer, many readers: commands that only read open the file read-only; a write while
  another process holds the file gives one line, "the warehouse is being written by another
  process", instead of DuckDB's lock error.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import ibis

from wardwatch.errors import InputError

#: The spine of the system (docs/design.md "measures").
MEASURES_SCHEMA = ibis.schema(
    {
        "indicator_id": "string",
        "org_code": "string",
        "site_code": "string",
        "unit_code": "string",
        "period_start": "date",
        "period_grain": "string",  # "week" (ISO week, starts Monday), "month", "year"
        "numerator": "float64",
        "denominator": "float64",
        "value": "float64",
        "source": "string",
    }
)

#: Table that marks a DuckDB file as a wardwatch warehouse (key/value rows; a row
#: ``unique_key:<dataset>`` says that table has only been written by ``wardwatch load``, which keeps
#: its key unique: wardwatch.ingest._own_key).
MARKER_TABLE = "wardwatch_warehouse"
#: Version of the warehouse layout, stored in the marker table.
FORMAT_VERSION = "1"

# A DuckDB database file starts with an 8-byte checksum, then the magic bytes "DUCK".
_DUCKDB_MAGIC_OFFSET = 8
_DUCKDB_MAGIC = b"DUCK"


class WarehouseBusy(InputError):
    """Another process holds the warehouse file (DuckDB allows one writer, or many readers)."""


#: Tables wardwatch writes besides one per contract; defined here, the one module that owns the
#: warehouse, so the check of a foreign file knows them all.
MEASURES_TABLE = "measures"
QUARANTINE_TABLE = "quarantine"
CUT_OFFS_TABLE = "measures_data_until"
CQC_RATINGS_TABLE = "cqc_ratings"
ORGANISATIONS_TABLE = "organisations"
RATING_OVERRIDES_TABLE = "rating_overrides"
#: ``wardwatch refresh``: one row per run, one row per computed unit (with its input fingerprint),
#: and the result tables themselves, all named ``result_*`` (wardwatch.results.tables).
RUNS_TABLE = "runs"
RESULT_UNITS_TABLE = "result_units"
#: documents a trust keeps outside its extracts (inspection histories, action plans), imported by
#: ``wardwatch refresh --ratings/--actions``: one row per (kind, organisation), the latest import
INPUT_DOCUMENTS_TABLE = "input_documents"
LOAD_CHANGES_TABLE = "load_changes"
RESULT_PREFIX = "result_"
#: ``wardwatch serve`` (wardwatch.web): accounts, bearer tokens (hashed), sign-in sessions (hashed)
#: and the audit log of sign-ins, failed sign-ins, token creation and edits.
USERS_TABLE = "web_users"
TOKENS_TABLE = "web_tokens"
SESSIONS_TABLE = "web_sessions"
AUDIT_TABLE = "audit_log"
WEB_TABLES: dict[str, str] = {
    USERS_TABLE: "name VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, password_hash VARCHAR NOT NULL, "
                 "created_at TIMESTAMP NOT NULL",
    TOKENS_TABLE: "token_sha256 VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL",
    SESSIONS_TABLE: "session_sha256 VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, csrf VARCHAR NOT NULL, "
                    "created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL",
    AUDIT_TABLE: "happened_at TIMESTAMP NOT NULL, user_name VARCHAR, action VARCHAR NOT NULL, target VARCHAR",
}


def _wardwatch_tables() -> set[str]:
    from wardwatch.contracts.schema import CONTRACTS
    from wardwatch.results.tables import RESULT_TABLES

    return {*CONTRACTS, MEASURES_TABLE, QUARANTINE_TABLE, CUT_OFFS_TABLE, CQC_RATINGS_TABLE,
            ORGANISATIONS_TABLE, RATING_OVERRIDES_TABLE, MARKER_TABLE, RUNS_TABLE, RESULT_UNITS_TABLE,
            INPUT_DOCUMENTS_TABLE, LOAD_CHANGES_TABLE, *RESULT_TABLES, *WEB_TABLES}


def table_exists(raw: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the open warehouse has table ``name``."""
    return name in _tables(raw, raw.execute("SELECT current_database()").fetchone()[0])


def _describe(head: bytes) -> str:
    if head.startswith(b"SQLite format 3"):
        return "a SQLite database"
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"PK\x03\x04"):
        return "a zip file (an Excel workbook?)"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "not a DuckDB database"
    return "a text file (a CSV?)"


def check_warehouse_file(path: Path) -> None:
    """InputError unless ``path`` is missing (a new warehouse) or a DuckDB database file.

    Reads only the first bytes, so nothing else (DuckDB's auto-loading of the SQLite extension,
    its CSV sniffer) is ever pointed at a file that is not a warehouse.
    """
    if not path.exists():
        return
    if path.is_dir():
        raise InputError(f"{path}: is a folder; --db must name the warehouse file (e.g. warehouse.duckdb).")
    head = b""
    for _ in range(20):
        try:
            with path.open("rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
        if len(head) >= 16:
            break
        # Another process may be creating this warehouse right now: its header comes within ms.
        time.sleep(0.05)
    if not head:
        raise InputError(
            f"{path}: is an empty file, not a wardwatch warehouse; remove it, or give another --db."
        )
    if head[_DUCKDB_MAGIC_OFFSET : _DUCKDB_MAGIC_OFFSET + len(_DUCKDB_MAGIC)] != _DUCKDB_MAGIC:
        raise InputError(
            f"{path}: not a wardwatch warehouse ({_describe(head)}); --db must name the DuckDB file "
            "written by `wardwatch load`."
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def open_error(path: Path, exc: duckdb.Error, *, read_only: bool = False) -> InputError:
    """The one-line error for a warehouse file DuckDB would not open."""
    if is_lock_error(exc):
        # A reader is only ever blocked by a writer; a writer also by readers.
        who = "being written by another process" if read_only else "being written (or read) by another process"
        return WarehouseBusy(
            f"{path}: the warehouse is {who}; wait for it to finish and run the command again."
        )
    return InputError(f"{path}: cannot open the warehouse ({_first_line(exc)}).")


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main'", [catalog]
    ).fetchall()
    return {r[0] for r in rows}


def ensure_marked(
    con: duckdb.DuckDBPyConnection, catalog: str, path: Path, *, writable: bool, mark: bool = True
) -> None:
    """Check that the attached database ``catalog`` is a wardwatch warehouse; mark it if writable.

    A database with no tables at all is a new warehouse (marked when ``writable`` and ``mark``;
    read-only, it is accepted and each command says which table it lacks);
    one with tables but no marker is accepted only if its tables are wardwatch tables (a warehouse
    written before the marker existed). The loader checks with ``mark=False`` and marks inside
    its transaction (``write_marker``), so a failed load leaves no marker behind.
    """
    tables = _tables(con, catalog)
    if MARKER_TABLE in tables:
        return
    foreign = tables - _wardwatch_tables()
    if foreign:
        # An empty DuckDB file is let through: nothing wrong can be read from it, and each command
        # then says which table it lacks.
        raise InputError(
            f"{path}: a DuckDB file but not a wardwatch warehouse (tables {', '.join(sorted(foreign)[:3])}); "
            "--db must name the file written by `wardwatch load`."
        )
    if writable and mark:
        write_marker(con, catalog)


def write_marker(con: duckdb.DuckDBPyConnection, catalog: str) -> None:
    """Mark the attached database ``catalog`` as a wardwatch warehouse (no-op if it is marked)."""
    from wardwatch import __version__

    table = f'"{catalog}".main.{MARKER_TABLE}'
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute(
        f"INSERT OR IGNORE INTO {table} VALUES ('format_version', ?), ('created_by', ?), ('created_at', ?)",
        [FORMAT_VERSION, f"wardwatch {__version__}", datetime.now().replace(microsecond=0).isoformat()],
    )


def _replay_wal(path: Path) -> None:
    """Apply a write-ahead log left by a killed or failed write, so the file opens read-only.

    DuckDB cannot open a file read-only while its WAL is there, and a read-write open that finds
    nothing committed in the WAL leaves it in place (nothing to checkpoint). So: open for writing
    (committed work is applied, the rest dropped), make a no-op change and checkpoint, which
    truncates the log.
    """
    wal = path.with_name(path.name + ".wal")
    if not wal.exists():
        return
    with duckdb.connect(str(path)) as con:
        con.execute("CHECKPOINT")
        if wal.exists() and wal.stat().st_size:
            con.execute("CREATE TABLE __wardwatch_wal_replay (x INTEGER)")
            con.execute("DROP TABLE __wardwatch_wal_replay")
            con.execute("CHECKPOINT")


def connect_raw(db: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file ``db`` as a duckdb connection (created if needed unless read-only)."""
    path = Path(db)
    if read_only and not path.exists():
        raise InputError(f"{path}: no such warehouse; load data first (wardwatch load ...) or check --db.")
    check_warehouse_file(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if read_only:
            _replay_wal(path)
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise open_error(path, exc, read_only=read_only) from None
    try:
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        ensure_marked(con, catalog, path, writable=not read_only)
    except InputError:
        con.close()
        raise
    return con


def connect_duckdb(db: str | Path | None = None, read_only: bool = False) -> ibis.BaseBackend:
    """Open (creating if needed) the DuckDB warehouse file ``db``; ``None`` gives an in-memory one.

    Raises ``InputError`` if ``db`` is not a wardwatch warehouse, and ``WarehouseBusy`` if another
    process holds it.
    """
    if db is None:
        return ibis.duckdb.connect()
    return ibis.duckdb.from_connection(connect_raw(db, read_only=read_only))


def close_quietly(con: Any) -> None:
    """Close a connection on an error path, where a second error must not hide the first."""
    try:
        con.close()
    except duckdb.Error:
        pass


@contextlib.contextmanager
def transaction(raw: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN ... COMMIT, rolled back when the block raises (a failed COMMIT is not rolled back
    again: DuckDB has already ended that transaction)."""
    raw.execute("BEGIN TRANSACTION")
    try:
        yield raw
    except BaseException:
        raw.execute("ROLLBACK")
        raise
    raw.execute("COMMIT")


@contextlib.contextmanager
def staged(raw: duckdb.DuckDBPyConnection, name: str, rows: Any) -> Iterator[str]:
    """``rows`` (an Arrow table or a DataFrame) visible to SQL as view ``name`` for the block."""
    raw.register(name, rows)
    try:
        yield name
    finally:
        raw.unregister(name)


def upsert(con: ibis.BaseBackend, table: str, ddl: str, rows: Any, key: Sequence[str]) -> None:
    """Create ``table`` (columns ``ddl``) if needed and replace, in one transaction, every row
    whose ``key`` (NULL-safe) matches a new row; then insert the new rows. Reloading the same
    rows therefore changes nothing."""
    raw = con.con  # the DuckDB connection behind the Ibis backend
    raw.execute(f"CREATE TABLE IF NOT EXISTS {table} ({ddl})")
    names = ", ".join(rows.schema.names if hasattr(rows, "schema") and hasattr(rows.schema, "names")
                      else rows.columns)
    with staged(raw, f"_ww_new_{table}", rows) as view, transaction(raw):
        on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM n.{k}" for k in key)
        raw.execute(f"DELETE FROM {table} AS t USING {view} AS n WHERE {on}")
        raw.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {view}")


def ensure_web_tables(raw: duckdb.DuckDBPyConnection) -> None:
    """Create the accounts, tokens, sessions and audit tables of ``wardwatch serve`` if missing."""
    for name, ddl in WEB_TABLES.items():
        raw.execute(f"CREATE TABLE IF NOT EXISTS {name} ({ddl})")


#: How long the web's short connections wait for another process's to close: with ``serve
#: --workers N`` one worker's sign-in (a write) can meet another's read, which lasts milliseconds.
BUSY_WAIT_SECONDS = 2.0


def connect_waiting(path: Path, *, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """``connect_raw``, trying again (10 ms, doubling to 250 ms) while another process holds the
    file, for at most ``wait`` seconds; then the ``WarehouseBusy`` error."""
    deadline = time.monotonic() + wait
    delay = 0.01
    while True:
        try:
            return connect_raw(path, read_only=read_only)
        except WarehouseBusy:
            if time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


@contextlib.contextmanager
def web_writer(db: str | Path, wait: float = BUSY_WAIT_SECONDS) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-write connection to an existing warehouse, with the web tables present,
    inside one transaction (committed when the block ends, rolled back if it raises). Waits up to
    ``wait`` seconds for another process's connection to close (``WarehouseBusy`` after that)."""
    path = Path(db)
    if not path.exists():
        raise InputError(f"{path}: no such warehouse; load data first (wardwatch load ...) or check --db.")
    raw = connect_waiting(path, read_only=False, wait=wait)
    try:
        ensure_web_tables(raw)
        with transaction(raw):
            yield raw
    finally:
        raw.close()


@contextlib.contextmanager
def reader(db: str | Path, wait: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection to the warehouse, closed when the block ends (waiting
    up to ``wait`` seconds for a writer in another process to finish)."""
    raw = connect_waiting(Path(db), read_only=True, wait=wait)
    try:
        yield raw
    finally:
        raw.close()
