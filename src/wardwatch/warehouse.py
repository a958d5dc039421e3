"""The warehouse: an embedded DuckDB file by default, reached through Ibis.

Tables: one per input dataset (named after its contract), ``quarantine`` (rows refused at
load, with the reason) and ``measures`` (the long table every chart and judgement reads).
"""

from __future__ import annotations

from pathlib import Path

import ibis

#: The spine of the system (DESIGN.md "measures").
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


def connect_duckdb(db: str | Path | None = None, read_only: bool = False) -> ibis.BaseBackend:
    """Open (creating if needed) the DuckDB warehouse file ``db``; ``None`` gives an in-memory one."""
    if db is None:
        return ibis.duckdb.connect()
    path = Path(db)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return ibis.duckdb.connect(str(path), read_only=read_only)
