"""Local wall-clock time and its UTC instant: the ``<column>_utc`` columns of the warehouse.

Every timestamp column of a contract is stored twice: as **local wall-clock time** in the
reporting zone (Europe/London, what the clock on the department wall said; it places an event in
its day, week and month) and as the **UTC instant** in ``<column>_utc`` (naive, in UTC), from
which every interval is measured. A stay from 00:30 to 03:30 local on the night the clocks go
back lasted 4 hours, not 3; on the night they go forward, 2 hours, not 3.

The source's clock times are read in the zone its mapping names (``timezone``, default
Europe/London). Two kinds of local time need a rule (docs/guide/loading.md, "Clock changes"):

* **Nonexistent** (the hour skipped when the clocks go forward, 01:00-01:59 on the last Sunday of
  March in the UK): no correctly set clock shows such a time, so the value is a clock or typing
  fault whose instant cannot be known. The row is quarantined with reason
  ``nonexistent_local_time`` (``column_name`` names the column), not shifted silently.
* **Ambiguous** (the hour repeated when the clocks go back, 01:00-01:59 on the last Sunday of
  October): read as the **first** occurrence (summer time), unless that puts the event before an
  event the contract orders before it (``order_rules``: departure before arrival) and the second
  occurrence does not; then the second occurrence is taken. Nothing else says which one it was.

A source in another zone (``timezone: UTC``) gives its instants exactly; the local column then
holds the Europe/London wall-clock time of that instant.

Offsets come from the IANA time zone database through Python's ``zoneinfo``, turned into a small
table with one row per local date from 1900 to 2100 (its offset, and on a day with a clock change
the skipped or repeated window) that DuckDB joins to the rows on their date: set-based, no per-row
Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from wardwatch.contracts.schema import Contract, utc_column
from wardwatch.contracts.validate import key_index_name, quote_ident, quote_literal

#: The zone of the stored local times (period assignment); also the default source zone.
REPORTING_TIMEZONE = "Europe/London"
#: Clock changes are tabulated over these years (contract timestamps are 1990-2099).
_FIRST_YEAR, _LAST_YEAR = 1900, 2100
NONEXISTENT_REASON = "nonexistent_local_time"


def timestamp_columns(contract: Contract) -> tuple[str, ...]:
    return tuple(c.name for c in contract.columns if c.dtype == "timestamp")


def utc_columns(contract: Contract) -> tuple[str, ...]:
    """The ``<column>_utc`` columns of ``contract``'s table, in contract order."""
    return tuple(utc_column(c) for c in timestamp_columns(contract))


def stored_columns(contract: Contract) -> tuple[str, ...]:
    """Every column of the warehouse table: the contract's, then the derived UTC ones."""
    return contract.column_names + utc_columns(contract)


@dataclass(frozen=True)
class Transition:
    """A clock change: at UTC instant ``at`` the offset goes from ``before`` to ``after`` seconds."""

    at: datetime  # naive UTC
    before: int
    after: int


def _offset(zone: ZoneInfo, utc: datetime) -> int:
    return int(utc.replace(tzinfo=UTC).astimezone(zone).utcoffset().total_seconds())


@lru_cache(maxsize=16)
def transitions(zone_name: str) -> tuple[Transition, ...]:
    """Every change of ``zone_name``'s UTC offset from 1900 to 2100 (a day-by-day scan, then a
    bisection to the second within the day of the change)."""
    zone = ZoneInfo(zone_name)
    out: list[Transition] = []
    day = datetime(_FIRST_YEAR, 1, 1)
    end = datetime(_LAST_YEAR + 1, 1, 1)
    step = timedelta(days=1)
    current = _offset(zone, day)
    while day < end:
        nxt = day + step
        after = _offset(zone, nxt)
        if after != current:
            lo, hi = day, nxt  # offset(lo) == current, offset(hi) != current
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                if _offset(zone, mid) == current:
                    lo = mid
                else:
                    hi = mid
            changed = _offset(zone, hi)
            out.append(Transition(hi, current, changed))
            current = changed
            if changed != after:  # two changes in one day: look at the rest of it again
                day = hi
                continue
        day = nxt
    return tuple(out)


