"""Load dataset files into the warehouse, validating them against their contracts.

``load(directory, db)`` looks for ``<dataset>.parquet`` or ``<dataset>.csv`` (any case) for every
contract in ``wardwatch.contracts.schema.CONTRACTS`` and runs in three phases:

1. **Check** (headers only): every file readable, every required column present. Any failure
   raises ``InputError`` before the warehouse is opened.
2. **Stage**: the warehouse file is attached for writing first, which takes DuckDB's lock on it
   for the whole load (a second load or another writer gets a one-line error, never a second copy
   of the rows). In an in-memory DuckDB each file is read whole, through a literal alias of its
   path (DuckDB would expand ``*``, ``?``, ``[ ]`` in a path), every row is typed and given the
   first rule it breaks (SQL generated from the contract by ``wardwatch.contracts.validate``),
   then duplicates within the file and conflicts with rows already in the warehouse are marked.
   A file that turns out to be unreadable half-way still stops the load with nothing written.
3. **Write**: ONE transaction for all datasets inserts the valid rows that are new into the typed
   tables and the refused rows into ``quarantine``. Either every
   dataset of the load is committed, or none; a warehouse file the load created is removed again
   if the load fails.

The key of each table is unique because the loader refuses a second row with a key (within the
file, ``duplicate_key``; against the table, ``key_conflict``), not through a unique index (see
``_own_key``).

Every row read is counted once, as loaded or quarantined (``read == loaded + quarantined``).
Re-loading a file adds nothing: rows already loaded with identical values count as loaded but
not added, and the quarantine keeps one row per refused record and reason.
"""

from __future__ import annotations

import os
import re
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
    csv_record_lines,
    find_files,
    has_pattern_characters,
    hash_and_lines,
    inspect_all,
    raw_relation_sql,
    record_json_sql,
)
from wardwatch.contracts.timezones import REPORTING_TIMEZONE, ensure_utc_columns, stage_utc, stored_columns
from wardwatch.contracts.validate import (
    checked_select,
    create_table_sql,
    key_index_name,
    key_label,
    quote_ident,
    quote_literal,
)
from wardwatch.errors import InputError, WardwatchError
from wardwatch.mappings import Mapping as Mapping_
from wardwatch.mappings import load_mapping
from wardwatch.mappings.read import (
    DROPPED,
    UNMAPPED_COLUMN,
    create_raw_table,
    inspect_mapped,
    mapped_select,
    unmapped_flag,
    unmapped_targets,
)
from wardwatch.warehouse import (
    LOAD_CHANGES_TABLE,
    MARKER_TABLE,
    check_warehouse_file,
    ensure_marked,
    open_error,
    write_marker,
)

QUARANTINE_TABLE = "quarantine"

#: Columns of the ``quarantine`` table (one row per refused input row).
QUARANTINE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("dataset", "VARCHAR"),  # contract name
    ("source_file", "VARCHAR"),  # path of the file as given
    ("source_hash", "VARCHAR"),  # SHA-256 of the file's bytes
    ("row_number", "BIGINT"),  # CSV: line where the row starts, minus the header line; Parquet: row index + 1
    ("reason", "VARCHAR"),  # code from wardwatch.contracts.reasons
    ("column_name", "VARCHAR"),  # where the rule failed: a column, key columns joined by +, or later<earlier
    ("record", "VARCHAR"),  # JSON object of the raw values, as read from the file
    ("loaded_at", "TIMESTAMP"),  # when the load ran (local time)
)

ProgressCallback = Callable[[str, str], None]

#: How a load treats rows whose key the warehouse already holds (``--mode``; docs/guide/loading.md).
LOAD_MODES = ("append", "upsert", "replace-period")
#: The column whose month places a row in a period, for ``--mode replace-period``. Datasets without
#: one (training and entitlement records, which are states rather than events) cannot use it.
PERIOD_COLUMNS = {
    "ed_attendances": "arrival_at",
    "sepsis_episodes": "trigger_at",
    "imaging_requests": "requested_at",
    "staffing": "month",
    "admissions": "admitted_at",
}
#: DuckDB's working memory during a load unless ``memory_limit`` says otherwise; past it, staging
#: spills to the load's temporary folder instead of growing (25M ED rows peaked at 9.8 GB uncapped).
DEFAULT_MEMORY_LIMIT = "2GB"
_MEMORY_RE = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def check_memory_limit(value: str) -> str:
    """``value`` as DuckDB takes it (``"2GB"``, ``"512MiB"``), or a one-line InputError."""
    if not _MEMORY_RE.match(str(value)):
        raise InputError(f"--memory-limit {value!r}: give a size such as 2GB, 1500MB or 4GiB")
    return str(value).strip().replace(" ", "")


