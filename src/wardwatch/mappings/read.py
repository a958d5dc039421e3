"""Reading a mapped source: find its file, check its header, and translate it into contract columns.

The translation is SQL run inside DuckDB (no row loop in Python for CSV files): the raw file is
read with every column as text, then one SELECT gives, per row, the contract columns as text in
the contract's own formats (ISO dates), which the ordinary validation path then types and checks.
Spreadsheets are read with python-calamine into an Arrow table of text first.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import fnmatch
import io
from pathlib import Path

import duckdb
import pyarrow as pa

from wardwatch.contracts.sources import SourceFile, literal_path
from wardwatch.contracts.validate import quote_ident, quote_literal
from wardwatch.errors import InputError
from wardwatch.mappings import SPREADSHEET_SUFFIXES, ColumnMapping, DatasetMapping

#: Helper columns of the translated relation, besides ``__row`` and the contract columns.
DROPPED = "__dropped"  # label of the filter that drops the row, or NULL
UNMAPPED_COLUMN = "__unmapped_column"  # first contract column whose source code has no mapping

_ISO_FORMATS = {"timestamp": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}
# Cells that hold real dates in a spreadsheet are written as ISO text (see _cell_text).
_SHEET_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def unmapped_flag(target: str) -> str:
    return f"__unmapped_{target}"


def find_mapped_file(directory: Path, entries: list[Path], mapping: DatasetMapping) -> Path | None:
    """The one file in ``directory`` whose name matches the mapping's pattern (None if none).

    The pattern is matched against file names only, in Python: characters like ``[`` in the
    folder's own path are never read as a pattern.
    """
    present = [p for p in entries if fnmatch.fnmatchcase(p.name, mapping.file)]
    if len(present) > 1:
        names = ", ".join(p.name for p in present[:3])
        raise InputError(
            f"mapping {mapping.dataset}.file: {mapping.file!r} matches {len(present)} files in {directory} "
            f"({names}); keep one or make the pattern narrower"
        )
    return present[0] if present else None


def _cell_text(value: object) -> str | None:
    """A spreadsheet cell as text: whole numbers without '.0', dates as ISO text, empty as NULL."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _sheet_rows(path: Path, mapping: DatasetMapping) -> list[list[object]]:
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
    except (python_calamine.CalamineError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as a spreadsheet ({str(exc).splitlines()[0]}).") from None
    names = list(book.sheet_names)
    if mapping.sheet is None:
        if not names:
            raise InputError(f"{path}: the spreadsheet has no sheets.")
        sheet = book.get_sheet_by_index(0)
    elif mapping.sheet in names:
        sheet = book.get_sheet_by_name(mapping.sheet)
    else:
        raise InputError(
            f"mapping {mapping.dataset}.sheet: no sheet {mapping.sheet!r} in {path.name} "
            f"(sheets: {', '.join(names)})"
        )
    return sheet.to_python(skip_empty_area=False)


def _header_names(raw: list[object]) -> tuple[str, ...]:
    return tuple((_cell_text(v) or "").strip() or f"column{i + 1}" for i, v in enumerate(raw))


def _csv_header(path: Path, mapping: DatasetMapping) -> tuple[str, ...]:
    with path.open("rb") as handle:
        first = handle.readline(1_000_000)
    if not first.strip():
        raise InputError(f"{path}: the file is empty; a CSV file needs a header row naming its columns.")
    try:
        text = first.decode(mapping.encoding)
    except UnicodeDecodeError:
        raise InputError(
            f"mapping {mapping.dataset}.encoding: the header of {path.name} is not {mapping.encoding} text"
        ) from None
    row = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=mapping.delimiter), [])
    return tuple(name.strip() or f"column{i + 1}" for i, name in enumerate(row))


def _transcode(path: Path, mapping: DatasetMapping, scratch: Path) -> Path:
    """A UTF-8 copy of ``path`` in ``scratch`` (DuckDB reads UTF-8 only without extensions),
    written in chunks so memory stays bounded whatever the file's size."""
    target = scratch / f"input-{len(list(scratch.iterdir()))}.csv"
    decoder = codecs.getincrementaldecoder(mapping.encoding)(errors="strict")
    lines = 1
    with path.open("rb") as source, target.open("w", encoding="utf-8", newline="") as out:
        while chunk := source.read(1 << 20):
            try:
                out.write(decoder.decode(chunk))
            except UnicodeDecodeError as exc:
                line = lines + chunk[: exc.start].count(b"\n")
                raise InputError(
                    f"mapping {mapping.dataset}.encoding: {path.name} line {line} is not {mapping.encoding} "
                    f"text (byte 0x{chunk[exc.start]:02x})"
                ) from None
            lines += chunk.count(b"\n")
        out.write(decoder.decode(b"", final=True))
    return target


def inspect_mapped(
    mapping: DatasetMapping, path: Path, scratch: Path | None
) -> tuple[SourceFile, list[list[object]] | None]:
    """Header checks of a mapped file: every source column the mapping names is there.

    Returns the source and, for a spreadsheet, its rows (header first).
    """
    rows = None
    try:
        if path.suffix.lower() in SPREADSHEET_SUFFIXES:
            rows = _sheet_rows(path, mapping)
            if not rows:
                raise InputError(f"{path}: the sheet is empty; it needs a header row naming its columns.")
            columns = _header_names(rows[0])
            kind, read_path = "sheet", None
        else:
            columns = _csv_header(path, mapping)
            kind = "csv"
            if mapping.encoding == "cp1252" and scratch is not None:
                read_path = _transcode(path, mapping, scratch)
            else:
                read_path = literal_path(path, scratch)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from None
    by_lower: dict[str, str] = {}
    for name in columns:
        if name.lower() in by_lower:
            raise InputError(f"{path}: column {name!r} appears twice in the header; keep one.")
        by_lower[name.lower()] = name
    resolved: dict[str, str] = {}
    for key, wanted in mapping.source_columns():
        found = by_lower.get(wanted.lower())
        if found is None:
            raise InputError(f"mapping {key}: unknown source column {wanted!r} (not in {path.name})")
        resolved[wanted] = found
    column_map = {c.target: c.target for c in mapping.columns}
    source = SourceFile(
        mapping.contract,
        path,
        kind,
        columns,
        {c: "VARCHAR" for c in columns},
        column_map,
        read_path,
        delimiter=mapping.delimiter,
        mapping=mapping,
        resolved=resolved,
    )
    return source, rows


