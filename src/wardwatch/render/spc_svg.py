"""Making Data Count style SPC chart of one series, drawn as a self-contained SVG.

Input is an SPC points frame (``SPCResult.points`` for one series): ``x, y, n, centre, lpl, upl,
lower_near, upper_near, segment, special_cause, point_type``. Nothing is recomputed: the centre
line, limits and point types are drawn as given. The one exception is the assurance icon, which,
only when the caller does not pass ``assurance``, is read off the last point's limits and the target
exactly as docs/methods.md §2.3 defines it (NHSRplotthedots R/ptd_calculate_assurance_type.R).

Look (MDC): a grey line joins the points; points are coloured by type (grey common cause, orange
concern, blue improvement, purple neutral) and also shaped (circle, triangle, diamond, square) so
colour is not the only cue; the centre line is solid and the process limits dashed, both broken
where the limits were recalculated (a new ``segment``); a red dashed target line; labels for the
mean, limits and target at the right-hand end; dated annotations as vertical lines; and the
variation and assurance icons in the top-right corner.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wardwatch.render import icons, palette
from wardwatch.render import svg as s

_SPECIAL_NAMES = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neutral_high": "neutral (high)",
    "special_cause_neutral_low": "neutral (low)",
}


def assurance_from_limits(target: float | None, lpl: float, upl: float, improvement: str) -> str:
    """Assurance code from the target and the last point's limits (docs/methods.md §2.3).

    Higher is better: target above UPL ⇒ consistently fail; below LPL ⇒ consistently pass;
    otherwise hit and miss. Mirror image when lower is better. ``none`` without a target, without
    limits or for neutral measures.
    """
    if target is None or improvement not in ("increase", "decrease"):
        return "none"
    values = [float(target), float(lpl), float(upl)]
    if not all(math.isfinite(v) for v in values):
        return "none"
    if improvement == "increase":
        if target > upl:
            return "consistent_fail"
        if target < lpl:
            return "consistent_pass"
    else:
        if target < lpl:
            return "consistent_fail"
        if target > upl:
            return "consistent_pass"
    return "inconsistent"


def _column(frame: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    return np.full(len(frame), default)


def _normalise_annotations(annotations: Iterable[Any] | None) -> list[tuple[object, str]]:
    """Annotations as (x, text) pairs; accepts tuples or dicts with ``date``/``x`` and ``label``/``text``."""
    result: list[tuple[object, str]] = []
    for item in annotations or []:
        if isinstance(item, dict):
            x = item.get("date", item.get("x"))
            label = item.get("label", item.get("text", ""))
        else:
            x, label = item[0], item[1]
        result.append((x, str(label)))
    return result


def _note_position(x: object, is_date: bool) -> float:
    """An annotation's x in the chart's units (days for a date axis); NaN if it cannot be placed."""
    if is_date:
        return float(s.to_days([x])[0])
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def _x_label(value: float, is_date: bool) -> str:
    if not math.isfinite(value):
        return "–"
    if is_date:
        return s.format_period(s.days_to_timestamp(value))
    return s.format_value(value)


def _x_ticks(lo: float, hi: float, is_date: bool, plot_width: float) -> list[tuple[float, str]]:
    if is_date:
        return s.date_ticks(lo, hi, max_ticks=max(3, int(plot_width // 80)))
    ticks, step = s.nice_ticks(lo, hi, max_ticks=max(3, int(plot_width // 70)))
    decimals = s.decimals_for_step(step)
    return [(float(t), s.format_value(t, "number", decimals)) for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]


def _segment_runs(segments: np.ndarray) -> list[np.ndarray]:
    """Row indices of each run of equal consecutive segment ids (a rebase starts a new run)."""
    if len(segments) == 0:
        return []
    change = np.flatnonzero(segments[1:] != segments[:-1]) + 1
    return np.split(np.arange(len(segments)), change)


def _steps(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertices of a step line: each point's value held from midway after the previous point to midway
    before the next, which is how limits that vary with the denominator (p, u charts) are read."""
    mids = (xs[1:] + xs[:-1]) / 2
    lefts = np.concatenate(([xs[0]], mids))
    rights = np.concatenate((mids, [xs[-1]]))
    return np.column_stack((lefts, rights)).ravel(), np.repeat(ys, 2)


