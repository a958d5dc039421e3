"""Funnel plot (Spiegelhalter 2005) drawn from a ``FunnelResult``: units, limit curves and outliers.

Nothing is recomputed: ``units`` gives each organisation's value and outlier status (columns
``group, numerator, denominator, value, target, ll95, ul95, ll998, ul998, z, outlier, band``) and
``limits`` the smooth limit curves (``denominator, ll95, ul95, ll998, ul998``). The x axis is the
denominator (for standardised ratios, the expected count); y is the value.

Outliers are drawn as triangles pointing the way they lie (up = higher than expected, down =
lower), coloured orange/blue when the caller says which direction is better (``improvement``) and
purple when it does not; units within the limits are grey circles. Outliers and the highlighted
organisation are labelled with their group code.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from wardwatch.render import palette
from wardwatch.render import svg as s

_HIGH_WORDS = ("high", "above", "upper", "worse_high")
_LOW_WORDS = ("low", "below", "lower")


def outlier_direction(outlier: object, value: float, target: float) -> str:
    """``"high"``, ``"low"`` or ``"none"`` from an ``outlier`` cell that may be text or boolean.

    Text such as ``"high"``/``"low"``/``"none"`` is read as is; a boolean True takes its direction
    from the value against the target (the side of the target the unit lies on).
    """
    if outlier is None or (isinstance(outlier, float) and math.isnan(outlier)):
        return "none"
    if isinstance(outlier, (bool, np.bool_)):
        if not outlier:
            return "none"
        return "high" if value >= target else "low"
    word = str(outlier).strip().lower()
    if word in ("", "none", "false", "no", "0", "as expected", "within", "nan"):
        return "none"
    if word in ("true", "yes", "1"):
        return "high" if value >= target else "low"
    if any(w in word for w in _LOW_WORDS):
        return "low"
    if any(w in word for w in _HIGH_WORDS):
        return "high"
    return "none"


def _outlier_hue(direction: str, improvement: str | None) -> palette.Hue:
    if direction == "none":
        return palette.COMMON_CAUSE
    if improvement == "increase":
        return palette.IMPROVEMENT if direction == "high" else palette.CONCERN
    if improvement == "decrease":
        return palette.CONCERN if direction == "high" else palette.IMPROVEMENT
    return palette.NEUTRAL


def _first_finite(values: pd.Series) -> float | None:
    arr = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    arr = arr[np.isfinite(arr)]
    return float(arr[0]) if arr.size else None


def funnel_svg(
    units: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    highlight: str | Sequence[str] | None = None,
    title: str | None = None,
    value_format: str = "number",
    label_outliers: bool = True,
    improvement: str | None = None,
    log_x: bool = False,
    x_label: str = "Denominator",
    y_label: str | None = None,
    target_label: str = "Target",
    width: float = 720,
    height: float = 440,
) -> str:
    """Draw a funnel plot as SVG. ``highlight``: one group (or several) drawn distinct and labelled.

    ``improvement`` ("increase"/"decrease") colours outliers as improvement/concern; without it
    outliers are purple (neutral) and only their shape and label say high or low.
    """
    frame = units.reset_index(drop=True)
    for column in ("group", "denominator", "value"):
        if column not in frame.columns:
            raise ValueError(f"funnel_svg: the units frame needs column '{column}' (FunnelResult.units)")
    highlights = {str(h) for h in ([highlight] if isinstance(highlight, str) else (highlight or []))}
    groups = frame["group"].astype(str).to_numpy()
    denominators = pd.to_numeric(frame["denominator"], errors="coerce").to_numpy(dtype=float)
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    target = _first_finite(frame["target"]) if "target" in frame.columns else None
    outliers = frame["outlier"].tolist() if "outlier" in frame.columns else [None] * len(frame)
    directions = np.array(
        [
            outlier_direction(o, v, target if target is not None else np.nan)
            for o, v in zip(outliers, values, strict=True)
        ],
        dtype=object,
    )
    bands = frame["band"].astype(object).tolist() if "band" in frame.columns else [None] * len(frame)

    lim = limits.sort_values("denominator").reset_index(drop=True) if len(limits) else limits
    lim_x = (
        pd.to_numeric(lim["denominator"], errors="coerce").to_numpy(dtype=float) if len(lim) else np.array([])
    )
    curves = {
        name: (
            pd.to_numeric(lim[name], errors="coerce").to_numpy(dtype=float)
            if name in lim.columns
            else np.full(len(lim), np.nan)
        )
        for name in ("ll998", "ll95", "ul95", "ul998")
    }

    drawable = np.isfinite(denominators) & np.isfinite(values) & (denominators > 0 if log_x else True)

    # ---- layout ----
    legend_items = _legend_items(
        directions[drawable], improvement, bool(highlights), target is not None, target_label
    )
    left = 74
    top = 40 if title else 16
    right = width - 56
    rows = s.legend_rows(legend_items, width - left)
    bottom = height - 44 - rows * s.LEGEND_ROW_HEIGHT
    area = s.PlotArea(left=left, top=top, right=right, bottom=bottom)

    # ---- scales: x over the denominators; y over values and the limits where units lie ----
    x_data = denominators[drawable]
    if x_data.size == 0:
        x_data = lim_x[np.isfinite(lim_x)] if lim_x.size else np.array([1.0])
    if log_x:
        positive = x_data[x_data > 0]
        xmin = float(positive.min()) / 1.4 if positive.size else 1.0
        xmax = float(positive.max()) * 1.4 if positive.size else 10.0
        xscale: s.LinearScale | s.LogScale = s.LogScale(xmin, xmax, area.left, area.right)
        xticks = [(t, s.format_value(t)) for t in s.log_ticks(xmin, xmax)]
    else:
        # The axis ends just past the largest unit (or limit curve), not at the next round number,
        # so the limit curves run to the right-hand edge where their labels are.
        finite_lim = lim_x[np.isfinite(lim_x)]
        lim_max = float(finite_lim.max()) if finite_lim.size else 0.0
        xmin, xmax = 0.0, max(float(np.nanmax(x_data)) * 1.04, min(lim_max, float(np.nanmax(x_data)) * 1.25))
        ticks, step = s.nice_ticks(0.0, xmax, max_ticks=max(3, int(area.width // 80)))
        ticks = ticks[ticks <= xmax + 1e-9]
        xscale = s.LinearScale(xmin, xmax, area.left, area.right)
        xticks = [(float(t), s.format_value(t, "number", s.decimals_for_step(step))) for t in ticks]
    in_view = (lim_x >= (x_data.min() * 0.9 if x_data.size else 0)) & (lim_x <= xmax)
    y_pool = [values[drawable], np.array([target if target is not None else np.nan])]
    y_pool += [c[in_view] for c in curves.values()]
    yscale, yticks, ystep = s.value_scale(
        np.concatenate(y_pool), area, value_format=value_format, pixels_per_tick=40
    )

    clip_id = (
        "ww-clip-"
        + hashlib.sha1(
            (str(title) + frame.to_csv(index=False) + str(width) + str(height)).encode()
        ).hexdigest()[:10]
    )
    parts = [
        s.tag(
            "defs",
            None,
            s.tag(
                "clipPath",
                {"id": clip_id},
                s.tag("rect", {"x": area.left, "y": area.top, "width": area.width, "height": area.height}),
            ),
        )
    ]
    parts.append(s.title_block(title, 16, 24))
    parts.append(s.y_axis(yscale, yticks, ystep, area, value_format, label=y_label or "Value"))
    parts.append(s.x_axis(xscale, xticks, area, label=x_label, gridlines=True))

    # ---- limit curves and target ----
    px_lim = xscale(lim_x) if lim_x.size else lim_x
    curve_style = {
        "ll998": ("99.8%", palette.LIMIT_LINE, None, 1.5),
        "ll95": ("95%", palette.LIMIT_LINE, "6 4", 1.3),
        "ul95": ("95%", palette.LIMIT_LINE, "6 4", 1.3),
        "ul998": ("99.8%", palette.LIMIT_LINE, None, 1.5),
    }
    lines = []
    for name, (level, colour, dash, stroke_width) in curve_style.items():
        for points in s.polyline_runs(px_lim, yscale(curves[name])):
            lines.append(
                s.polyline(
                    points,
                    stroke=colour,
                    width=stroke_width,
                    dash=dash,
                    css_class=f"ww-limit ww-limit--{name}",
                    extra={"data-level": level},
                )
            )
    if target is not None:
        ty = yscale.one(target)
        lines.append(
            s.line(area.left, ty, area.right, ty, stroke=palette.NHS_BLUE, width=1.6, css_class="ww-target")
        )
    parts.append(s.tag("g", {"clip-path": f"url(#{clip_id})"}, "".join(lines)))
    target_decimals = None if value_format == "percent" else s.decimals_for_step(ystep) + 1
    parts.append(
        _curve_labels(
            curves, lim_x, xscale, yscale, area, target, target_label, value_format, target_decimals
        )
    )

    # ---- units ----
    px, py = xscale(denominators), yscale(values)
    order = sorted(np.flatnonzero(drawable), key=lambda i: (groups[i] in highlights, directions[i] != "none"))
    dots = []
    for i in order:
        direction = directions[i]
        hue = _outlier_hue(direction, improvement)
        shape = {"high": "triangle", "low": "triangle_down"}.get(direction, "circle")
        band = bands[i]
        tooltip = (
            f"{groups[i]}: {s.format_value(values[i], value_format)} "
            f"(denominator {s.format_value(denominators[i])})"
        )
        if direction != "none":
            tooltip += f" – {'higher' if direction == 'high' else 'lower'} than expected"
        if band is not None and not (isinstance(band, float) and math.isnan(band)):
            tooltip += f"; band {band}"
        is_highlight = groups[i] in highlights
        if is_highlight:
            dots.append(
                s.tag(
                    "circle",
                    {
                        "class": "ww-highlight-ring",
                        "cx": float(px[i]),
                        "cy": float(py[i]),
                        "r": 9.0,
                        "fill": "none",
                        "stroke": palette.HIGHLIGHT.fill,
                        "stroke-width": 2.2,
                    },
                )
            )
        dots.append(
            s.marker(
                shape,
                px[i],
                py[i],
                fill=hue.fill,
                stroke=hue.ink,
                radius=4.2,
                css_class="ww-unit" + (" ww-unit--highlight" if is_highlight else ""),
                title=tooltip,
                extra={"data-group": groups[i], "data-outlier": direction},
            )
        )
    parts.append(s.tag("g", {"class": "ww-units"}, "".join(dots)))
    parts.append(
        _unit_labels(groups, px, py, directions, highlights, label_outliers, drawable, area, improvement)
    )

    parts.append(s.legend(legend_items, left, height - 12 - (rows - 1) * s.LEGEND_ROW_HEIGHT, width - left))
    desc = _describe(
        groups,
        denominators,
        values,
        directions,
        bands,
        drawable,
        highlights,
        target,
        value_format,
        target_label,
    )
    return s.svg_document(
        "".join(parts),
        width=width,
        height=height,
        title=title or "Funnel plot",
        desc=desc,
        css_class="ww-funnel",
    )


def _legend_items(
    directions: np.ndarray, improvement: str | None, has_highlight: bool, has_target: bool, target_label: str
) -> list[tuple[str, str]]:
    items = []
    if has_target:
        items.append((s.line_swatch(palette.NHS_BLUE, None, 1.6), target_label))
    items.append((s.line_swatch(palette.LIMIT_LINE, "6 4"), "95% limits"))
    items.append((s.line_swatch(palette.LIMIT_LINE, None), "99.8% limits"))
    items.append((s.marker_swatch("circle", palette.COMMON_CAUSE), "Within limits"))
    if (directions == "high").any():
        items.append((s.marker_swatch("triangle", _outlier_hue("high", improvement)), "Higher than expected"))
    if (directions == "low").any():
        items.append(
            (s.marker_swatch("triangle_down", _outlier_hue("low", improvement)), "Lower than expected")
        )
    if has_highlight:
        ring = s.tag(
            "circle",
            {"cx": 5, "cy": 0, "r": 6.0, "fill": "none", "stroke": palette.HIGHLIGHT.fill, "stroke-width": 2},
        )
        items.append((ring, "Highlighted"))
    return items


def _curve_labels(
    curves: dict[str, np.ndarray],
    lim_x: np.ndarray,
    xscale: s.LinearScale | s.LogScale,
    yscale: s.LinearScale,
    area: s.PlotArea,
    target: float | None,
    target_label: str,
    value_format: str,
    target_decimals: int | None,
) -> str:
    """Labels at the right-hand end of each curve (the level) and of the target line (its value)."""
    entries: list[tuple[float, str, str]] = []
    if lim_x.size:
        px = xscale(lim_x)
        inside = np.flatnonzero(np.isfinite(px) & (px <= area.right + 0.5))
        if inside.size:
            last = inside[-1]
            for name, level in (("ul998", "99.8%"), ("ul95", "95%"), ("ll95", "95%"), ("ll998", "99.8%")):
                value = curves[name][last]
                y = yscale.one(value) if math.isfinite(value) else math.nan
                if math.isfinite(y) and area.top <= y <= area.bottom:
                    entries.append((y, level, name))
    if target is not None:
        entries.append(
            (
                yscale.one(target),
                f"{target_label} {s.format_value(target, value_format, target_decimals)}",
                "target",
            )
        )
    ys = s.spread_labels([e[0] for e in entries], 12, area.top + 4, area.bottom - 2)
    parts = []
    for (_, label_text, name), y in zip(entries, ys, strict=True):
        if name == "target":
            # The target label sits inside the plot, top-left of the line, to leave the right margin
            # to the limit levels.
            parts.append(
                s.text(
                    area.left + 6,
                    y - 8,
                    label_text,
                    size=10.5,
                    fill=palette.NHS_BLUE,
                    css_class="ww-end-label ww-end-label--target",
                    extra={"paint-order": "stroke", "stroke": palette.WHITE, "stroke-width": 3},
                )
            )
        else:
            parts.append(
                s.text(
                    area.right + 5,
                    y,
                    label_text,
                    size=10,
                    baseline="middle",
                    css_class=f"ww-end-label ww-end-label--{name}",
                )
            )
    return "".join(parts)


def _unit_labels(
    groups: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    directions: np.ndarray,
    highlights: set[str],
    label_outliers: bool,
    drawable: np.ndarray,
    area: s.PlotArea,
    improvement: str | None,
) -> str:
    """Group labels for the highlighted units first, then outliers; a label that would overlap one
    already placed is left out (the unit keeps its tooltip and appears in the description)."""
    wanted = [i for i in np.flatnonzero(drawable) if groups[i] in highlights]
    if label_outliers:
        wanted += [
            i for i in np.flatnonzero(drawable) if directions[i] != "none" and groups[i] not in highlights
        ]
    # Labels avoid each other and every other marker (a label must not hide another organisation);
    # highlighted units are ringed, so their box is larger.
    marker_boxes = {
        int(j): (px[j] - r, py[j] - r, px[j] + r, py[j] + r)
        for j in np.flatnonzero(drawable)
        for r in [10.0 if groups[j] in highlights else 6.0]
    }
    boxes: list[tuple[float, float, float, float]] = []
    parts = []
    for i in wanted:
        is_highlight = groups[i] in highlights
        size = 11.5 if is_highlight else 10.5
        label_width = s.text_width(groups[i], size)
        gap = 12 if is_highlight else 8
        placed = False
        candidates = (
            (gap, -gap),
            (gap, gap + 4),
            (-gap - label_width, -gap),
            (-gap - label_width, gap + 4),
            (-label_width / 2, -gap - 3),
            (-label_width / 2, gap + 12),
        )
        others = [b for j, b in marker_boxes.items() if j != i]
        for dx, dy in candidates:
            x0, y0 = px[i] + dx, py[i] + dy
            box = (x0, y0 - size, x0 + label_width, y0 + 2)
            if box[0] < area.left or box[2] > area.right + 40 or box[1] < area.top - 10:
                continue
            if any(
                not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in boxes + others
            ):
                continue
            boxes.append(box)
            colour = palette.HIGHLIGHT.ink if is_highlight else _outlier_hue(directions[i], improvement).ink
            parts.append(
                s.text(
                    x0,
                    y0,
                    groups[i],
                    size=size,
                    fill=colour,
                    weight="bold" if is_highlight else None,
                    css_class="ww-unit-label" + (" ww-unit-label--highlight" if is_highlight else ""),
                    extra={
                        "data-group": groups[i],
                        "paint-order": "stroke",
                        "stroke": palette.WHITE,
                        "stroke-width": 3,
                        "stroke-linejoin": "round",
                    },
                )
            )
            placed = True
            break
        if not placed and is_highlight:  # the highlighted unit is always named, even if it overlaps
            parts.append(
                s.text(
                    px[i] + 12,
                    py[i] - 12,
                    groups[i],
                    size=size,
                    fill=palette.HIGHLIGHT.ink,
                    weight="bold",
                    css_class="ww-unit-label ww-unit-label--highlight",
                    extra={"data-group": groups[i]},
                )
            )
    return s.tag("g", {"class": "ww-unit-labels"}, "".join(parts))


def _describe(
    groups: np.ndarray,
    denominators: np.ndarray,
    values: np.ndarray,
    directions: np.ndarray,
    bands: list[object],
    drawable: np.ndarray,
    highlights: set[str],
    target: float | None,
    value_format: str,
    target_label: str,
) -> str:
    count = int(drawable.sum())
    sentences = [f"Funnel plot of {count} organisations by denominator, with 95% and 99.8% limits."]
    if target is not None:
        decimals = None if value_format == "percent" or abs(target) < 0.1 else 2
        sentences.append(f"{target_label} {s.format_value(target, value_format, decimals)}.")
    for direction, wording in (("high", "Higher than expected"), ("low", "Lower than expected")):
        names = [groups[i] for i in np.flatnonzero(drawable) if directions[i] == direction]
        sentences.append(f"{wording}: {', '.join(names) if names else 'none'}.")
    for i in np.flatnonzero(np.isin(groups, list(highlights))):
        status = {"high": "higher than expected", "low": "lower than expected"}.get(
            directions[i], "within the limits"
        )
        band = bands[i]
        band_text = "" if band is None or (isinstance(band, float) and math.isnan(band)) else f", band {band}"
        sentences.append(
            f"Highlighted {groups[i]}: {s.format_value(values[i], value_format)} with denominator "
            f"{s.format_value(denominators[i])}, {status}{band_text}."
        )
    return " ".join(sentences)