LOAD_CHANGES_COLUMNS = (
    ("dataset", "VARCHAR"),
    ("key", "VARCHAR"),  # JSON object of the key columns
    ("changed_columns", "VARCHAR"),  # comma-separated names of the columns whose value changed
    ("old", "VARCHAR"),  # JSON object of the row as it was
    ("new", "VARCHAR"),  # JSON object of the row as loaded
    ("file", "VARCHAR"),
    ("loaded_at", "TIMESTAMP"),
)


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
    mapped: bool = False  # read through a mapping (--mapping)
    #: rows dropped by the mapping's filters, by filter (not quarantined): read = loaded + quarantined + filtered
    filters: Mapping[str, int] = field(default_factory=dict)
    #: source codes with no entry in the mapping: {contract column: {code: rows}}
    unmapped_codes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    mode: str = "append"
    #: --mode upsert: loaded rows that replaced a stored row with the same key (see load_changes)
    updated: int = 0
    #: --mode replace-period: stored rows removed from the periods the file covers
    removed: int = 0

    @property
    def filtered(self) -> int:
        return sum(self.filters.values())

    def to_dict(self) -> dict[str, Any]:
        out = {
            "dataset": self.dataset,
            "file": self.file,
            "status": self.status,
            "read": self.read,
            "loaded": self.loaded,
            "added": self.added,
            "quarantined": self.quarantined,
            "reasons": dict(self.reasons),
        }
        if self.mode != "append":
            out |= {"mode": self.mode, "updated": self.updated, "removed": self.removed}
        if self.mapped:
            out["filtered"] = self.filtered
            out["filters"] = dict(self.filters)
            out["unmapped_codes"] = {k: dict(v) for k, v in self.unmapped_codes.items()}
        return out


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
        rows = [
            {k: v for k, v in d.to_dict().items() if k not in ("reasons", "filters", "unmapped_codes")}
            for d in self.datasets
        ]
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
    lines: str | None = None  # temp table __row -> line number - 1, when rows and lines differ
    filters: dict[str, int] = field(default_factory=dict)  # rows dropped by a mapping's filters
    unmapped: dict[str, dict[str, int]] = field(default_factory=dict)
    mode: str = "append"
    changed: str | None = None  # upsert: temp table of rows whose key is stored with other values
    periods: str | None = None  # replace-period: temp table of (org_code, __month) the file covers

    @property
    def filtered(self) -> int:
        return sum(self.filters.values())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_error(exc: BaseException) -> str:
    """DuckDB's reason for a CSV/Parquet read failure, in words a user can act on."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    where = ""
    for line in lines:
        if line.startswith(("CSV Error on Line:", "Invalid Input Error: CSV Error on Line:")):
            where = "line " + line.rsplit(":", 1)[1].strip() + ": "
            break
    if "not utf-8 encoded" in text:
        return f"{where}the text is not UTF-8; save the file as UTF-8 (in Excel: 'CSV UTF-8')"
    if "Maximum line size" in text:
        return (
            f"{where}a line is longer than 2,000,000 bytes (a quote never closed, or not a text file?); "
            "fix the quoting"
        )
    if "unterminated quote" in text:
        return f"{where}a quoted value is never closed (a \" with no closing \"); fix the quoting"
    if "state machine reached an invalid state" in text:
        return (
            "the file cannot be read as standard CSV (mixed line endings, or a quote inside an "
            "unquoted value); save it again as CSV with one kind of line ending"
        )
    for line in lines:
        if line.startswith("Expected Number of Columns"):
            found = line.split("Found:")[-1].strip()
            expected = line.split(":")[1].split("Found")[0].strip()
            return f"{where}{found} fields where the header names {expected}; fix that line"
    return "; ".join(lines[:1]) or type(exc).__name__


def _tmp(name: str, what: str) -> str:
    # Unqualified: temporary tables are found first, whatever the connection's default catalog.
    return quote_ident(f"__ww_{what}_{name}")


_SCRATCH_PREFIX = "wardwatch-load-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_scratch() -> None:
    """Remove scratch folders left by loads that were killed (their pid is in the name)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_SCRATCH_PREFIX}*"):
        pid_text = folder.name[len(_SCRATCH_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(folder, ignore_errors=True)


class _Warehouse:
    """Where tables live: a DuckDB file attached to a scratch connection, or a given connection."""

    def __init__(self, db: Any, memory_limit: str = DEFAULT_MEMORY_LIMIT):
        self.path: Path | None = None
        self.owned = False
        self.created = False  # the load created the warehouse file (removed again if it fails)
        _remove_stale_scratch()
        self._tempdir = tempfile.mkdtemp(prefix=f"{_SCRATCH_PREFIX}{os.getpid()}-")
        if has_pattern_characters(self._tempdir):
            shutil.rmtree(self._tempdir, ignore_errors=True)
            raise InputError(
                f"the temporary folder {self._tempdir} has * ? [ ] or {{ }} in its path; set TMPDIR to a "
                "folder without them."
            )
        if isinstance(db, (str, Path)):
            self.path = Path(db)
            self.con = duckdb.connect()
            self.owned = True
            self.catalog: str | None = None
            # Staging of very large files may not fit in memory: let DuckDB spill to disk.
            self.con.execute(f"SET temp_directory = {quote_literal(self._tempdir)}")
            self.con.execute(f"SET memory_limit = {quote_literal(memory_limit)}")
        else:
            con = getattr(db, "con", db)  # an Ibis DuckDB backend or a duckdb connection
            if not isinstance(con, duckdb.DuckDBPyConnection):
                self.close()
                raise TypeError("db must be a path, a duckdb connection or an Ibis DuckDB backend")
            self.con = con
            self.catalog = self.con.execute("SELECT current_database()").fetchall()[0][0]

    @property
    def scratch(self) -> Path:
        return Path(self._tempdir)

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else f"<connection {self.catalog}>"

    def attach(self) -> None:
        """Open the warehouse file for writing, which takes DuckDB's lock on it for the whole load.

        Taken before the warehouse is read, so two loads cannot both stage against the same state
        and both insert: the second waits for nothing and stops with a one-line error.
        """
        if self.path is None:
            return
        check_warehouse_file(self.path)
        existed = self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con.execute(f"ATTACH {quote_literal(str(self.path))} AS ww_wh")
        except duckdb.Error as exc:
            raise open_error(self.path, exc) from None
        self.catalog = "ww_wh"
        # Only a file this load made (and nobody filled meanwhile) may be removed if it fails.
        self.created = not existed and not self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'ww_wh'"
        ).fetchone()[0]
        ensure_marked(self.con, self.catalog, self.path, writable=True, mark=False)

    def detach(self) -> None:
        """Close the warehouse file (DuckDB checkpoints it: the WAL is written into the file)."""
        if self.path is not None and self.catalog is not None:
            self.catalog = None
            self.con.execute("DETACH ww_wh")

    def discard(self) -> None:
        """After a failed load: close the file without raising, and remove it if the load created it."""
        if self.path is not None and self.catalog is not None:
            self.catalog = None
            try:
                self.con.execute("DETACH ww_wh")
            except duckdb.Error:
                pass  # the load already failed; its error is the one to report
        if self.created and self.path is not None:
            for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
                leftover.unlink(missing_ok=True)

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

    def has_key_index(self, contract: Any) -> bool:
        found = self.con.execute(
            "SELECT count(*) FROM duckdb_indexes() WHERE database_name = ? AND schema_name = 'main' "
            "AND table_name = ? AND index_name = ? AND is_unique",
            [self.catalog, contract.name, key_index_name(contract)],
        ).fetchone()[0]
        return bool(found)

    def close(self) -> None:
        if self.owned:
            self.con.close()
        shutil.rmtree(self._tempdir, ignore_errors=True)


def _has_data_after_header(path: Path) -> bool:
    """Whether a CSV file has anything but blank lines after its first line."""
    with path.open("rb") as handle:
        handle.readline()
        while chunk := handle.read(1 << 16):
            if chunk.strip():
                return True
    return False


def _line_numbers(wh: _Warehouse, source: SourceFile, read: int) -> str | None:
    """Temp table mapping each row to its line in the file (minus the header), or None if the two
    readers disagree on the rows (then the row's position among the rows is kept)."""
    starts = csv_record_lines(source.read_path or source.path, source.delimiter)
    if len(starts) != read:
        return None
    table = _tmp(source.contract.name, "lines")
    frame = pd.DataFrame({"__row": range(1, read + 1), "line": [n - 1 for n in starts]})
    wh.con.register("__ww_lines_frame", frame)
    try:
        wh.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM __ww_lines_frame")
    finally:
        wh.con.unregister("__ww_lines_frame")
    return table


def _stage_mapped(wh: _Warehouse, source: SourceFile, sheet_rows: list | None) -> tuple[str, str]:
    """Raw and translated temp tables of a mapped source: (raw relation, checked-ready relation)."""
    name = source.contract.name
    raw = _tmp(name, "raw")
    create_raw_table(wh.con, source, raw, sheet_rows)
    relation = f"(SELECT rowid + 1 AS __row, * FROM {raw})"
    mapped = _tmp(name, "mapped")
    wh.con.execute(f"CREATE OR REPLACE TEMP TABLE {mapped} AS {mapped_select(source, relation)}")
    return relation, f"(SELECT * FROM {mapped} WHERE {DROPPED} IS NULL)"


def _mapped_counts(wh: _Warehouse, staged: _Staged) -> None:
    """Rows dropped by each filter, and the source codes that have no mapping (kept rows only)."""
    source = staged.source
    mapped = _tmp(source.contract.name, "mapped")
    con = wh.con
    staged.filters = {
        label: n
        for label, n in con.execute(
            f"SELECT {DROPPED}, count(*) FROM {mapped} WHERE {DROPPED} IS NOT NULL GROUP BY ALL ORDER BY 1"
        ).fetchall()
    }
    for target in unmapped_targets(source):
        flag = quote_ident(unmapped_flag(target))
        codes = con.execute(
            f"SELECT {flag}, count(*) FROM {mapped} WHERE {DROPPED} IS NULL AND {flag} IS NOT NULL "
            "GROUP BY ALL ORDER BY 2 DESC, 1"
        ).fetchall()
        if codes:
            staged.unmapped[target] = {code: n for code, n in codes}
    # One reason per row, the first rule it breaks: unmapped_code comes before the rules after it.
    later = [code for code in REASON_CODES[REASON_CODES.index("unmapped_code") + 1 :]]
    con.execute(
        f"UPDATE {staged.checked} AS c SET __reason = 'unmapped_code', __column = m.{UNMAPPED_COLUMN} "
        f"FROM {mapped} AS m WHERE m.__row = c.__row AND m.{UNMAPPED_COLUMN} IS NOT NULL "
        f"AND (c.__reason IS NULL OR c.__reason IN ({', '.join(quote_literal(r) for r in later)}))"
    )


def _stage(
    wh: _Warehouse, source: SourceFile, file_hash: str, file_lines: int, sheet_rows: list | None = None,
    mode: str = "append",
) -> _Staged:
    contract = source.contract
    name = contract.name
    con = wh.con
    if source.mapping is not None:
        relation, translated = _stage_mapped(wh, source, sheet_rows)
        types = {c: "VARCHAR" for c in source.column_map}
        select = checked_select(contract, translated, types, source.column_map)
    elif source.kind == "csv":
        raw = _tmp(name, "raw")
        # A table keeps the file's row order in its rowid, which gives reliable row numbers.
        con.execute(f"CREATE OR REPLACE TEMP TABLE {raw} AS SELECT * FROM {raw_relation_sql(source)}")
        relation = f"(SELECT rowid + 1 AS __row, * FROM {raw})"
    else:
        relation = f"(SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) FROM {raw_relation_sql(source)})"
    if source.mapping is None:
        select = checked_select(contract, relation, source.types, source.column_map)
    checked = _tmp(name, "checked")
    con.execute(f"CREATE OR REPLACE TEMP TABLE {checked} AS {select}")
    staged = _Staged(source, file_hash, checked, relation, None, mode=mode)
    if source.mapping is not None:
        _mapped_counts(wh, staged)
    # <column>_utc of every timestamp; nonexistent local times quarantined (contracts/timezones.py)
    stage_utc(con, checked, contract, source.mapping.timezone if source.mapping is not None else REPORTING_TIMEZONE)

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
        if mode == "replace-period":
            # Stored rows of the (organisation, month) pairs the file covers are replaced whole, so
            # only the rest of the table can match or conflict with the file's rows.
            staged.periods = _tmp(name, "periods")
            period = quote_ident(PERIOD_COLUMNS[name])
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {staged.periods} AS SELECT DISTINCT org_code, "
                f"date_trunc('month', {period}) AS __month FROM {checked} WHERE __reason IS NULL"
            )
            target = (
                f"(SELECT * FROM {target} AS t WHERE NOT EXISTS (SELECT 1 FROM {staged.periods} AS p "
                f"WHERE p.org_code = t.org_code AND p.__month = date_trunc('month', t.{period})))"
            )
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
        if mode == "upsert":
            staged.changed = _tmp(name, "changed")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {staged.changed} AS SELECT __row FROM {matched} WHERE NOT same")
        else:
            con.execute(
                f"UPDATE {checked} SET __reason = 'key_conflict', __column = {quote_literal(key_label(contract))} "
                f"WHERE __row IN (SELECT __row FROM {matched} WHERE NOT same)"
            )
        con.execute(f"DELETE FROM {matched} WHERE NOT same")

    staged.matched = matched
    counts = con.execute(f"SELECT __reason, count(*) FROM {checked} GROUP BY __reason").fetchall()
    staged.read = sum(n for _, n in counts) + staged.filtered
    refused = sum(n for reason, n in counts if reason is not None)
    if source.kind == "csv" and refused and staged.read + 1 != file_lines:
        staged.lines = _line_numbers(wh, source, staged.read)
    if staged.read == 0 and source.kind == "csv" and _has_data_after_header(source.path):
        # Whatever made the reader see no rows, lines that were there must not vanish silently.
        raise InputError(
            f"{source.path}: no rows could be read although the file has lines after the header "
            "(check the quoting of the header and the first lines). Nothing was loaded."
        )
    staged.reasons = {code: n for code in REASON_CODES for reason, n in counts if reason == code}
    return staged


