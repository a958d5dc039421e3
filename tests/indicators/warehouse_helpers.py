"""Build a typed warehouse from hand-made pandas frames (tables created directly from the contracts,
independent of the ingestion module)."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd

from wardwatch.contracts.schema import CONTRACTS

_DTYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}


def contract_schema(name: str) -> ibis.Schema:
    """The warehouse table's schema: contract columns, then ``<timestamp>_utc`` as the loader adds."""
    columns = {c.name: _DTYPES[c.dtype] for c in CONTRACTS[name].columns}
    columns |= {f"{c.name}_utc": "timestamp" for c in CONTRACTS[name].columns if c.dtype == "timestamp"}
    return ibis.schema(columns)


def with_utc(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Add the missing ``<timestamp>_utc`` columns, computed with pandas (independently of the
    loader): Europe/London wall-clock time, the repeated autumn hour read as summer time (its first
    occurrence), a time in the skipped spring hour moved forward to 02:00 (the loader would refuse it)."""
    frame = frame.copy()
    for c in CONTRACTS[name].columns:
        utc = f"{c.name}_utc"
        if c.dtype != "timestamp" or utc in frame.columns:
            continue
        local = pd.to_datetime(frame[c.name])
        zoned = local.dt.tz_localize(
            "Europe/London", ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
        )
        frame[utc] = zoned.dt.tz_convert("UTC").dt.tz_localize(None)
    return frame


def typed_frame(name: str, rows: list[dict]) -> pd.DataFrame:
    """Rows (dicts with ISO strings for times) -> frame in contract column order, missing optional
    columns as NULL, timestamps/dates parsed."""
    contract = CONTRACTS[name]
    frame = pd.DataFrame(rows, columns=list(contract.column_names))
    for c in contract.columns:
        if c.dtype == "timestamp":
            frame[c.name] = pd.to_datetime(frame[c.name], format="ISO8601")
        elif c.dtype == "date":
            frame[c.name] = pd.to_datetime(frame[c.name], format="ISO8601").dt.date
        elif c.dtype == "int":
            frame[c.name] = frame[c.name].astype("Int64")
        elif c.dtype == "float":
            frame[c.name] = frame[c.name].astype("float64")
        elif c.dtype == "bool":
            frame[c.name] = frame[c.name].astype("boolean")
        else:
            frame[c.name] = frame[c.name].astype(object).where(frame[c.name].notna(), None)
    return frame


def build_warehouse(con: ibis.BaseBackend, frames: dict[str, pd.DataFrame]) -> ibis.BaseBackend:
    """Create each table with its contract types and insert the frame."""
    for name, frame in frames.items():
        con.create_table(name, schema=contract_schema(name), overwrite=True)
        if len(frame):
            con.insert(name, with_utc(name, frame))
    return con
