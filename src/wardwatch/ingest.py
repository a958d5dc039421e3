"""Load dataset files into the warehouse, validating them against their contracts.

``load(directory, db)`` looks for ``<dataset>.parquet`` or ``<dataset>.csv`` for every contract in
``wardwatch.contracts.schema.CONTRACTS`` and runs in three phases:

1. **Check** (headers only): every file readable, every required column present. Any failure
   raises ``InputError`` before the warehouse is opened.
2. **Stage** (inside an in-memory DuckDB, reading the warehouse read-only): each file is read
   whole, every row is typed and given the first rule it breaks (SQL generated from the contract
   by ``wardwatch.contracts.validate``), then duplicates within the file and conflicts with rows
   already in the warehouse are marked. A file that turns out to be unreadable half-way (a CSV
   line with too many fields, a corrupt Parquet page) still stops the load with nothing written.
3. **Write**: one transaction per dataset inserts the valid rows that are new into the typed
   table and the refused rows into ``quarantine``.

Every row read is counted once, as loaded or quarantined (``read == loaded + quarantined``).
Re-loading a file adds nothing: rows already loaded with identical values count as loaded but
not added, and quarantine rows are keyed by dataset, file content hash and row number.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from wardwatch.contracts.reasons import REASON_CODES, REASON_LABELS
from wardwatch.contracts.schema import CONTRACTS
from wardwatch.contracts.sources import (
    SourceFile,
    content_hash,
    find_files,
    inspect_all,
    raw_relation_sql,
    record_json_sql,
)
from wardwatch.contracts.validate import (
    checked_select,
    create_table_sql,
    key_label,
    quote_ident,
    quote_literal,
)
from wardwatch.errors import InputError, WardwatchError

QUARANTINE_TABLE = "quarantine"

#: Columns of the ``quarantine`` table (one row per refused input row).
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "VARCHAR"),  # contract name
    ("source_file", "VARCHAR"),  # path of the file as given
    ("source_hash", "VARCHAR"),  # SHA-256 of the file's bytes
    ("row_number", "BIGINT"),  # 1-based position among the data rows (header not counted)
    ("reason", "VARCHAR"),  # code from wardwatch.contracts.reasons
    ("column_name", "VARCHAR"),  # where the rule failed: a column, key columns joined by +, or later<earlier
    ("record", "VARCHAR"),  # JSON object of the raw values, as read from the file
    ("loaded_at", "TIMESTAMP"),  # when the load ran (local time)
)

ProgressCallback = Callable[[str, str], None]


@dataclass(frozen=True)
class DatasetLoad:
    """What happened to one dataset in a load."""

    dataset: str
    file: str | None
    read: int
    loaded: int
    added: int
    quarantined: int
    reasons: Mapping[str, int] = field(default_factory=dict)
    quarantine_added: int = 0
    status: str = "loaded"  # "loaded" | "skipped" (no file)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "file": self.file,
            "status": self.status,
            "read": self.read,
            "loaded": self.loaded,
            "added": self.added,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
        }


@dataclass(frozen=True)
class LoadReport:
    """Per-dataset outcome of ``load``, in contract order (skipped datasets included)."""

    db: str
    datasets: tuple[DatasetLoad, ...]

    @property
    def loaded_datasets(self) -> tuple[DatasetLoad, ...]:
        return tuple(d for d in self.datasets if d.status == "loaded")

    @property
    def skipped(self) -> tuple[str, ...]:
        return tuple(d.dataset for d in self.datasets if d.status == "skipped")

    def __getitem__(self, dataset: str) -> DatasetLoad:
        for d in self.datasets:
            if d.dataset == dataset:
                return d
        raise KeyError(dataset)

    def to_frame(self) -> pd.DataFrame:
        """One row per dataset: counts and status."""
        rows = [{k: v for k, v in d.to_dict().items() if k != "reasons"} for d in self.datasets]
        for row, d in zip(rows, self.datasets):
            row["quarantine_added"] = d.quarantine_added
        return pd.DataFrame(rows)

    def reasons_frame(self) -> pd.DataFrame:
        """One row per dataset and reason: dataset, reason, label, rows (reasons in rule order)."""
        rows = [
            {"dataset": d.dataset, "reason": code, "label": REASON_LABELS[code], "rows": d.reasons[code]}
            for d in self.datasets
            for code in REASON_CODES
            if d.reasons.get(code)
        ]
        return pd.DataFrame(rows, columns=["dataset", "reason", "label", "rows"])


@dataclass
class _Staged:
    source: SourceFile
    file_hash: str
    checked: str  # temp table with __row, typed columns, __reason, __column
    relation: str  # raw relation with __row and the file's columns
    matched: str | None  # temp table of rows whose key is already loaded with identical values
    read: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_error(exc: BaseException) -> str:
    """The useful part of a DuckDB read error: its first line and, for CSV, the field-count line."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    keep = lines[:1] + [line for line in lines[1:] if line.startswith("Expected Number of Columns")]
    return "; ".join(keep) or type(exc).__name__


