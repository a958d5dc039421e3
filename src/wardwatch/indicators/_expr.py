"""Small portable expression helpers (docs/design.md "Engine rules": compare times in seconds)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


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