def create_raw_table(
    con: duckdb.DuckDBPyConnection, source: SourceFile, table: str, rows: list[list[object]] | None
) -> None:
    """Temp table ``table`` with the file's columns, all text, in the file's row order."""
    if source.kind == "csv":
        from wardwatch.contracts.sources import raw_relation_sql

        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {raw_relation_sql(source)}")
        return
    assert rows is not None
    width = len(source.columns)
    body = rows[1:]
    arrays = {
        name: pa.array([_cell_text(r[i]) if i < len(r) else None for r in body], type=pa.string())
        for i, name in enumerate(source.columns[:width])
    }
    arrow = pa.table(arrays)
    con.register("__ww_sheet", arrow)
    try:
        # A sheet's empty rows at the end are not rows of the extract.
        non_blank = " OR ".join(f"{quote_ident(c)} IS NOT NULL" for c in source.columns) or "TRUE"
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM __ww_sheet WHERE {non_blank}")
    finally:
        con.unregister("__ww_sheet")


def _text(source: SourceFile, column: str) -> str:
    return f"NULLIF(TRIM({quote_ident(source.resolved[column])}), '')"


def _column_sql(source: SourceFile, col: ColumnMapping) -> tuple[str, str | None]:
    """(value as contract-format text, unmapped source code or NULL) for one mapped column."""
    mapping: DatasetMapping = source.mapping
    dtype = mapping.contract.column(col.target).dtype
    if col.is_pair:
        date, time = (_text(source, s) for s in col.sources)
        # Joined by one space: the format names both halves ('%d/%m/%Y %H:%M').
        text = (
            f"(CASE WHEN {date} IS NULL AND {time} IS NULL THEN NULL "
            f"ELSE coalesce({date}, '') || ' ' || coalesce({time}, '') END)"
        )
    else:
        text = _text(source, col.sources[0])
    if col.values is not None:
        whens = " ".join(
            f"WHEN {quote_literal(code)} THEN {'NULL' if to is None else quote_literal(to)}"
            for code, to in col.values.items()
        )
        codes = ", ".join(quote_literal(code) for code in col.values)
        return f"(CASE {text} {whens} END)", f"(CASE WHEN {text} NOT IN ({codes}) THEN {text} END)"
    if col.format is None:
        return text, None
    formats = [col.format] + (list(_SHEET_DATE_FORMATS) if source.kind == "sheet" else [])
    listed = "[" + ", ".join(quote_literal(f) for f in formats) + "]"
    parsed = f"try_strptime({text}, {listed})"
    if "%z" in col.format:
        # each value carries its offset: its UTC time, whatever DuckDB's session time zone
        # (the mapping's timezone is UTC, checked when it is read)
        parsed = f"timezone('UTC', try_strptime({text}, {quote_literal(col.format)}))"
    # Text that does not match the format is passed on marked, so it fails the contract's
    # reading rule (bad_timestamp / bad_date) instead of being read some other way.
    value = (
        f"(CASE WHEN {text} IS NULL THEN NULL WHEN {parsed} IS NULL THEN 'unreadable: ' || {text} "
        f"ELSE strftime({parsed}, {quote_literal(_ISO_FORMATS[dtype])}) END)"
    )
    return value, None


def mapped_select(source: SourceFile, relation: str) -> str:
    """SELECT over ``relation`` (``__row`` and the file's columns, as text) giving ``__row``, the
    mapped contract columns (text in the contract's formats), one unmapped-code column per
    ``values`` mapping, ``__unmapped_column`` and ``__dropped``."""
    mapping: DatasetMapping = source.mapping
    order = {name: i for i, name in enumerate(mapping.contract.column_names)}
    outputs = ["__row"]
    unmapped: list[tuple[str, str]] = []
    for col in sorted(mapping.columns, key=lambda c: order[c.target]):
        value, code = _column_sql(source, col)
        outputs.append(f"{value} AS {quote_ident(col.target)}")
        if code is not None:
            outputs.append(f"{code} AS {quote_ident(unmapped_flag(col.target))}")
            unmapped.append((col.target, code))
    if unmapped:
        whens = " ".join(f"WHEN {code} IS NOT NULL THEN {quote_literal(target)}" for target, code in unmapped)
        outputs.append(f"CASE {whens} END AS {UNMAPPED_COLUMN}")
    else:
        outputs.append(f"CAST(NULL AS VARCHAR) AS {UNMAPPED_COLUMN}")
    if mapping.filters:
        whens = " ".join(
            f"WHEN TRIM({quote_ident(source.resolved[f.column])}) IN "
            f"({', '.join(quote_literal(v) for v in f.drop_if)}) THEN {quote_literal(f.label)}"
            for f in mapping.filters
        )
        outputs.append(f"CASE {whens} END AS {DROPPED}")
    else:
        outputs.append(f"CAST(NULL AS VARCHAR) AS {DROPPED}")
    return f"SELECT {', '.join(outputs)} FROM {relation}"


def unmapped_targets(source: SourceFile) -> list[str]:
    return [c.target for c in source.mapping.columns if c.values is not None]