def _tmp(name: str, what: str) -> str:
    # Unqualified: temporary tables are found first, whatever the connection's default catalog.
    return quote_ident(f"__ww_{what}_{name}")


class _Warehouse:
    """Where tables live: a DuckDB file attached to a scratch connection, or a given connection."""

    def __init__(self, db: Any):
        self.path: Path | None = None
        self.owned = False
        if isinstance(db, (str, Path)):
            self.path = Path(db)
            self.con = duckdb.connect()
            self.owned = True
            self.catalog: str | None = None
            self._tempdir = tempfile.mkdtemp(prefix="wardwatch-load-")
            # Staging of very large files may not fit in memory: let DuckDB spill to disk.
            self.con.execute(f"SET temp_directory = {quote_literal(self._tempdir)}")
        else:
            con = getattr(db, "con", db)  # an Ibis DuckDB backend or a duckdb connection
            if not isinstance(con, duckdb.DuckDBPyConnection):
                raise TypeError("db must be a path, a duckdb connection or an Ibis DuckDB backend")
            self.con = con
            self.catalog = self.con.execute("SELECT current_database()").fetchall()[0][0]
            self._tempdir = None

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else f"<connection {self.catalog}>"

    def attach(self, read_only: bool) -> None:
        if self.path is None:
            return
        self.detach()
        if read_only and not self.path.exists():
            return  # nothing loaded yet: nothing to compare with
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = " (READ_ONLY)" if read_only else ""
        try:
            self.con.execute(f"ATTACH {quote_literal(str(self.path))} AS ww_wh{mode}")
        except duckdb.Error as exc:
            raise InputError(
                f"{self.path}: cannot open the warehouse ({_first_line(exc)}). Is it a wardwatch DuckDB "
                "file, and is no other program using it?"
            ) from None
        self.catalog = "ww_wh"

    def detach(self) -> None:
        if self.path is not None and self.catalog is not None:
            self.con.execute("DETACH ww_wh")
            self.catalog = None

    def table(self, name: str) -> str:
        assert self.catalog is not None
        return f"{quote_ident(self.catalog)}.main.{quote_ident(name)}"

    def has_table(self, name: str) -> bool:
        if self.catalog is None:
            return False
        found = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = ? AND schema_name = 'main' "
            "AND table_name = ?",
            [self.catalog, name],
        ).fetchone()[0]
        return bool(found)

    def close(self) -> None:
        if self.owned:
            self.con.close()
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)


def _stage(wh: _Warehouse, source: SourceFile, file_hash: str) -> _Staged:
    contract = source.contract
    name = contract.name
    con = wh.con
    if source.kind == "csv":
        raw = _tmp(name, "raw")
        # A table keeps the file's row order in its rowid, which gives reliable row numbers.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM {raw_relation_sql(source)}")
        relation = f"(SELECT rowid + 1 AS __row, * FROM {raw})"
    else:
        relation = f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM {raw_relation_sql(source)})"
    checked = _tmp(name, "checked")
    select = checked_select(contract, relation, source.types, source.column_map)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {checked} AS {select}")

    key_cols = [quote_ident(k) for k in contract.key]
    key_eq = " AND ".join(f"c.{k} = d.{k}" for k in key_cols)
    # Duplicates among the rows that passed the row rules: keep the first by row number.
    con.execute(
        f"UPDATE {checked} AS c SET __reason = 'duplicate_key', __column = {quote_literal(key_label(contract))} "
        f"FROM (SELECT {', '.join(key_cols)}, min(__row) AS first_row FROM {checked} WHERE __reason IS NULL "
        f"GROUP BY ALL HAVING count(*) > 1) AS d "
        f"WHERE {key_eq} AND c.__row > d.first_row AND c.__reason IS NULL"
    )

    matched: str | None = None
    if wh.has_table(contract.name):
        matched = _tmp(name, "matched")
        target = wh.table(contract.name)
        same = " AND ".join(
            f"c.{quote_ident(col)} IS NOT DISTINCT FROM t.{quote_ident(col)}" for col in contract.column_names
        )
        join = " AND ".join(f"c.{k} = t.{k}" for k in key_cols)
        # Keys are unique in the warehouse (this loader enforces it), so no aggregation is needed;
        # the semi-joins below stay correct even if a table written by other means holds duplicates.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {matched} AS "
            f"SELECT c.__row, ({same}) AS same FROM {checked} AS c JOIN {target} AS t ON {join} "
            f"WHERE c.__reason IS NULL"
        )
        con.execute(
            f"UPDATE {checked} SET __reason = 'key_conflict', __column = {quote_literal(key_label(contract))} "
            f"WHERE __row IN (SELECT __row FROM {matched} WHERE NOT same)"
        )
        con.execute(f"DELETE FROM {matched} WHERE NOT same")

    staged = _Staged(source, file_hash, checked, relation, matched)
    counts = con.execute(f"SELECT __reason, count(*) FROM {checked} GROUP BY __reason").fetchall()
    staged.read = sum(n for _, n in counts)
    staged.reasons = {code: n for code in REASON_CODES for reason, n in counts if reason == code}
    return staged