def _write_dataset(wh: _Warehouse, staged: _Staged, loaded_at: datetime) -> DatasetLoad:
    """Insert one staged dataset; runs inside the load's transaction."""
    contract = staged.source.contract
    con = wh.con
    target = wh.table(contract.name)
    quarantine = wh.table(QUARANTINE_TABLE)
    cols = ", ".join(quote_ident(c) for c in stored_columns(contract))
    new_rows = "c.__reason IS NULL"
    if staged.matched is not None:
        new_rows += f" AND c.__row NOT IN (SELECT __row FROM {staged.matched})"
    q_cols = ", ".join(quote_ident(c) for c, _ in QUARANTINE_COLUMNS)
    q_types = ", ".join(f"{quote_ident(c)} {t}" for c, t in QUARANTINE_COLUMNS)
    dataset = quote_literal(contract.name)
    existed = wh.has_table(contract.name)
    con.execute(create_table_sql(contract, target))
    _own_key(wh, contract, existed)
    con.execute(f"CREATE TABLE IF NOT EXISTS {quarantine} ({q_types})")
    # A changed row is updated in place and only keys that have gone are deleted (a warehouse
    # written before 2026-12-04 may still carry a unique index until this load drops it, and DuckDB
    # refuses to delete a key and insert it again in one transaction on an indexed table).
    updated = removed = 0
    if existed and staged.changed is not None:
        updated = _apply_changes(wh, staged, target, loaded_at)
        new_rows += f" AND c.__row NOT IN (SELECT __row FROM {staged.changed})"
    if existed and staged.periods is not None:
        removed, updated = _replace_periods(wh, staged, target)
        key_eq = " AND ".join(f"c.{quote_ident(k)} = t.{quote_ident(k)}" for k in contract.key)
        new_rows += f" AND NOT EXISTS (SELECT 1 FROM {target} AS t WHERE {key_eq})"
    added = con.execute(
        f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {staged.checked} AS c WHERE {new_rows}"
    ).fetchone()[0]
    # One quarantine row per refused record and reason: a cumulative extract that repeats last
    # month's refused rows (under a new file hash, perhaps at new row numbers) adds nothing.
    record = record_json_sql(staged.source, "s")
    row_number, lines_join = "c.__row", ""
    if staged.lines is not None:
        row_number, lines_join = "l.line", f"JOIN {staged.lines} AS l ON l.__row = c.__row "
    quarantine_added = con.execute(
        f"INSERT INTO {quarantine} ({q_cols}) "
        f"SELECT * FROM (SELECT {dataset} AS dataset, {quote_literal(str(staged.source.path))}, "
        f"{quote_literal(staged.file_hash)}, {row_number}, c.__reason AS reason, c.__column, {record} AS record, "
        f"CAST(? AS TIMESTAMP) "
        f"FROM {staged.checked} AS c JOIN {staged.relation} AS s ON s.__row = c.__row {lines_join}"
        f"WHERE c.__reason IS NOT NULL QUALIFY row_number() OVER (PARTITION BY c.__reason, record "
        f"ORDER BY c.__row) = 1) AS n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {quarantine} AS q "
        f"WHERE q.dataset = n.dataset AND q.reason = n.reason AND q.record = n.record) "
        f"ORDER BY 4",
        [loaded_at],
    ).fetchone()[0]
    quarantined = sum(staged.reasons.values())
    return DatasetLoad(
        dataset=contract.name,
        file=str(staged.source.path),
        read=staged.read,
        loaded=staged.read - quarantined - staged.filtered,
        added=int(added),
        quarantined=quarantined,
        reasons=dict(staged.reasons),
        quarantine_added=int(quarantine_added),
        mapped=staged.source.mapping is not None,
        filters=dict(staged.filters),
        unmapped_codes=dict(staged.unmapped),
        mode=staged.mode,
        updated=int(updated),
        removed=int(removed),
    )