def _segment_line(
    xs: np.ndarray,
    ys: np.ndarray,
    *,
    stroke: str,
    width: float,
    dash: str | None,
    css_class: str,
    segment: object,
) -> list[str]:
    """Polylines for one segment's line; a single-point segment gets a short stub so it stays visible.

    A line that is constant within the segment is drawn straight; one that varies point to point
    (limits of an attribute chart) is drawn as steps.
    """
    finite = ys[np.isfinite(ys)]
    if len(xs) == 1 and math.isfinite(xs[0]) and math.isfinite(ys[0]):
        runs = [f"{s.num(xs[0] - 6)},{s.num(ys[0])} {s.num(xs[0] + 6)},{s.num(ys[0])}"]
    elif finite.size > 1 and np.ptp(finite) > 0.05:  # varies by more than a twentieth of a pixel
        runs = s.polyline_runs(*_steps(xs, ys))
    else:
        runs = s.polyline_runs(xs, ys)
    return [
        s.polyline(
            points,
            stroke=stroke,
            width=width,
            dash=dash,
            css_class=css_class,
            extra={"data-segment": str(segment)},
        )
        for points in runs
    ]


def _last_finite(values: np.ndarray) -> float:
    finite = np.flatnonzero(np.isfinite(values))
    return float(values[finite[-1]]) if finite.size else math.nan


