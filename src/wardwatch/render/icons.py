"""Variation and assurance icons in the Making Data Count style, drawn by wardwatch's own code.

The meaning follows docs/methods.md §2.3 (NHSRplotthedots R/geom_ptd_icon.R): the **variation** icon shows
the point type of the most recent point; the **assurance** icon shows whether the process limits sit
wholly on the passing side of the target (consistently pass), wholly on the failing side
(consistently fail) or straddle it (hit and miss). These are not NHS England's icon files: each icon
is a ringed circle, with a letter and a small run of dots for variation and a letter over a dashed
target line for assurance. Colour is never the only cue: the letter (H, L, P, F, ?) and the shape of
the dots carry the meaning too, and every icon has a ``<title>`` for screen readers and tooltips.
"""

from __future__ import annotations

from wardwatch.render import palette
from wardwatch.render.svg import SVG_NS, esc, num, tag
from wardwatch.vocabulary import ASSURANCES

ASSURANCE_CODES = ASSURANCES

_ASSURANCE_TEXT = {
    "consistent_pass": ("P", "Consistently passing the target"),
    "consistent_fail": ("F", "Consistently failing the target"),
    "inconsistent": ("?", "Hit and miss: the target will be met only some of the time"),
    "none": ("–", "No assurance: no target set, or the limits are not available"),
}


def _normalise_point_type(point_type: object) -> str:
    value = "" if point_type is None else str(point_type)
    return value if value in palette.POINT_HUE else "common_cause"


def _normalise_assurance(assurance: object) -> str:
    value = "" if assurance is None else str(assurance)
    return value if value in _ASSURANCE_TEXT else "none"


def variation_direction(point_type: object, improvement: str) -> str | None:
    """``"high"`` or ``"low"`` for a special-cause point type, None for common cause or unknown.

    Improvement is high when higher values are better (improvement="increase"), low otherwise;
    concern is the reverse. Neutral measures say high/low in the point type itself.
    """
    kind = _normalise_point_type(point_type)
    if kind == "special_cause_neutral_high":
        return "high"
    if kind == "special_cause_neutral_low":
        return "low"
    if kind == "common_cause" or improvement not in ("increase", "decrease"):
        return None
    higher_is_better = improvement == "increase"
    if kind == "special_cause_improvement":
        return "high" if higher_is_better else "low"
    return "low" if higher_is_better else "high"


def variation_label(point_type: object, improvement: str = "increase") -> str:
    """Plain-text name of the variation icon, e.g. ``Special cause variation – improvement (high)``."""
    kind = _normalise_point_type(point_type)
    if kind == "common_cause":
        return "Common cause variation – no significant change"
    nature = {
        "special_cause_improvement": "improvement",
        "special_cause_concern": "concern",
        "special_cause_neutral_high": "neither improvement nor concern",
        "special_cause_neutral_low": "neither improvement nor concern",
    }[kind]
    direction = variation_direction(kind, improvement)
    suffix = f" ({direction})" if direction else ""
    return f"Special cause variation – {nature}{suffix}"


def assurance_label(assurance: object) -> str:
    """Plain-text name of the assurance icon, e.g. ``Consistently passing the target``."""
    return _ASSURANCE_TEXT[_normalise_assurance(assurance)][1]


def icon_label(value: object, improvement: str = "increase") -> str:
    """Plain-text name for a variation point type or an assurance code (used by tables and ``<desc>``)."""
    text = "" if value is None else str(value)
    if text in _ASSURANCE_TEXT:
        return assurance_label(text)
    return variation_label(text, improvement)


def _icon_svg(body: str, *, label: str, size: float, css_class: str, data: dict[str, str]) -> str:
    attrs = " ".join(f'data-{key}="{esc(value)}"' for key, value in data.items())
    return (
        f'<svg xmlns="{SVG_NS}" class="ww-icon {css_class}" role="img" aria-label="{esc(label)}" '
        f'width="{num(size)}" height="{num(size)}" viewBox="0 0 40 40" {attrs} '
        f'font-family="{esc(palette.FONT_FAMILY)}">'
        f"<title>{esc(label)}</title>{body}</svg>"
    )


def _ring(hue: palette.Hue, *, dashed: bool = False) -> str:
    return tag(
        "circle",
        {
            "cx": 20,
            "cy": 20,
            "r": 17.5,
            "fill": palette.WHITE,
            "stroke": hue.fill,
            "stroke-width": 3,
            "stroke-dasharray": "4 3" if dashed else None,
        },
    )


def _letter(letter: str, hue: palette.Hue, *, y: float, size: float) -> str:
    return tag(
        "text",
        {
            "class": "ww-icon-letter",
            "x": 20,
            "y": y,
            "text-anchor": "middle",
            "font-size": size,
            "font-weight": "bold",
            "fill": hue.ink,
        },
        esc(letter),
    )


# Seven dots across the icon: a level, slightly wavy run (common cause) whose last three points
# climb (high) or fall (low) for special cause.
_DOT_X = (9.5, 13.0, 16.5, 20.0, 23.5, 27.0, 30.5)
_FLAT_Y = (26.4, 25.0, 26.8, 25.2, 26.6, 25.1, 26.4)
_HIGH_TAIL = (23.0, 21.0, 19.0)
_LOW_TAIL = (28.0, 29.4, 30.6)


def variation_icon_svg(point_type: str, improvement: str, size: float = 40) -> str:
    """The MDC-style variation icon for a point type (of the most recent point) as inline SVG."""
    kind = _normalise_point_type(point_type)
    hue = palette.point_hue(kind)
    direction = variation_direction(kind, improvement)
    label = variation_label(kind, improvement)
    ys = list(_FLAT_Y)
    if direction == "high":
        ys[4:] = _HIGH_TAIL
    elif direction == "low":
        ys[4:] = _LOW_TAIL
    dots = []
    for index, (x, y) in enumerate(zip(_DOT_X, ys, strict=True)):
        special = kind != "common_cause" and index >= 4
        dot_hue = hue if special else palette.COMMON_CAUSE
        dots.append(
            tag(
                "circle",
                {
                    "class": "ww-icon-dot" + (" ww-icon-dot--special" if special else ""),
                    "cx": x,
                    "cy": y,
                    "r": 2.0,
                    "fill": dot_hue.fill,
                    "stroke": dot_hue.ink,
                    "stroke-width": 0.6,
                },
            )
        )
    letter = ""
    if direction:
        # The letter sits on the side the special cause went, leaving room for the dots.
        letter = _letter("H" if direction == "high" else "L", hue, y=18, size=14)
    body = _ring(hue) + "".join(dots) + letter
    return _icon_svg(
        body,
        label=label,
        size=size,
        css_class="ww-icon--variation",
        data={"variation": kind, "direction": direction or "none"},
    )


def assurance_icon_svg(assurance: str, size: float = 40) -> str:
    """The MDC-style assurance icon (P pass, F fail, ? hit and miss, – none) as inline SVG."""
    code = _normalise_assurance(assurance)
    hue = palette.ASSURANCE_HUE[code]
    letter, label = _ASSURANCE_TEXT[code]
    target_line = tag(
        "line",
        {
            "class": "ww-icon-target",
            "x1": 9,
            "y1": 28.5,
            "x2": 31,
            "y2": 28.5,
            "stroke": palette.TARGET,
            "stroke-width": 1.6,
            "stroke-dasharray": "3 2",
        },
    )
    body = _ring(hue, dashed=code == "none") + _letter(letter, hue, y=24, size=16)
    if code != "none":
        body += target_line
    return _icon_svg(body, label=label, size=size, css_class="ww-icon--assurance", data={"assurance": code})
