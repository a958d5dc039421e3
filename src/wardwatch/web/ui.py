"""Small pieces of NHS.UK frontend markup shared by the templates (Jinja filters).

Every value is escaped here (``markupsafe.escape``) before it is wrapped in markup, so a filter
never lets a name or label through as HTML.
"""

from __future__ import annotations

import math

from markupsafe import Markup, escape

#: nhsuk-tag colour by stored value: Making Data Count variation and assurance, CQC ratings,
#: data-quality marks, mortality bands and CUSUM directions
TAG_COLOURS = {
    "special_cause_concern": "orange", "special_cause_improvement": "blue", "special_cause_neither": "purple",
    "common_cause": "grey",
    "consistent_pass": "blue", "consistent_fail": "orange", "inconsistent": "grey", "none": "white",
    "outstanding": "aqua-green", "good": "green", "requires improvement": "yellow", "inadequate": "red",
    "poor": "red", "check": "yellow",
    "higher than expected": "red", "lower than expected": "blue", "as expected": "grey",
    "higher": "red", "lower": "blue",
}


def label(value: object) -> str:
    """``special_cause_concern`` -> ``Special cause concern``."""
    text = str(value).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def tag(value: object) -> Markup:
    """An nhsuk tag for a stored value, or an en dash when there is none."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return Markup("–")
    colour = TAG_COLOURS.get(str(value).strip().lower(), "grey")
    return Markup('<strong class="nhsuk-tag nhsuk-tag--{}">{}</strong>').format(colour, escape(label(value)))


def number(value: object, spec: str = "{:,.4g}", missing: str = "–") -> str:
    """A number for a table cell; ``missing`` when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if isinstance(value, (int, float)):
        return spec.format(value)
    return str(value)


def percent(value: object, missing: str = "–") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    return f"{100 * float(value):.1f}%"


def when(value: object, missing: str = "–") -> str:
    """ISO date-time text as ``YYYY-MM-DD HH:MM`` (a date stays a date)."""
    if value is None or value == "":
        return missing
    text = str(value).replace("T", " ")
    return text[:16]


def install(env) -> None:
    env.filters["when"] = when
    env.filters["tag"] = tag
    env.filters["label"] = label
    env.filters["number"] = number
    env.filters["percent"] = percent
