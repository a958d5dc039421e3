"""Drawing: turn computed panels into inline SVG (never recomputing a statistic here)."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pandas as pd

from wardwatch.render.results import plot_spc
from wardwatch.report.format import value_format_for
from wardwatch.report.panels import IndicatorPanel

_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.IGNORECASE | re.DOTALL)


def accessible_svg(svg: str, title: str) -> str:
    """Make sure an SVG has ``role="img"`` and a ``<title>`` (its alt text), and no XML prolog."""
    svg = re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)
    match = _SVG_OPEN.search(svg)
    if match is None:
        return svg
    tag = match.group(0)
    new_tag = tag
    if "role=" not in tag:
        new_tag = new_tag[:-1] + ' role="img">'
    head = svg[: match.start()] + new_tag
    tail = svg[match.end() :]
    if "<title" not in tail[:400].lower():
        tail = f"<title>{html.escape(title)}</title>" + tail
    return head + tail


def panel_chart(panel: IndicatorPanel, title: str | None = None) -> tuple[str, str]:
    """(svg, kind) for a panel: the MDC SPC chart when SPC ran, else a plain line chart."""
    title = title or panel.meta.title
    if panel.charted.empty:
        return "", "none"
    if panel.spc is not None:
        try:
            svg = plot_spc(panel.spc, annotations=list(panel.annotations) or None, title=title)
            return accessible_svg(svg, title), "spc"
        except Exception:  # fall through to the plain chart rather than losing the section
            pass
    return accessible_svg(
        line_chart(panel.charted, panel.meta.unit, title, panel.meta.target, list(panel.annotations)), title
    ), "line"


def line_chart(
    series: pd.DataFrame,
    unit: str,
    title: str,
    target: float | None = None,
    annotations: list[tuple[date, str]] | None = None,
) -> str:
    """The project's line chart if the renderer is available, else a minimal built-in one."""
    try:
        from wardwatch.render import line_svg as line_module

        draw = getattr(line_module, "line_svg", line_module)
        return draw(
            series,
            x="period_start",
            y="value",
            title=title,
            target=target,
            value_format=value_format_for(unit),
        )
    except Exception:
        return minimal_line_svg(series, unit, title, target, annotations)


def minimal_line_svg(
    series: pd.DataFrame,
    unit: str,
    title: str,
    target: float | None = None,
    annotations: list[tuple[date, str]] | None = None,
) -> str:
    """A dependency-free line chart: used only when neither SPC nor the line renderer is available."""
    width, height, left, right, top, bottom = 640, 220, 56, 12, 16, 28
    data = series.dropna(subset=["value"])
    esc = html.escape(title)
    if data.empty:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40" role="img">'
            f'<title>{esc}</title><text x="8" y="24">No data</text></svg>'
        )
    xs = pd.to_datetime(data["period_start"]).map(pd.Timestamp.toordinal).to_numpy(dtype=float)
    ys = data["value"].to_numpy(dtype=float)
    values = list(ys) + ([target] if target is not None else [])
    y_lo, y_hi = min(values), max(values)
    if y_hi == y_lo:
        y_lo, y_hi = y_lo - 1, y_hi + 1
    x_lo, x_hi = xs.min(), max(xs.max(), xs.min() + 1)

    def sx(v: float) -> float:
        return left + (v - x_lo) / (x_hi - x_lo) * (width - left - right)

    def sy(v: float) -> float:
        return top + (y_hi - v) / (y_hi - y_lo) * (height - top - bottom)

    fmt = (lambda v: f"{v * 100:.0f}%") if unit == "proportion" else (lambda v: f"{v:.3g}")
    points = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart">',
        f"<title>{esc}</title>",
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#425563"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#425563"/>',
        f'<text x="{left - 4}" y="{sy(y_hi) + 4:.1f}" text-anchor="end" font-size="11">{fmt(y_hi)}</text>',
        f'<text x="{left - 4}" y="{sy(y_lo) + 4:.1f}" text-anchor="end" font-size="11">{fmt(y_lo)}</text>',
        f'<text x="{left}" y="{height - 8}" font-size="11">{html.escape(str(data["period_start"].iloc[0]))}</text>',
        f'<text x="{width - right}" y="{height - 8}" text-anchor="end" font-size="11">'
        f"{html.escape(str(data['period_start'].iloc[-1]))}</text>",
    ]
    if target is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{sy(target):.1f}" y2="{sy(target):.1f}" '
            'stroke="#E46C0A" stroke-dasharray="6 4"/>'
        )
    for when, label in annotations or []:
        x = sx(float(pd.Timestamp(when).toordinal()))
        if left <= x <= width - right:
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - bottom}" stroke="#005EB8" '
                f'stroke-dasharray="2 3"/><text x="{x + 3:.1f}" y="{top + 10}" font-size="10" '
                f'fill="#005EB8">{html.escape(label)}</text>'
            )
    parts.append(f'<polyline fill="none" stroke="#005EB8" stroke-width="1.5" points="{points}"/>')
    parts.append("</svg>")
    return "".join(parts)


def icon(kind: str, value: str | None, improvement: str = "increase") -> str:
    """The MDC variation/assurance icon from the renderer, or '' when unavailable."""
    if value is None:
        return ""
    try:
        from wardwatch.render import icons

        if kind == "variation":
            return accessible_svg(icons.variation_icon_svg(value, improvement), ICON_LABELS.get(value, value))
        return accessible_svg(icons.assurance_icon_svg(value), ICON_LABELS.get(value, value))
    except Exception:
        return ""


ICON_LABELS: dict[str, str] = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neutral_high": "Special cause: neutral (high)",
    "special_cause_neutral_low": "Special cause: neutral (low)",
    "consistent_pass": "Will consistently meet the target",
    "consistent_fail": "Will consistently fail the target",
    "inconsistent": "Hit and miss: will sometimes meet the target",
    "none": "No target assurance",
}


def label(value: str | None) -> str:
    if value is None:
        return "not assessed"
    return ICON_LABELS.get(value, value.replace("_", " "))