def _write(wh: _Warehouse, staged: _Staged, loaded_at: datetime) -> DatasetLoad:
    contract = staged.source.contract
    con = wh.con
    target = wh.table(contract.name)
    quarantine = wh.table(QUARANTINE_TABLE)
    cols = ", ".join(quote_ident(c) for c in contract.column_names)
    new_rows = "c.__reason IS NULL"
    if staged.matched is not None:
        new_rows += f" AND c.__row NOT IN (SELECT __row FROM {staged.matched})"
    q_cols = ", ".join(quote_ident(c) for c, _ in QUARANTINE_COLUMNS)
    q_types = ", ".join(f"{quote_ident(c)} {t}" for c, t in QUARANTINE_COLUMNS)
    dataset = quote_literal(contract.name)
    file_hash = quote_literal(staged.file_hash)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(create_table_sql(contract, target))
        con.execute(f"CREATE TABLE IF NOT EXISTS {quarantine} ({q_types})")
        added = con.execute(
            f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staged.checked} AS c WHERE {new_rows}"
        ).fetchone()[0]
        quarantine_added = con.execute(
            f"INSERT INTO {quarantine} ({q_cols}) "
            f"SELECT {dataset}, {quote_literal(str(staged.source.path))}, {file_hash}, c.__row, c.__reason, "
            f"c.__column, {record_json_sql(staged.source, 's')}, ? "
            f"FROM {staged.checked} AS c JOIN {staged.relation} AS s ON s.__row = c.__row "
            f"WHERE c.__reason IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {quarantine} AS q "
            f"WHERE q.dataset = {dataset} AND q.source_hash = {file_hash} AND q.row_number = c.__row) "
            f"ORDER BY c.__row",
            [loaded_at],
        ).fetchone()[0]
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        if isinstance(exc, duckdb.Error):
            raise WardwatchError(
                f"{staged.source.path}: writing {contract.name} failed ({_first_line(exc)}); "
                "this dataset was left as it was."
            ) from None
        raise
    quarantined = sum(staged.reasons.values())
    return DatasetLoad(
        dataset=contract.name,
        file=str(staged.source.path),
        read=staged.read,
        loaded=staged.read - quarantined,
        added=int(added),
        quarantined=quarantined,
        reasons=dict(staged.reasons),
        quarantine_added=int(quarantine_added),
    )


def _drop_temps(wh: _Warehouse, datasets: Iterable[str]) -> None:
    """Remove staging tables from a connection we do not own (a failed stage may leave some)."""
    for name in datasets:
        for what in ("raw", "checked", "matched"):
            wh.con.execute(f"DROP TABLE IF EXISTS {_tmp(name, what)}")


@contextmanager
def _warehouse(db: Any) -> Iterator[_Warehouse]:
    wh = _Warehouse(db)
    try:
        yield wh
    finally:
        wh.close()


def load(
    directory: str | Path,
    db: Any,
    datasets: Iterable[str] | None = None,
    *,
    on_progress: ProgressCallback | None = None,
) -> LoadReport:
    """Validate and load the dataset files in ``directory`` into the warehouse ``db``.

    ``db`` is the path of the DuckDB warehouse file (created if needed), or an open duckdb
    connection / Ibis DuckDB backend. ``datasets`` limits the load to some contracts.
    ``on_progress(dataset, step)`` is called as work proceeds. Raises ``InputError`` (and writes
    nothing) when a file is unreadable or lacks a required column.
    """
    notify = on_progress or (lambda dataset, step: None)
    directory = Path(directory)
    files, missing = find_files(directory, datasets)
    loaded_at = datetime.now().replace(microsecond=0)
    with _warehouse(db) as wh:
        sources = inspect_all(files, wh.con)
        staged: dict[str, _Staged] = {}
        try:
            wh.attach(read_only=True)
            for name, source in sources.items():
                notify(name, "reading and checking")
                try:
                    staged[name] = _stage(wh, source, content_hash(source.path))
                except duckdb.Error as exc:
                    raise InputError(
                        f"{source.path}: cannot be read ({_read_error(exc)}). Nothing was loaded: fix the "
                        "file and load again."
                    ) from None
                except OSError as exc:
                    raise InputError(f"{source.path}: cannot be read ({exc.strerror or exc}).") from None
            wh.attach(read_only=False)
            results: dict[str, DatasetLoad] = {}
            for name, s in staged.items():
                notify(name, "writing")
                results[name] = _write(wh, s, loaded_at)
                notify(name, "done")
        finally:
            if not wh.owned:
                _drop_temps(wh, sources)
            wh.detach()
    order = [n for n in CONTRACTS if n in results or n in missing]
    report = tuple(
        results[n] if n in results else DatasetLoad(n, None, 0, 0, 0, 0, {}, 0, status="skipped")
        for n in order
    )
    return LoadReport(db=wh.label, datasets=report)
