"""Reading and writing the ``measures`` table of a DuckDB warehouse (one transaction per write)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from wardwatch.csvsafe import write_csv
from wardwatch.engines import table_names
from wardwatch.warehouse import CUT_OFFS_TABLE, MEASURES_SCHEMA, staged, transaction

MEASURES = "measures"
#: the extract cut-off per indicator and organisation (engine.data_until): a period ending after
#: it is incomplete; kept beside ``measures`` so the measures columns stay as published data have them
CUT_OFFS = CUT_OFFS_TABLE


def ensure_measures_table(con: ibis.BaseBackend) -> None:
    """Create ``measures`` with ``MEASURES_SCHEMA`` when the warehouse has none yet."""
    if MEASURES not in table_names(con):
        con.create_table(MEASURES, schema=MEASURES_SCHEMA)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    frame = frame[list(MEASURES_SCHEMA.names)].copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return pa.Table.from_pandas(frame, schema=MEASURES_SCHEMA.to_pyarrow(), preserve_index=False)


def replace_measures(
    con: ibis.BaseBackend,
    frame: pd.DataFrame,
    *,
    source: str,
    indicator_ids: Sequence[str] | None = None,
) -> int:
    """Store ``frame`` in ``measures`` atomically and return the number of rows inserted.

    With ``indicator_ids``: every row of ``source`` for those indicators is replaced (a recomputation
    is the whole truth for them). Without: only rows with the same key as a new row (indicator,
    org, site, unit, period, grain, source) are replaced — re-loading a publication replaces,
    never duplicates, and loading another period adds to what is there.
    """
    ensure_measures_table(con)
    raw = con.con  # the DuckDB connection behind the Ibis backend: DELETE + INSERT in one transaction
    new = _arrow(frame)
    with staged(raw, "_ww_new_measures", new), transaction(raw):
        if indicator_ids is not None:
            if indicator_ids:
                marks = ", ".join("?" for _ in indicator_ids)
                raw.execute(
                    f"DELETE FROM {MEASURES} WHERE source = ? AND indicator_id IN ({marks})",
                    [source, *indicator_ids],
                )
        else:
            raw.execute(
                f"""DELETE FROM {MEASURES} AS m USING _ww_new_measures AS n
                    WHERE m.source = ? AND m.indicator_id = n.indicator_id AND m.org_code = n.org_code
                      AND m.site_code IS NOT DISTINCT FROM n.site_code
                      AND m.unit_code IS NOT DISTINCT FROM n.unit_code
                      AND m.period_start = n.period_start AND m.period_grain = n.period_grain""",
                [source],
            )
        names = ", ".join(MEASURES_SCHEMA.names)
        raw.execute(f"INSERT INTO {MEASURES} ({names}) SELECT {names} FROM _ww_new_measures")
    return new.num_rows


def read_measures(con: ibis.BaseBackend, indicator_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``measures`` table (optionally some indicators), sorted, ``period_start`` as dates."""
    if MEASURES not in table_names(con):
        return pd.DataFrame(columns=list(MEASURES_SCHEMA.names))
    t = con.table(MEASURES)
    if indicator_ids is not None:
        t = t.filter(t.indicator_id.isin(list(indicator_ids)))
    t = t.order_by(
        ["indicator_id", "source", "period_grain", "org_code", "site_code", "unit_code", "period_start"]
    )
    frame = con.execute(t)
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    return frame


def export_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write measures to CSV (ISO dates, blank for missing codes)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(frame, path)
    return path


def replace_cut_offs(con: ibis.BaseBackend, frame: pd.DataFrame, *, indicator_ids: Sequence[str]) -> None:
    """Store the cut-offs of a computation, replacing those of the same indicators."""
    raw = con.con
    raw.execute(
        f"CREATE TABLE IF NOT EXISTS {CUT_OFFS} (indicator_id VARCHAR, org_code VARCHAR, data_until DATE)"
    )
    new = frame[["indicator_id", "org_code", "data_until"]].copy()
    new["data_until"] = pd.to_datetime(new["data_until"]).dt.date
    with staged(raw, "_ww_new_cut_offs", new), transaction(raw):
        if indicator_ids:
            marks = ", ".join("?" for _ in indicator_ids)
            raw.execute(f"DELETE FROM {CUT_OFFS} WHERE indicator_id IN ({marks})", list(indicator_ids))
        raw.execute(
            f"INSERT INTO {CUT_OFFS} SELECT indicator_id, org_code, CAST(data_until AS DATE) FROM _ww_new_cut_offs"
        )