def local_segments(zone_name: str) -> pd.DataFrame:
    """Local wall-clock time cut where its reading changes: one row per segment starting at
    ``local_from`` (in force until the next row's), with the offset of its (first) reading,
    the offset of the second reading of an ambiguous segment (else NULL), and whether the
    segment's times do not exist."""
    zone = ZoneInfo(zone_name)
    start = datetime(_FIRST_YEAR - 1, 1, 1)
    rows: list[tuple[datetime, int, int | None, bool]] = [(datetime(1, 1, 1), _offset(zone, start), None, False)]
    for t in transitions(zone_name):
        before, after = timedelta(seconds=t.before), timedelta(seconds=t.after)
        if t.after > t.before:
            # [at+before, at+after) is skipped: nonexistent
            rows.append((t.at + before, t.before, None, True))
            rows.append((t.at + after, t.after, None, False))
        else:
            # [at+after, at+before) happens twice: first with `before`, then with `after`
            rows.append((t.at + after, t.before, t.after, False))
            rows.append((t.at + before, t.after, None, False))
    frame = pd.DataFrame(rows, columns=["local_from", "offset_s", "second_offset_s", "nonexistent"])
    frame["local_from"] = frame["local_from"].astype("datetime64[us]")
    frame["second_offset_s"] = frame["second_offset_s"].astype("Int64")
    return frame


def utc_segments(zone_name: str) -> pd.DataFrame:
    """UTC time cut at each clock change: ``utc_from`` and the offset in force from then on."""
    zone = ZoneInfo(zone_name)
    rows = [(datetime(1, 1, 1), _offset(zone, datetime(_FIRST_YEAR - 1, 1, 1)))]
    rows += [(t.at, t.after) for t in transitions(zone_name)]
    frame = pd.DataFrame(rows, columns=["utc_from", "offset_s"])
    frame["utc_from"] = frame["utc_from"].astype("datetime64[us]")
    return frame


@lru_cache(maxsize=16)
def local_days(zone_name: str) -> pd.DataFrame:
    """``local_segments`` by local date, for a hash join on the date instead of an ASOF join on the
    time (several times faster on millions of rows): per day from 1900 to 2100 the offset at its
    start (``before_s``) and, on a day with a clock change, the local window ``[window_from_s,
    window_to_s)`` (seconds after midnight) that is skipped or repeated, and the offset after it
    (``after_s``; equal to ``before_s`` on ordinary days, whose window is NULL)."""
    seg = local_segments(zone_name)
    starts = seg.local_from.to_numpy().astype("datetime64[s]")
    days = pd.date_range(f"{_FIRST_YEAR}-01-01", f"{_LAST_YEAR}-12-31", freq="D")
    idx = np.searchsorted(starts, days.to_numpy().astype("datetime64[s]"), side="right") - 1
    before = seg.offset_s.to_numpy()[idx].astype(np.int64)
    after = before.copy()
    window_from = np.full(len(days), -1, dtype=np.int64)
    window_to = np.full(len(days), -1, dtype=np.int64)
    first_day = days[0].date()
    special = (seg.nonexistent | seg.second_offset_s.notna()).to_numpy()
    for i in np.flatnonzero(special):
        start = seg.local_from.iloc[i].to_pydatetime()
        length = int((seg.local_from.iloc[i + 1] - seg.local_from.iloc[i]).total_seconds())
        day, from_s = start.date(), start.hour * 3600 + start.minute * 60 + start.second
        while length > 0 and 0 <= (row := (day - first_day).days) < len(days):
            to_s = min(from_s + length, 86_400)
            window_from[row], window_to[row], after[row] = from_s, to_s, int(seg.offset_s.iloc[i + 1])
            length -= to_s - from_s
            day, from_s = day + timedelta(days=1), 0
    return pd.DataFrame({
        "day": days.to_numpy().astype("datetime64[D]"),
        "before_s": before,
        "window_from_s": pd.array(np.where(window_from < 0, None, window_from), dtype="Int64"),
        "window_to_s": pd.array(np.where(window_to < 0, None, window_to), dtype="Int64"),
        "after_s": after,
    })


