"""NHS organisation lookup (ODS code -> name, type, HEE region) -> the ``organisations`` table.

Format of the shipped ``wardwatch/data/nhs_provider_lookup_2019.csv``: ``org_code, org_name,
org_type, hee_region_code, specialist, hee_region_name``. Reports built on the published measures
(``measures.org_code``) take trust names from here. Loading again replaces rows by ``org_code``.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd
import pyarrow as pa

from wardwatch.engines import table_names
from wardwatch.published._common import LoadResult, check_org_codes, check_unique, fail_first, read_rows
from wardwatch.warehouse import ORGANISATIONS_TABLE, upsert

TABLE = ORGANISATIONS_TABLE
SOURCE = "NHS provider lookup (ODS)"
SCHEMA = pa.schema(
    [
        ("org_code", pa.string()),
        ("org_name", pa.string()),
        ("org_type", pa.string()),  # Acute, Mental Health, Community Provider Trust, Ambulance, CCG ...
        ("hee_region_code", pa.string()),
        ("hee_region_name", pa.string()),
        ("specialist", pa.bool_()),
        ("source", pa.string()),
    ]
)
_DDL = (
    "org_code VARCHAR PRIMARY KEY, org_name VARCHAR NOT NULL, org_type VARCHAR, hee_region_code VARCHAR, "
    "hee_region_name VARCHAR, specialist BOOLEAN, source VARCHAR"
)
REQUIRED = ("org_code", "org_name")
_BOOL = {"true": True, "false": False, "": None}


def prepare_providers(path: str | Path) -> LoadResult:
    """Read and check an organisation lookup; the rows to write, nothing written."""
    path = Path(path)
    frame = read_rows(path, REQUIRED, "the NHS organisation lookup CSV (org_code, org_name, ...)")
    check_org_codes(path, frame)
    fail_first(path, frame, "org_name", frame["org_name"] == "", "an organisation name")
    check_unique(path, frame, ["org_code"], "organisation")
    for column in ("org_type", "hee_region_code", "hee_region_name", "specialist"):
        if column not in frame.columns:
            frame[column] = ""
    flag = frame["specialist"].str.lower()
    fail_first(path, frame, "specialist", ~flag.isin(list(_BOOL)), "True, False or blank")
    rows = pd.DataFrame(
        {
            "org_code": frame["org_code"],
            "org_name": frame["org_name"],
            **{c: frame[c].where(frame[c] != "") for c in ("org_type", "hee_region_code", "hee_region_name")},
            "specialist": flag.map(_BOOL).astype("object"),
            "source": SOURCE,
        }
    ).sort_values("org_code", kind="mergesort")
    return LoadResult("providers", path, read=len(frame), rows=rows.reset_index(drop=True), table=TABLE,
                      source=SOURCE)


def write_providers(con: ibis.BaseBackend, result: LoadResult) -> LoadResult:
    """Upsert by ``org_code`` in one transaction."""
    new = pa.Table.from_pandas(result.rows, schema=SCHEMA, preserve_index=False)
    upsert(con, TABLE, _DDL, new, ("org_code",))
    return result


def org_names(con: ibis.BaseBackend) -> dict[str, str]:
    """ODS code -> organisation name from the warehouse (empty when no lookup was loaded)."""
    if TABLE not in table_names(con):
        return {}
    return dict(con.con.execute(f"SELECT org_code, org_name FROM {TABLE}").fetchall())
