"""One panel per indicator for the focal trust, read from the SPC result tables.

Nothing is computed here: ``wardwatch refresh`` stored each series' periods (with their status:
charted, incomplete, suppressed), its SPC and its icons; charts are drawn later from these
objects (:mod:`wardwatch.report.charts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from wardwatch.report.meta import IndicatorMeta


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


#: Show weekly indicators monthly when the small-number rule would hide more than this share of weeks.
COARSEN_SHARE = 0.10


def choose_entry(entries: pd.DataFrame, meta: IndicatorMeta) -> tuple[pd.Series, str]:
    """The whole-trust series a panel shows, from the org's catalogue rows of one indicator and
    edition: ED indicators weekly (large weekly denominators), the rest monthly, then weekly, then
    yearly; weekly becomes monthly when the edition hides more than 10% of the weeks."""
    trust = entries[entries["site_code"] == ""]
    by_grain = {str(r["grain"]): r for _, r in trust.iterrows()}
    order = ("week", "month", "year") if meta.is_ed else ("month", "week", "year")
    grain = next((g for g in order if g in by_grain), None)
    if grain is None:
        raise LookupError(f"{meta.id}: no whole-trust series")
    if grain == "week" and "month" in by_grain and by_grain["week"]["hidden_share"] > COARSEN_SHARE:
        return by_grain["month"], "Shown monthly: weekly counts are too small to publish."
    return by_grain[grain], ""


def panel_from_results(
    raw: Any, entry: pd.Series, meta: IndicatorMeta, note: str = "",
    annotations: list[tuple[date, str]] | None = None,
) -> IndicatorPanel:
    """The panel of one stored series (periods, SPC and icons exactly as ``wardwatch refresh`` left them)."""
    from wardwatch.results.read import series as read_series

    stored = read_series(raw, entry)
    spc_note = " ".join(p for p in (note, str(entry["note"] or "")) if p).strip()
    variation = None if pd.isna(entry["variation"]) else str(entry["variation"])
    assurance = None if pd.isna(entry["assurance"]) else str(entry["assurance"])
    columns = ["period_start", "numerator", "denominator", "value", "source"]
    return IndicatorPanel(
        meta=meta,
        anchor=anchor_for(meta.id),
        grain=str(entry["grain"]),
        chart_type=str(entry["chart"]),
        series=stored.shown[columns],
        charted=stored.charted[columns],
        spc=stored.spc,
        spc_note=spc_note,
        variation=variation,
        assurance=assurance,
        annotations=tuple(annotations or ()),
    )
