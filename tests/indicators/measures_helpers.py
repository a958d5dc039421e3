"""Pick rows out of a measures frame as {(org, site or unit, period): (numerator, denominator)}."""

from __future__ import annotations

import datetime as dt

import pandas as pd


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def counts(frame: pd.DataFrame, indicator: str, grain: str, level: str = "trust") -> dict:
    rows = frame[(frame.indicator_id == indicator) & (frame.period_grain == grain)]
    if level == "trust":
        rows = rows[rows.site_code.isna() & rows.unit_code.isna()]
        key = lambda r: (r.org_code, r.period_start.isoformat())
    elif level == "site":
        rows = rows[rows.site_code.notna()]
        key = lambda r: (r.org_code, r.site_code, r.period_start.isoformat())
    else:
        rows = rows[rows.unit_code.notna()]
        key = lambda r: (r.org_code, r.unit_code, r.period_start.isoformat())
    out = {}
    for r in rows.itertuples():
        assert r.value == r.numerator / r.denominator
        out[key(r)] = (r.numerator, r.denominator)
    return out
