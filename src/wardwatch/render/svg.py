"""SVG building blocks shared by the chart modules: escaping, scales, ticks, axes and the document.

Everything here is plain string building (no plotting library) so a chart is a self-contained
SVG that works offline: no scripts, no external fonts, no CDN. The root element carries
``role="img"`` and is labelled by its ``<title>`` and ``<desc>`` children, so screen readers
announce the chart's name and a text summary of what it shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.render import palette

SVG_NS = "http://www.w3.org/2000/svg"
_DAY_NS = 86_400 * 1_000_000_000
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------- text and elements


def esc(text: object) -> str:
    """Escape text for use in XML content or a double-quoted attribute."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros (keeps files small)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tag(name: str, attrs: dict[str, object] | None = None, content: str | None = None) -> str:
    """One element; attributes whose value is None are left out. ``content`` is inserted as is."""
    parts = [name]
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        if isinstance(value, float):
            value = num(value)
        parts.append(f'{key.replace("_", "-")}="{esc(value)}"')
    opening = " ".join(parts)
    if content is None:
        return f"<{opening}/>"
    return f"<{opening}>{content}</{name}>"


def text(
    x: float,
    y: float,
    label: object,
    *,
    size: float = 11,
    fill: str = palette.TEXT_SECONDARY,
    anchor: str = "start",
    weight: str | None = None,
    css_class: str | None = None,
    baseline: str | None = None,
    extra: dict[str, object] | None = None,
) -> str:
    attrs: dict[str, object] = {
        "class": css_class,
        "x": float(x),
        "y": float(y),
        "font-size": size,
        "fill": fill,
        "text-anchor": anchor,
        "font-weight": weight,
        "dominant-baseline": baseline,
    }
    attrs.update(extra or {})
    return tag("text", attrs, esc(label))


def line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    *,
    stroke: str,
    width: float = 1,
    dash: str | None = None,
    css_class: str | None = None,
) -> str:
    return tag(
        "line",
        {
            "class": css_class,
            "x1": float(x1),
            "y1": float(y1),
            "x2": float(x2),
            "y2": float(y2),
            "stroke": stroke,
            "stroke-width": width,
            "stroke-dasharray": dash,
        },
    )


def text_width(label: str, size: float) -> float:
    """Rough rendered width of ``label`` in a sans-serif font (for layout and collision checks)."""
    return 0.6 * size * len(label)


def polyline_runs(xs: np.ndarray, ys: np.ndarray) -> list[str]:
    """``points`` strings for a polyline, split wherever x or y is missing (NaN breaks the line)."""
    finite = np.isfinite(xs) & np.isfinite(ys)
    runs: list[str] = []
    if not finite.any():
        return runs
    # Boundaries of consecutive finite stretches.
    edges = np.flatnonzero(np.diff(np.concatenate(([0], finite.astype(np.int8), [0]))))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        runs.append(
            " ".join(f"{num(x)},{num(y)}" for x, y in zip(xs[start:stop], ys[start:stop], strict=True))
        )
    return runs