def _apply_changes(wh: _Warehouse, staged: _Staged, target: str, loaded_at: datetime) -> int:
    """--mode upsert: record each changed row's old and new values in ``load_changes``, then
    remove the old rows (the insert that follows adds the new ones)."""
    con, contract = wh.con, staged.source.contract
    changes = wh.table(LOAD_CHANGES_TABLE)
    types = ", ".join(f"{quote_ident(c)} {t}" for c, t in LOAD_CHANGES_COLUMNS)
    con.execute(f"CREATE TABLE IF NOT EXISTS {changes} ({types})")
    key_eq = " AND ".join(f"c.{quote_ident(k)} = t.{quote_ident(k)}" for k in contract.key)
    key_json = ", ".join(f"{quote_literal(k)}, t.{quote_ident(k)}" for k in contract.key)
    old_json = ", ".join(f"{quote_literal(k)}, t.{quote_ident(k)}" for k in contract.column_names)
    new_json = ", ".join(f"{quote_literal(k)}, c.{quote_ident(k)}" for k in contract.column_names)
    changed_list = ", ".join(
        f"CASE WHEN c.{quote_ident(k)} IS DISTINCT FROM t.{quote_ident(k)} THEN {quote_literal(k)} END"
        for k in contract.column_names
    )
    rows = f"(SELECT * FROM {staged.checked} WHERE __row IN (SELECT __row FROM {staged.changed}))"
    count = con.execute(
        f"INSERT INTO {changes} SELECT {quote_literal(contract.name)}, CAST(json_object({key_json}) AS VARCHAR), "
        f"concat_ws(',', {changed_list}), CAST(json_object({old_json}) AS VARCHAR), "
        f"CAST(json_object({new_json}) AS VARCHAR), {quote_literal(str(staged.source.path))}, CAST(? AS TIMESTAMP) "
        f"FROM {rows} AS c JOIN {target} AS t ON {key_eq} ORDER BY c.__row",
        [loaded_at],
    ).fetchone()[0]
    _update_from(wh, contract, target, rows)
    return count


