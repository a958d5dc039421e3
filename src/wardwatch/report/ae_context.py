"""National context from published NHS England A&E data: a funnel of four-hour performance for
every trust in 2018/19 with one trust highlighted, and that trust's monthly SPC chart.

Computed from the ``measures`` rows the published loader wrote (``ae_4h_type1``); when the
warehouse has none (published loader not run) the packaged A&E file is read directly, so the
page never loses its national context.  Type 1 (major) departments are compared: all-types
figures mix in minor injury units that trusts have in very different proportions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

import pandas as pd

from wardwatch.render.results import plot_funnel
from wardwatch.report.charts import accessible_svg
from wardwatch.report.format import format_value
from wardwatch.report.measures import read_indicator_measures
from wardwatch.report.meta import as_meta, load_registry
from wardwatch.report.panels import build_panel
from wardwatch.report.views import AEContextView, Figure, Table

RNA = "RNA"
RNA_NAME = "The Dudley Group NHS Foundation Trust"
YEAR_START, YEAR_END = date(2018, 4, 1), date(2019, 3, 1)  # 2018/19, monthly period starts
INDICATOR = "ae_4h_type1"
ALL_TYPES = "ae_4h_all_types"


@dataclass(frozen=True)
class AEContext:
    """Computed national context (nothing drawn yet)."""

    org_code: str
    monthly: pd.DataFrame  # every trust, monthly: org_code, period_start, numerator, denominator, value
    funnel: Any | None  # FunnelResult
    panel: Any | None  # IndicatorPanel of the highlighted trust
    source: str
    funnel_source: str = ""
    all_types: tuple[float, float] | None = None  # (within 4 h, attendances) in the year, all types


def packaged_ae_monthly() -> pd.DataFrame:
    """Type 1 four-hour figures per trust and month from the packaged NHS England file."""
    path = resources.files("wardwatch").joinpath("data", "nhse_ae_attendances_2016_2019.csv")
    with resources.as_file(path) as csv_path:
        raw = pd.read_csv(csv_path, dtype={"type": str, "org_code": str})
    raw = raw[raw["type"] == "1"]
    monthly = raw.groupby(["org_code", "period"], as_index=False)[["attendances", "breaches"]].sum()
    return pd.DataFrame(
        {
            "indicator_id": INDICATOR,
            "org_code": monthly["org_code"],
            "site_code": None,
            "unit_code": None,
            "period_start": pd.to_datetime(monthly["period"]).dt.date,
            "period_grain": "month",
            "numerator": (monthly["attendances"] - monthly["breaches"]).astype(float),
            "denominator": monthly["attendances"].astype(float),
            "value": ((monthly["attendances"] - monthly["breaches"]) / monthly["attendances"]).astype(float),
            "source": "NHS England A&E monthly",
        }
    )


def compute_ae_context(con: Any | None, org_code: str = RNA) -> AEContext:
    monthly = read_indicator_measures(con, INDICATOR, "month") if con is not None else pd.DataFrame()
    source = "warehouse measures (published loader)"
    if monthly.empty:
        monthly = packaged_ae_monthly()
        source = "packaged NHS England A&E file (published loader not run)"
    monthly = monthly[monthly["site_code"].isna() & monthly["unit_code"].isna()]
    in_year = monthly[(monthly["period_start"] >= YEAR_START) & (monthly["period_start"] <= YEAR_END)]
    in_year = in_year[in_year["denominator"] > 0]
    fun = None
    funnel_source = source
    try:
        # the mortality module's funnel reads the packaged file and keeps trusts with all 12 months
        from wardwatch.mortality import ae_4h_funnel

        fun = ae_4h_funnel(fin_year=YEAR_START.year, dept_type="1")
        funnel_source = "packaged NHS England A&E file via wardwatch.mortality.ae_4h_funnel (trusts reporting all 12 months)"
    except Exception:
        try:
            from wardwatch.stats.funnel import funnel

            fun = funnel(
                in_year, group="org_code", numerator="numerator", denominator="denominator", type="PR"
            )
        except Exception:
            fun = None
    panel = None
    focal = monthly[monthly["org_code"] == org_code]
    if not focal.empty:
        panel = build_panel(focal, as_meta(INDICATOR, load_registry().get(INDICATOR)))
    all_types = None
    if con is not None:
        every = read_indicator_measures(con, ALL_TYPES, "month")
        every = every[
            (every["org_code"] == org_code)
            & (every["period_start"] >= YEAR_START)
            & (every["period_start"] <= YEAR_END)
            & every["site_code"].isna()
        ]
        if len(every):
            all_types = (float(every["numerator"].sum()), float(every["denominator"].sum()))
    return AEContext(
        org_code=org_code,
        monthly=monthly,
        funnel=fun,
        panel=panel,
        source=source,
        funnel_source=funnel_source,
        all_types=all_types,
    )


def ae_context_view(ctx: AEContext, org_name: str = RNA_NAME) -> AEContextView:
    from wardwatch.report.charts import panel_chart

    notes = [
        f"Data: NHS England monthly A&E attendances and emergency admissions, type 1 departments; "
        f"funnel from the {ctx.funnel_source}; monthly chart from the {ctx.source}."
    ]
    answer = f"No 2018/19 type 1 A&E figures found for {ctx.org_code}."
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
                f"In 2018/19, {org_name} ({ctx.org_code}) saw {share} of type 1 A&E attendances within 4 hours "
                f"({r['numerator']:,.0f} of {r['denominator']:,.0f}); the national type 1 figure was {national} "
                f"and the standard is 95%. It ranks {rank} of {n_trusts} trusts and lies {where}."
            )
            stats = Table(
                caption=f"Four-hour performance, type 1 A&E ({INDICATOR}), 2018/19: {ctx.org_code} "
                "against all trusts",
                columns=("Measure", "Value"),
                rows=(
                    ("Trust", f"{org_name} ({ctx.org_code})"),
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
        title = f"Funnel plot: type 1 four-hour performance, all trusts 2018/19, {ctx.org_code} highlighted"
        svg = ""
        try:
            svg = plot_funnel(ctx.funnel, highlight=ctx.org_code, title=title)
        except Exception as exc:
            notes.append(f"Funnel chart could not be drawn ({type(exc).__name__}: {exc}).")
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
        period="2018/19",
        answer=answer,
        funnel=funnel_fig,
        spc=spc_fig,
        stats=stats,
        notes=tuple(notes),
    )
