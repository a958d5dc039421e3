"""Compute one panel per indicator for the focal trust: series, SPC result, latest value, icons.

Computing only: charts are drawn later from these objects (:mod:`wardwatch.report.charts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from wardwatch.report.format import SmallNumberRule
from wardwatch.report.measures import trust_series
from wardwatch.report.meta import IndicatorMeta

#: SPC charts of proportions take counts (numerator over denominator); the rest take values.
COUNT_CHARTS = {"p", "pp", "u", "up", "c"}


@dataclass(frozen=True)
class IndicatorPanel:
    meta: IndicatorMeta
    anchor: str
    grain: str
    chart_type: str
    series: pd.DataFrame  # period_start, numerator, denominator, value, source (every period)
    charted: pd.DataFrame  # the periods drawn and analysed (small-count periods removed)
    spc: Any | None = None  # wardwatch.stats.spc.SPCResult
    spc_note: str = ""
    variation: str | None = None
    assurance: str | None = None
    annotations: tuple[tuple[date, str], ...] = field(default_factory=tuple)

    @property
    def latest(self) -> pd.Series | None:
        return None if self.series.empty else self.series.iloc[-1]

    @property
    def sources(self) -> list[str]:
        return sorted({str(s) for s in self.series["source"].dropna().unique()})


def anchor_for(indicator_id: str) -> str:
    return "ind-" + re.sub(r"[^a-z0-9_-]+", "-", indicator_id.lower())


def choose_grain(meta: IndicatorMeta, available: set[str]) -> tuple[str, str]:
    """(grain, chart type): ED indicators weekly p' charts, the rest the indicator's own chart monthly."""
    if meta.is_ed and "week" in available:
        return "week", "pp"
    for grain in ("month", "week", "year"):
        if grain in available:
            return grain, meta.chart or "xmr"
    return "month", meta.chart or "xmr"


def _spc_module() -> Any | None:
    try:
        from wardwatch.stats import spc as spc_module
    except Exception:
        return None
    return spc_module if hasattr(spc_module, "spc") else None


def run_spc(
    series: pd.DataFrame, meta: IndicatorMeta, chart: str, rebase: list[date] | None = None
) -> tuple[Any | None, str]:
    """Run the project's SPC on one series; returns (result, note) with result None when unavailable."""
    module = _spc_module()
    if module is None:
        return None, "SPC module not available: showing the plain series."
    data = series.dropna(subset=["value"]).copy()
    if chart in COUNT_CHARTS:
        data = data.dropna(subset=["numerator", "denominator"])
        data = data[data["denominator"] > 0]
    if len(data) < 2:
        return None, "Too few points for an SPC chart."
    improvement = meta.improvement if meta.improvement in ("increase", "decrease", "neutral") else "neutral"
    data["period_start"] = pd.to_datetime(data["period_start"])
    extra: dict[str, Any] = {}
    if rebase:
        # a new segment starts at the first period on or after each date
        starts = [data.loc[data["period_start"] >= pd.Timestamp(d), "period_start"].min() for d in rebase]
        extra["rebase"] = [s for s in starts if pd.notna(s) and s > data["period_start"].min()]
    try:
        if chart in COUNT_CHARTS:
            result = module.spc(
                data,
                x="period_start",
                y="numerator",
                n="denominator",
                chart=chart,
                improvement=improvement,
                target=meta.target,
                **extra,
            )
        else:
            result = module.spc(
                data,
                x="period_start",
                y="value",
                chart=chart,
                improvement=improvement,
                target=meta.target,
                **extra,
            )
    except Exception as exc:  # one broken chart must not take the board report down
        return None, f"SPC failed for this series ({type(exc).__name__}: {exc}); showing the plain series."
    return result, ""


def _icons_from(result: Any) -> tuple[str | None, str | None]:
    summary = getattr(result, "summary", None)
    if summary is None or len(summary) == 0:
        return None, None
    last = summary.iloc[-1]
    variation = last.get("variation") if hasattr(last, "get") else None
    assurance = last.get("assurance") if hasattr(last, "get") else None
    if variation is None or (isinstance(variation, float) and pd.isna(variation)):
        points = result.points
        variation = str(points["point_type"].iloc[-1]) if len(points) else None
    if isinstance(assurance, float) and pd.isna(assurance):
        assurance = None
    return (None if variation is None else str(variation)), (None if assurance is None else str(assurance))


def small_count_rows(series: pd.DataFrame, unit: str, rule: SmallNumberRule) -> pd.Series:
    """Periods whose numerator, denominator (or count value) the small-number rule hides."""
    hidden = series["numerator"].map(rule.hides) | series["denominator"].map(rule.hides)
    if unit == "count":
        hidden |= series["value"].map(rule.hides)
    return hidden.astype(bool)


#: Show weekly indicators monthly when the small-number rule would hide more than this share of weeks.
COARSEN_SHARE = 0.10
#: A last period whose denominator is below this share of the recent median is incomplete.
INCOMPLETE_SHARE = 0.5


