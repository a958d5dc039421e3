"""The one generic engine: every indicator definition -> rows of the ``measures`` table.

Same Ibis expressions on DuckDB and PySpark (docs/design.md "Engine rules"). Two stages:

1. **Contributions** — one scan per source table (indicators that share a table and period column
   share the scan): for every (org, site, unit, day) each indicator's numerator and denominator,
   counted with filtered ``COUNT(*)`` (or summed, for numeric ones). Census indicators join their
   rows to a calendar of month ends first, so their "day" is the month start. All scans go in one
   union query; the small result (orgs × sites × days) is collected and handed back to the same
   engine as a memtable, so each big table is read once whatever the number of grains and levels.
2. **Roll-up** — per indicator, grain (ISO week starting Monday, month) and level (trust; trust +
   site; trust + unit_code breakdown): sum numerator and denominator; ``value = numerator /
   denominator``. Periods with a zero denominator are left out (the value is undefined).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from wardwatch.engines import table_names
from wardwatch.indicators import INDICATORS
from wardwatch.indicators.calendar import MONTH_END, PERIOD_START, as_date, month_calendar
from wardwatch.indicators.model import EventSpec, Indicator, SnapshotSpec
from wardwatch.warehouse import MEASURES_SCHEMA

SOURCE = "wardwatch"
LEVELS = ("trust", "site", "unit")
_TRUNCATE = {"week": "W", "month": "M", "year": "Y"}
MEASURE_COLUMNS = tuple(MEASURES_SCHEMA.names)
CUT_OFF_COLUMNS = ("indicator_id", "org_code", "data_until")
_GRAIN_OFFSET = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1)}


@dataclass
class MeasuresRun:
    """What a run computed: the measures rows, the ids computed and those skipped (id -> why)."""

    frame: pd.DataFrame
    computed: tuple[str, ...]
    skipped: dict[str, str] = field(default_factory=dict)
    #: indicator_id, org_code, data_until: the last day the organisation's extract covers, for
    #: indicators dated by a timestamp (see :func:`data_until`)
    cut_offs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(CUT_OFF_COLUMNS)))

    @property
    def complete(self) -> pd.Series:
        """Per row of ``frame``: whether the period is wholly covered by the data (see :func:`complete`)."""
        return complete(self.frame, self.cut_offs)


def compute_measures(
    con: ibis.BaseBackend,
    indicator_ids: Iterable[str] | None = None,
    grains: Iterable[str] | None = None,
    levels: Iterable[str] = LEVELS,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> pd.DataFrame:
    """Compute indicators from the warehouse tables on ``con`` (DuckDB or PySpark Ibis backend).

    Returns a pandas frame with the ``measures`` columns (``period_start`` as ``datetime.date``),
    sorted. Indicators whose source table is absent are skipped; ``run_measures`` says which.
    ``start``/``end`` keep the periods overlapping that window (default: all the data has) and
    bound the month-end census calendars.
    """
    return run_measures(con, indicator_ids, grains, levels, start=start, end=end).frame


def run_measures(
    con: ibis.BaseBackend,
    indicator_ids: Iterable[str] | None = None,
    grains: Iterable[str] | None = None,
    levels: Iterable[str] = LEVELS,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> MeasuresRun:
    """As ``compute_measures``, also reporting which indicators were computed and which skipped."""
    indicators = _resolve(indicator_ids)
    levels = tuple(levels)
    unknown_levels = set(levels) - set(LEVELS)
    if unknown_levels:
        raise ValueError(f"unknown levels {sorted(unknown_levels)}; choose from {LEVELS}")
    grains = None if grains is None else tuple(grains)
    available = set(table_names(con))
    skipped: dict[str, str] = {}
    runnable: list[Indicator] = []
    for ind in indicators:
        missing = [t for t in ind.tables if t not in available]
        if missing:
            skipped[ind.id] = f"table {', '.join(missing)} not in the warehouse"
        else:
            runnable.append(ind)

    groups = _scan_groups(runnable)
    contributions = _contributions(con, groups, start, end)
    long_parts = [_long_form(table, group) for group, table in contributions]
    rolled = _roll_up(con, long_parts, runnable, grains, levels)
    frame = _window(_tidy(rolled if rolled is not None else _empty()), start, end)
    return MeasuresRun(
        frame=frame,
        computed=tuple(i.id for i in runnable),
        skipped=skipped,
        cut_offs=data_until(con, contributions),
    )


def data_until(con: ibis.BaseBackend, contributions: list[tuple[list[Indicator], pa.Table]]) -> pd.DataFrame:
    """The extract's cut-off per organisation: the latest event day in any table dated by a
    timestamp (an ED arrival, a sepsis trigger, a scan request ...), for every such indicator.

    One extract per trust: its busiest table (ED, hundreds of rows a day) pins the cut-off to the
    day, where a sparse table alone (a few sepsis episodes a week) would end on its last event.
    Only the tables of this run count: computing one sparse indicator alone gives a cut-off that
    may be early (a complete last period then shows as incomplete, never the reverse).
    The cut-off day is taken as covered. An indicator whose outcome needs follow-up (a death within
    30 days) has its cut-off moved back by ``EventSpec.follow_up_days``. Indicators dated by a date
    (monthly returns such as staffing, whose row covers its month) and month-end censuses have no cut-off: always complete.
    Computed in Python from the collected contributions, so both engines give the same answer.
    """
    timed: list[tuple[list[Indicator], pa.Table]] = []
    for group, table in contributions:
        spec = group[0].spec
        if isinstance(spec, EventSpec) and con.table(spec.table).schema()[spec.period_column].is_timestamp():
            timed.append((group, table))
    last: dict[str, dt.date] = {}
    for _, table in timed:
        if table.num_rows == 0:
            continue
        per_org = table.group_by("org_code").aggregate([("day", "max")]).to_pylist()
        for row in per_org:
            day = as_date(row["day_max"])
            if day is not None and (row["org_code"] not in last or day > last[row["org_code"]]):
                last[row["org_code"]] = day
    rows = []
    for group, table in timed:
        orgs = set(table.column("org_code").to_pylist()) if table.num_rows else set()
        rows += [(ind.id, org, last[org] - dt.timedelta(days=ind.spec.follow_up_days))
                 for ind in group for org in sorted(orgs) if org in last]
    return pd.DataFrame(rows, columns=list(CUT_OFF_COLUMNS))


def complete(frame: pd.DataFrame, cut_offs: pd.DataFrame) -> pd.Series:
    """Whether each measures row's period lies wholly within its organisation's data: its last day is
    on or before ``data_until``. Rows without a cut-off (published data, monthly returns,
    censuses) are complete."""
    if frame.empty:
        return pd.Series(dtype=bool)
    merged = frame[["indicator_id", "org_code", "period_start", "period_grain"]].merge(
        cut_offs, on=["indicator_id", "org_code"], how="left"
    )
    starts = pd.to_datetime(merged["period_start"])
    ends = pd.Series(pd.NaT, index=merged.index, dtype="datetime64[ns]")
    for grain, offset in _GRAIN_OFFSET.items():
        rows = merged["period_grain"] == grain
        ends[rows] = starts[rows] + offset - pd.Timedelta(days=1)
    until = pd.to_datetime(merged["data_until"])
    out = until.isna() | ends.isna() | (ends <= until)
    out.index = frame.index
    return out.astype(bool)


def _resolve(indicator_ids: Iterable[str] | None) -> list[Indicator]:
    if indicator_ids is None:
        return [i for i in INDICATORS.values() if i.computed]
    ids = list(dict.fromkeys(indicator_ids))
    unknown = [i for i in ids if i not in INDICATORS]
    if unknown:
        raise ValueError(f"unknown indicator ids {unknown}; see wardwatch.indicators.INDICATORS")
    published = [i for i in ids if not INDICATORS[i].computed]
    if published:
        raise ValueError(
            f"{published} are loaded from published data (wardwatch load-published), not computed"
        )
    return [INDICATORS[i] for i in ids]


def _scan_groups(indicators: Sequence[Indicator]) -> list[list[Indicator]]:
    """Event indicators sharing table, period, site and unit columns share one scan."""
    groups: dict[object, list[Indicator]] = {}
    for ind in indicators:
        spec = ind.spec
        if isinstance(spec, EventSpec):
            key = (
                "event",
                spec.table,
                spec.period_column,
                spec.site_column,
                spec.unit_column,
                ind.grains,
                spec.prepare,
            )
        else:
            key = ("snapshot", ind.id)
        groups.setdefault(key, []).append(ind)
    return list(groups.values())


# ---------------------------------------------------------------- stage 1: contributions


def _count(expr: ir.Value) -> ir.FloatingValue:
    """A per-row contribution as float64: booleans count 1/0 (NULL = 0), numbers as they are.

    Counts are summed as float64: exact for integers below 2**53, so the order in which an
    engine adds them cannot change the result.
    """
    if expr.type().is_boolean():
        return expr.fill_null(False).ifelse(1.0, 0.0).cast("float64")
    return expr.cast("float64").fill_null(0.0)


def _string_or_null(t: ir.Table, column: str | None) -> ir.StringValue:
    return t[column].cast("string") if column else ibis.null().cast("string")


def _contributions(
    con: ibis.BaseBackend,
    groups: list[list[Indicator]],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[tuple[list[Indicator], pa.Table]]:
    """Stage 1 for every scan group in ONE query (a union; one round trip, one Spark job).

    Groups have different numbers of indicators, so every branch is padded to the widest with zero
    columns and tagged with its group number; the collected table is split again by that tag.
    The result is small (orgs x sites x units x days) and is handed back to the same engine by the
    roll-up, so each large source table is scanned once however many grains and levels follow.
    """
    ranges = _calendar_ranges(con, [g[0] for g in groups if isinstance(g[0].spec, SnapshotSpec)])
    width = max((len(g) for g in groups), default=0)
    branches, kept = [], []
    for group in groups:
        spec = group[0].spec
        if isinstance(spec, EventSpec):
            expr = _event_contributions(con, group)
        else:
            first, last = ranges.get(group[0].id, (None, None))
            if first is not None and spec.warm_up_days:
                first = first + dt.timedelta(days=spec.warm_up_days)
            first = max(first, start) if first is not None and start is not None else first
            last = min(last, end) if last is not None and end is not None else last
            if first is None or last is None or first > last:
                continue  # no rows to take a census of
            expr = _snapshot_contributions(con, group[0], first, last)
        pad = {}
        for i in range(len(group), width):
            pad[f"n{i}"] = ibis.literal(0.0)
            pad[f"d{i}"] = ibis.literal(0.0)
        expr = expr.mutate(_ww_group=ibis.literal(len(kept)), **pad)
        columns = ["_ww_group", "org_code", "site_code", "unit_code", "day"]
        columns += [c for i in range(width) for c in (f"n{i}", f"d{i}")]
        branches.append(expr.select(columns))
        kept.append(group)
    if not branches:
        return []
    collected = con.to_pyarrow(ibis.union(*branches) if len(branches) > 1 else branches[0])
    tags = collected.column("_ww_group")
    return [(group, collected.filter(pc.equal(tags, i))) for i, group in enumerate(kept)]


def _event_contributions(con: ibis.BaseBackend, group: list[Indicator]) -> ir.Table:
    spec: EventSpec = group[0].spec  # type: ignore[assignment]
    t = con.table(spec.table)
    if spec.prepare is not None:
        t = spec.prepare(t)
    period = t[spec.period_column]
    t = t.filter(period.notnull())
    period = t[spec.period_column]
    keys: dict[str, ir.Value] = {
        "org_code": t.org_code,
        "day": period.date() if period.type().is_timestamp() else period.cast("date"),
    }
    if spec.site_column:
        keys["site_code"] = t[spec.site_column].cast("string")
    if spec.unit_column:
        keys["unit_code"] = t[spec.unit_column].cast("string")
    sums: dict[str, ir.Value] = {}
    for i, ind in enumerate(group):
        s: EventSpec = ind.spec  # type: ignore[assignment]
        keep = s.where(t) if s.where else None
        sums[f"n{i}"] = _sum_where(t, s.numerator(t), keep)
        sums[f"d{i}"] = _sum_where(t, s.denominator(t) if s.denominator else None, keep)
    agg = t.group_by(**keys).aggregate(**sums)
    # counts as float64 (exact below 2**53); absent breakdowns as typed NULLs
    return agg.select(
        org_code=agg.org_code,
        site_code=agg.site_code if spec.site_column else ibis.null().cast("string"),
        unit_code=agg.unit_code if spec.unit_column else ibis.null().cast("string"),
        day=agg.day,
        **{name: agg[name].cast("float64").fill_null(0.0) for name in sums},
    )


def _sum_where(t: ir.Table, value: ir.Value | None, keep: ir.BooleanValue | None) -> ir.Value:
    """Aggregate of a per-row contribution over the rows ``keep`` selects (NULL keep = not kept).

    Booleans are counted with ``count(where=...)`` (a filtered COUNT on both engines, and much
    faster than summing CASE expressions); numbers are summed exactly (see ``_exact_sum``).
    """
    if value is None:
        return t.count(where=keep) if keep is not None else t.count()
    if value.type().is_boolean():
        return t.count(where=(keep & value) if keep is not None else value)
    return _exact_sum(value, keep)


#: Fixed-point type for sums: 9 decimal places are far finer than any contract's values (WTE to
#: 2 dp, counts whole) and 38 digits hold any plausible total.
EXACT_SUM_TYPE = "decimal(38, 9)"


def _exact_sum(value: ir.Value, keep: ir.BooleanValue | None = None) -> ir.FloatingValue:
    """Sum in fixed point, then convert: a parallel float64 sum depends on the order the threads
    add in, so two runs on the same warehouse could differ in the last digits (staffing WTE) and
    defeat any fingerprint of the results. Rounding each value to 9 dp first is deterministic,
    and the decimal sum is exact in any order, on DuckDB and Spark alike."""
    return value.cast(EXACT_SUM_TYPE).sum(where=keep).cast("float64")


def _census_base(con: ibis.BaseBackend, spec: SnapshotSpec) -> ir.Table:
    tables = {name: con.table(name) for name in spec.tables}
    base = spec.prepare(tables) if spec.prepare else tables[spec.table]
    if spec.where:
        base = base.filter(spec.where(base).fill_null(False))
    return base


def _snapshot_contributions(con: ibis.BaseBackend, ind: Indicator, first, last) -> ir.Table:
    spec: SnapshotSpec = ind.spec  # type: ignore[assignment]
    base = _census_base(con, spec)
    census = base.cross_join(month_calendar(first, last))
    census = census.filter(spec.applies(census, census[MONTH_END]).fill_null(False))
    census = census.mutate(
        _ww_site=_string_or_null(census, spec.site_column),
        _ww_unit=_string_or_null(census, spec.unit_column),
        _ww_flag=_count(spec.numerator(census, census[MONTH_END])),
    )
    keys = ["org_code", "_ww_site", "_ww_unit", PERIOD_START]
    if spec.entity:
        # An entity (e.g. one member of staff's requirement) counts once per census, met if any row meets it.
        census = census.group_by([*keys, *spec.entity]).aggregate(_ww_flag=census._ww_flag.max())
    return (
        census.group_by(keys)
        .aggregate(n0=census._ww_flag.sum(), d0=census.count().cast("float64"))
        .select(
            org_code="org_code",
            site_code="_ww_site",
            unit_code="_ww_unit",
            day=PERIOD_START,
            n0="n0",
            d0="d0",
        )
    )


def _calendar_ranges(con: ibis.BaseBackend, indicators: list[Indicator]) -> dict[str, tuple]:
    """First and last date in each census indicator's ``calendar_columns``, in one query."""
    branches = []
    for ind in indicators:
        spec: SnapshotSpec = ind.spec  # type: ignore[assignment]
        base = _census_base(con, spec)
        for c in spec.calendar_columns:
            col = base[c].date() if base[c].type().is_timestamp() else base[c].cast("date")
            branches.append(base.aggregate(indicator_id=ibis.literal(ind.id), lo=col.min(), hi=col.max()))
    if not branches:
        return {}
    rows = con.execute(ibis.union(*branches) if len(branches) > 1 else branches[0])
    ranges: dict[str, tuple] = {}
    for r in rows.itertuples(index=False):
        lo, hi = as_date(r.lo), as_date(r.hi)
        old_lo, old_hi = ranges.get(r.indicator_id, (None, None))
        ranges[r.indicator_id] = (
            min(d for d in (lo, old_lo) if d is not None) if (lo or old_lo) else None,
            max(d for d in (hi, old_hi) if d is not None) if (hi or old_hi) else None,
        )
    return ranges


