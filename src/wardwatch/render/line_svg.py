"""A plain time-series chart: the fallback when a series has no SPC result (e.g. too few points).

Draws the values as a line with point markers, an optional target line, and the latest value
labelled at the right-hand end. No limits and no icons: nothing here claims special cause.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from wardwatch.render import palette
from wardwatch.render import svg as s


def line_svg(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    target: float | None = None,
    title: str | None = None,
    value_format: str = "number",
    width: float = 720,
    height: float = 280,
    y_label: str | None = None,
) -> str:
    """Draw ``frame[y]`` against ``frame[x]`` (dates or numbers) as a simple line chart."""
    if x not in frame.columns or y not in frame.columns:
        raise ValueError(f"line_svg: the frame needs columns '{x}' and '{y}'")
    data = frame.sort_values(x).reset_index(drop=True)
    xs, is_date = s.x_values(data[x])
    ys = pd.to_numeric(data[y], errors="coerce").to_numpy(dtype=float)
    target_value = None if target is None or not math.isfinite(float(target)) else float(target)
    has_data = np.isfinite(xs) & np.isfinite(ys)

    legend_items = [(s.marker_swatch("circle", palette.HIGHLIGHT, 3.5), "Value")]
    if target_value is not None:
        legend_items.append((s.line_swatch(palette.TARGET, "5 3", 1.8), "Target"))
    left = 58 + (16 if y_label else 0)
    area = s.PlotArea(
        left=left, top=40 if title else 16, right=width - 96, bottom=height - 30 - s.LEGEND_ROW_HEIGHT
    )

    pool = np.concatenate([ys, [target_value if target_value is not None else np.nan]])
    yscale, yticks, ystep = s.value_scale(pool, area, value_format=value_format, pixels_per_tick=30)
    finite_x = xs[np.isfinite(xs)]
    xlo, xhi = (float(finite_x.min()), float(finite_x.max())) if finite_x.size else (0.0, 1.0)
    if xlo == xhi:
        pad = 15.0 if is_date else 1.0
        xlo, xhi = xlo - pad, xhi + pad
    xscale = s.LinearScale(xlo, xhi, area.left + 10, area.right - 10)
    if is_date:
        xticks = s.date_ticks(xlo, xhi, max_ticks=max(3, int(area.width // 80)))
    else:
        ticks, step = s.nice_ticks(xlo, xhi, max_ticks=max(3, int(area.width // 70)))
        xticks = [
            (float(t), s.format_value(t, "number", s.decimals_for_step(step)))
            for t in ticks
            if xlo - 1e-9 <= t <= xhi + 1e-9
        ]

    parts = [
        s.title_block(title, 16, 24),
        s.y_axis(yscale, yticks, ystep, area, value_format, label=y_label),
        s.x_axis(xscale, xticks, area),
    ]
    end_labels: list[tuple[float, str, str, str]] = []
    if target_value is not None:
        ty = yscale.one(target_value)
        parts.append(
            s.line(
                area.left,
                ty,
                area.right,
                ty,
                stroke=palette.TARGET,
                width=1.8,
                dash="5 3",
                css_class="ww-target",
            )
        )
        end_labels.append(
            (target_value, f"Target {s.format_value(target_value, value_format)}", palette.TARGET, "target")
        )
    px, py = xscale(xs), yscale(ys)
    for points in s.polyline_runs(px, py):
        parts.append(s.polyline(points, stroke=palette.NHS_BLUE, width=1.6, css_class="ww-data-line"))
    radius = float(np.clip(area.width / max(int(has_data.sum()), 1) / 2.6, 2.0, 3.8))
    dots = []
    for i in np.flatnonzero(has_data):
        when = s.format_period(s.days_to_timestamp(xs[i])) if is_date else s.format_value(xs[i])
        dots.append(
            s.marker(
                "circle",
                px[i],
                py[i],
                fill=palette.NHS_BLUE,
                stroke=palette.NHS_DARK_BLUE,
                radius=radius,
                css_class="ww-point",
                title=f"{when}: {s.format_value(ys[i], value_format)}",
                extra={"data-index": int(i)},
            )
        )
    parts.append(s.tag("g", {"class": "ww-points"}, "".join(dots)))

    desc = "No values to plot."
    if has_data.any():
        idx = np.flatnonzero(has_data)
        first, last = idx[0], idx[-1]

        def when(i: int) -> str:
            return s.format_period(s.days_to_timestamp(xs[i])) if is_date else s.format_value(xs[i])

        end_labels.append(
            (ys[last], f"Latest {s.format_value(ys[last], value_format)}", palette.TEXT, "latest")
        )
        desc = (
            f"{len(idx)} values from {when(first)} to {when(last)}; latest "
            f"{s.format_value(ys[last], value_format)} for {when(last)}; lowest "
            f"{s.format_value(np.nanmin(ys), value_format)}, "
            f"highest {s.format_value(np.nanmax(ys), value_format)}."
        )
        if target_value is not None:
            desc += f" Target {s.format_value(target_value, value_format)}."
        desc += " No control limits are shown, so this chart does not say whether changes are special cause."
    else:
        parts.append(s.no_data_text(area))
    parts.extend(s.end_labels_svg(end_labels, area, yscale))
    parts.append(s.legend(legend_items, left, height - 12, width - left))
    return s.svg_document(
        "".join(parts),
        width=width,
        height=height,
        title=title or "Time series chart",
        desc=desc,
        css_class="ww-line",
    )
