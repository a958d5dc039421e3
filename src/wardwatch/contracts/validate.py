"""Set-based validation of a dataset against its contract, as SQL run inside DuckDB.

Nothing here loops over rows in Python: from a contract and the column types of a source
relation we generate one SELECT that, for every row at once, casts each value to its contract
type and names the first rule the row breaks (``wardwatch.contracts.reasons.REASONS`` order).

Reading rules (documented in docs/data-contracts.md):

* Surrounding spaces are removed from text values; an empty value is *blank*.
* Timestamps: ``YYYY-MM-DD HH:MM`` or ``YYYY-MM-DD HH:MM:SS`` (optionally ``.ffffff``), with a space
  or ``T`` between date and time; no time zone (naive local time). Dates: ``YYYY-MM-DD``.
* Whole numbers: optional sign and digits; ``3.0`` is accepted as 3, ``3.5`` is refused.
* Decimal numbers: plain notation (``12``, ``-0.5``, ``1e3``); digit separators (``1_000``,
  ``1,000``) are refused.
* Timestamps have hours 00-23 (``24:00`` is refused, not moved to the next day); every date and
  timestamp must fall in the contract's plausible range (``implausible_date``).
* Booleans: true/false, 1/0, yes/no, y/n, t/f, any case.
* Typed sources (Parquet): native types are cast directly; NaN in a float column is blank;
  zoned timestamps are converted to Europe/London local time; a timestamp at midnight is a date.

The duplicate-key and key-conflict rules need the whole file and the warehouse, so they are
applied afterwards by ``wardwatch.ingest`` with the ``key`` helpers here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from wardwatch.contracts.schema import Column, Contract, utc_column

#: DuckDB type of each contract type in the warehouse (team brief: shared conventions).
SQL_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}

# "1.0"/"0.0": a flag column that passed through a spreadsheet or pandas as floats
TRUE_WORDS = ("true", "1", "1.0", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "0.0", "no", "n", "f")

# Hours 00-23, minutes and seconds 00-59: DuckDB would roll 24:00 over to the next day.
_TIMESTAMP_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_INT_RE = r"[+-]?[0-9]{1,18}"
_WHOLE_DECIMAL_RE = r"[+-]?[0-9]{1,18}\.0*"
# Plain decimal notation only: DuckDB's cast would also take digit separators (1_000).
_FLOAT_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"

_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "HUGEINT",
    "UHUGEINT",
)
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL")
_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "CHAR", "BPCHAR")


def quote_ident(name: str) -> str:
    """``name`` as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a DuckDB string literal."""
    return "'" + value.replace("'", "''") + "'"


def blank_flag(name: str) -> str:
    """Name of the helper column that says whether ``name`` was blank in the source."""
    return f"__blank_{name}"


def _in_list(expr: str, values: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(quote_literal(v) for v in values)})"


def _base_type(source_type: str) -> str:
    return source_type.upper().split("(")[0].strip()


def _text_value(src: str) -> str:
    return f"NULLIF(TRIM({src}), '')"


def _parse_text(text: str, dtype: str) -> str:
    """SQL that parses the trimmed, non-empty text ``text`` as ``dtype`` (NULL when unreadable)."""
    if dtype == "string":
        return text
    if dtype == "int":
        return (
            f"CASE WHEN regexp_full_match({text}, '{_INT_RE}') THEN TRY_CAST({text} AS BIGINT) "
            f"WHEN regexp_full_match({text}, '{_WHOLE_DECIMAL_RE}') "
            f"THEN TRY_CAST(split_part({text}, '.', 1) AS BIGINT) END"
        )
    if dtype == "float":
        return (
            f"CASE WHEN regexp_full_match({text}, '{_FLOAT_RE}') AND isfinite(TRY_CAST({text} AS DOUBLE)) "
            f"THEN TRY_CAST({text} AS DOUBLE) END"
        )
    if dtype == "bool":
        low = f"lower({text})"
        return f"CASE WHEN {_in_list(low, TRUE_WORDS)} THEN TRUE WHEN {_in_list(low, FALSE_WORDS)} THEN FALSE END"
    if dtype == "timestamp":
        return (
            f"CASE WHEN regexp_full_match({text}, '{_TIMESTAMP_RE}') THEN TRY_CAST({text} AS TIMESTAMP) END"
        )
    if dtype == "date":
        return f"CASE WHEN regexp_full_match({text}, '{_DATE_RE}') THEN TRY_CAST({text} AS DATE) END"
    raise ValueError(f"unknown contract type {dtype!r}")


def value_sql(column: Column, source_name: str | None, source_type: str | None) -> tuple[str, str]:
    """(typed value, is-blank flag) SQL expressions for ``column`` read from ``source_name``.

    ``source_name`` is None when an optional column is absent from the file: every value is blank.
    A value is unreadable exactly when it is not blank and the typed value is NULL.
    """
    sql_type = SQL_TYPES[column.dtype]
    if source_name is None:
        return f"CAST(NULL AS {sql_type})", "TRUE"
    src = quote_ident(source_name)
    base = _base_type(source_type or "VARCHAR")
    if base in _TEXT_TYPES:
        text = _text_value(src)
        return _parse_text(text, column.dtype), f"({text} IS NULL)"

    blank = f"({src} IS NULL)"
    if base in _FLOAT_TYPES:
        # Writers often store a missing number as NaN: treat it as blank, not as unreadable.
        # Not isnan(): DuckDB 2.0 folds it to FALSE from Parquet column statistics (NaN-free
        # min/max), so NaN is recognised from its text, only for the rare non-finite values.
        blank = f"({src} IS NULL OR (NOT isfinite({src}) AND lower(CAST({src} AS VARCHAR)) = 'nan'))"
    dtype = column.dtype
    typed: str
    if dtype == "string":
        typed = _text_value(f"CAST({src} AS VARCHAR)")
        blank = f"({typed} IS NULL)" if base not in _FLOAT_TYPES else blank
    elif dtype == "int":
        if base in _INTEGER_TYPES:
            typed = f"TRY_CAST({src} AS BIGINT)"
        elif base in _FLOAT_TYPES or base == "DECIMAL":
            as_double = f"CAST({src} AS DOUBLE)"
            typed = (
                f"CASE WHEN isfinite({as_double}) AND {as_double} = trunc({as_double}) "
                f"THEN TRY_CAST({src} AS BIGINT) END"
            )
        else:
            typed = "CAST(NULL AS BIGINT)"
    elif dtype == "float":
        if base in _INTEGER_TYPES or base in _FLOAT_TYPES or base == "DECIMAL":
            typed = f"CASE WHEN isfinite(CAST({src} AS DOUBLE)) THEN CAST({src} AS DOUBLE) END"
        else:
            typed = "CAST(NULL AS DOUBLE)"
    elif dtype == "bool":
        if base == "BOOLEAN":
            typed = src
        elif base in _INTEGER_TYPES or base in _FLOAT_TYPES or base == "DECIMAL":
            # floats 1.0/0.0 too (pandas writes an int column with blanks as float); 0.5 is refused
            typed = f"CASE WHEN {src} = 1 THEN TRUE WHEN {src} = 0 THEN FALSE END"
        else:
            typed = "CAST(NULL AS BOOLEAN)"
    elif dtype == "timestamp":
        if base in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
            typed = f"CAST(timezone('Europe/London', {src}) AS TIMESTAMP)"
        elif base.startswith("TIMESTAMP") or base == "DATETIME":
            typed = f"CAST({src} AS TIMESTAMP)"
        else:
            typed = "CAST(NULL AS TIMESTAMP)"
    elif dtype == "date":
        if base == "DATE":
            typed = src
        elif base.startswith("TIMESTAMP") and "TIME ZONE" not in base and base != "TIMESTAMPTZ":
            typed = f"CASE WHEN CAST({src} AS TIME) = TIME '00:00:00' THEN CAST({src} AS DATE) END"
        else:
            typed = "CAST(NULL AS DATE)"
    else:
        raise ValueError(f"unknown contract type {dtype!r}")
    return f"CAST({typed} AS {sql_type})", blank


@dataclass(frozen=True)
class RowRule:
    """One row-level check: rows where ``condition`` is true break it, at ``column``."""

    reason: str
    column: str
    condition: str


_PARSE_REASONS = {
    "timestamp": "bad_timestamp",
    "date": "bad_date",
    "int": "bad_number",
    "float": "bad_number",
    "bool": "bad_boolean",
}


def row_rules(contract: Contract) -> list[RowRule]:
    """The row-level rules of ``contract`` in the order they are checked.

    Conditions refer to the typed columns (named as in the contract) and their blank flags.
    Within one reason, columns are checked in contract order.
    """
    rules: list[RowRule] = []
    key = set(contract.key)
    for name in contract.key:
        rules.append(RowRule("blank_key", name, quote_ident(blank_flag(name))))
    for reason in ("bad_timestamp", "bad_date", "bad_number", "bad_boolean"):
        for col in contract.columns:
            if _PARSE_REASONS.get(col.dtype) == reason:
                cond = f"(NOT {quote_ident(blank_flag(col.name))} AND {quote_ident(col.name)} IS NULL)"
                rules.append(RowRule(reason, col.name, cond))
    for col in contract.columns:
        if col.codes is not None:
            value = quote_ident(col.name)
            if col.dtype == "int" and all(re.fullmatch(r"-?(0|[1-9][0-9]*)", c) for c in col.codes):
                # the same test as on the text of the value, without casting every row to text
                allowed = f"{value} IN ({', '.join(col.codes)})"
            else:
                as_text = value if col.dtype == "string" else f"CAST({value} AS VARCHAR)"
                allowed = _in_list(as_text, col.codes)
            rules.append(RowRule("unknown_code", col.name, f"({value} IS NOT NULL AND NOT {allowed})"))
    for col in contract.columns:
        if col.pattern is not None:
            value = quote_ident(col.name)
            cond = f"({value} IS NOT NULL AND NOT regexp_matches({value}, {quote_literal(col.pattern)}))"
            rules.append(RowRule("bad_code_format", col.name, cond))
    for col in contract.columns:
        bounds = []
        value = quote_ident(col.name)
        if col.min is not None:
            bounds.append(f"{value} < {col.min!r}")
        if col.max is not None:
            bounds.append(f"{value} > {col.max!r}")
        if col.month_start:
            # two rows for one month on different days would both load and be summed
            bounds.append(f"day({value}) <> 1")
        if bounds:
            rules.append(
                RowRule("out_of_range", col.name, f"({value} IS NOT NULL AND ({' OR '.join(bounds)}))")
            )
    earliest, latest = contract.plausible_dates
    for col in contract.columns:
        if col.dtype in ("timestamp", "date"):
            value = quote_ident(col.name)
            if col.dtype == "date":
                cond = f"({value} IS NOT NULL AND NOT ({value} BETWEEN DATE '{earliest}' AND DATE '{latest}'))"
            else:
                # The whole last day is in range: before midnight at its end (no cast of every row to DATE).
                after = (date.fromisoformat(str(latest)) + timedelta(days=1)).isoformat()
                cond = (f"({value} IS NOT NULL AND NOT ({value} >= TIMESTAMP '{earliest}' "
                        f"AND {value} < TIMESTAMP '{after}'))")
            rules.append(RowRule("implausible_date", col.name, cond))
    for col in contract.columns:
        if not col.nullable and col.name not in key:
            rules.append(RowRule("blank_required_value", col.name, quote_ident(blank_flag(col.name))))
        elif col.required_when is not None:
            # blank allowed, except on the rows the predicate picks (a NULL predicate: not picked)
            cond = f"({quote_ident(blank_flag(col.name))} AND coalesce(({col.required_when[0]}), FALSE))"
            rules.append(RowRule("blank_required_value", col.name, cond))
    for rule in contract.order_rules:
        # NULL on either side makes the comparison NULL, i.e. not a failure: the rule only
        # applies when both events are recorded.
        later, earlier = quote_ident(rule.later), quote_ident(rule.earlier)
        cond = f"({later} < {earlier})"
        if contract.column(rule.later).dtype == "timestamp":
            # Local clock time repeats 01:00-01:59 when the clocks go back (last Sunday of
            # October, UK): a later event in the second pass of that hour can read as earlier.
            cond = f"({cond} AND NOT ({_clock_back_hour(earlier)} AND {_clock_back_hour(later)}))"
        rules.append(RowRule("events_out_of_order", f"{rule.later}<{rule.earlier}", cond))
    return rules


def _clock_back_hour(ts: str) -> str:
    """SQL: ``ts`` falls in the repeated hour of the UK autumn clock change (01:00-01:59 local)."""
    return f"(month({ts}) = 10 AND day({ts}) >= 25 AND dayofweek({ts}) = 0 AND hour({ts}) = 1)"


def checked_select(
    contract: Contract, source: str, source_types: Mapping[str, str], column_map: Mapping[str, str]
) -> str:
    """A SELECT over ``source`` (a relation with ``__row`` and the file's columns) giving
    ``__row``, the typed contract columns, ``__reason`` and ``__column`` (NULL for valid rows).

    ``column_map`` maps contract column name -> column name in the source (absent = not in file);
    ``source_types`` maps source column name -> DuckDB type.
    """
    inner: list[str] = ["__row"]
    for col in contract.columns:
        src_name = column_map.get(col.name)
        typed, blank = value_sql(col, src_name, source_types.get(src_name) if src_name else None)
        inner.append(f"{typed} AS {quote_ident(col.name)}")
        inner.append(f"{blank} AS {quote_ident(blank_flag(col.name))}")
    rules = row_rules(contract)
    # One pass over the rules: the number of the first rule the row breaks (NULL if none), from
    # which reason and column are looked up. Two CASEs (one per output) cost twice as much.
    rule = "CASE " + " ".join(f"WHEN {r.condition} THEN {i}" for i, r in enumerate(rules, 1)) + " END"
    reasons = "[" + ", ".join(quote_literal(r.reason) for r in rules) + "]"
    columns = "[" + ", ".join(quote_literal(r.column) for r in rules) + "]"
    names = ", ".join(quote_ident(c) for c in contract.column_names)
    return (
        f"SELECT __row, {names}, {reasons}[__rule] AS __reason, {columns}[__rule] AS __column "
        f"FROM (SELECT __row, {names}, {rule} AS __rule FROM (SELECT {', '.join(inner)} FROM {source}) AS typed) AS ruled"
    )


def key_label(contract: Contract) -> str:
    """How the key is named in the quarantine ``column_name`` for key rules."""
    return "+".join(contract.key)


def create_table_sql(contract: Contract, table: str) -> str:
    """CREATE TABLE IF NOT EXISTS for the typed warehouse table, columns in contract order, then the
    UTC instant of each timestamp column (``<column>_utc``, wardwatch.contracts.timezones)."""
    cols = ", ".join(f"{quote_ident(c.name)} {SQL_TYPES[c.dtype]}" for c in contract.columns)
    cols += "".join(f", {quote_ident(utc_column(c.name))} TIMESTAMP" for c in contract.columns if c.dtype == "timestamp")
    return f"CREATE TABLE IF NOT EXISTS {table} ({cols})"


def key_index_name(contract: Contract) -> str:
    """Name of the unique key index wardwatch created before 2026-12-04 (the loader drops it: it
    now enforces the key itself, wardwatch.ingest._own_key)."""
    return f"{contract.name}_key"