# ---------------------------------------------------------------- stage 2: roll-up


def _long_form(contributions: pa.Table, group: list[Indicator]) -> pa.Table:
    """Wide (n0, d0, n1, d1 ...) contributions -> one row per indicator, org, site, unit and day."""
    keys = ["org_code", "site_code", "unit_code", "day"]
    n = contributions.num_rows
    return pa.concat_tables(
        [
            contributions.select(keys)
            .append_column("indicator_id", pa.array([ind.id] * n, pa.string()))
            .append_column("num", contributions.column(f"n{i}").cast(pa.float64()))
            .append_column("den", contributions.column(f"d{i}").cast(pa.float64()))
            for i, ind in enumerate(group)
        ]
    )


def _roll_up(
    con: ibis.BaseBackend,
    long_parts: list[pa.Table],
    indicators: list[Indicator],
    grains: tuple[str, ...] | None,
    levels: tuple[str, ...],
) -> pd.DataFrame | None:
    """Every grain and level of every indicator in one query over the collected contributions."""
    if not long_parts:
        return None
    # one contiguous arrow table: Spark's arrow conversion refuses chunked columns
    base = ibis.memtable(pa.concat_tables(long_parts).combine_chunks())
    parts = []
    for grain in ("week", "month", "year"):
        if grains is not None and grain not in grains:
            continue
        for level in levels:
            ids = [ind.id for ind in indicators if grain in ind.grains and _has_level(ind, level)]
            if ids:
                parts.append(_aggregate(base.filter(base.indicator_id.isin(ids)), grain, level))
    if not parts:
        return None
    return con.execute(ibis.union(*parts) if len(parts) > 1 else parts[0])


