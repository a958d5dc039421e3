"""Reading the ``measures`` table for the report (one query per need, filtered inside DuckDB)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from wardwatch.errors import InputError

MEASURE_COLUMNS = [
    "indicator_id",
    "org_code",
    "site_code",
    "unit_code",
    "period_start",
    "period_grain",
    "numerator",
    "denominator",
    "value",
    "source",
]


def open_warehouse(db: str | Path | Any, read_only: bool = True) -> Any:
    """An Ibis backend for ``db`` (a path to a DuckDB file, or an already open backend)."""
    if not isinstance(db, (str, Path)):
        return db
    path = Path(db)
    if not path.exists():
        raise InputError(f"warehouse {path} does not exist: run `wardwatch load` (or `wardwatch demo`) first")
    from wardwatch.warehouse import connect_duckdb

    return connect_duckdb(path, read_only=read_only)


def has_table(con: Any, name: str) -> bool:
    """Whether table ``name`` exists in the warehouse."""
    from wardwatch.engines import table_names

    return name in table_names(con)


def query(con: Any, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
    """Run a read query on its own DuckDB cursor.

    A fresh cursor is immune to results other code left unfinished on the shared connection
    and keeps the report's reads independent of other readers of the connection.
    """
    raw = getattr(con, "con", None)
    if raw is not None and hasattr(raw, "cursor"):
        cursor = raw.cursor()
        try:
            return cursor.execute(sql, params or []).df()
        finally:
            cursor.close()
    if params:
        raise TypeError("parameterised queries need a DuckDB connection")
    return con.sql(sql).to_pandas()


_SELECT = "SELECT " + ", ".join(MEASURE_COLUMNS) + " FROM measures"


def read_org_measures(con: Any, org_code: str) -> pd.DataFrame:
    """All measures for one organisation, trust level and below, sorted by indicator and period."""
    if not has_table(con, "measures"):
        raise InputError(
            "the warehouse has no `measures` table: run `wardwatch measures` (or the demo) first"
        )
    return _tidy(query(con, _SELECT + " WHERE org_code = ?", [org_code]))


def read_org_cut_offs(con: Any, org_code: str) -> dict[str, date]:
    """indicator_id -> the last day the organisation's data cover (``measures_data_until``, written
    by ``wardwatch measures``); empty when the warehouse has none (published data only, older runs)."""
    if not has_table(con, "measures_data_until"):
        return {}
    rows = query(con, "SELECT indicator_id, data_until FROM measures_data_until WHERE org_code = ?", [org_code])
    return {str(r.indicator_id): pd.Timestamp(r.data_until).date() for r in rows.itertuples() if pd.notna(r.data_until)}


def read_indicator_measures(con: Any, indicator_id: str, grain: str | None = None) -> pd.DataFrame:
    """One indicator for every organisation (used for peer comparisons of published data)."""
    if not has_table(con, "measures"):
        return pd.DataFrame(columns=MEASURE_COLUMNS)
    if grain is None:
        return _tidy(query(con, _SELECT + " WHERE indicator_id = ?", [indicator_id]))
    return _tidy(query(con, _SELECT + " WHERE indicator_id = ? AND period_grain = ?", [indicator_id, grain]))


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.reindex(columns=MEASURE_COLUMNS)
    for col in ("indicator_id", "org_code", "site_code", "unit_code", "period_grain", "source"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    for col in ("numerator", "denominator", "value"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    return frame.sort_values(["indicator_id", "period_grain", "period_start"], kind="stable").reset_index(
        drop=True
    )


def trust_series(frame: pd.DataFrame, indicator_id: str, grain: str, unit: str) -> pd.DataFrame:
    """The whole-trust series (site and unit NULL) of one indicator at one grain.

    When the indicator is only measured below trust level (e.g. per site), the trust figure is
    the sum of numerators over the sum of denominators for proportions and rates, and the mean
    of values otherwise.
    """
    rows = frame[(frame["indicator_id"] == indicator_id) & (frame["period_grain"] == grain)]
    trust = rows[rows["site_code"].isna() & rows["unit_code"].isna()]
    if trust.empty and not rows.empty:
        grouped = rows.groupby("period_start", as_index=False).agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            value=("value", "mean"),
            source=("source", "first"),
        )
        if unit in ("proportion", "rate", "ratio"):
            ok = grouped["denominator"] > 0
            grouped.loc[ok, "value"] = grouped.loc[ok, "numerator"] / grouped.loc[ok, "denominator"]
        trust = grouped
    trust = trust[["period_start", "numerator", "denominator", "value", "source"]]
    trust = trust.drop_duplicates("period_start", keep="last")
    return trust.sort_values("period_start").reset_index(drop=True)
