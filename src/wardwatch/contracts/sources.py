"""Finding and checking the input files of a load, before anything is written.

For each contract the loader looks for ``DIR/<dataset>.parquet`` or ``DIR/<dataset>.csv``. The
checks here only read headers (CSV first line, Parquet footer), so they are quick even for very
large files; a file that fails them stops the whole load before the warehouse is touched.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from wardwatch.contracts.schema import CONTRACTS, Contract
from wardwatch.contracts.validate import quote_ident, quote_literal
from wardwatch.errors import InputError

SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True)
class SourceFile:
    """A dataset file that passed the header checks."""

    contract: Contract
    path: Path
    kind: str  # "csv" | "parquet"
    columns: tuple[str, ...]  # as named in the file
    types: dict[str, str] = field(default_factory=dict)  # file column -> DuckDB type
    column_map: dict[str, str] = field(default_factory=dict)  # contract column -> file column
    read_path: Path | None = None  # literal alias DuckDB reads instead of ``path`` (see literal_path)
    delimiter: str = ","
    mapping: Any = None  # wardwatch.mappings.DatasetMapping when read through a mapping
    resolved: dict[str, str] = field(default_factory=dict)  # mapping's source column -> header name

    @property
    def ignored_columns(self) -> tuple[str, ...]:
        used = set(self.column_map.values())
        return tuple(c for c in self.columns if c not in used)


# Files a user may have meant as a dataset but that are not read: what to do instead.
_NOT_READ_HINTS = {
    ".xlsx": "save it from Excel as 'CSV UTF-8 (comma delimited)'",
    ".xls": "save it from Excel as 'CSV UTF-8 (comma delimited)'",
    ".gz": "decompress it first (e.g. gunzip)",
    ".zip": "unzip it first",
    ".tsv": "save it comma-separated as .csv",
    ".txt": "save it comma-separated as .csv",
}


def find_files(
    directory: Path, datasets: Iterable[str] | None = None, mapped: dict[str, Any] | None = None
) -> tuple[dict[str, Path], list[str]]:
    """({dataset: file}, [datasets with no file]) for the contracts asked for (all by default).

    ``mapped``: {dataset: DatasetMapping}; those datasets are found by the mapping's file name
    pattern instead of their own name.

    File names are matched without regard to case (``ED_ATTENDANCES.CSV`` is read). A file named
    after a dataset that is not CSV or Parquet (``ed_attendances.xlsx``, ``.csv.gz``) is refused
    with an InputError saying how to convert it, rather than silently skipped.
    """
    if not directory.exists():
        raise InputError(f"{directory}: no such directory. Give the folder holding the dataset files.")
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory. Give the folder holding the dataset files.")
    names = list(CONTRACTS) if datasets is None else list(datasets)
    unknown = [n for n in names if n not in CONTRACTS]
    if unknown:
        raise InputError(
            f"unknown dataset {', '.join(map(repr, unknown))}: choose from {', '.join(CONTRACTS)}."
        )
    entries = sorted(p for p in directory.iterdir() if p.is_file())
    found: dict[str, Path] = {}
    missing: list[str] = []
    problems: list[str] = []
    for name in names:
        if mapped and name in mapped:
            from wardwatch.mappings.read import find_mapped_file

            match = find_mapped_file(directory, entries, mapped[name])
            if match is None:
                missing.append(name)
            else:
                found[name] = match
            continue
        wanted = {f"{name}{suffix}" for suffix in SUFFIXES}
        present = [p for p in entries if p.name.lower() in wanted]
        if len(present) > 1:
            raise InputError(
                f"{directory}: both {present[0].name} and {present[1].name} exist; keep one of them."
            )
        if present:
            found[name] = present[0]
            continue
        missing.append(name)
        for p in entries:
            if p.name.lower().startswith(f"{name}."):
                suffix = p.suffix.lower()
                hint = _NOT_READ_HINTS.get(suffix, "give it as .csv (UTF-8, comma-separated) or .parquet")
                problems.append(f"{p}: not read (only .csv and .parquet files are); {hint}")
    if problems:
        raise InputError(" | ".join(problems) + ". Nothing was loaded.")
    if not found:
        expected = ", ".join(
            repr(mapped[n].file) if mapped and n in mapped else f"{n}.csv|.parquet" for n in names
        )
        raise InputError(f"{directory}: no dataset file found. Expected one of: {expected}.")
    return found, missing


def literal_path(path: Path, scratch: Path | None) -> Path:
    """A path DuckDB reads literally: ``path`` itself, or an alias of it in ``scratch``.

    DuckDB's readers expand ``*``, ``?``, ``[...]`` and ``{...}`` in a path (a folder named
    ``extract*`` would pull in every neighbouring ``extract...`` folder), and there is no escape.
    So every file is read through a symbolic link (else a hard link, else a copy) whose path holds
    none of those characters. ``scratch`` must be such a folder.
    """
    if scratch is None:
        return path
    alias = scratch / f"input-{len(list(scratch.iterdir()))}{''.join(path.suffixes[-1:]).lower()}"
    try:
        alias.symlink_to(path.resolve())
    except OSError:
        try:
            alias.hardlink_to(path)
        except OSError:
            shutil.copyfile(path, alias)
    return alias


def has_pattern_characters(text: str) -> bool:
    return any(ch in text for ch in "*?[]{}")


def _csv_header(path: Path) -> tuple[str, ...]:
    with path.open("rb") as handle:
        first = handle.readline(1_000_000)
    if not first.strip():
        raise InputError(f"{path}: the file is empty; a CSV file needs a header row naming its columns.")
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: the header is not UTF-8 text; save the file as UTF-8 CSV.") from None
    if "\x00" in text:
        raise InputError(f"{path}: this is not a text CSV file (binary content); export it as CSV.")
    if "\r" in text.rstrip("\r\n"):
        raise InputError(
            f"{path}: lines end with a bare carriage return (old Mac line endings); "
            "save the file with LF or CRLF line endings."
        )
    if text.count('"') % 2:
        # An open quote would swallow every line after the header into one column name, and the
        # file would read as zero rows.
        raise InputError(
            f"{path}: the header row has an unterminated quote (\"); every later line would be read "
            "as part of the header. Fix the quotes of the header row."
        )
    try:
        row = next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise InputError(f"{path}: the header row cannot be read as CSV ({exc}).") from None
    # An unnamed column still has to be read (and kept in quarantine records): give it a name.
    return tuple(name.strip() or f"column{i + 1}" for i, name in enumerate(row))


def _parquet_schema(path: Path, con: duckdb.DuckDBPyConnection, read_path: Path) -> dict[str, str]:
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty; expected a Parquet file.")
    try:
        rows = con.sql(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(read_path))})").fetchall()
    except duckdb.Error as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as Parquet ({first_line}).") from None
    return {name: dtype for name, dtype, *_ in rows}


def _match_columns(contract: Contract, path: Path, columns: tuple[str, ...]) -> dict[str, str]:
    """contract column -> file column (names compared without case); InputError if required ones lack."""
    by_lower: dict[str, str] = {}
    for name in columns:
        low = name.lower()
        if not low:
            continue
        if low in by_lower:
            raise InputError(f"{path}: column {name!r} appears twice in the header; keep one.")
        by_lower[low] = name
    mapping = {c.name: by_lower[c.name.lower()] for c in contract.columns if c.name.lower() in by_lower}
    missing = [c for c in contract.required_columns if c not in mapping]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        plural = "s" if len(missing) > 1 else ""
        hint = ""
        if len(columns) == 1 and path.suffix.lower() == ".csv" and any(ch in columns[0] for ch in ";\t|"):
            hint = " The header has a single column: the file must be comma-separated."
        raise InputError(
            f"{path}: missing required column{plural} {names} (dataset {contract.name}).{hint}"
            " Add or rename it; see docs/data-contracts.md."
        )
    return mapping


def inspect_file(
    contract: Contract, path: Path, con: duckdb.DuckDBPyConnection, scratch: Path | None = None
) -> SourceFile:
    """Header checks of one file: readable, and every required column present.

    ``scratch``: a folder for the literal alias DuckDB will read (see ``literal_path``).
    """
    try:
        read_path = literal_path(path, scratch)
        if path.suffix.lower() == ".csv":
            columns = _csv_header(path)
            types = {c: "VARCHAR" for c in columns}
            kind = "csv"
        else:
            types = _parquet_schema(path, con, read_path)
            columns = tuple(types)
            kind = "parquet"
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    mapping = _match_columns(contract, path, columns)
    return SourceFile(contract, path, kind, columns, types, mapping, read_path)


def inspect_all(
    files: dict[str, Path], con: duckdb.DuckDBPyConnection, scratch: Path | None = None
) -> dict[str, SourceFile]:
    """Check every file; one InputError listing all problems (one line) if any fails."""
    sources: dict[str, SourceFile] = {}
    problems: list[str] = []
    for name, path in files.items():
        try:
            sources[name] = inspect_file(CONTRACTS[name], path, con, scratch)
        except InputError as exc:
            problems.append(exc.message)
    if problems:
        raise InputError(" | ".join(problems))
    return sources


def raw_relation_sql(source: SourceFile) -> str:
    """SQL relation reading the file with every column, as named in the file.

    CSV columns are all read as text so that a bad value cannot break the read (the contract
    casts them later); Parquet columns keep their native types.
    """
    path = quote_literal(str(source.read_path or source.path))
    if source.kind == "csv":
        cols = ", ".join(f"{quote_literal(n)}: 'VARCHAR'" for n in source.columns)
        return (
            f"read_csv({path}, header = true, auto_detect = false, delim = {quote_literal(source.delimiter)}, quote = '\"', "
            f"escape = '\"', columns = {{{cols}}}, strict_mode = true, null_padding = false)"
        )
    return f"read_parquet({path}, file_row_number = true)"


def record_json_sql(source: SourceFile, alias: str) -> str:
    """JSON object of the raw values of one row (for the quarantine ``record``)."""

    def value(column: str) -> str:
        ref = f"{alias}.{quote_ident(column)}"
        # NaN and infinity have no JSON spelling: keep them (and every float) as text.
        if source.types.get(column, "").upper() in ("FLOAT", "DOUBLE", "REAL"):
            return f"CAST({ref} AS VARCHAR)"
        return ref

    pairs = ", ".join(f"{quote_literal(c)}, {value(c)}" for c in source.columns)
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def hash_and_lines(path: Path) -> tuple[str, int]:
    """(SHA-256 of the file's bytes, number of lines) in one pass over the file."""
    digest = hashlib.sha256()
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1  # a last line with no newline
    return digest.hexdigest(), lines


def csv_record_lines(path: Path, delimiter: str = ",") -> list[int]:
    """Line (1-based) where each non-blank data record of a CSV file starts.

    Python's reader is used only when the file's line count shows that rows and lines differ
    (blank lines, values spanning lines), so quarantine row numbers can still point at the line.
    """
    starts: list[int] = []
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        for i, record in enumerate(reader):
            if i and record:
                starts.append(line)
            line = reader.line_num + 1
    return starts


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes: identifies the file's content whatever its name."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