def _has_level(ind: Indicator, level: str) -> bool:
    spec = ind.spec
    if level == "site":
        return bool(spec.site_column)
    if level == "unit":
        return bool(spec.unit_column)
    return True


def _aggregate(base: ir.Table, grain: str, level: str) -> ir.Table:
    null_string = ibis.null().cast("string")
    rows = base.mutate(period_start=base.day.truncate(_TRUNCATE[grain]).cast("date"))
    if level == "trust":
        rows = rows.mutate(site_code=null_string, unit_code=null_string)
    elif level == "site":
        rows = rows.filter(rows.site_code.notnull()).mutate(unit_code=null_string)
    else:
        rows = rows.filter(rows.unit_code.notnull()).mutate(site_code=null_string)
    agg = rows.group_by(["indicator_id", "org_code", "site_code", "unit_code", "period_start"]).aggregate(
        numerator=_exact_sum(rows.num), denominator=_exact_sum(rows.den)
    )
    agg = agg.filter(agg.denominator > 0)
    return agg.select(
        indicator_id=agg.indicator_id,
        org_code=agg.org_code,
        site_code=agg.site_code,
        unit_code=agg.unit_code,
        period_start=agg.period_start,
        period_grain=ibis.literal(grain),
        numerator=agg.numerator.cast("float64"),
        denominator=agg.denominator.cast("float64"),
        value=(agg.numerator / agg.denominator).cast("float64"),
        source=ibis.literal(SOURCE),
    )


