"""Risk-adjusted CUSUM and VLAD charts (docs/methods.md §4.3–4.4) drawn from their result frames.

``cusum_svg`` draws the two one-sided CUSUMs of Steiner et al. (2000): the upper one, testing for
deterioration, above zero; the lower one, testing for improvement, mirrored below zero; the
signalling thresholds ±h as dashed lines; and a marker where a chart signalled. ``vlad_svg``
draws the variable life-adjusted display: cumulative expected minus observed deaths ("statistical
lives gained") against a zero line. Nothing is recomputed; the frames come from the CUSUM engine.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from wardwatch.render import palette
from wardwatch.render import svg as s

UPPER = palette.CONCERN  # deterioration
LOWER = palette.IMPROVEMENT  # improvement


def _x_positions(frame: pd.DataFrame) -> tuple[np.ndarray, bool, str]:
    """Use ``date`` when present and complete, otherwise the running ``index`` (case number)."""
    if (
        "date" in frame.columns
        and frame["date"].notna().all()
        and len(frame)
        and s.is_datelike(frame["date"])
    ):
        return s.to_days(frame["date"]), True, "Date"
    if "index" in frame.columns:
        return pd.to_numeric(frame["index"], errors="coerce").to_numpy(dtype=float), False, "Case number"
    return np.arange(1, len(frame) + 1, dtype=float), False, "Case number"


def _x_ticks(lo: float, hi: float, is_date: bool, plot_width: float) -> list[tuple[float, str]]:
    if is_date:
        return s.date_ticks(lo, hi, max_ticks=max(3, int(plot_width // 80)))
    ticks, step = s.nice_ticks(lo, hi, max_ticks=max(3, int(plot_width // 70)))
    return [
        (float(t), s.format_value(t, "number", s.decimals_for_step(step)))
        for t in ticks
        if lo - 1e-9 <= t <= hi + 1e-9
    ]


def _x_domain(xs: np.ndarray) -> tuple[float, float]:
    finite = xs[np.isfinite(xs)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    return (lo - 1, hi + 1) if lo == hi else (lo, hi)


def _bool_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].fillna(False).astype(bool).to_numpy()


def _when(x: float, is_date: bool) -> str:
    if not math.isfinite(x):
        return "–"
    return s.format_date(x, "day") if is_date else f"case {s.format_value(x, 'number', 0)}"


def cusum_svg(
    frame: pd.DataFrame,
    *,
    h_upper: float,
    h_lower: float,
    title: str | None = None,
    width: float = 720,
    height: float = 320,
) -> str:
    """Upper CUSUM above zero, lower CUSUM below zero, thresholds ±h dashed, signals marked.

    ``frame`` columns: ``index, date, upper, lower, signal_upper, signal_lower``. ``lower`` may be
    stored as positive or negative numbers; it is always drawn below zero. ``h_lower`` likewise.
    """
    data = frame.reset_index(drop=True)
    xs, is_date, x_name = _x_positions(data)
    upper = pd.to_numeric(data.get("upper", pd.Series(np.nan, index=data.index)), errors="coerce").to_numpy(
        float
    )
    lower = -np.abs(
        pd.to_numeric(data.get("lower", pd.Series(np.nan, index=data.index)), errors="coerce").to_numpy(float)
    )
    sig_up, sig_low = _bool_column(data, "signal_upper"), _bool_column(data, "signal_lower")
    h_up, h_low = abs(float(h_upper)), -abs(float(h_lower))

    legend_items = [
        (s.line_swatch(UPPER.ink, None, 1.8), "Upper CUSUM (detects deterioration)"),
        (s.line_swatch(LOWER.ink, "5 2", 1.8), "Lower CUSUM (detects improvement)"),
        (s.line_swatch(palette.TARGET, "6 4", 1.4), "Signal thresholds ±h"),
        (s.marker_swatch("triangle", UPPER), "Signal"),
    ]
    left, top, right = 58, (40 if title else 16), width - 80
    rows = s.legend_rows(legend_items, width - left)
    area = s.PlotArea(left=left, top=top, right=right, bottom=height - 44 - rows * s.LEGEND_ROW_HEIGHT)

    yscale, yticks, ystep = s.value_scale(
        np.concatenate([upper, lower, [h_up, h_low, 0.0]]), area, pixels_per_tick=30
    )
    xlo, xhi = _x_domain(xs)
    xscale = s.LinearScale(xlo, xhi, area.left + 4, area.right - 4)

    parts = [
        s.title_block(title, 16, 24),
        s.y_axis(yscale, yticks, ystep, area, "number", label="CUSUM"),
        s.x_axis(xscale, _x_ticks(xlo, xhi, is_date, area.width), area, label=x_name),
    ]
    zero_y = yscale.one(0.0)
    parts.append(
        s.line(area.left, zero_y, area.right, zero_y, stroke=palette.AXIS, width=1.2, css_class="ww-zero")
    )
    for value, name in ((h_up, "upper"), (h_low, "lower")):
        y = yscale.one(value)
        parts.append(
            s.line(
                area.left,
                y,
                area.right,
                y,
                stroke=palette.TARGET,
                width=1.4,
                dash="6 4",
                css_class=f"ww-threshold ww-threshold--{name}",
            )
        )
        parts.append(
            s.text(
                area.right + 6,
                y,
                f"{'+' if value > 0 else '−'}h = {abs(value):g}",
                fill=palette.TARGET,
                size=10.5,
                baseline="middle",
                css_class=f"ww-end-label ww-end-label--{name}",
            )
        )
    px = xscale(xs)
    for values, hue, dash, name in ((upper, UPPER, None, "upper"), (lower, LOWER, "5 2", "lower")):
        for points in s.polyline_runs(*s.thin_line(px, yscale(values))):
            parts.append(
                s.polyline(
                    points, stroke=hue.ink, width=1.6, dash=dash, css_class=f"ww-cusum ww-cusum--{name}"
                )
            )
    signals = []
    for mask, values, hue, shape, name in (
        (sig_up, upper, UPPER, "triangle", "upper"),
        (sig_low, lower, LOWER, "triangle_down", "lower"),
    ):
        for i in np.flatnonzero(mask & np.isfinite(values) & np.isfinite(xs)):
            signals.append(
                s.marker(
                    shape,
                    px[i],
                    yscale.one(values[i]),
                    fill=hue.fill,
                    stroke=hue.ink,
                    radius=4.5,
                    css_class=f"ww-signal ww-signal--{name}",
                    title=f"{name.capitalize()} CUSUM signal at {_when(xs[i], is_date)}",
                    extra={"data-index": int(i)},
                )
            )
    parts.append(s.tag("g", {"class": "ww-signals"}, "".join(signals)))
    parts.append(s.legend(legend_items, left, height - 12 - (rows - 1) * s.LEGEND_ROW_HEIGHT, width - left))

    desc = [
        f"Risk-adjusted CUSUM over {len(data)} cases"
        + (f" from {_when(xlo, True)} to {_when(xhi, True)}." if is_date and len(data) else ".")
    ]
    for mask, name, wording, h in (
        (sig_up, "Upper", "deterioration", h_up),
        (sig_low, "Lower", "improvement", abs(h_low)),
    ):
        hits = np.flatnonzero(mask)
        if hits.size:
            desc.append(
                f"{name} CUSUM ({wording}, threshold {h:g}) signalled {hits.size} "
                f"time{'s' if hits.size != 1 else ''}, first at {_when(xs[hits[0]], is_date)}."
            )
        else:
            desc.append(f"{name} CUSUM ({wording}, threshold {h:g}) did not signal.")
    return s.svg_document(
        "".join(parts),
        width=width,
        height=height,
        title=title or "Risk-adjusted CUSUM chart",
        desc=" ".join(desc),
        css_class="ww-cusum",
    )


def vlad_svg(
    frame: pd.DataFrame, *, title: str | None = None, width: float = 720, height: float = 300
) -> str:
    """Variable life-adjusted display: cumulative expected − observed deaths against a zero line.

    Above zero = fewer deaths than the risk model expected; below zero = more.
    """
    data = frame.reset_index(drop=True)
    xs, is_date, x_name = _x_positions(data)
    vlad = pd.to_numeric(data.get("vlad", pd.Series(np.nan, index=data.index)), errors="coerce").to_numpy(
        float
    )

    left, top, right = 58, (40 if title else 16), width - 96
    area = s.PlotArea(left=left, top=top, right=right, bottom=height - 44)
    yscale, yticks, ystep = s.value_scale(np.concatenate([vlad, [0.0]]), area, pixels_per_tick=30)
    xlo, xhi = _x_domain(xs)
    xscale = s.LinearScale(xlo, xhi, area.left + 4, area.right - 4)

    parts = [
        s.title_block(title, 16, 24),
        s.y_axis(yscale, yticks, ystep, area, "number", label="Expected − observed"),
        s.x_axis(xscale, _x_ticks(xlo, xhi, is_date, area.width), area, label=x_name),
    ]
    zero_y = yscale.one(0.0)
    parts.append(
        s.line(area.left, zero_y, area.right, zero_y, stroke=palette.AXIS, width=1.2, css_class="ww-zero")
    )
    parts.append(
        s.text(
            area.left + 6, area.top + 10, "Fewer deaths than expected ↑", size=10, css_class="ww-vlad-note"
        )
    )
    parts.append(
        s.text(
            area.left + 6, area.bottom - 6, "More deaths than expected ↓", size=10, css_class="ww-vlad-note"
        )
    )
    px = xscale(xs)
    for points in s.polyline_runs(*s.thin_line(px, yscale(vlad))):
        parts.append(s.polyline(points, stroke=palette.NHS_BLUE, width=1.6, css_class="ww-vlad"))
    finite = np.flatnonzero(np.isfinite(vlad) & np.isfinite(xs))
    desc = f"VLAD over {len(data)} cases."
    if finite.size:
        last = finite[-1]
        final = vlad[last]
        parts.append(
            s.text(
                area.right + 6,
                yscale.one(final),
                f"{final:+.1f}",
                size=10.5,
                fill=palette.TEXT,
                baseline="middle",
                css_class="ww-end-label ww-end-label--vlad",
            )
        )
        lowest, highest = float(np.nanmin(vlad)), float(np.nanmax(vlad))
        meaning = (
            "fewer deaths than expected"
            if final > 0
            else "more deaths than expected"
            if final < 0
            else "as many deaths as expected"
        )
        desc = (
            f"VLAD over {len(data)} cases: cumulative expected minus observed deaths ends at {final:+.1f} "
            f"({meaning}); range {lowest:+.1f} to {highest:+.1f}."
        )
    return s.svg_document(
        "".join(parts),
        width=width,
        height=height,
        title=title or "Variable life-adjusted display (VLAD)",
        desc=desc,
        css_class="ww-vlad-chart",
    )