def _update_from(wh: _Warehouse, contract: Any, target: str, rows: str, where: str = "TRUE") -> int:
    """Overwrite the non-key columns of the stored rows whose key is in ``rows`` (alias c)."""
    key_eq = " AND ".join(f"c.{quote_ident(k)} = t.{quote_ident(k)}" for k in contract.key)
    values = ", ".join(f"{quote_ident(k)} = c.{quote_ident(k)}" for k in stored_columns(contract) if k not in contract.key)
    return wh.con.execute(f"UPDATE {target} AS t SET {values} FROM {rows} AS c WHERE {key_eq} AND {where}").fetchone()[0]


def _replace_periods(wh: _Warehouse, staged: _Staged, target: str) -> tuple[int, int]:
    """--mode replace-period: stored rows of the file's (organisation, month) pairs that the file no
    longer holds are deleted, those it holds are overwritten; returns (removed, updated)."""
    contract = staged.source.contract
    period = quote_ident(PERIOD_COLUMNS[contract.name])
    in_periods = (f"EXISTS (SELECT 1 FROM {staged.periods} AS p WHERE p.org_code = t.org_code "
                  f"AND p.__month = date_trunc('month', t.{period}))")
    key_eq = " AND ".join(f"c.{quote_ident(k)} = t.{quote_ident(k)}" for k in contract.key)
    rows = f"(SELECT * FROM {staged.checked} WHERE __reason IS NULL)"
    removed = wh.con.execute(
        f"DELETE FROM {target} AS t WHERE {in_periods} AND NOT EXISTS (SELECT 1 FROM {rows} AS c WHERE {key_eq})"
    ).fetchone()[0]
    return int(removed), int(_update_from(wh, contract, target, rows, in_periods))