def _window(frame: pd.DataFrame, start: dt.date | None, end: dt.date | None) -> pd.DataFrame:
    """Keep the periods that overlap [start, end] (a week or month that starts before ``start``
    but runs into it is kept)."""
    if frame.empty or (start is None and end is None):
        return frame
    keep = pd.Series(True, index=frame.index)
    if start is not None:
        first = {
            "week": start - dt.timedelta(days=start.weekday()),
            "month": start.replace(day=1),
            "year": start.replace(month=1, day=1),
        }
        keep &= frame["period_start"] >= frame["period_grain"].map(first)
    if end is not None:
        keep &= frame["period_start"] <= end
    return frame[keep].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in MEASURE_COLUMNS})


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Engine-independent pandas form: plain dates, float64 numbers, None for missing codes, sorted."""
    frame = frame[list(MEASURE_COLUMNS)].copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).dt.date
    for c in ("numerator", "denominator", "value"):
        frame[c] = frame[c].astype("float64")
    for c in ("indicator_id", "org_code", "site_code", "unit_code", "period_grain", "source"):
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    order = ["indicator_id", "period_grain", "org_code", "site_code", "unit_code", "period_start"]
    frame = frame.sort_values(order, na_position="first", kind="mergesort").reset_index(drop=True)
    return frame


def write_measures(
    con: ibis.BaseBackend,
    indicator_ids: Iterable[str] | None = None,
    grains: Iterable[str] | None = None,
    *,
    compute_on: ibis.BaseBackend | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> MeasuresRun:
    """Compute indicators and store them in the DuckDB warehouse ``con``'s ``measures`` table.

    Rows of source "wardwatch" for the indicators computed are replaced; published rows and other
    indicators are untouched. ``compute_on`` runs the computation on another backend (e.g. PySpark
    over the same tables) while storing in ``con``.
    """
    from wardwatch.indicators.store import replace_cut_offs, replace_measures

    run = run_measures(compute_on or con, indicator_ids, grains, start=start, end=end)
    replace_measures(con, run.frame, source=SOURCE, indicator_ids=run.computed)
    replace_cut_offs(con, run.cut_offs, indicator_ids=run.computed)
    return run
