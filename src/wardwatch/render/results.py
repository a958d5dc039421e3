"""Charts of statistics results: an SPC, funnel or CUSUM result object in, an SVG string out.

These used to be ``.plot()`` methods on the result classes. They live here so that
``wardwatch.stats`` never imports drawing code: render may read stats results, stats never
reaches into render. Nothing is recomputed; each function only picks the rows and options of
the result that the chart needs and hands them to the drawing function.
"""

from __future__ import annotations

from typing import Any

from wardwatch.render.cusum_svg import cusum_svg, vlad_svg
from wardwatch.render.funnel_svg import funnel_svg
from wardwatch.render.spc_svg import spc_chart_svg
from wardwatch.stats.cusum import CusumResult
from wardwatch.stats.funnel import FunnelResult
from wardwatch.stats.spc import SPCResult

# axis labels by funnel type: SR standardised ratio, PR proportion, RC ratio of counts
_FUNNEL_X_LABELS = {"SR": "Expected count (E)", "PR": "Denominator", "RC": "Denominator"}
_FUNNEL_Y_LABELS = {"SR": "Standardised ratio (O/E)", "PR": "Proportion", "RC": "Ratio"}


def plot_spc(
    result: SPCResult,
    series: dict | None = None,
    annotations: list[tuple[Any, str]] | None = None,
    title: str | None = None,
    value_format: str | None = None,
) -> str:
    """SVG chart of one series of an SPC result.

    ``series`` picks the series by its by-column values (``{"org_code": "RNA"}``); it may be
    left out when the result holds one series. ``value_format`` defaults to "percent" for p and
    p' charts, "number" otherwise. The variation and assurance icons come from the series'
    latest summary row.
    """
    if value_format is None:
        value_format = "percent" if result.options.chart in ("p", "pp") else "number"
    latest = result.series_summary(series).iloc[-1]
    return spc_chart_svg(
        result.series_points(series),
        improvement=result.options.improvement,
        target=result.options.target,
        annotations=annotations,
        title=title,
        value_format=value_format,
        variation=latest["variation"],
        assurance=latest["assurance"],
    )


def plot_funnel(
    result: FunnelResult,
    highlight: str | list[str] | None = None,
    label_outliers: bool = True,
    title: str | None = None,
    x_label: str | None = None,
    y_label: str | None = None,
) -> str:
    """SVG funnel plot of a funnel result; ``highlight`` names the group(s) drawn distinct."""
    units = result.units if label_outliers else result.units.assign(outlier="none")
    return funnel_svg(
        units,
        result.limits,
        highlight=highlight,
        title=title,
        value_format="percent" if result.type == "PR" else "number",
        label_outliers=label_outliers,
        x_label=x_label or _FUNNEL_X_LABELS[result.type],
        y_label=y_label or _FUNNEL_Y_LABELS[result.type],
    )


def plot_cusum(result: CusumResult, title: str | None = None, **keys: str) -> str:
    """CUSUM chart SVG of one series, chosen by key columns (``org_code="RNA", diagnosis_group=...``)."""
    frame = result.series(**keys)
    return cusum_svg(
        frame[["index", "date", "upper", "lower", "signal_upper", "signal_lower"]],
        h_upper=float(frame["h_upper"].iloc[0]),
        h_lower=float(frame["h_lower"].iloc[0]),
        title=title,
    )


def plot_vlad(result: CusumResult, title: str | None = None, **keys: str) -> str:
    """VLAD (observed minus expected deaths, cumulated) SVG of one series of a CUSUM result."""
    frame = result.series(**keys)
    return vlad_svg(frame[["index", "date", "vlad"]], title=title)