def _local_reading_sql(col: str, d: str) -> tuple[str, str, str]:
    """SQL for a local time ``col`` joined to its ``local_days`` row ``d``: (UTC instant by the
    first reading, UTC instant of the second reading or NULL, is nonexistent)."""
    secs = f"(hour({col}) * 3600 + minute({col}) * 60 + second({col}))"
    window = f"coalesce({secs} >= {d}.window_from_s AND {secs} < {d}.window_to_s, FALSE)"
    first = f"{col} - to_seconds(CASE WHEN {secs} >= {d}.window_to_s THEN {d}.after_s ELSE {d}.before_s END)"
    second = f"CASE WHEN {window} AND {d}.after_s < {d}.before_s THEN {col} - to_seconds({d}.after_s) END"
    gap = f"({window} AND {d}.after_s > {d}.before_s)"
    return first, second, gap


def _days_table(con: Any, zone_name: str) -> str:
    safe = "".join(ch if ch.isalnum() else "_" for ch in zone_name)
    table = quote_ident(f"__ww_tz_days_{safe}")
    con.register("__ww_tz_frame", local_days(zone_name))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT CAST(day AS DATE) AS day, before_s, "
            "window_from_s, window_to_s, after_s FROM __ww_tz_frame"
        )
    finally:
        con.unregister("__ww_tz_frame")
    return table


def to_utc(local: datetime, zone_name: str = REPORTING_TIMEZONE) -> datetime | None:
    """The UTC instant (naive) of a local wall-clock time by this module's rules, without the
    order rule: ambiguous -> first occurrence; nonexistent -> None. For one value (tests, docs)."""
    segments = local_segments(zone_name)
    row = segments[segments.local_from <= pd.Timestamp(local)].iloc[-1]
    if row.nonexistent:
        return None
    return local - timedelta(seconds=int(row.offset_s))