def _key_marker(contract: Any) -> str:
    return f"unique_key:{contract.name}"


def _own_key(wh: _Warehouse, contract: Any, existed: bool) -> None:
    """Make the loader the keeper of the table's unique key (inside the load's transaction).

    The key is unique because every load refuses a key the file holds twice (``duplicate_key``) or
    the table already holds (an identical row adds nothing, a different one is ``key_conflict``,
    or replaces it with ``--mode upsert``/``replace-period``). No unique index backs it: DuckDB
    builds an index at commit time and outside its ``memory_limit`` (without it the 25M-row
    benchmark peaks about 1 GB lower).
    The marker table records, per dataset, that the table has only been written this way; a table
    without that record (a warehouse written before 2026-12-04) is checked for keys held twice
    once, and the unique index earlier versions created is dropped (it guaranteed the same).
    """
    marked_by = wh.table(MARKER_TABLE) if wh.path is not None else None
    if existed:
        if wh.has_key_index(contract):
            wh.con.execute(f"DROP INDEX {quote_ident(wh.catalog)}.main.{quote_ident(key_index_name(contract))}")
        elif marked_by is None or not wh.con.execute(
            f"SELECT count(*) FROM {marked_by} WHERE key = ?", [_key_marker(contract)]
        ).fetchone()[0]:
            _check_no_duplicate_keys(wh, contract)
    if marked_by is not None:
        wh.con.execute(f"INSERT OR IGNORE INTO {marked_by} VALUES (?, 'wardwatch load')", [_key_marker(contract)])


