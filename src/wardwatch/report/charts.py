"""Drawing: turn computed panels into inline SVG (never recomputing a statistic here)."""

from __future__ import annotations

import html
import re

from wardwatch.render import icons
from wardwatch.render.line_svg import line_svg
from wardwatch.render.results import plot_spc
from wardwatch.report.format import value_format_for
from wardwatch.report.panels import IndicatorPanel
from wardwatch.vocabulary import ASSURANCE_LABELS, POINT_TYPE_LABELS

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
    """(svg, kind) for a panel: the MDC SPC chart when the series has one, else a plain line chart
    (an indicator that is not an SPC measure, or too few points)."""
    title = title or panel.meta.title
    if panel.charted.empty:
        return "", "none"
    if panel.spc is not None:
        svg = plot_spc(panel.spc, annotations=list(panel.annotations) or None, title=title)
        return accessible_svg(svg, title), "spc"
    svg = line_svg(panel.charted, x="period_start", y="value", title=title, target=panel.meta.target,
                   value_format=value_format_for(panel.meta.unit))
    return accessible_svg(svg, title), "line"


def icon(kind: str, value: str | None, improvement: str = "increase") -> str:
    """The MDC variation or assurance icon ('' when the series has none)."""
    if value is None:
        return ""
    if kind == "variation":
        return accessible_svg(icons.variation_icon_svg(value, improvement), ICON_LABELS.get(value, value))
    return accessible_svg(icons.assurance_icon_svg(value), ICON_LABELS.get(value, value))


ICON_LABELS: dict[str, str] = {**POINT_TYPE_LABELS, **ASSURANCE_LABELS}


def label(value: str | None) -> str:
    if value is None:
        return "not assessed"
    return ICON_LABELS.get(value, value.replace("_", " "))