def _utc_segments_table(con: Any, zone_name: str) -> str:
    """A temp table of ``utc_segments(zone_name)`` on ``con`` (UTC -> local, an ASOF join: used
    only for sources in another zone than Europe/London)."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in zone_name)
    table = quote_ident(f"__ww_tz_utc_{safe}")
    frame = utc_segments(zone_name)
    con.register("__ww_tz_frame", frame)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM __ww_tz_frame")
    finally:
        con.unregister("__ww_tz_frame")
    return table


def stage_utc(con: Any, checked: str, contract: Contract, zone_name: str = REPORTING_TIMEZONE) -> None:
    """Give the staged table ``checked`` (``__row``, the typed contract columns, ``__reason``,
    ``__column``) its ``<column>_utc`` columns, reading its timestamps as wall-clock time in
    ``zone_name``:

    * rows still valid with a nonexistent local time get reason ``nonexistent_local_time``
      (first such column in contract order in ``__column``);
    * ambiguous times take the first occurrence, or the second when only that keeps the event
      after the events ordered before it;
    * when ``zone_name`` is not Europe/London, the local columns are rewritten as Europe/London
      wall-clock time of the instant.
    """
    columns = timestamp_columns(contract)
    if not columns:
        return
    days = _days_table(con, zone_name)
    side = quote_ident(f"__ww_tz_rows_{contract.name}")
    selects = ["c.__row"]
    joins = []
    for i, name in enumerate(columns):
        col, d = f"c.{quote_ident(name)}", f"d{i}"
        first, second, gap = _local_reading_sql(col, d)
        selects += [
            f"{first} AS {quote_ident(utc_column(name))}",
            f"{second} AS {quote_ident('__second_' + name)}",
            f"{gap} AS {quote_ident('__gap_' + name)}",
        ]
        joins.append(f"LEFT JOIN {days} AS {d} ON {d}.day = CAST({col} AS DATE)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {side} AS SELECT {', '.join(selects)} FROM {checked} AS c {' '.join(joins)}"
    )
    # Ambiguous later events: the second occurrence when the first precedes an earlier event and
    # the second does not (rules in contract order, so an earlier event is settled first).
    for rule in contract.order_rules:
        if rule.later not in columns or rule.earlier not in columns:
            continue
        later, earlier = quote_ident(utc_column(rule.later)), quote_ident(utc_column(rule.earlier))
        second = quote_ident("__second_" + rule.later)
        con.execute(
            f"UPDATE {side} SET {later} = {second} "
            f"WHERE {second} IS NOT NULL AND {later} < {earlier} AND {second} >= {earlier}"
        )
    gaps = [quote_ident("__gap_" + n) for n in columns]
    where_gap = " ".join(f"WHEN t.{g} THEN {quote_literal(n)}" for g, n in zip(gaps, columns))
    con.execute(
        f"UPDATE {checked} AS c SET __reason = {quote_literal(NONEXISTENT_REASON)}, __column = CASE {where_gap} END "
        f"FROM {side} AS t WHERE t.__row = c.__row AND c.__reason IS NULL AND ({' OR '.join('t.' + g for g in gaps)})"
    )
    for name in columns:
        con.execute(f"ALTER TABLE {checked} ADD COLUMN IF NOT EXISTS {quote_ident(utc_column(name))} TIMESTAMP")
    sets = [f"{quote_ident(utc_column(n))} = t.{quote_ident(utc_column(n))}" for n in columns]
    if zone_name != REPORTING_TIMEZONE:
        # The instant is exact; the stored local time is Europe/London's reading of it.
        london = _utc_segments_table(con, REPORTING_TIMEZONE)
        selects, joins = ["t.__row"], []
        for i, name in enumerate(columns):
            utc = f"t.{quote_ident(utc_column(name))}"
            selects.append(f"{utc} + to_seconds(l{i}.offset_s) AS {quote_ident('__local_' + name)}")
            joins.append(f"ASOF LEFT JOIN {london} AS l{i} ON {utc} >= l{i}.utc_from")
        local = quote_ident(f"__ww_tz_local_{contract.name}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE {local} AS SELECT {', '.join(selects)} FROM {side} AS t {' '.join(joins)}")
        sets += [f"{quote_ident(n)} = l.{quote_ident('__local_' + n)}" for n in columns]
        con.execute(
            f"UPDATE {checked} AS c SET {', '.join(sets)} FROM {side} AS t JOIN {local} AS l ON l.__row = t.__row "
            f"WHERE t.__row = c.__row"
        )
        con.execute(f"DROP TABLE {local}")
    else:
        con.execute(f"UPDATE {checked} AS c SET {', '.join(sets)} FROM {side} AS t WHERE t.__row = c.__row")
    con.execute(f"DROP TABLE {side}")


def ensure_utc_columns(con: Any, table: str, contract: Contract, catalog: str | None, name: str) -> None:
    """Give a warehouse table written before the UTC columns existed its ``<column>_utc`` columns,
    filled from the stored Europe/London local times (ambiguous: first occurrence; a stored time
    in the skipped hour, which this loader no longer lets in: read with the offset before the
    change)."""
    columns = timestamp_columns(contract)
    if not columns:
        return
    have = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE database_name = coalesce(?, current_database()) "
            "AND schema_name = 'main' AND table_name = ?",
            [catalog, name],
        ).fetchall()
    }
    missing = [n for n in columns if utc_column(n) not in have]
    if not missing:
        return
    # DuckDB cannot add a column to a table with an index: the key index is dropped here and built
    # again by the loader, which rebuilds a missing one (wardwatch.ingest._write_dataset).
    index = quote_ident(key_index_name(contract))
    con.execute(f"DROP INDEX IF EXISTS {quote_ident(catalog) + '.main.' if catalog else ''}{index}")
    days = _days_table(con, REPORTING_TIMEZONE)
    for col in missing:
        utc, local = quote_ident(utc_column(col)), quote_ident(col)
        first, _, _ = _local_reading_sql(f"t.{local}", "d")
        con.execute(f"ALTER TABLE {table} ADD COLUMN {utc} TIMESTAMP")
        con.execute(
            f"UPDATE {table} AS t SET {utc} = {first} FROM {days} AS d WHERE d.day = CAST(t.{local} AS DATE)"
        )
