"""Statistical process control (SPC) for many series at once: NHS England "Making Data Count".

``spc()`` takes a long DataFrame (one row per series x period), sorts it once and computes centre
lines, limits, special-cause rules, point types, variation and assurance for every series in one
pass of NumPy array operations (no Python loop per series or per point).

Charts (docs/methods.md 2.1-2.6): ``xmr`` (individuals, Making Data Count); ``p`` / ``pp`` (Laney p')
and ``u`` / ``up`` (Laney u') where ``y`` holds event counts and ``n`` denominators; ``c``
(counts); ``run`` (median, Anhoej rules); ``g`` (cases between events) and ``t`` (time between
events). Rule sets: ``"mdc"`` (default; the current MDC tools) and ``"ptd"`` (NHSRplotthedots
0.2.2). Every difference between the two, and from qicharts2, is listed in docs/deviations.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from wardwatch.errors import InputError
from wardwatch.stats.attribute import attribute_limits
from wardwatch.stats.rare_events import G_METHODS, g_limits, g_short_gaps, t_back_transform, t_rule_scale
from wardwatch.stats.runchart import run_chart_limits, runs_analysis
from wardwatch.stats.spc_constants import RULE_SETS, SHORT_BASELINE
from wardwatch.stats.spc_limits import Limits, xmr_limits
from wardwatch.stats.spc_rules import SPECIAL_CAUSES, classify
from wardwatch.stats.spc_segments import build_layout
from wardwatch.vocabulary import CHARTS, POINT_TYPES

IMPROVEMENTS = {"increase": 1, "decrease": -1, "neutral": 0}
NEEDS_DENOMINATOR = ("p", "pp", "u", "up")
POINT_COLUMNS = (
    "x",
    "y",
    "n",
    "centre",
    "lpl",
    "upl",
    "lower_near",
    "upper_near",
    "segment",
    "special_cause",
    "point_type",
)
SUMMARY_COLUMNS = (
    "segment",
    "n_points",
    "centre",
    "lpl",
    "upl",
    "variation",
    "assurance",
    "short_baseline",
    "longest_run",
    "longest_run_max",
    "crossings",
    "crossings_min",
    "runs_signal",
)


@dataclass(frozen=True)
class SPCOptions:
    """The options a result was computed with (validated)."""

    x: str
    y: str
    n: str | None
    by: tuple[str, ...]
    chart: str
    improvement: str
    target: float | None
    rebase: Any
    fix_after: int | None
    rules: str
    screen: bool
    run_length: int
    g_method: str = "probability"


@dataclass(frozen=True)
class SPCResult:
    """SPC result for one or many series.

    ``points``: one row per input point (by-columns, x, y, n, centre, lpl, upl, lower_near,
    upper_near, segment, special_cause, point_type). ``summary``: one row per series x segment
    (by-columns, segment, n_points, centre, lpl, upl, variation, assurance, short_baseline,
    longest_run, longest_run_max, crossings, crossings_min, runs_signal). For attribute charts the
    summary's lpl/upl are those of the segment's last point.
    """

    points: pd.DataFrame
    summary: pd.DataFrame
    options: SPCOptions = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.points

    def summary_table(self) -> pd.DataFrame:
        """The latest segment of each series: the row a board summary table shows."""
        by = list(self.options.by)
        if not by:
            return self.summary.tail(1).reset_index(drop=True)
        return self.summary.groupby(by, sort=False, dropna=False).tail(1).reset_index(drop=True)

    def _select(self, frame: pd.DataFrame, series: dict | None) -> pd.DataFrame:
        by = list(self.options.by)
        if series:
            unknown = sorted(set(series) - set(by))
            if unknown:
                raise InputError(f"spc series: {unknown} are not by-columns ({by}); choose a series by {by}")
            mask = np.ones(len(frame), dtype=bool)
            for column, value in series.items():
                mask &= (frame[column] == value).to_numpy()
            frame = frame[mask]
        elif by and frame[by].drop_duplicates().shape[0] > 1:
            raise InputError(
                f"spc series: the result holds several series; pass series={{...}} with values of {by}"
            )
        if frame.empty:
            raise InputError(f"spc series: no points for series {series}")
        return frame.reset_index(drop=True)

    def series_points(self, series: dict | None = None) -> pd.DataFrame:
        """Points of one series, selected by its by-column values (``{"org_code": "RNA"}``)."""
        return self._select(self.points, series)

    def series_summary(self, series: dict | None = None) -> pd.DataFrame:
        """Summary rows (segments) of one series, selected like :meth:`series_points`."""
        return self._select(self.summary, series)


def spc(
    data: pd.DataFrame,
    x: str,
    y: str,
    n: str | None = None,
    by: list[str] | None = None,
    chart: str = "xmr",
    improvement: str = "increase",
    target: float | None = None,
    rebase: list | dict | None = None,
    fix_after: int | None = None,
    rules: str = "mdc",
    screen: bool | None = None,
    run_length: int | None = None,
    g_method: str = "probability",
) -> SPCResult:
    """SPC chart values, special causes, variation and assurance for every series in ``data``.

    - ``x``: period column; numbers and dates (datetime64, timezone-aware or not, or Python
      ``date`` objects) are sorted within each series; text labels keep their input order.
    - ``y``: the value (xmr, run, t: the measure; g: cases or days between events; c: counts;
      p, pp, u, up: event counts, divided by ``n`` to give the plotted proportion / rate).
    - ``n``: denominators (required for p, pp, u, up; passed through otherwise).
    - ``by``: columns identifying a series; all series are computed together.
    - ``improvement``: "increase" | "decrease" | "neutral"; ``target`` drives the assurance.
    - ``rebase``: x values where a new segment starts (for all series; a single value is one
      value), or a dict mapping a series key (value, or tuple of by-values) to its x values.
    - ``fix_after``: limits from the first N points of each segment only.
    - ``rules``: "mdc" (Making Data Count 2023: no moving-range screening, two-in-three counts
      every point beyond 2 sigma, conflicts resolve to improvement) or "ptd" (NHSRplotthedots
      0.2.2: screening, two-in-three only between 2 and 3 sigma, first rule wins).
    - ``screen``: override the rule set's moving-range screening (XmR, t, p', u').
    - ``run_length``: 6 or 7 points for trends and shifts (default 7).
    - ``g_method``: g chart limits: "probability" (default; geometric probability limits, the
      baseline median as centre and the short-gap rule for a rise in the event rate) or
      "sigma" (qicharts2: mean +/- 3 sigma, which false-alarms on in-control geometric data;
      docs/methods/rare-event-charts.md).

    Rows with a missing ``y`` (or, for p/u charts, a missing or zero ``n``) are left out.
    """
    options = _validate(
        data, x, y, n, by, chart, improvement, target, rebase, fix_after, rules, screen, run_length, g_method
    )
    prepared = _prepare(data, options)
    layout = build_layout(prepared.series, prepared.local_segment, options.fix_after)

    y_raw = prepared.y
    n_raw = prepared.n
    values, rule_values, rule_limits, limits = _limits(options, layout, y_raw, n_raw)
    runs = runs_analysis(layout, rule_values, rule_limits.centre)
    rule_set = RULE_SETS[options.rules]
    probability_g = options.chart == "g" and options.g_method == "probability"
    classes = classify(
        layout,
        rule_values,
        rule_limits,
        improvement_sign=IMPROVEMENTS[options.improvement],
        run_length=options.run_length,
        two_in_three_mode=rule_set.two_in_three,
        conflict=rule_set.conflict,
        long_run=runs.long_run if options.chart == "run" else None,
        short_gaps=g_short_gaps(layout, y_raw) if probability_g else None,
    )

    columns: dict[str, Any] = {c: coded.values() for c, coded in prepared.by.items()}
    columns.update(
        x=prepared.x.values(),
        y=values,
        n=n_raw if n_raw is not None else np.full(values.size, np.nan),
        centre=limits.centre,
        lpl=limits.lpl,
        upl=limits.upl,
        lower_near=limits.lower_near,
        upper_near=limits.upper_near,
        segment=layout.seg_local[layout.seg],
        special_cause=_labels(SPECIAL_CAUSES, classes.special_cause),
        point_type=_labels(POINT_TYPES, classes.point_type),
    )
    # one constructor call: inserting columns one by one is slow in pandas
    points = pd.DataFrame(columns)

    summary = _summary(options, layout, prepared, limits, classes.point_type, runs)
    return SPCResult(points=points, summary=summary, options=options)


def _limits(
    options: SPCOptions, layout, y: np.ndarray, n: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, Limits, Limits]:
    """(plotted values, values the rules run on, limits the rules use, limits to output).

    Only the t chart has a separate rule scale: its rules run on y ** (1/3.6) where the limits
    are exact, and the limits are back-transformed for output only.
    """
    chart = options.chart
    if chart == "t":
        transformed, transformed_limits = t_rule_scale(layout, y, options.screen)
        return y, transformed, transformed_limits, t_back_transform(transformed_limits)
    if chart == "xmr":
        values, limits = y, xmr_limits(layout, y, options.screen)
    elif chart in ("p", "pp", "u", "up", "c"):
        values, limits = attribute_limits(layout, chart, y, n, options.screen)
    elif chart == "run":
        values, limits = y, run_chart_limits(layout, y)
    else:
        values, limits = y, g_limits(layout, y, options.g_method)
    return values, values, limits, limits


def _labels(names: tuple[str, ...], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """String column from small integer codes (an Arrow take: much faster than object arrays)."""
    return pd.array(pa.array(names).take(pa.array(codes)), dtype=pd.StringDtype("pyarrow", na_value=np.nan))


def _summary(
    options: SPCOptions, layout, prepared: _Prepared, limits: Limits, point_type: np.ndarray, runs
) -> pd.DataFrame:
    last = layout.seg_last
    if RULE_SETS[options.rules].name == "ptd":
        # NHSRplotthedots warns on the size of the rebase group
        short = layout.seg_count < SHORT_BASELINE
    else:
        # the limits rest on the baseline points, so a short *baseline* is what makes them trial
        short = layout.baseline_count() < SHORT_BASELINE
    columns: dict[str, Any] = {c: coded.values(last) for c, coded in prepared.by.items()}
    columns.update(
        segment=layout.seg_local,
        n_points=layout.seg_count,
        centre=limits.centre[last],
        lpl=limits.lpl[last],
        upl=limits.upl[last],
        variation=_labels(POINT_TYPES, point_type[last]),
        assurance=_string_array(_assurance(options, layout, limits)),
        short_baseline=short,
        longest_run=runs.longest_run,
        longest_run_max=runs.longest_run_max,
        crossings=runs.crossings,
        crossings_min=runs.crossings_min,
        runs_signal=runs.signal,
    )
    summary = pd.DataFrame(columns)
    return summary


def _assurance(options: SPCOptions, layout, limits: Limits) -> np.ndarray:
    """Assurance of the last segment of each series, from the limits of its last point.

    increase: target > UPL -> consistent_fail, target < LPL -> consistent_pass, else
    inconsistent; mirrored for decrease; "none" without a target, for neutral direction, for
    charts without limits, and for earlier segments (docs/methods.md 2.3).
    """
    g = layout.n_segments
    out = np.full(g, "none", dtype=object)
    sign = IMPROVEMENTS[options.improvement]
    if options.target is None or sign == 0:
        return out
    last_of_series = np.ones(g, dtype=bool)
    last_of_series[:-1] = layout.seg_series[1:] != layout.seg_series[:-1]
    lpl = limits.lpl[layout.seg_last]
    upl = limits.upl[layout.seg_last]
    target = options.target
    above = target > upl
    below = target < lpl
    fail_high = "consistent_fail" if sign > 0 else "consistent_pass"
    pass_low = "consistent_pass" if sign > 0 else "consistent_fail"
    verdict = np.where(above, fail_high, np.where(below, pass_low, "inconsistent")).astype(object)
    verdict[np.isnan(lpl) & np.isnan(upl)] = "none"
    out[last_of_series] = verdict[last_of_series]
    return out


def _string_array(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


# ---------------------------------------------------------------- validation and preparation


def default_screen(chart: str, rule_set_screen: bool) -> bool:
    """Moving-range screening used when ``screen`` is not given.

    XmR and t charts follow the rule set (mdc: off, as the MDC tools; ptd: on, as
    NHSRplotthedots). Laney p' and u' charts follow qicharts2 0.8.1, which screens the moving
    ranges of the z-scores for both (its NEWS for 0.7.4; the p' golden outputs confirm it).
    """
    if chart in ("xmr", "t"):
        return rule_set_screen
    return chart in ("pp", "up")


def _validate(
    data, x, y, n, by, chart, improvement, target, rebase, fix_after, rules, screen, run_length, g_method
) -> SPCOptions:
    if not isinstance(data, pd.DataFrame):
        raise InputError("spc: data must be a pandas DataFrame")
    if chart not in CHARTS:
        raise InputError(f"spc: unknown chart {chart!r}; use one of {', '.join(CHARTS)}")
    if improvement not in IMPROVEMENTS:
        raise InputError(f"spc: unknown improvement {improvement!r}; use increase, decrease or neutral")
    if rules not in RULE_SETS:
        raise InputError(f"spc: unknown rules {rules!r}; use mdc or ptd")
    if g_method not in G_METHODS:
        raise InputError(f"spc: unknown g_method {g_method!r}; use {' or '.join(G_METHODS)}")
    by_tuple = tuple(by or ())
    if isinstance(by, str):
        by_tuple = (by,)
    needed = [x, y, *by_tuple] + ([n] if n else [])
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise InputError(
            f"spc: column(s) {missing} not found in the data (columns: {list(data.columns)}); check --x/--y/--n/--by"
        )
    reserved = set(POINT_COLUMNS) - {"x"}
    clash = [c for c in by_tuple if c in reserved or c == x]
    if clash:
        raise InputError(f"spc: by-column(s) {clash} clash with output column names; rename them")
    if chart in NEEDS_DENOMINATOR and not n:
        raise InputError(f"spc: chart {chart!r} needs a denominator column (n)")
    if run_length is not None and run_length not in (6, 7):
        raise InputError(f"spc: run_length must be 6 or 7 (got {run_length})")
    if fix_after is not None and (int(fix_after) != fix_after or fix_after < 2):
        raise InputError(f"spc: fix_after must be a whole number >= 2 (got {fix_after})")
    if target is not None:
        try:
            target = float(target)
        except (TypeError, ValueError):
            raise InputError(f"spc: target must be a number (got {target!r})") from None
        if np.isnan(target):
            target = None
    if rebase is not None:
        rebase = (
            {key: _rebase_values(values) for key, values in rebase.items()}
            if isinstance(rebase, dict)
            else _rebase_values(rebase)
        )
    rule_set = RULE_SETS[rules]
    if screen is None:
        screen = default_screen(chart, rule_set.screen)
    return SPCOptions(
        x=x,
        y=y,
        n=n or None,
        by=by_tuple,
        chart=chart,
        improvement=improvement,
        target=target,
        rebase=rebase,
        fix_after=int(fix_after) if fix_after is not None else None,
        rules=rules,
        screen=bool(screen),
        run_length=int(run_length or rule_set.run_length),
        g_method=g_method,
    )


def _numeric(column: pd.Series, name: str, role: str) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"spc: {role} column {name!r} has a non-numeric value {column.iloc[row]!r} at row {row + 1}; "
            "fix or remove it"
        )
    return values.to_numpy(dtype=float, na_value=np.nan)


@dataclass(frozen=True)
class _Coded:
    """A column as sorted-row codes into its sorted unique values (cheap to expand for output)."""

    codes: np.ndarray
    uniques: pd.Index

    def values(self, rows: np.ndarray | slice = slice(None)) -> Any:
        return self.uniques.take(self.codes[rows]).array

    def value(self, row: int) -> Any:
        return self.uniques[self.codes[row]]


@dataclass(frozen=True)
class _Prepared:
    """Rows kept, sorted by (series, x): series ids, coded by/x columns, y and n arrays."""

    series: np.ndarray
    by: dict[str, _Coded]
    x: _Coded
    y: np.ndarray
    n: np.ndarray | None
    local_segment: np.ndarray


def _prepare(data: pd.DataFrame, options: SPCOptions) -> _Prepared:
    """Drop unusable rows, sort by (series, x) with one lexsort over integer codes."""
    y = _numeric(data[options.y], options.y, "y")
    n = _numeric(data[options.n], options.n, "n") if options.n else None
    keep = ~np.isnan(y)
    if options.chart in NEEDS_DENOMINATOR:
        keep &= ~np.isnan(n) & (n > 0)
    keep &= data[options.x].notna().to_numpy()
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise InputError(
            f"spc: no usable rows: every row lacks a value of {options.y!r}"
            + (f" or a denominator > 0 in {options.n!r}" if options.chart in NEEDS_DENOMINATOR else "")
            + f" or a value of {options.x!r}; check the columns"
        )

    by_codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
    series = np.zeros(rows.size, dtype=np.int64)
    for column in options.by:
        codes, uniques = pd.factorize(data[column], sort=True, use_na_sentinel=False)
        codes = codes[rows]
        by_codes[column] = (codes, pd.Index(uniques))
        series = series * max(len(uniques), 1) + codes
    if len(options.by) > 1:
        series = np.unique(series, return_inverse=True)[1].reshape(-1)
    x_key = _code_x(data[options.x], options.x)
    x_codes = x_key.codes[rows]
    if x_key.ordered:
        # already sorted (the usual case for extracts): skip the sort
        if series.size < 2 or np.all(
            (series[1:] > series[:-1]) | ((series[1:] == series[:-1]) & (x_codes[1:] >= x_codes[:-1]))
        ):
            order = np.arange(series.size)
        else:
            order = np.lexsort((x_codes, series))
    else:
        # text x (e.g. "Feb-23"): no natural order, keep each series' rows in input order
        order = np.argsort(series, kind="stable")
    series = series[order]
    x_codes = x_codes[order]
    y = y[rows][order]
    n = n[rows][order] if n is not None else None
    prepared_by = {c: _Coded(codes[order], uniques) for c, (codes, uniques) in by_codes.items()}
    x_coded = _Coded(x_codes, x_key.uniques)
    _check_values(y, n, options)

    dup_row = _first_duplicate(series, x_codes, len(x_key.uniques), x_key.ordered)
    if dup_row is not None:
        where = {c: coded.value(dup_row) for c, coded in prepared_by.items()}
        raise InputError(
            f"spc: x value {x_coded.value(dup_row)!r} appears more than once in series {where or '(all)'}; "
            "aggregate to one row per period or add the series column to --by"
        )
    local_segment = _rebase_groups(options, series, prepared_by, x_coded, x_key)
    return _Prepared(series, prepared_by, x_coded, y, n, local_segment)


@dataclass(frozen=True)
class _XKey:
    """The x column factorized: ``codes`` per input row (-1 for missing), ``uniques`` (output
    values), ``keys`` (the same values in a comparable form, for rebase look-ups) and whether x
    has a natural order (``ordered``; codes then follow it)."""

    codes: np.ndarray
    uniques: pd.Index
    keys: pd.Index
    ordered: bool


_DATE_KINDS = ("date", "datetime", "datetime64")
_NUMBER_KINDS = ("integer", "floating", "mixed-integer-float", "decimal")


def _code_x(column: pd.Series, name: str) -> _XKey:
    """Factorize x. Numbers, dates (datetime64 with or without a timezone, or Python ``date`` /
    ``datetime`` objects), periods, timedeltas and categoricals are sorted; anything else (text)
    keeps its input order (docs/deviations.md)."""
    dtype = column.dtype
    sortable_dtype = (
        pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, (pd.PeriodDtype, pd.CategoricalDtype))
    )
    if sortable_dtype:
        codes, uniques = pd.factorize(column, sort=True)
        index = pd.Index(uniques)
        return _XKey(codes, index, index, True)
    kind = pd.api.types.infer_dtype(column, skipna=True)
    codes, uniques = pd.factorize(column, sort=False)
    uniques = pd.Index(uniques)
    if kind in _DATE_KINDS or kind in _NUMBER_KINDS:
        try:
            keys = pd.Index(pd.to_datetime(uniques) if kind in _DATE_KINDS else pd.to_numeric(uniques))
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(
                f"spc: x column {name!r} holds {kind} values that cannot be put in order ({exc}); "
                "give x as one kind of date (one timezone, or none) or number"
            ) from None
        # sort the uniques by their comparable keys and renumber the codes to match
        perm = np.argsort(keys.to_numpy(), kind="stable")
        rank = np.empty(perm.size, dtype=np.int64)
        rank[perm] = np.arange(perm.size)
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
        return _XKey(codes, uniques[perm], keys[perm], True)
    return _XKey(codes, uniques, uniques, False)


def _first_duplicate(series: np.ndarray, x_codes: np.ndarray, n_x: int, ordered: bool) -> int | None:
    """Sorted-row index of the first repeat of an (series, x) pair, or None."""
    if series.size < 2:
        return None
    if ordered:  # rows sorted by (series, x): repeats are neighbours
        dup = (series[1:] == series[:-1]) & (x_codes[1:] == x_codes[:-1])
        return int(np.flatnonzero(dup)[0]) + 1 if dup.any() else None
    pair = series.astype(np.int64) * max(n_x, 1) + x_codes
    order = np.argsort(pair, kind="stable")
    dup = pair[order][1:] == pair[order][:-1]
    return int(order[np.flatnonzero(dup)[0] + 1]) if dup.any() else None


def _check_values(y: np.ndarray, n: np.ndarray | None, options: SPCOptions) -> None:
    chart = options.chart
    if chart in ("p", "pp", "u", "up", "c", "g") and (y < 0).any():
        raise InputError(f"spc: {chart} chart needs counts >= 0 in {options.y!r}")
    if chart in ("p", "pp") and (y > n).any():
        raise InputError(
            f"spc: {chart} chart needs {options.y!r} <= {options.n!r} (events cannot exceed the denominator)"
        )
    if chart == "t" and (y <= 0).any():
        raise InputError(f"spc: t chart needs times between events > 0 in {options.y!r}")


def _rebase_values(values: Any) -> list:
    """A rebase list; a single value (a string, date or number) is one value, not a sequence."""
    if not pd.api.types.is_list_like(values):
        return [values]
    return list(values)


def _comparable_rebase(keys: pd.Index, values: list) -> Any:
    """Rebase values converted to the kind of the x keys (raises TypeError / ValueError)."""
    if isinstance(keys, pd.DatetimeIndex):
        converted = pd.DatetimeIndex(pd.to_datetime(values))
        if keys.tz is not None:
            # naive rebase dates are read in the x column's timezone
            converted = (
                converted.tz_localize(keys.tz) if converted.tz is None else converted.tz_convert(keys.tz)
            )
        elif converted.tz is not None:
            raise ValueError("the rebase values carry a timezone but x has none")
        return converted
    if pd.api.types.is_numeric_dtype(keys.dtype) and not pd.api.types.is_bool_dtype(keys.dtype):
        return pd.to_numeric(pd.Series(values)).to_numpy()
    return values


def _rebase_groups(
    options: SPCOptions, series: np.ndarray, by: dict[str, _Coded], x: _Coded, x_key: _XKey
) -> np.ndarray:
    """Rebase group of every row (per series).

    Ordered x (numbers, dates): how many rebase values are <= the row's x, i.e. a rebase starts
    a segment at the first x on or after it. Text x (kept in input order): a rebase value must be
    an x value, and the segment starts at the row that has it.
    """
    rebase = options.rebase
    if rebase is None or (not isinstance(rebase, dict) and len(rebase) == 0):
        return np.zeros(series.size, dtype=np.int64)
    keys = x_key.keys

    def fail(values: list, why: str) -> InputError:
        return InputError(
            f"spc: rebase values {values!r} do not fit the x column {options.x!r} ({keys.dtype}): {why}; "
            "give rebase values of the same kind as x (e.g. dates for a date column)"
        )

    def ordered_codes(values: list) -> np.ndarray:
        """Positions of the rebase values among the sorted x keys."""
        try:
            converted = _comparable_rebase(keys, values)
            positions = keys.searchsorted(converted, side="left")
        except (TypeError, ValueError, OverflowError) as exc:
            raise fail(values, str(exc)) from None
        return np.sort(np.asarray(positions))

    def groups_for(values: Any, rows: np.ndarray | slice) -> np.ndarray:
        values = _rebase_values(values)
        codes = x.codes[rows]
        if x_key.ordered:
            return np.searchsorted(ordered_codes(values), codes, side="right")
        found = keys.get_indexer(pd.Index(values, dtype=object))
        if (found < 0).any():
            missing = [v for v, f in zip(values, found) if f < 0]
            raise fail(values, f"{missing!r} not among the x values (text x is matched exactly)")
        starts = np.isin(codes, found)
        seg_series = series[rows]
        total = np.cumsum(starts)
        # restart the count at each series: subtract the count before the series' first row
        first = np.r_[True, seg_series[1:] != seg_series[:-1]] if seg_series.size else np.zeros(0, bool)
        before = (total - starts)[first]
        return total - np.repeat(before, np.diff(np.append(np.flatnonzero(first), seg_series.size)))

    if not isinstance(rebase, dict):
        return groups_for(rebase, slice(None))
    if not options.by:
        raise InputError("spc: rebase as a dict (series -> x values) needs by-columns")
    groups = np.zeros(series.size, dtype=np.int64)
    first_rows = np.flatnonzero(np.r_[True, series[1:] != series[:-1]]) if series.size else np.zeros(0, int)
    by_keys = zip(*(by[c].values(first_rows) for c in options.by))
    series_of_key = {tuple(key): series[row] for key, row in zip(by_keys, first_rows)}
    for key, values in rebase.items():  # one step per series that has rebases, not per point
        key_tuple = key if isinstance(key, tuple) else (key,)
        if key_tuple not in series_of_key:
            raise InputError(f"spc: rebase given for series {key!r}, which is not in the data")
        mask = np.flatnonzero(series == series_of_key[key_tuple])
        groups[mask] = groups_for(values, mask)
    return groups
