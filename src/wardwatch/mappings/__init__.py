"""Mappings: read an extract in its own column names and formats (``wardwatch load --mapping``).

A mapping is a YAML file whose top-level keys are dataset (contract) names. For each dataset it
says which file to read (a glob on file names inside the load folder), how to read it (encoding,
delimiter, spreadsheet sheet), and for each contract column which source column(s) hold it, in
which date/time ``format``, and how source codes translate to wardwatch codes (``values``).
``filters`` drop rows the source itself marks as not to be counted (counted, not quarantined).

Every error in a mapping is one line naming the mapping key (``mapping ed_attendances.columns.
arrival_at: ...``). Shipped mappings live next to this module (``ecds.yaml``, ``sepsis_audit.yaml``,
``ris.yaml``, ``esr_training.yaml``) and are named on the command line without a path
(``--mapping ecds``). See docs/guide/mappings.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from wardwatch.contracts.schema import CONTRACTS, Contract
from wardwatch.errors import InputError

SHIPPED_DIR = Path(__file__).parent
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
DEFAULT_TIMEZONE = "Europe/London"
_TEMPORAL = ("timestamp", "date")
_DATASET_KEYS = {"file", "sheet", "encoding", "delimiter", "timezone", "columns", "filters"}
_COLUMN_KEYS = {"source", "date", "time", "format", "values"}
_FILTER_KEYS = {"column", "drop_if"}
# strptime directives DuckDB understands that a date/time format needs at least one of.
_DIRECTIVE_RE = re.compile(r"%[a-zA-Z]")


@dataclass(frozen=True)
class ColumnMapping:
    """How one contract column is read from the source."""

    target: str  # contract column
    key: str  # mapping key, for messages: "ed_attendances.columns.arrival_at"
    sources: tuple[str, ...]  # one source column, or (date column, time column)
    format: str | None = None  # strptime format of the (joined) text; None: contract's ISO rule
    values: dict[str, str | None] | None = None  # source code -> wardwatch code (None: blank)

    @property
    def is_pair(self) -> bool:
        return len(self.sources) == 2


@dataclass(frozen=True)
class RowFilter:
    """Rows whose ``column`` (trimmed text) is one of ``drop_if`` are dropped and counted."""

    key: str
    column: str
    drop_if: tuple[str, ...]

    @property
    def label(self) -> str:
        quoted = ", ".join("'" + v + "'" for v in self.drop_if)
        return f"{self.column} = {quoted}" if len(self.drop_if) == 1 else f"{self.column} in ({quoted})"


@dataclass(frozen=True)
class DatasetMapping:
    dataset: str
    file: str
    encoding: str = "utf-8"
    delimiter: str = ","
    sheet: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    columns: tuple[ColumnMapping, ...] = ()
    filters: tuple[RowFilter, ...] = ()

    @property
    def contract(self) -> Contract:
        return CONTRACTS[self.dataset]

    def source_columns(self) -> list[tuple[str, str]]:
        """(mapping key, source column) for every source column the mapping reads."""
        used = [(c.key, s) for c in self.columns for s in c.sources]
        used += [(f.key, f.column) for f in self.filters]
        return used


@dataclass(frozen=True)
class Mapping:
    name: str  # as given: a shipped name or a path
    datasets: dict[str, DatasetMapping]


def _fail(key: str, message: str) -> InputError:
    return InputError(f"mapping {key}: {message}")


def _text(value: Any, key: str, what: str) -> str:
    """A scalar read as text; yes/no and decimal numbers are refused (YAML turns unquoted yes into
    true and 1.10 into 1.1, so the code the user meant is lost)."""
    if isinstance(value, (bool, float)):
        raise _fail(key, f"{what} {value!r} is not text; write it in quotes")
    if isinstance(value, (str, int)):
        return str(value).strip()
    raise _fail(key, f"{what} must be text, not {type(value).__name__}")


def _check_keys(node: dict, allowed: set[str], key: str) -> None:
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        raise _fail(key, f"unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _check_format(fmt: str, key: str) -> None:
    if not _DIRECTIVE_RE.search(fmt):
        raise _fail(key, f"format {fmt!r} has no strptime directive such as %d, %m, %Y, %H, %M")
    import duckdb

    try:
        duckdb.connect().execute("SELECT try_strptime('2000-01-01', ?)", [fmt]).fetchall()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise _fail(key, f"format {fmt!r} is not a valid strptime format ({first})") from None


def _column(contract: Contract, target: str, node: Any, key: str) -> ColumnMapping:
    if target not in contract.column_names:
        raise _fail(key, f"{contract.name} has no column {target!r} (columns: {', '.join(contract.column_names)})")
    dtype = contract.column(target).dtype
    if isinstance(node, str):
        return ColumnMapping(target, key, (node.strip(),))
    if not isinstance(node, dict):
        raise _fail(key, "give a source column name, or a block with source (or date and time), format, values")
    _check_keys(node, _COLUMN_KEYS, key)
    if "source" in node and ("date" in node or "time" in node):
        raise _fail(key, "give either source or date and time, not both")
    if "source" in node:
        sources: tuple[str, ...] = (_text(node["source"], f"{key}.source", "source"),)
    elif "date" in node and "time" in node:
        sources = (_text(node["date"], f"{key}.date", "date"), _text(node["time"], f"{key}.time", "time"))
        if dtype != "timestamp":
            raise _fail(key, f"date and time columns make a timestamp, but {target} is a {dtype}")
        if "format" not in node:
            raise _fail(f"{key}.format", "required with date and time (e.g. '%d/%m/%Y %H:%M'); never guessed")
    else:
        raise _fail(key, "needs source, or both date and time")
    if any(not s for s in sources):
        raise _fail(key, "a source column name is empty")
    fmt = None
    if "format" in node:
        fmt = _text(node["format"], f"{key}.format", "format")
        if dtype not in _TEMPORAL:
            raise _fail(f"{key}.format", f"only date and timestamp columns take a format; {target} is a {dtype}")
        _check_format(fmt, f"{key}.format")
    values = None
    if "values" in node:
        raw = node["values"]
        if not isinstance(raw, dict) or not raw:
            raise _fail(f"{key}.values", "must map source codes to wardwatch codes (source code: code)")
        if dtype in _TEMPORAL:
            raise _fail(f"{key}.values", f"{target} is a {dtype}; values apply to coded columns")
        col = contract.column(target)
        values = {}
        for code, mapped in raw.items():
            code_text = _text(code, f"{key}.values", "source code")
            if mapped is None:
                values[code_text] = None
                continue
            mapped_text = _text(mapped, f"{key}.values.{code_text}", "code")
            if col.codes is not None and mapped_text not in col.codes:
                raise _fail(
                    f"{key}.values.{code_text}",
                    f"{mapped_text!r} is not a {target} code (codes: {', '.join(col.codes)})",
                )
            values[code_text] = mapped_text
    return ColumnMapping(target, key, sources, fmt, values)


def _filter(node: Any, key: str) -> RowFilter:
    if not isinstance(node, dict):
        raise _fail(key, "a filter is a block with column and drop_if")
    _check_keys(node, _FILTER_KEYS, key)
    if "column" not in node or "drop_if" not in node:
        raise _fail(key, "a filter needs column and drop_if")
    column = _text(node["column"], f"{key}.column", "column")
    raw = node["drop_if"]
    raw = raw if isinstance(raw, list) else [raw]
    if not raw:
        raise _fail(f"{key}.drop_if", "give at least one value")
    values = tuple(_text(v, f"{key}.drop_if", "value") for v in raw)
    return RowFilter(key, column, values)


def _dataset(name: str, node: Any) -> DatasetMapping:
    if name not in CONTRACTS:
        raise _fail(name, f"unknown dataset (choose from {', '.join(CONTRACTS)})")
    if not isinstance(node, dict):
        raise _fail(name, "must be a block with file and columns")
    _check_keys(node, _DATASET_KEYS, name)
    contract = CONTRACTS[name]
    if "file" not in node:
        raise _fail(f"{name}.file", "missing: the file name (glob) to read, e.g. 'ecds_*.csv'")
    file = _text(node["file"], f"{name}.file", "file")
    if not file or "/" in file or "\\" in file:
        raise _fail(f"{name}.file", "a file name pattern inside the folder, without a folder")
    encoding = _text(node.get("encoding", "utf-8"), f"{name}.encoding", "encoding").lower()
    if encoding not in ENCODINGS:
        raise _fail(f"{name}.encoding", f"{encoding!r} is not supported (choose from {', '.join(ENCODINGS)})")
    delimiter = node.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\"\r\n":
        raise _fail(f"{name}.delimiter", "one character, not a quote or line break (e.g. ',' '|' or '\\t')")
    sheet = node.get("sheet")
    if sheet is not None:
        sheet = _text(sheet, f"{name}.sheet", "sheet")
    timezone = _text(node.get("timezone", DEFAULT_TIMEZONE), f"{name}.timezone", "timezone")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise _fail(f"{name}.timezone", f"unknown time zone {timezone!r} (e.g. Europe/London, UTC)") from None
    raw_columns = node.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise _fail(f"{name}.columns", "missing: map each contract column to a source column")
    columns = tuple(_column(contract, str(t), n, f"{name}.columns.{t}") for t, n in raw_columns.items())
    mapped = {c.target for c in columns}
    unmapped = [c for c in contract.required_columns if c not in mapped]
    if unmapped:
        raise _fail(f"{name}.columns", f"required column {unmapped[0]!r} is not mapped")
    for col in columns:
        if col.format is not None and "%z" in col.format and timezone != "UTC":
            # the value's own offset gives its instant exactly; it is passed on as UTC time
            raise _fail(f"{col.key}.format", f"%z reads each value's own UTC offset: set {name}.timezone: UTC")
    if timezone != DEFAULT_TIMEZONE:
        for col in columns:
            if contract.column(col.target).dtype == "timestamp" and col.format is None:
                raise _fail(f"{col.key}.format", f"required when the timezone is {timezone} (not {DEFAULT_TIMEZONE})")
    raw_filters = node.get("filters", [])
    if not isinstance(raw_filters, list):
        raise _fail(f"{name}.filters", "must be a list of blocks with column and drop_if")
    filters = tuple(_filter(f, f"{name}.filters[{i}]") for i, f in enumerate(raw_filters))
    return DatasetMapping(name, file, encoding, delimiter, sheet, timezone, columns, filters)


def parse_mapping(text: str, name: str) -> Mapping:
    """A validated mapping from YAML text; InputError (one line, naming the key) if it is wrong."""
    try:
        node = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise InputError(f"mapping {name}: not valid YAML{line}") from None
    if not isinstance(node, dict) or not node:
        raise InputError(f"mapping {name}: must map dataset names to their mapping (e.g. ed_attendances:)")
    return Mapping(name, {str(k): _dataset(str(k), v) for k, v in node.items()})


def shipped_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in SHIPPED_DIR.glob("*.yaml")))


def load_mapping(spec: str | Path) -> Mapping:
    """A shipped mapping by name (``ecds``) or a mapping file by path."""
    text_spec = str(spec)
    shipped = SHIPPED_DIR / f"{text_spec}.yaml"
    if "/" not in text_spec and "\\" not in text_spec and not text_spec.endswith((".yaml", ".yml")):
        if shipped.is_file():
            return parse_mapping(shipped.read_text(encoding="utf-8"), text_spec)
        raise InputError(
            f"mapping {text_spec}: no shipped mapping of that name (shipped: {', '.join(shipped_names())}); "
            "give the path of a .yaml file"
        )
    path = Path(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"mapping {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"mapping {path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    return parse_mapping(text, str(path))
