"""Calendar of month ends for census (snapshot) indicators, built as a portable Ibis memtable."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

PERIOD_START = "_ww_period_start"
MONTH_END = "_ww_month_end"


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """First days of every month from ``first``'s month to ``last``'s month, inclusive."""
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(dt.date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def month_end(start: dt.date) -> dt.date:
    nxt = dt.date(start.year + 1, 1, 1) if start.month == 12 else dt.date(start.year, start.month + 1, 1)
    return nxt - dt.timedelta(days=1)


def month_calendar(first: dt.date, last: dt.date) -> ibis.Table:
    """One row per month: ``_ww_period_start`` (1st) and ``_ww_month_end`` (last day, the census day).

    A memtable rather than a backend-specific ``range``/``generate_series`` so the same expression
    runs on DuckDB and PySpark.
    """
    starts = month_starts(first, last)
    frame = pd.DataFrame({PERIOD_START: starts, MONTH_END: [month_end(s) for s in starts]})
    return ibis.memtable(frame, schema={PERIOD_START: "date", MONTH_END: "date"})


def as_date(value: object) -> dt.date | None:
    """A scalar from ``execute`` (date, datetime, pandas Timestamp or NaT/None) as a ``date``."""
    # NaT is a datetime subclass, so test for missing values before any isinstance check
    if value is None or value is pd.NaT or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()
