"""Number formatting for public outputs, under the small-number rule (``SmallNumberRule``, defined
in :mod:`wardwatch.disclosure` with the rest of the disclosure control and re-exported here).

Small-number rule (docs/design.md "Conventions"): counts from 1 to 7 are shown as "*" in public
outputs, and so is any rate derived from them (a rate and its denominator would give the count
back).  Zero is shown: it discloses nothing about an individual.  The band is configurable.
Tables published with totals go through :mod:`wardwatch.disclosure` (secondary suppression).
"""

from __future__ import annotations

import math
from datetime import date

from wardwatch.disclosure import SUPPRESSED, SmallNumberRule

__all__ = ["SUPPRESSED", "SmallNumberRule", "format_count", "format_value"]


def _isnan(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def format_count(count: float | None, rule: SmallNumberRule) -> str:
    if _isnan(count):
        return "–"
    if rule.hides(count):
        return SUPPRESSED
    return f"{count:,.0f}" if float(count).is_integer() else f"{count:,.1f}"


def format_value(value: float | None, unit: str) -> str:
    """Proportions are fractions in measures; shown as percentages."""
    if _isnan(value):
        return "–"
    if unit == "proportion":
        return f"{value * 100:.1f}%"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.2f}"


def format_measure_value(
    value: float | None, numerator: float | None, denominator: float | None, unit: str, rule: SmallNumberRule
) -> str:
    """A measure's value, hidden when its numerator or denominator is a small count."""
    if rule.hides(numerator) or rule.hides(denominator):
        return SUPPRESSED
    if unit == "count" and rule.hides(value):
        return SUPPRESSED
    return format_value(value, unit)


def format_target(target: float | None, unit: str) -> str:
    return "none set" if target is None else format_value(target, unit)


def value_format_for(unit: str) -> str:
    """The ``value_format`` the SVG renderers expect."""
    return "percent" if unit == "proportion" else "number"


def format_period(start: date | None, grain: str) -> str:
    if start is None:
        return "–"
    if grain == "week":
        return f"week of {start:%d %b %Y}"
    if grain == "month":
        return f"{start:%b %Y}"
    if grain == "year":
        return f"{start:%Y}/{(start.year + 1) % 100:02d}" if start.month == 4 else f"{start:%Y}"
    return start.isoformat()
