"""Small portable expression helpers (docs/design.md "Engine rules": compare times in seconds)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def instant(t: ir.Table, column: str) -> ir.TimestampValue:
    """The UTC instant of timestamp ``column`` (``<column>_utc``, written by the loader), for
    measuring intervals: local wall-clock differences are an hour out across a clock change.

    A table without the UTC column (written by other means than ``wardwatch load``) falls back
    to the local time; ``wardwatch load`` adds and fills the column in an older warehouse.
    """
    utc = f"{column}_utc"
    return t[utc] if utc in t.columns else t[column]


def within_seconds(start: ir.TimestampValue, end: ir.TimestampValue, seconds: int) -> ir.BooleanValue:
    """``end`` present and at most ``seconds`` after ``start`` (a missing ``end`` is not within).

    Written as ``end <= start + interval(seconds)`` rather than a minute/hour difference: DuckDB
    counts minute *boundaries* crossed while Spark counts whole minutes, so only second-exact
    comparisons give the same answer on both engines.
    """
    return end.notnull() & (end <= start + ibis.interval(seconds=seconds))


def longer_than_seconds(start: ir.TimestampValue, end: ir.TimestampValue, seconds: int) -> ir.BooleanValue:
    """``end`` present and more than ``seconds`` after ``start``."""
    return end.notnull() & (end > start + ibis.interval(seconds=seconds))


def on_or_before(ts: ir.Value, day: ir.DateValue) -> ir.BooleanValue:
    """Event happened on or before the calendar date ``day`` (timestamps compared by their date)."""
    return _as_date(ts) <= day


def not_by(ts: ir.Value, day: ir.DateValue) -> ir.BooleanValue:
    """Event had not happened by the end of ``day`` (missing = not happened)."""
    return ts.isnull() | (_as_date(ts) > day)


def _as_date(value: ir.Value) -> ir.DateValue:
    return value.date() if value.type().is_timestamp() else value


MINUTE = 60
HOUR = 3600
DAY = 86400
