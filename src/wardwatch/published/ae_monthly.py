"""NHS England monthly A&E attendances and 4-hour breaches -> ``measures``.

Format (NHS England "A&E Attendances and Emergency Admissions" monthly statistics, tidy form as in
NHSRdatasets ``ae_attendances``): ``period`` (first day of the month), ``org_code``, ``type``
(``1``, ``2`` or ``other``), ``attendances``, ``breaches`` (over 4 hours from arrival to admission,
transfer or discharge), ``admissions``. 4-hour performance = (attendances − breaches) / attendances
(methods.md 5.2).
"""

from __future__ import annotations

from pathlib import Path

import ibis
import pandas as pd

from wardwatch.errors import InputError
from wardwatch.indicators.published import AE_MONTHLY_SOURCE
from wardwatch.indicators.store import replace_measures

REQUIRED_COLUMNS = ("period", "org_code", "type", "attendances", "breaches", "admissions")
TYPE1 = "ae_4h_type1"
ALL_TYPES = "ae_4h_all_types"


def read_ae_monthly(path: str | Path) -> pd.DataFrame:
    """Read and check the file; raise ``InputError`` saying what is wrong, where and what to do."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the NHS England monthly A&E CSV")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV file ({str(exc).splitlines()[0]})") from None
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED_COLUMNS)}"
        )
    frame = raw[list(REQUIRED_COLUMNS)].copy()
    for col in ("period", "org_code", "type"):
        frame[col] = frame[col].str.strip()
    period = pd.to_datetime(frame["period"], format="%Y-%m-%d", errors="coerce")
    _first_bad(path, frame, "period", period.isna() | (period.dt.day != 1), "a date YYYY-MM-01")
    frame["period"] = period.dt.date
    _first_bad(path, frame, "org_code", frame["org_code"] == "", "an ODS code")
    for col in ("attendances", "breaches", "admissions"):
        values = pd.to_numeric(frame[col].str.strip(), errors="coerce")
        bad = values.isna() | (values < 0) | (values != values.round())
        _first_bad(path, frame, col, bad, "a whole number ≥ 0")
        frame[col] = values.astype("int64")
    _first_bad(path, frame, "breaches", frame["breaches"] > frame["attendances"], "no more than attendances")
    return frame


def _first_bad(path: Path, frame: pd.DataFrame, column: str, bad: pd.Series, expected: str) -> None:
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        # +2: one for the header line, one because CSV lines count from 1
        raise InputError(
            f"{path}: line {i + 2}, column {column}: {frame[column].iloc[i]!r} is not {expected}; fix the file and re-run"
        )


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


def load_ae_monthly(path: str | Path, con: ibis.BaseBackend) -> pd.DataFrame:
    """Load the file into the warehouse ``measures`` table; return the rows loaded.

    Idempotent: rows with the same indicator, org and month are replaced, never duplicated.
    """
    measures = ae_monthly_measures(read_ae_monthly(path))
    replace_measures(con, measures, source=AE_MONTHLY_SOURCE)
    return measures