def spc_chart_svg(
    points: pd.DataFrame,
    *,
    improvement: str,
    target: float | None = None,
    annotations: Sequence[Any] | None = None,
    title: str | None = None,
    value_format: str = "number",
    width: float = 720,
    height: float = 300,
    assurance: str | None = None,
    variation: str | None = None,
    show_icons: bool = True,
    show_near_limits: bool = False,
    y_label: str | None = None,
) -> str:
    """Draw one SPC series (an ``SPCResult.points`` frame) in the Making Data Count style.

    ``assurance``/``variation``: codes from ``SPCResult.summary`` (preferred); when omitted the
    variation icon uses the last point's ``point_type`` and the assurance icon is read from the
    target and the last point's limits. ``annotations``: ``[(date_or_x, "text"), ...]``.
    """
    frame = points.reset_index(drop=True)
    if "x" not in frame.columns or "y" not in frame.columns:
        raise ValueError("spc_chart_svg: the points frame needs columns 'x' and 'y' (SPCResult.points)")
    xs_raw, is_date = s.x_values(frame["x"])
    ys = _column(frame, "y")
    centre, lpl, upl = _column(frame, "centre"), _column(frame, "lpl"), _column(frame, "upl")
    lower_near, upper_near = _column(frame, "lower_near"), _column(frame, "upper_near")
    point_types = (
        frame["point_type"]
        .astype(object)
        .where(frame["point_type"].notna(), "common_cause")
        .astype(str)
        .to_numpy()
        if "point_type" in frame.columns
        else np.full(len(frame), "common_cause", dtype=object)
    )
    segments = (
        frame["segment"].astype(object).where(frame["segment"].notna(), 0).to_numpy()
        if "segment" in frame.columns
        else np.zeros(len(frame), dtype=int)
    )
    target_value = None if target is None or not math.isfinite(float(target)) else float(target)
    notes = _normalise_annotations(annotations)
    note_x = [_note_position(x, is_date) for x, _ in notes]

    has_data = np.isfinite(ys) & np.isfinite(xs_raw)
    last_index = int(np.flatnonzero(has_data)[-1]) if has_data.any() else None

    # ---- icons (codes from the summary if given; otherwise from the last point) ----
    variation_code = variation or (point_types[last_index] if last_index is not None else None)
    if assurance is None:
        last_lpl = lpl[last_index] if last_index is not None else math.nan
        last_upl = upl[last_index] if last_index is not None else math.nan
        assurance_code = assurance_from_limits(target_value, last_lpl, last_upl, improvement)
    else:
        assurance_code = assurance

    # ---- right-hand labels: mean, limits and target of the last segment ----
    has_limits = bool(np.isfinite(lpl).any() or np.isfinite(upl).any())
    centre_name = "Mean" if has_limits else "Centre"
    runs = _segment_runs(segments)
    last_run = runs[-1] if runs else np.array([], dtype=int)
    end_labels: list[tuple[float, str, str, str]] = []  # value, text, colour, css class
    for values, name, cls in ((upl, "UPL", "upper"), (centre, centre_name, "centre"), (lpl, "LPL", "lower")):
        value = _last_finite(values[last_run]) if len(last_run) else math.nan
        if math.isfinite(value):
            end_labels.append(
                (value, f"{name} {s.format_value(value, value_format)}", palette.TEXT_SECONDARY, cls)
            )
    if target_value is not None:
        end_labels.append(
            (target_value, f"Target {s.format_value(target_value, value_format)}", palette.TARGET, "target")
        )

    # ---- layout ----
    label_width = max([s.text_width(lbl, 10.5) for _, lbl, _, _ in end_labels] + [40.0])
    icon_size = 38 if show_icons else 0
    top = 54 if (title or show_icons) else 16
    left = 58 + (16 if y_label else 0)
    right = width - min(150.0, label_width + 14)

    legend_items: list[tuple[str, str]] = []
    present = [pt for pt in palette.POINT_TYPES if (point_types[has_data] == pt).any()]
    for pt in present:
        legend_items.append(
            (s.marker_swatch(palette.point_marker(pt), palette.point_hue(pt)), palette.POINT_TYPE_LEGEND[pt])
        )
    legend_items.append((s.line_swatch(palette.CENTRE_LINE), centre_name))
    if has_limits:
        legend_items.append((s.line_swatch(palette.LIMIT_LINE, "6 4"), "Process limits"))
    if show_near_limits and (np.isfinite(lower_near).any() or np.isfinite(upper_near).any()):
        legend_items.append((s.line_swatch(palette.NEAR_LIMIT_LINE, "2 3"), "2σ limits"))
    if target_value is not None:
        legend_items.append((s.line_swatch(palette.TARGET, "5 3", 1.8), "Target"))
    rows = s.legend_rows(legend_items, width - left)
    bottom = height - 30 - rows * s.LEGEND_ROW_HEIGHT
    area = s.PlotArea(left=left, top=top, right=right, bottom=bottom)

    # ---- scales ----
    y_candidates = [ys, centre, lpl, upl]
    if show_near_limits:
        y_candidates += [lower_near, upper_near]
    y_all = np.concatenate(y_candidates + [np.array([target_value if target_value is not None else np.nan])])
    yscale, yticks, ystep = s.value_scale(y_all, area, value_format=value_format, pixels_per_tick=30)

    x_finite = np.concatenate([xs_raw[np.isfinite(xs_raw)], np.asarray(note_x, dtype=float)])
    x_finite = x_finite[np.isfinite(x_finite)]
    if x_finite.size:
        xlo, xhi = float(x_finite.min()), float(x_finite.max())
    else:
        xlo, xhi = 0.0, 1.0
    if xhi == xlo:
        pad = 15.0 if is_date else 1.0
        xlo, xhi = xlo - pad, xhi + pad
    inset = 10.0  # keep edge markers clear of the axes
    xscale = s.LinearScale(xlo, xhi, area.left + inset, area.right - inset)

    px, py = xscale(xs_raw), yscale(ys)
    # the title keeps clear of the icons (two of them at most, top right)
    icons_shown = (1 + (assurance_code != "none")) if show_icons and variation_code is not None else 0
    title_room = width - 16 - 10 - icons_shown * (icon_size + 6) - 8
    parts: list[str] = [s.title_block(title, 16, 24, max_width=title_room)]
    parts.append(s.y_axis(yscale, yticks, ystep, area, value_format, label=y_label))
    parts.append(s.x_axis(xscale, _x_ticks(xlo, xhi, is_date, area.width), area))

    # ---- centre line and limits, one polyline per segment so a rebase breaks them ----
    for run in runs:
        seg_id = segments[run[0]]
        seg_x = px[run]
        if show_near_limits:
            for values, cls in (
                (upper_near, "ww-near-limit ww-near-limit--upper"),
                (lower_near, "ww-near-limit ww-near-limit--lower"),
            ):
                parts += _segment_line(
                    seg_x,
                    yscale(values[run]),
                    stroke=palette.NEAR_LIMIT_LINE,
                    width=1,
                    dash="2 3",
                    css_class=cls,
                    segment=seg_id,
                )
        for values, cls in ((upl, "ww-limit ww-limit--upper"), (lpl, "ww-limit ww-limit--lower")):
            parts += _segment_line(
                seg_x,
                yscale(values[run]),
                stroke=palette.LIMIT_LINE,
                width=1.3,
                dash="6 4",
                css_class=cls,
                segment=seg_id,
            )
        parts += _segment_line(
            seg_x,
            yscale(centre[run]),
            stroke=palette.CENTRE_LINE,
            width=1.6,
            dash=None,
            css_class="ww-centre",
            segment=seg_id,
        )

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

    parts.append(_annotations_svg(notes, note_x, xscale, area, is_date))

    # ---- data: grey joining line, then the markers on top ----
    for points_str in s.polyline_runs(px, py):
        parts.append(s.polyline(points_str, stroke=palette.DATA_LINE, width=1.5, css_class="ww-data-line"))
    n_points = int(has_data.sum())
    radius = float(np.clip(area.width / max(n_points, 1) / 2.6, 2.2, 4.6))
    markers = []
    for i in np.flatnonzero(has_data):
        pt = point_types[i]
        hue = palette.point_hue(pt)
        tooltip = f"{_x_label(xs_raw[i], is_date)}: {s.format_value(ys[i], value_format)}"
        if pt in _SPECIAL_NAMES:
            tooltip += f" – special cause ({_SPECIAL_NAMES[pt]})"
        markers.append(
            s.marker(
                palette.point_marker(pt),
                px[i],
                py[i],
                fill=hue.fill,
                stroke=hue.ink,
                radius=radius if pt == "common_cause" else radius + 0.6,
                css_class="ww-point",
                title=tooltip,
                extra={"data-point-type": pt, "data-index": int(i)},
            )
        )
    parts.append(s.tag("g", {"class": "ww-points"}, "".join(markers)))
    if not has_data.any():
        parts.append(s.no_data_text(area))

    # ---- labels at the right-hand end ----
    parts.extend(s.end_labels_svg(end_labels, area, yscale))

    # ---- icons, top right ----
    if show_icons and variation_code is not None:
        icon_parts = [icons.variation_icon_svg(variation_code, improvement, size=icon_size)]
        if assurance_code != "none":
            icon_parts.append(icons.assurance_icon_svg(assurance_code, size=icon_size))
        x0 = width - 10 - len(icon_parts) * (icon_size + 6) + 6
        for k, icon in enumerate(icon_parts):
            parts.append(
                s.tag(
                    "g",
                    {"class": "ww-icon-slot", "transform": f"translate({s.num(x0 + k * (icon_size + 6))} 6)"},
                    icon,
                )
            )

    parts.append(s.legend(legend_items, left, height - 12 - (rows - 1) * s.LEGEND_ROW_HEIGHT, width - left))

    desc = _describe(
        frame,
        xs_raw,
        ys,
        centre,
        lpl,
        upl,
        point_types,
        segments,
        is_date,
        value_format,
        improvement,
        variation_code,
        assurance_code,
        target_value,
        notes,
        note_x,
        has_data,
    )
    return s.svg_document(
        "".join(parts),
        width=width,
        height=height,
        title=title or "Statistical process control chart",
        desc=desc,
        css_class="ww-spc",
    )