def _check_no_duplicate_keys(wh: _Warehouse, contract: Any) -> None:
    """Before the loader takes over a table written by an earlier wardwatch: no key twice."""
    target = wh.table(contract.name)
    key = ", ".join(quote_ident(k) for k in contract.key)
    duplicates = wh.con.execute(
        f"SELECT count(*) FROM (SELECT {key} FROM {target} GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]
    if duplicates:
        raise InputError(
            f"{wh.label}: table {contract.name} already holds {duplicates:,} keys twice (written by an "
            "earlier wardwatch, e.g. two loads at once); load the extracts again into a new warehouse. "
            "Nothing was loaded."
        )


def _write_all(wh: _Warehouse, staged: Mapping[str, _Staged], loaded_at: datetime, notify: ProgressCallback) -> dict[str, DatasetLoad]:
    """Write every staged dataset in ONE transaction: all of them are committed, or none."""
    con = wh.con
    for name, s in staged.items():
        # A table written before the <column>_utc columns gets them first, in a transaction of its
        # own: DuckDB refuses to change a table altered earlier in the same transaction.
        if wh.has_table(name):
            try:
                ensure_utc_columns(con, wh.table(name), s.source.contract, wh.catalog, name)
            except duckdb.Error as exc:
                raise WardwatchError(
                    f"{wh.label}: adding the UTC columns to {name} failed ({_first_line(exc)}); nothing was "
                    "loaded. Fix the cause (disk space?) and load again."
                ) from None
    con.execute("BEGIN TRANSACTION")
    try:
        if wh.path is not None:
            write_marker(con, wh.catalog)
        results: dict[str, DatasetLoad] = {}
        for name, s in staged.items():
            notify(name, "writing")
            results[name] = _write_dataset(wh, s, loaded_at)
        notify("warehouse", "committing")
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise WardwatchError(
            f"{wh.label}: writing the load failed ({_first_line(exc)}); nothing was loaded, the warehouse "
            "is as it was. Fix the cause (disk space?) and load again."
        ) from None
    except BaseException:
        _rollback(con)
        raise
    return results


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        # A failed COMMIT has already ended the transaction ("no transaction is active").
        pass


def _checkpoint(wh: _Warehouse, results: Mapping[str, DatasetLoad]) -> None:
    """Write the committed load into the warehouse file and close it.

    Only the checkpoint can fail here; the data is already committed (in the write-ahead log,
    which DuckDB applies when the warehouse is next opened), so the error says exactly that.
    """
    if wh.path is None or wh.catalog is None:
        return
    try:
        wh.con.execute("CHECKPOINT ww_wh")
        wh.detach()
    except duckdb.Error as exc:
        wh.catalog = None
        committed = ", ".join(f"{d.dataset} ({d.added:,} rows added)" for d in results.values())
        raise WardwatchError(
            f"{wh.path}: the load was committed ({committed}) but writing it into the warehouse file "
            f"failed ({_first_line(exc)}); it is kept in {wh.path.name}.wal and applied when the warehouse "
            "is next opened. Free disk space before the next command."
        ) from None


def _drop_temps(wh: _Warehouse, datasets: Iterable[str]) -> None:
    """Remove staging tables from a connection we do not own (a failed stage may leave some)."""
    for name in datasets:
        for what in ("raw", "checked", "matched", "lines", "mapped"):
            wh.con.execute(f"DROP TABLE IF EXISTS {_tmp(name, what)}")


@contextmanager
def _warehouse(db: Any, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> Iterator[_Warehouse]:
    wh = _Warehouse(db, memory_limit)
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
    strict: bool = False,
    mapping: str | Path | Any | None = None,
    mode: str = "append",
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> LoadReport:
    """Validate and load the dataset files in ``directory`` into the warehouse ``db``.

    ``db`` is the path of the DuckDB warehouse file (created if needed), or an open duckdb
    connection / Ibis DuckDB backend. ``datasets`` limits the load to some contracts.
    ``on_progress(dataset, step)`` is called as work proceeds. Raises ``InputError`` (and writes
    nothing) when a file is unreadable or lacks a required column, when the warehouse is held by
    another process, and (``strict``) when every row of a dataset was refused. All datasets are
    written in one transaction: when ``load`` returns, every dataset in the report is committed;
    when it raises, none is (except the one case its message spells out: a failed checkpoint).

    ``mapping``: a mapping (``wardwatch.mappings.Mapping``), the path of a mapping YAML file, or
    the name of a shipped one (``"ecds"``): the datasets it covers are read from their own
    columns and formats (docs/guide/mappings.md). Rows its filters drop are counted as filtered:
    ``read == loaded + quarantined + filtered``.

    ``mode``: ``append`` (default) adds new keys and quarantines a stored key with other values as
    ``key_conflict``; ``upsert`` replaces such a row and records old and new values in
    ``load_changes``; ``replace-period`` first removes every stored row of the (organisation, month)
    pairs the file covers (by the dataset's period column, ``PERIOD_COLUMNS``).

    ``memory_limit``: DuckDB's working memory for a load into a warehouse file (default 2GB);
    larger staging spills to a temporary folder. Not applied to a connection passed in.
    """
    notify = on_progress or (lambda dataset, step: None)
    if mode not in LOAD_MODES:
        raise InputError(f"--mode {mode!r}: use one of {', '.join(LOAD_MODES)}")
    memory_limit = check_memory_limit(memory_limit)
    directory = Path(directory)
    if mapping is not None and not isinstance(mapping, Mapping_):
        mapping = load_mapping(mapping)
    mapped = dict(mapping.datasets) if mapping is not None else {}
    files, missing = find_files(directory, datasets, mapped)
    loaded_at = datetime.now().replace(microsecond=0)
    with _warehouse(db, memory_limit) as wh:
        plain = {n: p for n, p in files.items() if n not in mapped}
        sources = inspect_all(plain, wh.con, wh.scratch)
        sheet_rows: dict[str, list | None] = {}
        for name, path in files.items():
            if name in mapped:
                sources[name], sheet_rows[name] = inspect_mapped(mapped[name], path, wh.scratch)
        sources = {n: sources[n] for n in CONTRACTS if n in sources}
        if mode == "replace-period":
            no_period = [n for n in sources if n not in PERIOD_COLUMNS]
            if no_period:
                raise InputError(
                    f"--mode replace-period: {', '.join(no_period)} has no period column (its rows are states, "
                    "not events in a month); load it with --mode upsert, or leave it out with --dataset. "
                    "Nothing was loaded."
                )
        staged: dict[str, _Staged] = {}
        ok = False
        try:
            wh.attach()
            for name, source in sources.items():
                notify(name, "reading and checking")
                try:
                    staged[name] = _stage(wh, source, *hash_and_lines(source.path), sheet_rows.get(name), mode)
                except duckdb.Error as exc:
                    if source.mapping is not None and "not utf-8 encoded" in str(exc):
                        # The mapping, not the file, is what to change.
                        raise InputError(
                            f"mapping {name}.encoding: {source.path.name} is not {source.mapping.encoding} "
                            "text (Windows exports are usually cp1252). Nothing was loaded."
                        ) from None
                    raise InputError(
                        f"{source.path}: cannot be read ({_read_error(exc)}). Nothing was loaded: fix the "
                        "file and load again."
                    ) from None
                except OSError as exc:
                    raise InputError(f"{source.path}: cannot be read ({exc.strerror or exc}).") from None
            if strict:
                refused = [
                    n for n, s in staged.items() if s.read and not s.read - sum(s.reasons.values()) - s.filtered
                ]
                if refused:
                    raise InputError(
                        f"--strict: every row of {', '.join(refused)} was refused (see the reasons with a "
                        "load without --strict); nothing was loaded."
                    )
            results = _write_all(wh, staged, loaded_at, notify)
            ok = True
            _checkpoint(wh, results)
            for name in results:
                notify(name, "done")
        finally:
            if not wh.owned:
                _drop_temps(wh, sources)
            if not ok:
                wh.discard()
            else:
                wh.detach()
    order = [n for n in CONTRACTS if n in results or n in missing]
    report = tuple(
        results[n] if n in results else DatasetLoad(n, None, 0, 0, 0, 0, {}, 0, status="skipped")
        for n in order
    )
    return LoadReport(db=wh.label, datasets=report)
