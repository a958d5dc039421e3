"""Drawing: self-contained, accessible SVG charts, MDC icons and the board summary table.

Pure rendering from result frames (SPC points, funnel units and limits, CUSUM paths): nothing here
recomputes a statistic. See docs/guide/charts.md for how to read each chart.
"""

from wardwatch.render.cusum_svg import cusum_svg, vlad_svg
from wardwatch.render.funnel_svg import funnel_svg
from wardwatch.render.icons import assurance_icon_svg, icon_label, variation_icon_svg
from wardwatch.render.line_svg import line_svg
from wardwatch.render.spc_svg import spc_chart_svg
from wardwatch.render.summary_table import summary_table_html

__all__ = [
    "assurance_icon_svg",
    "cusum_svg",
    "funnel_svg",
    "icon_label",
    "line_svg",
    "spc_chart_svg",
    "summary_table_html",
    "variation_icon_svg",
    "vlad_svg",
]