def _annotations_svg(
    notes: list[tuple[object, str]],
    note_x: list[float],
    xscale: s.LinearScale,
    area: s.PlotArea,
    is_date: bool,
) -> str:
    """Vertical dashed lines with a label at the top; labels that would collide drop to a new row."""
    parts: list[str] = []
    occupied: list[list[tuple[float, float]]] = []
    for (_, label_text), x_value in zip(notes, note_x, strict=True):
        if not math.isfinite(x_value):
            continue
        x = xscale.one(x_value)
        if x < area.left - 0.5 or x > area.right + 0.5:
            continue
        label_width = s.text_width(label_text, 10)
        anchor_end = x + 4 + label_width > area.right
        x0 = x - 4 - label_width if anchor_end else x + 4
        row = 0
        while row < len(occupied) and any(not (x0 + label_width < a or x0 > b) for a, b in occupied[row]):
            row += 1
        if row == len(occupied):
            occupied.append([])
        occupied[row].append((x0 - 4, x0 + label_width + 4))
        ty = area.top + 10 + row * 13
        when = _x_label(x_value, is_date)
        group = s.line(
            x, area.top, x, area.bottom, stroke=palette.ANNOTATION, width=1.1, dash="3 3"
        ) + s.text(
            x - 4 if anchor_end else x + 4,
            ty,
            label_text,
            size=10,
            fill=palette.TEXT,
            anchor="end" if anchor_end else "start",
            baseline="middle",
            extra={
                "paint-order": "stroke",
                "stroke": palette.WHITE,
                "stroke-width": 3,
                "stroke-linejoin": "round",
            },
        )
        parts.append(
            s.tag(
                "g",
                {"class": "ww-annotation", "data-x": s.num(x), "data-label": label_text},
                s.tag("title", None, s.esc(f"{when}: {label_text}")) + group,
            )
        )
    return "".join(parts)


