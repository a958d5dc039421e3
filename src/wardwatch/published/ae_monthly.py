"""NHS England monthly A&E attendances and 4-hour breaches -> ``measures``.

Format (NHS England "A&E Attendances and Emergency Admissions" monthly statistics, tidy form as in
NHSRdatasets ``ae_attendances``): ``period`` (first day of the month), ``org_code``, ``type``
(``1``, ``2`` or ``other``), ``attendances``, ``breaches`` (over 4 hours from arrival to admission,
transfer or discharge), ``admissions``. 4-hour performance = (attendances − breaches) / attendances
(docs/methods.md 5.2). One row per organisation, month and department type: a repeated row is an error,
never summed.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd

from wardwatch.indicators.published import AE_MONTHLY_SOURCE
from wardwatch.published._common import (
    LINE,
    LoadResult,
    check_org_codes,
    check_unique,
    dates,
    fail_first,
    read_rows,
    whole_numbers,
    write_measures,
)

REQUIRED_COLUMNS = ("period", "org_code", "type", "attendances", "breaches", "admissions")
DEPARTMENT_TYPES = ("1", "2", "other")
TYPE1 = "ae_4h_type1"
ALL_TYPES = "ae_4h_all_types"
WHAT = "the NHS England monthly A&E CSV (period, org_code, type, attendances, breaches, admissions)"


def read_ae_monthly(path: str | Path) -> pd.DataFrame:
    """Read and check the file; raise ``InputError`` saying what is wrong, where and what to do."""
    path = Path(path)
    frame = read_rows(path, REQUIRED_COLUMNS, WHAT)
    period = dates(path, frame, "period", "a date YYYY-MM-01")
    fail_first(path, frame, "period", period.dt.day != 1, "the first day of a month (YYYY-MM-01)")
    check_org_codes(path, frame)
    fail_first(path, frame, "type", ~frame["type"].isin(DEPARTMENT_TYPES),
               "a department type (1, 2 or other)")
    counts = {col: whole_numbers(path, frame, col) for col in ("attendances", "breaches", "admissions")}
    fail_first(path, frame, "breaches", counts["breaches"] > counts["attendances"],
               "at most the attendances on the same line")
    check_unique(path, frame, ["period", "org_code", "type"], "organisation, month and department type")
    out = frame[["period", "org_code", "type", LINE]].copy()
    out["period"] = period.dt.date
    for col, values in counts.items():
        out[col] = values.astype("int64")
    return out[[*REQUIRED_COLUMNS, LINE]]


def ae_monthly_measures(frame: pd.DataFrame) -> pd.DataFrame:
    """Measures rows for ``ae_4h_type1`` (type 1 rows) and ``ae_4h_all_types`` (all types summed)."""
    type1 = frame[frame["type"] == "1"]
    parts = []
    for indicator_id, rows in ((TYPE1, type1), (ALL_TYPES, frame)):
        sums = rows.groupby(["org_code", "period"], as_index=False)[["attendances", "breaches"]].sum()
        sums = sums[sums["attendances"] > 0]  # no attendances: performance undefined
        parts.append(
            pd.DataFrame(
                {
                    "indicator_id": indicator_id,
                    "org_code": sums["org_code"],
                    "site_code": None,
                    "unit_code": None,
                    "period_start": sums["period"],
                    "period_grain": "month",
                    "numerator": (sums["attendances"] - sums["breaches"]).astype("float64"),
                    "denominator": sums["attendances"].astype("float64"),
                    "value": (sums["attendances"] - sums["breaches"]) / sums["attendances"],
                    "source": AE_MONTHLY_SOURCE,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["indicator_id", "org_code", "period_start"], kind="mergesort").reset_index(
        drop=True
    )


def prepare_ae_monthly(path: str | Path) -> LoadResult:
    """Checked measures rows and counts; nothing is written."""
    frame = read_ae_monthly(path)
    total = frame.groupby(["org_code", "period"])["attendances"].transform("sum")
    result = LoadResult("ae-monthly", Path(path), read=len(frame), rows=ae_monthly_measures(frame),
                        source=AE_MONTHLY_SOURCE)
    refused = int((total == 0).sum())
    if refused:
        result.refused["with no attendances in the organisation's month"] = refused
    return result


def load_ae_monthly(path: str | Path, con: ibis.BaseBackend) -> pd.DataFrame:
    """Load the file into the warehouse ``measures`` table; return the rows loaded.

    Idempotent: rows with the same indicator, org and month are replaced, never duplicated.
    """
    result = prepare_ae_monthly(path)
    write_measures(con, result)
    return result.rows
