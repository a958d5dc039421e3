"""Colours, marker shapes and fonts shared by every wardwatch chart.

The point colours are the NHS England Making Data Count (MDC) palette (team brief, "NHS palette"):
grey for common cause, orange for concern, blue for improvement, purple for neutral special
cause. Three of those hues are too light to read as text on white (WCAG 2.1 asks 4.5:1 for text,
3:1 for graphics), so each hue has a darker *ink* used for text, letters and marker outlines;
the fill keeps the familiar MDC colour. ``contrast_ratio`` implements the WCAG 2.1 formula
(https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio) so the tests can check every pairing.

Colour is never the only cue: each point type also has its own marker shape (see ``MARKER``).
"""

from __future__ import annotations

from dataclasses import dataclass

from wardwatch import vocabulary

FONT_FAMILY = "Arial, 'Helvetica Neue', Helvetica, 'Liberation Sans', 'DejaVu Sans', sans-serif"

WHITE = "#FFFFFF"
TEXT = "#231F20"  # NHS black: titles and values
TEXT_SECONDARY = "#425563"  # NHS dark grey: axis labels, notes (7.8:1 on white)
AXIS = "#768692"  # NHS mid grey: axis lines (3.7:1 on white)
GRID = "#E8EDEE"  # NHS pale grey: gridlines (decorative)
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
TARGET = "#D5281B"  # NHS red: target lines and their labels (5.1:1 on white)
DATA_LINE = "#8C8C8C"  # grey line joining the points
CENTRE_LINE = "#425563"
LIMIT_LINE = "#5E6E7A"
NEAR_LIMIT_LINE = "#B8C1C6"
ANNOTATION = "#425563"


@dataclass(frozen=True)
class Hue:
    """A chart colour: ``fill`` for areas and markers, ``ink`` for text and outlines."""

    fill: str
    ink: str


COMMON_CAUSE = Hue(fill="#A6A6A6", ink="#595959")
CONCERN = Hue(fill="#E46C0A", ink="#A84E00")
IMPROVEMENT = Hue(fill="#00B0F0", ink="#006F98")
NEUTRAL = Hue(fill="#7030A0", ink="#7030A0")
HIGHLIGHT = Hue(fill=NHS_DARK_BLUE, ink=NHS_DARK_BLUE)

POINT_TYPES = vocabulary.POINT_TYPES

POINT_HUE: dict[str, Hue] = {
    "common_cause": COMMON_CAUSE,
    "special_cause_improvement": IMPROVEMENT,
    "special_cause_concern": CONCERN,
    "special_cause_neutral_high": NEUTRAL,
    "special_cause_neutral_low": NEUTRAL,
}

# Marker shape per point type, so that the chart still reads in greyscale or for colour-blind
# readers: concern is a warning triangle, improvement a diamond, neutral a square.
MARKER: dict[str, str] = {
    "common_cause": "circle",
    "special_cause_improvement": "diamond",
    "special_cause_concern": "triangle",
    "special_cause_neutral_high": "square",
    "special_cause_neutral_low": "square",
}

POINT_TYPE_LEGEND: dict[str, str] = vocabulary.POINT_TYPE_LABELS

ASSURANCE_HUE: dict[str, Hue] = {
    "consistent_pass": IMPROVEMENT,
    "consistent_fail": CONCERN,
    "inconsistent": COMMON_CAUSE,
    "none": Hue(fill="#AEB7BD", ink=TEXT_SECONDARY),
}


def point_hue(point_type: object) -> Hue:
    """Hue for a point type; anything unknown or missing is drawn as common cause."""
    return POINT_HUE.get(str(point_type), COMMON_CAUSE)


def point_marker(point_type: object) -> str:
    return MARKER.get(str(point_type), "circle")


def _relative_luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour written ``#RRGGBB``."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str = WHITE) -> float:
    """WCAG 2.1 contrast ratio ``(L1 + 0.05) / (L2 + 0.05)`` with L1 the lighter colour."""
    lum_a, lum_b = _relative_luminance(foreground), _relative_luminance(background)
    lighter, darker = max(lum_a, lum_b), min(lum_a, lum_b)
    return (lighter + 0.05) / (darker + 0.05)