def thin_line(px: np.ndarray, py: np.ndarray, max_points: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Drop points that cannot show at screen resolution (long CUSUM/VLAD paths of many thousand cases).

    Per pixel column it keeps the first, lowest, highest and last point (the "M4" reduction), so the
    drawn shape, including every peak and trough, is unchanged. Lines with gaps, lines that go
    backwards in x, and short lines are returned as they are.
    """
    n = len(px)
    if n <= max_points or not (np.isfinite(px).all() and np.isfinite(py).all()) or np.any(np.diff(px) < 0):
        return px, py
    bucket = np.floor(px).astype(np.int64)
    starts = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    ends = np.concatenate((starts[1:], [n])) - 1
    lows = np.minimum.reduceat(py, starts)
    highs = np.maximum.reduceat(py, starts)
    xs = np.column_stack((px[starts], px[starts], px[starts], px[ends])).ravel()
    ys = np.column_stack((py[starts], lows, highs, py[ends])).ravel()
    return xs, ys


def polyline(
    points: str,
    *,
    stroke: str,
    width: float = 1.5,
    dash: str | None = None,
    css_class: str | None = None,
    extra: dict[str, object] | None = None,
) -> str:
    attrs: dict[str, object] = {
        "class": css_class,
        "points": points,
        "fill": "none",
        "stroke": stroke,
        "stroke-width": width,
        "stroke-dasharray": dash,
        "stroke-linejoin": "round",
        "stroke-linecap": "round",
    }
    attrs.update(extra or {})
    return tag("polyline", attrs)


def marker(
    shape: str,
    x: float,
    y: float,
    *,
    fill: str,
    stroke: str,
    radius: float = 4.0,
    css_class: str | None = None,
    extra: dict[str, object] | None = None,
    title: str | None = None,
) -> str:
    """A point marker of the given shape centred on (x, y); ``title`` becomes a hover tooltip."""
    attrs: dict[str, object] = {"class": css_class, "fill": fill, "stroke": stroke, "stroke-width": 1.2}
    attrs.update(extra or {})
    r = radius
    if shape == "circle":
        attrs.update({"cx": float(x), "cy": float(y), "r": float(r)})
        name = "circle"
    elif shape == "square":
        side = r * 1.7
        attrs.update(
            {"x": float(x - side / 2), "y": float(y - side / 2), "width": float(side), "height": float(side)}
        )
        name = "rect"
    else:
        if shape == "diamond":
            d = r * 1.35
            pts = [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
        elif shape == "triangle_down":
            d = r * 1.35
            pts = [(x - d, y - d * 0.75), (x + d, y - d * 0.75), (x, y + d)]
        else:  # triangle (pointing up)
            d = r * 1.35
            pts = [(x, y - d), (x + d, y + d * 0.75), (x - d, y + d * 0.75)]
        attrs["points"] = " ".join(f"{num(px)},{num(py)}" for px, py in pts)
        name = "polygon"
    content = tag("title", None, esc(title)) if title else None
    return tag(name, attrs, content)


# --------------------------------------------------------------------------- values and formats


def format_value(value: object, value_format: str = "number", decimals: int | None = None) -> str:
    """A value for labels: ``percent`` turns a fraction into ``72.3%``; numbers get sensible decimals."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if not math.isfinite(v):
        return "–"
    if value_format == "percent":
        pct = v * 100
        places = 1 if decimals is None else decimals
        return f"{pct:,.{places}f}%"
    if decimals is None:
        magnitude = abs(v)
        if magnitude == 0 or float(v).is_integer() and magnitude >= 1 or magnitude >= 100:
            decimals = 0
        elif magnitude >= 10:
            decimals = 1
        elif magnitude >= 0.1:
            decimals = 2
        else:
            decimals = 3
    return f"{v:,.{decimals}f}"


def decimals_for_step(step: float, value_format: str = "number") -> int:
    """Decimals needed to tell ticks ``step`` apart (for percent, in percentage points)."""
    if value_format == "percent":
        step = step * 100
    if step <= 0 or not math.isfinite(step):
        return 0
    # The fewest decimals that write the step exactly (2.5 needs one, 0.25 two, 50 none).
    for decimals in range(10):
        scaled = step * 10**decimals
        if abs(scaled - round(scaled)) < 1e-6 * max(1.0, scaled):
            return decimals
    return 10


def nice_ticks(lo: float, hi: float, max_ticks: int = 6) -> tuple[np.ndarray, float]:
    """Round ticks covering [lo, hi]: the finest step of 1, 2, 2.5 or 5 × 10^k giving ≤ ``max_ticks``."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        lo, hi = 0.0, 1.0
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    max_ticks = max(2, max_ticks)
    exponent = math.floor(math.log10((hi - lo) / max_ticks))
    for power in (exponent, exponent + 1, exponent + 2):
        for nice in (1, 2, 2.5, 5):
            step = nice * 10.0**power
            start = math.floor(lo / step + 1e-9) * step
            stop = math.ceil(hi / step - 1e-9) * step
            count = round((stop - start) / step) + 1
            if count <= max_ticks:
                # Round away floating-point noise such as 0.30000000000000004.
                return np.round(start + step * np.arange(count), 12), step
    step = 10.0 ** (exponent + 3)
    start = math.floor(lo / step) * step
    return np.round(np.array([start, start + step]), 12), step


def value_scale(
    values: np.ndarray, area: PlotArea, *, value_format: str = "number", pixels_per_tick: float = 32
) -> tuple[LinearScale, np.ndarray, float]:
    """Vertical scale over the padded extent of the finite values, with round ticks inside it.

    The axis ends at the data (plus a little room), not at the next round number, so that a chart
    does not waste a third of its height; proportions are kept within 0–100%.
    """
    clamp = (0.0, 1.0) if value_format == "percent" else None
    lo, hi = padded_domain(values, clamp=clamp)
    max_ticks = max(3, int(area.height // pixels_per_tick))
    exponent = math.floor(math.log10((hi - lo) / max_ticks))
    # The finest round step that puts at most max_ticks (and at least two) ticks inside the axis.
    for power in range(exponent - 1, exponent + 3):
        for nice in (1, 2, 2.5, 5):
            step = nice * 10.0**power
            first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
            if 2 <= last - first + 1 <= max_ticks:
                return (
                    LinearScale(lo, hi, area.bottom, area.top),
                    np.round(np.arange(first, last + 1) * step, 12),
                    step,
                )
    ticks, step = nice_ticks(lo, hi, max_ticks=max_ticks)
    return LinearScale(float(ticks[0]), float(ticks[-1]), area.bottom, area.top), ticks, step


def padded_domain(
    values: Iterable[float], *, pad_fraction: float = 0.06, clamp: tuple[float, float] | None = None
) -> tuple[float, float]:
    """Extent of the finite values with a little room either side, optionally clamped (e.g. to 0..1)."""
    arr = np.asarray([v for v in values if v is not None], dtype=float)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        lo, hi = (0.0, 1.0) if clamp is None else clamp
        return float(lo), float(hi)
    lo, hi = float(arr.min()), float(arr.max())
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
    else:
        pad = (hi - lo) * pad_fraction
    lo, hi = lo - pad, hi + pad
    if clamp is not None:
        # Only clamp when the data sit inside the natural range (e.g. proportions 0..1).
        lo = max(lo, clamp[0]) if arr.min() >= clamp[0] else lo
        hi = min(hi, clamp[1]) if arr.max() <= clamp[1] else hi
    return lo, hi


# --------------------------------------------------------------------------- x values and dates


def is_datelike(values: pd.Series | Sequence[object]) -> bool:
    series = pd.Series(values)
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    if series.dtype == object:
        sample = series.dropna()
        return bool(len(sample)) and all(
            isinstance(v, (dt.date, pd.Timestamp, np.datetime64)) for v in sample
        )
    return False


def to_days(values: pd.Series | Sequence[object]) -> np.ndarray:
    """Dates as float days since 1970-01-01 (NaN where missing), so dates share the numeric scales."""
    stamps = pd.to_datetime(pd.Series(values), errors="coerce")
    out = np.full(len(stamps), np.nan)
    mask = stamps.notna().to_numpy()
    if mask.any():
        as_ns = stamps[mask].astype("datetime64[ns]").to_numpy().astype("int64")
        out[mask] = as_ns / _DAY_NS
    return out


def x_values(values: pd.Series | Sequence[object]) -> tuple[np.ndarray, bool]:
    """Numeric x positions and whether the original values were dates."""
    if is_datelike(values):
        return to_days(values), True
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float), False


_EPOCH = pd.Timestamp("1970-01-01")
_ONE_DAY = pd.Timedelta(days=1)


def timestamp_to_day(stamp: pd.Timestamp) -> float:
    """One timestamp as float days since 1970-01-01 (the scalar, fast form of ``to_days``)."""
    return float((stamp - _EPOCH) / _ONE_DAY)


def days_to_timestamp(day: float) -> pd.Timestamp:
    return pd.Timestamp(round(day * _DAY_NS))


def format_date(day: float, grain: str = "month") -> str:
    stamp = days_to_timestamp(day)
    if grain == "year":
        return f"{stamp.year}"
    if grain == "month":
        return f"{_MONTHS[stamp.month - 1]} {stamp.year}"
    return f"{stamp.day} {_MONTHS[stamp.month - 1]} {stamp.year}"


def format_period(value: object, grain: str | None = None) -> str:
    """A period for tables and descriptions: months as ``Mar 2020``, weeks as ``w/c 3 Jun 2019``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    if pd.isna(stamp):
        return "–"
    label = f"{stamp.day} {_MONTHS[stamp.month - 1]} {stamp.year}"
    if grain == "week":
        return f"w/c {label}"
    if grain == "year":
        return f"{stamp.year}"
    if grain == "month" or (grain is None and stamp.day == 1 and stamp.hour == 0):
        return f"{_MONTHS[stamp.month - 1]} {stamp.year}"
    return label


def date_ticks(lo_day: float, hi_day: float, max_ticks: int = 8) -> list[tuple[float, str]]:
    """Calendar ticks between two day numbers: days, weeks, months (1/2/3/6) or years, with labels."""
    if not (math.isfinite(lo_day) and math.isfinite(hi_day)):
        return []
    start, end = days_to_timestamp(lo_day), days_to_timestamp(hi_day)
    span = hi_day - lo_day
    ticks: list[tuple[float, str]] = []
    if span <= 14 * max_ticks:
        for step_days in (1, 2, 7, 14):
            if span / step_days <= max_ticks:
                break
        first = start.normalize()
        if step_days >= 7:  # weeks start on Monday (the warehouse's week grain)
            first = first - pd.Timedelta(days=first.weekday())
        current = first
        while current <= end:
            if current >= start:
                day = timestamp_to_day(current)
                ticks.append((day, f"{current.day} {_MONTHS[current.month - 1]}"))
            current += pd.Timedelta(days=step_days)
        if ticks:  # show the year once, on the first tick, so the axis is unambiguous
            first_day = ticks[0][0]
            ticks[0] = (first_day, format_date(first_day, "day"))
        return ticks
    months_span = span / 30.44
    for step_months in (1, 2, 3, 6, 12, 24, 60, 120):
        if months_span / step_months <= max_ticks:
            break
    year, month = start.year, start.month
    if start.day != 1 or start.hour or start.minute:
        month += 1
    # Align to multiples of the step so ticks fall on Jan/Apr/Jul/Oct, or on whole years.
    index = year * 12 + (month - 1)
    if step_months <= 12:
        index = -(-index // step_months) * step_months
    else:
        years_step = step_months // 12
        first_year = -(-index // 12)
        index = -(-first_year // years_step) * years_step * 12
    while True:
        yr, mo = divmod(index, 12)
        stamp = pd.Timestamp(year=yr, month=mo + 1, day=1)
        if stamp > end:
            break
        day = timestamp_to_day(stamp)
        label = f"{yr}" if step_months >= 12 else f"{_MONTHS[mo]} {yr}"
        ticks.append((day, label))
        index += step_months
    return ticks


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class LinearScale:
    """Maps a data interval [d0, d1] onto a pixel interval [r0, r1] (r1 < r0 for a y axis)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, values: object) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        span = self.d1 - self.d0
        if span == 0:
            return np.full_like(arr, (self.r0 + self.r1) / 2, dtype=float)
        return self.r0 + (arr - self.d0) / span * (self.r1 - self.r0)

    def one(self, value: float) -> float:
        return float(self(np.array([value]))[0])


@dataclass(frozen=True)
class LogScale:
    """Base-10 logarithmic scale; values ≤ 0 map to NaN (they cannot be drawn on a log axis)."""

    d0: float
    d1: float
    r0: float
    r1: float

    def __call__(self, values: object) -> np.ndarray:
        arr = np.asarray(values, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            logs = np.where(arr > 0, np.log10(np.where(arr > 0, arr, 1.0)), np.nan)
        lo, hi = math.log10(self.d0), math.log10(self.d1)
        if hi == lo:
            return np.full_like(arr, (self.r0 + self.r1) / 2, dtype=float)
        return self.r0 + (logs - lo) / (hi - lo) * (self.r1 - self.r0)

    def one(self, value: float) -> float:
        return float(self(np.array([value]))[0])


def log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks per decade between lo and hi (both > 0)."""
    ticks: list[float] = []
    start, stop = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    multipliers = (1, 2, 5) if stop - start <= 3 else (1,)
    for exponent in range(start, stop + 1):
        for m in multipliers:
            value = m * 10.0**exponent
            if lo <= value <= hi:
                ticks.append(value)
    return ticks


# --------------------------------------------------------------------------- layout helpers


@dataclass(frozen=True)
class PlotArea:
    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


def spread_labels(positions: Sequence[float], min_gap: float, lo: float, hi: float) -> list[float]:
    """Nudge label y positions apart so no two are closer than ``min_gap``, keeping order and bounds."""
    if not positions:
        return []
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    placed = [float(positions[i]) for i in order]
    for i in range(1, len(placed)):
        placed[i] = max(placed[i], placed[i - 1] + min_gap)
    overflow = placed[-1] - hi
    if overflow > 0:
        placed[-1] -= overflow
        for i in range(len(placed) - 2, -1, -1):
            placed[i] = min(placed[i], placed[i + 1] - min_gap)
    if placed[0] < lo:
        shift = lo - placed[0]
        placed = [p + shift for p in placed]
    result = [0.0] * len(positions)
    for rank, index in enumerate(order):
        result[index] = placed[rank]
    return result


def y_axis(
    scale: LinearScale,
    ticks: np.ndarray,
    step: float,
    area: PlotArea,
    value_format: str,
    *,
    label: str | None = None,
) -> str:
    """Horizontal gridlines and tick labels on the left, plus an optional rotated axis title."""
    decimals = decimals_for_step(step, value_format)
    parts = []
    for value, y in zip(ticks, scale(ticks), strict=True):
        if y < area.top - 0.5 or y > area.bottom + 0.5:
            continue
        parts.append(line(area.left, y, area.right, y, stroke=palette.GRID, css_class="ww-grid"))
        parts.append(
            text(
                area.left - 6,
                y,
                format_value(value, value_format, decimals),
                anchor="end",
                baseline="middle",
                css_class="ww-ytick",
                size=10.5,
            )
        )
    if label:
        cx, cy = 14, (area.top + area.bottom) / 2
        parts.append(
            text(
                cx,
                cy,
                label,
                anchor="middle",
                css_class="ww-ylabel",
                size=10.5,
                extra={"transform": f"rotate(-90 {num(cx)} {num(cy)})"},
            )
        )
    return tag("g", {"class": "ww-y-axis"}, "".join(parts))


def x_axis(
    scale: LinearScale | LogScale,
    ticks: Sequence[tuple[float, str]],
    area: PlotArea,
    *,
    label: str | None = None,
    gridlines: bool = False,
) -> str:
    parts = [
        line(area.left, area.bottom, area.right, area.bottom, stroke=palette.AXIS, css_class="ww-x-baseline")
    ]
    for value, label_text in ticks:
        x = scale.one(value)
        if not math.isfinite(x) or x < area.left - 0.5 or x > area.right + 0.5:
            continue
        if gridlines:
            parts.append(line(x, area.top, x, area.bottom, stroke=palette.GRID, css_class="ww-grid"))
        parts.append(line(x, area.bottom, x, area.bottom + 4, stroke=palette.AXIS))
        parts.append(text(x, area.bottom + 16, label_text, anchor="middle", css_class="ww-xtick", size=10.5))
    if label:
        parts.append(
            text(
                (area.left + area.right) / 2,
                area.bottom + 32,
                label,
                anchor="middle",
                css_class="ww-xlabel",
                size=10.5,
            )
        )
    return tag("g", {"class": "ww-x-axis"}, "".join(parts))


def _legend_positions(items: Sequence[tuple[str, str]], max_width: float) -> list[tuple[float, int]]:
    positions, cx, row = [], 0.0, 0
    for _swatch, label_text in items:
        width = 18 + text_width(label_text, 10.5) + 14
        if cx + width > max_width and cx > 0:
            cx, row = 0.0, row + 1
        positions.append((cx, row))
        cx += width
    return positions


def legend_rows(items: Sequence[tuple[str, str]], max_width: float) -> int:
    """How many rows ``legend`` will need for these items (to reserve space before drawing)."""
    positions = _legend_positions(items, max_width)
    return positions[-1][1] + 1 if positions else 0


LEGEND_ROW_HEIGHT = 16


def legend(items: Sequence[tuple[str, str]], x: float, y: float, max_width: float) -> str:
    """A wrapping legend; each item is (swatch SVG drawn around the origin, label)."""
    parts = []
    for (swatch, label_text), (dx, row) in zip(items, _legend_positions(items, max_width), strict=True):
        parts.append(
            tag(
                "g",
                {"transform": f"translate({num(x + dx)} {num(y + row * LEGEND_ROW_HEIGHT)})"},
                swatch + text(16, 0, label_text, size=10.5, baseline="middle"),
            )
        )
    return tag("g", {"class": "ww-legend"}, "".join(parts))


def line_swatch(stroke: str, dash: str | None = None, width: float = 1.5) -> str:
    return line(-2, 0, 12, 0, stroke=stroke, width=width, dash=dash)


def marker_swatch(shape: str, hue: palette.Hue, radius: float = 4.0) -> str:
    return marker(shape, 5, 0, fill=hue.fill, stroke=hue.ink, radius=radius)


def title_lines(title: str, max_width: float, size: float = 14, max_lines: int = 2) -> list[str]:
    """``title`` broken at spaces into lines no wider than ``max_width`` (by :func:`text_width`);
    past ``max_lines`` the last line ends in an ellipsis."""
    lines: list[str] = []
    for word in title.split():
        if lines and text_width(f"{lines[-1]} {word}", size) <= max_width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        while last and text_width(last + "…", size) > max_width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


def title_block(title: str | None, x: float, y: float, max_width: float | None = None) -> str:
    """The chart's visible title; with ``max_width`` it wraps onto a second line (and is cut with
    an ellipsis after that) instead of running under the icons. The accessible name keeps it whole."""
    if not title:
        return ""
    if max_width is None or text_width(title, 14) <= max_width:
        return text(x, y, title, size=14, fill=palette.TEXT, weight="bold", css_class="ww-title")
    lines = title_lines(title, max_width)
    return "".join(text(x, y - 8 + 16 * k, line, size=14, fill=palette.TEXT, weight="bold", css_class="ww-title")
                   for k, line in enumerate(lines))


# --------------------------------------------------------------------------- document


def svg_document(body: str, *, width: float, height: float, title: str, desc: str, css_class: str) -> str:
    """The root ``<svg role="img">`` labelled by its own ``<title>`` and ``<desc>``.

    The ids are derived from a hash of the content, so the output is reproducible and two charts
    inlined in one HTML page do not share ids.
    """
    digest = hashlib.sha1((title + desc + body).encode("utf-8")).hexdigest()[:10]
    title_id, desc_id = f"ww-{digest}-title", f"ww-{digest}-desc"
    head = (
        f'<svg xmlns="{SVG_NS}" class="ww-chart {esc(css_class)}" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" width="{num(width)}" height="{num(height)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" font-family="{esc(palette.FONT_FAMILY)}">'
    )
    return (
        head
        + f'<title id="{title_id}">{esc(title)}</title>'
        + f'<desc id="{desc_id}">{esc(desc)}</desc>'
        + tag("rect", {"width": "100%", "height": "100%", "fill": palette.WHITE})
        + body
        + "</svg>"
    )


def no_data_text(area: Any) -> str:
    """The centred "No data to plot" note for an empty plotting area."""
    return text(
        (area.left + area.right) / 2,
        (area.top + area.bottom) / 2,
        "No data to plot",
        anchor="middle",
        size=13,
    )


def end_labels_svg(end_labels: Sequence[tuple[float, str, str, str]], area: Any, yscale: Any) -> list[str]:
    """Labels at the right-hand end of lines: ``(value, text, colour, css suffix)``, spread apart."""
    label_ys = spread_labels(
        [yscale.one(v) for v, _, _, _ in end_labels], 12.5, area.top + 4, area.bottom - 2
    )
    return [
        text(
            area.right + 6,
            ly,
            label_text,
            size=10.5,
            fill=colour,
            baseline="middle",
            css_class=f"ww-end-label ww-end-label--{cls}",
        )
        for (_, label_text, colour, cls), ly in zip(end_labels, label_ys, strict=True)
    ]
