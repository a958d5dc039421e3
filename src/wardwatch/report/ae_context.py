"""National context from published NHS England A&E data: where the trust sits in the funnel of
type 1 four-hour performance of every trust in the latest complete financial year, and its
monthly SPC chart.

Read from the result tables (``wardwatch refresh`` draws a funnel per financial year from the
``ae_4h_type1`` measures that ``wardwatch load-published`` wrote, for trusts reporting all 12
months). An organisation without published figures gets no section: nothing is borrowed from
another trust. Type 1 (major) departments are compared: all-types figures mix in minor injury
units that trusts have in very different proportions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from wardwatch.render.results import plot_funnel
from wardwatch.report.charts import accessible_svg
from wardwatch.report.format import format_value
from wardwatch.report.meta import as_meta, load_registry
from wardwatch.report.panels import choose_entry, panel_from_results
from wardwatch.report.views import AEContextView, Figure, Table

INDICATOR = "ae_4h_type1"
ALL_TYPES = "ae_4h_all_types"
YEAR = "year"


@dataclass(frozen=True)
class AEContext:
    """The stored national context of one organisation (nothing drawn yet)."""

    org_code: str
    period: str  # e.g. "2018/19"
    funnel: Any  # FunnelResult of the financial year
    panel: Any | None  # IndicatorPanel of the organisation's monthly series
    all_types: tuple[float, float] | None = None  # (within 4 h, attendances) in the year, all types
    source: str = "warehouse measures (NHS England A&E monthly, wardwatch load-published)"
    funnel_source: str = "result tables (wardwatch refresh; trusts reporting all 12 months)"


def fin_year_label(start: Any) -> str:
    year = pd.Timestamp(start).year
    return f"{year}/{str(year + 1)[-2:]}"


def stored_context(raw: duckdb.DuckDBPyConnection, org_code: str, edition: str,
                   registry: Any | None = None) -> AEContext | None:
    """The organisation's latest financial-year funnel and monthly chart, or None without figures."""
    from wardwatch.results.read import funnel, latest_funnel_period, series_catalogue

    period = latest_funnel_period(raw, INDICATOR, YEAR, org_code)
    if period is None:
        return None
    result = funnel(raw, INDICATOR, YEAR, period)
    registry = load_registry() if registry is None else registry
    meta = as_meta(INDICATOR, registry.get(INDICATOR))
    catalogue = series_catalogue(raw, org_code, edition)
    entries = catalogue[catalogue["indicator_id"] == INDICATOR]
    panel = None
    if len(entries):
        entry, note = choose_entry(entries, meta)
        panel = panel_from_results(raw, entry, meta, note)
    all_types = None
    every = funnel(raw, ALL_TYPES, YEAR, period)
    if every is not None:
        row = every.units[every.units["group"] == org_code]
        if len(row):
            all_types = (float(row["numerator"].iloc[0]), float(row["denominator"].iloc[0]))
    return AEContext(org_code=org_code, period=fin_year_label(period), funnel=result, panel=panel,
                     all_types=all_types)


def ae_context_view(ctx: AEContext, org_name: str) -> AEContextView:
    from wardwatch.report.charts import panel_chart

    notes = [
        f"Data: NHS England monthly A&E attendances and emergency admissions, type 1 departments; "
        f"funnel from the {ctx.funnel_source}; monthly chart from the {ctx.source}."
    ]
    who = ctx.org_code if org_name == ctx.org_code else f"{org_name} ({ctx.org_code})"
    answer = f"No {ctx.period} type 1 A&E figures found for {ctx.org_code}."
    stats = None
    funnel_fig = None
    if ctx.funnel is not None:
        units = ctx.funnel.units
        row = units[units["group"] == ctx.org_code]
        n_trusts = len(units)
        if not row.empty:
            r = row.iloc[0]
            rank = int((units["value"] > r["value"]).sum()) + 1
            position = {
                "high": "above the upper 99.8% limit (better than the national picture)",
                "low": "below the lower 99.8% limit (worse than the national picture, beyond "
                "what chance and overdispersion explain)",
                "none": "within the 99.8% limits (consistent with the national picture)",
            }
            share, national = format_value(r["value"], "proportion"), format_value(r["target"], "proportion")
            where = position.get(str(r["outlier"]), "within the limits")
            answer = (
                f"In {ctx.period}, {who} saw {share} of type 1 A&E attendances within 4 hours "
                f"({r['numerator']:,.0f} of {r['denominator']:,.0f}); the national type 1 figure was {national} "
                f"and the standard is 95%. It ranks {rank} of {n_trusts} trusts and lies {where}."
            )
            stats = Table(
                caption=f"Four-hour performance, type 1 A&E ({INDICATOR}), {ctx.period}: {ctx.org_code} "
                "against all trusts",
                columns=("Measure", "Value"),
                rows=(
                    ("Trust", who),
                    ("Seen within 4 hours", format_value(r["value"], "proportion")),
                    ("Attendances", f"{r['denominator']:,.0f}"),
                    ("National (all trusts)", format_value(r["target"], "proportion")),
                    (
                        "95% limits at this size",
                        f"{format_value(r['ll95'], 'proportion')} to {format_value(r['ul95'], 'proportion')}",
                    ),
                    (
                        "99.8% limits at this size",
                        f"{format_value(r['ll998'], 'proportion')} to "
                        f"{format_value(r['ul998'], 'proportion')}",
                    ),
                    ("Rank (1 = best)", f"{rank} of {n_trusts}"),
                    *(
                        [
                            (
                                f"All A&E types, same year ({ALL_TYPES})",
                                f"{format_value(ctx.all_types[0] / ctx.all_types[1], 'proportion')} of "
                                f"{ctx.all_types[1]:,.0f} attendances",
                            )
                        ]
                        if ctx.all_types and ctx.all_types[1] > 0
                        else []
                    ),
                ),
            )
        title = f"Funnel plot: type 1 four-hour performance, all trusts {ctx.period}, {ctx.org_code} highlighted"
        svg = plot_funnel(ctx.funnel, highlight=ctx.org_code, title=title)
        if svg:
            funnel_fig = Figure(
                accessible_svg(svg, title),
                f"Each dot is a trust; {ctx.org_code} is highlighted. Limits are 95% and 99.8% "
                "with an additive overdispersion adjustment (Spiegelhalter 2005; docs/methods.md 3).",
            )
    spc_fig = None
    if ctx.panel is not None:
        title = f"{ctx.org_code}: monthly type 1 four-hour performance (p′ chart), target 95%"
        svg, kind = panel_chart(ctx.panel, title=title)
        what = "Making Data Count p′ chart" if kind == "spc" else "Line chart (SPC unavailable)"
        spc_fig = Figure(
            svg, f"{what} of published monthly figures ({INDICATOR}), {len(ctx.panel.series)} months."
        )
    return AEContextView(
        org_code=ctx.org_code,
        org_name=org_name,
        period=ctx.period,
        answer=answer,
        funnel=funnel_fig,
        spc=spc_fig,
        stats=stats,
        notes=tuple(notes),
    )