def period_last_day(start: date, grain: str) -> date:
    """The last day of the period starting ``start``."""
    offset = {"week": pd.DateOffset(weeks=1), "month": pd.DateOffset(months=1), "year": pd.DateOffset(years=1)}
    return (pd.Timestamp(start) + offset[grain] - pd.Timedelta(days=1)).date()


def drop_incomplete_last(
    series: pd.DataFrame, grain: str | None = None, data_until: date | None = None
) -> tuple[pd.DataFrame, date | None]:
    """Remove the incomplete last period(s) and return the first one removed.

    With ``data_until`` (the extract's cut-off, from ``measures_data_until``) every period whose last
    day falls after it is incomplete, whatever its size. Without (published data, an older
    warehouse) the last period is taken as incomplete when its denominator is under half the median
    of the 12 before it. Either way a first period under half the median of the 12 after it (a week
    cut by the start of the data window) is removed silently.
    """
    too_short = len(series) < 4
    series = _drop_short_first(series)
    if data_until is not None and grain is not None:
        if series.empty:
            return series, None
        late = series["period_start"].map(lambda s: period_last_day(s, grain) > data_until).astype(bool)
        if not late.any():
            return series, None
        return series[~late].reset_index(drop=True), series.loc[late, "period_start"].iloc[0]
    if too_short or series["denominator"].isna().all():
        return series, None
    last = series["denominator"].iloc[-1]
    recent = series["denominator"].iloc[-13:-1].median()
    if pd.notna(last) and pd.notna(recent) and recent > 0 and last < INCOMPLETE_SHARE * recent:
        return series.iloc[:-1].reset_index(drop=True), series["period_start"].iloc[-1]
    return series, None


def _drop_short_first(series: pd.DataFrame) -> pd.DataFrame:
    if len(series) < 4 or series["denominator"].isna().all():
        return series
    first, following = series["denominator"].iloc[0], series["denominator"].iloc[1:13].median()
    if pd.notna(first) and pd.notna(following) and following > 0 and first < INCOMPLETE_SHARE * following:
        return series.iloc[1:].reset_index(drop=True)
    return series


def build_panel(
    frame: pd.DataFrame,
    meta: IndicatorMeta,
    annotations: list[tuple[date, str]] | None = None,
    use_spc: bool = True,
    rule: SmallNumberRule | None = None,
    data_until: date | None = None,
) -> IndicatorPanel:
    """Panel for one indicator.

    - An incomplete last period is left out, drawn nowhere and not the "latest" value: with
      ``data_until`` (the extract's cut-off) any period ending after it; otherwise a last period
      whose denominator is under half the median of the 12 before it.
    - Periods the small-number rule hides are left out of the chart and its SPC (a plotted rate and
      its tooltip would give the count back); when that hides more than 10% of weekly periods the
      indicator is shown monthly instead, where counts are larger. The caption says what was done.
    """
    rows = frame[frame["indicator_id"] == meta.id]
    available = set(rows["period_grain"].dropna().unique())
    grain, chart = choose_grain(meta, available)
    rule = rule or SmallNumberRule(enabled=False)
    notes: list[str] = []
    series, dropped = drop_incomplete_last(trust_series(frame, meta.id, grain, meta.unit), grain, data_until)
    hidden = small_count_rows(series, meta.unit, rule) if len(series) else pd.Series(dtype=bool)
    if grain == "week" and "month" in available and len(series) and hidden.mean() > COARSEN_SHARE:
        grain = "month"
        series, dropped = drop_incomplete_last(trust_series(frame, meta.id, grain, meta.unit), grain, data_until)
        hidden = small_count_rows(series, meta.unit, rule) if len(series) else pd.Series(dtype=bool)
        notes.append("Shown monthly: weekly counts are too small to publish.")
    if dropped is not None:
        reason = f" (data until {data_until:%d %b %Y})" if data_until is not None else ""
        notes.append(f"The last period ({dropped:%d %b %Y}) is incomplete{reason} and not shown.")
    charted = series[~hidden].reset_index(drop=True) if len(series) else series
    if len(series) and hidden.mean() > COARSEN_SHARE:
        # leaving out many small-count periods would bias the chart (only the zeros and the large
        # counts would remain): draw nothing rather than a misleading picture
        notes.append(
            f"Not charted: {int(hidden.sum())} of {len(series)} periods have counts in the "
            "suppressed range, too many to leave out without biasing the chart."
        )
        charted = series.iloc[0:0]
    elif len(charted) < len(series):
        notes.append(
            f"{len(series) - len(charted)} period(s) with counts in the suppressed range are not drawn."
        )
    result, note = run_spc(charted, meta, chart) if use_spc and len(charted) else (None, "")
    note = " ".join([*notes, note]).strip()
    variation, assurance = _icons_from(result) if result is not None else (None, None)
    if result is not None and (meta.target is None or meta.improvement == "neutral"):
        assurance = "none"
    return IndicatorPanel(
        meta=meta,
        anchor=anchor_for(meta.id),
        grain=grain,
        chart_type=chart,
        series=series,
        charted=charted,
        spc=result,
        spc_note=note,
        variation=variation,
        assurance=assurance,
        annotations=tuple(annotations or ()),
    )