def _describe(
    frame: pd.DataFrame,
    xs: np.ndarray,
    ys: np.ndarray,
    centre: np.ndarray,
    lpl: np.ndarray,
    upl: np.ndarray,
    point_types: np.ndarray,
    segments: np.ndarray,
    is_date: bool,
    value_format: str,
    improvement: str,
    variation_code: object,
    assurance_code: str,
    target: float | None,
    notes: list[tuple[object, str]],
    note_x: list[float],
    has_data: np.ndarray,
) -> str:
    """A text alternative: what the chart shows, in the order a reader would look at it."""
    count = int(has_data.sum())
    if count == 0:
        return "SPC chart with no values to plot."
    idx = np.flatnonzero(has_data)
    first, last = idx[0], idx[-1]
    direction = {"increase": "higher is better", "decrease": "lower is better"}.get(
        improvement, "no preferred direction"
    )
    sentences = [
        f"{count} points from {_x_label(xs[first], is_date)} to {_x_label(xs[last], is_date)} ({direction}).",
        f"Latest value {s.format_value(ys[last], value_format)} in {_x_label(xs[last], is_date)}.",
    ]
    if math.isfinite(centre[last]):
        limits = ""
        if math.isfinite(lpl[last]) and math.isfinite(upl[last]):
            limits = (
                f", process limits {s.format_value(lpl[last], value_format)} to "
                f"{s.format_value(upl[last], value_format)}"
            )
        sentences.append(f"Current centre line {s.format_value(centre[last], value_format)}{limits}.")
    runs = _segment_runs(segments)
    if len(runs) > 1:
        starts = ", ".join(_x_label(xs[run[0]], is_date) for run in runs[1:])
        sentences.append(f"Limits recalculated from {starts}.")
    counts = {name: int((point_types[has_data] == pt).sum()) for pt, name in _SPECIAL_NAMES.items()}
    special = [f"{n} {name}" for name, n in counts.items() if n]
    sentences.append("Special cause points: " + (", ".join(special) if special else "none") + ".")
    if variation_code is not None:
        sentences.append(f"Variation: {icons.variation_label(variation_code, improvement)}.")
    if target is not None:
        sentences.append(
            f"Target {s.format_value(target, value_format)}; assurance: "
            f"{icons.assurance_label(assurance_code)}."
        )
    if notes:
        sentences.append(
            "Annotations: "
            + "; ".join(
                f"{_x_label(x, is_date)} {label}" for x, (_, label) in zip(note_x, notes, strict=True)
            )
            + "."
        )
    return " ".join(sentences)
